/**
 * Purges what voters gave us (subscriptions with their contact addresses, open verification codes and
 * consent records) once the elections they signed up for have been closed long enough; the rules are
 * in ./retention.ts. The voter roll (`voters`) and ballots stay as imported. The notice ledger
 * (`notice_deliveries`) keeps its rows: it holds only IDs (contact, voter), no address.
 */
import type postgres from 'postgres';
import type { Sql } from '../db/client.js';
import {
  electionRetention,
  subscriptionPurgeReason,
  type ElectionRetention,
  type RetentionPolicy,
  type SubscriptionFacts,
} from './retention.js';

/** Subscriptions examined, and deleted, per transaction: a big county never holds a long lock. */
export const PURGE_BATCH_SIZE = 1_000;

export interface ContactPurgeOptions {
  retentionDays: number;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
  now?: Date;
  batchSize?: number;
  /** Called after each batch (the activity heartbeats here). */
  onBatch?: (progress: ContactPurgeCounts) => void;
}

export interface ContactPurgeCounts {
  subscriptions: number;
  contacts: number;
  consents: number;
}

export interface ContactPurgeReport extends ContactPurgeCounts {
  dryRun: boolean;
  retentionDays: number;
  elections: {
    /** Closed at least `retentionDays` days ago. */
    due: string[];
    /** Still open, closed too recently, or without a usable closing moment. */
    notDue: string[];
  };
}

interface SubscriptionRow {
  subscription_id: string;
  status: SubscriptionFacts['status'];
  created_at: Date;
  updated_at: Date;
  ballot_election_ids: string[];
}

async function electionRetentions(sql: Sql, policy: RetentionPolicy): Promise<Map<string, ElectionRetention>> {
  const rows = await sql<{ election_id: string; election_day: string; timezone: string; closes_at: Date | null }[]>`
    SELECT election_id, to_char(election_day, 'YYYY-MM-DD') AS election_day, timezone, closes_at
    FROM elections ORDER BY election_id`;
  const retentions = rows.map((row) =>
    electionRetention(
      {
        electionId: row.election_id,
        electionDay: row.election_day,
        timezone: row.timezone,
        closesAt: row.closes_at?.getTime() ?? null,
      },
      policy,
    ),
  );
  return new Map(retentions.map((retention) => [retention.electionId, retention]));
}

/**
 * Walks every subscription in `batchSize` pages (keyset on the ID), each page in its own transaction:
 * the page's rows are locked (rows another transaction holds are skipped until the next run), each is
 * decided by `subscriptionPurgeReason`, and the chosen ones are deleted; contacts, their open
 * verifications and consents go with them (ON DELETE CASCADE). Idempotent: a second run finds nothing.
 */
export async function purgeContactData(sql: Sql, options: ContactPurgeOptions): Promise<ContactPurgeReport> {
  const policy: RetentionPolicy = { retentionDays: options.retentionDays, now: (options.now ?? new Date()).getTime() };
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const elections = await electionRetentions(sql, policy);
  const totals: ContactPurgeCounts = { subscriptions: 0, contacts: 0, consents: 0 };

  let after: string | null = null;
  for (;;) {
    const page: { last: string | null; counts: ContactPurgeCounts } = await sql.begin(async (tx) => {
      const rows = await tx<SubscriptionRow[]>`
        SELECT s.subscription_id, s.status, s.created_at, s.updated_at,
               ARRAY(SELECT DISTINCT b.election_id FROM ballots b WHERE b.voter_id = s.voter_id) AS ballot_election_ids
        FROM subscriptions s
        WHERE ${after}::uuid IS NULL OR s.subscription_id > ${after}::uuid
        ORDER BY s.subscription_id
        LIMIT ${batchSize}
        ${dryRun ? tx`` : tx`FOR UPDATE OF s SKIP LOCKED`}`;
      const chosen = rows
        .filter((row) =>
          subscriptionPurgeReason(
            {
              status: row.status,
              createdAt: row.created_at.getTime(),
              updatedAt: row.updated_at.getTime(),
              ballotElectionIds: row.ballot_election_ids,
            },
            elections,
            policy,
          ),
        )
        .map((row) => row.subscription_id);
      const counts = await countAndDelete(tx, chosen, dryRun);
      return { last: rows.length === batchSize ? rows[rows.length - 1]!.subscription_id : null, counts };
    });
    totals.subscriptions += page.counts.subscriptions;
    totals.contacts += page.counts.contacts;
    totals.consents += page.counts.consents;
    options.onBatch?.({ ...totals });
    if (page.last === null) break;
    after = page.last;
  }

  const retentions = [...elections.values()];
  return {
    dryRun,
    retentionDays: options.retentionDays,
    ...totals,
    elections: {
      due: retentions.filter((election) => election.due).map((election) => election.electionId),
      notDue: retentions.filter((election) => !election.due).map((election) => election.electionId),
    },
  };
}

async function countAndDelete(
  tx: postgres.TransactionSql,
  subscriptionIds: string[],
  dryRun: boolean,
): Promise<ContactPurgeCounts> {
  if (subscriptionIds.length === 0) return { subscriptions: 0, contacts: 0, consents: 0 };
  const [counted] = await tx<{ contacts: number; consents: number }[]>`
    SELECT (SELECT count(*)::int FROM contacts WHERE subscription_id = ANY(${subscriptionIds}::uuid[])) AS contacts,
           (SELECT count(*)::int FROM consents WHERE subscription_id = ANY(${subscriptionIds}::uuid[])) AS consents`;
  const subscriptions = dryRun
    ? subscriptionIds.length
    : (await tx`DELETE FROM subscriptions WHERE subscription_id = ANY(${subscriptionIds}::uuid[])`).count;
  return { subscriptions, contacts: counted!.contacts, consents: counted!.consents };
}
