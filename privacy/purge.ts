/**
 * Purges what voters gave us (subscriptions with their contact addresses, open verification codes and
 * consent records) once the elections they signed up for have been closed long enough, and, whatever
 * the elections, addresses nobody confirmed: never-verified contacts with their unconfirmed consent
 * records, abandoned codes, and the subscriptions this leaves empty. The rules are in ./retention.ts.
 * The voter roll (`voters`) and ballots stay as imported. The notice ledger (`notice_deliveries`)
 * keeps its rows: it holds only IDs (contact, voter), no address.
 */
import type postgres from 'postgres';
import type { Sql } from '../db/client.js';
import {
  abandonedContactPurge,
  electionRetention,
  retentionCutoff,
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
  onBatch?: (progress: ContactPurgeProgress) => void;
}

/** Everything deleted, whichever rule deleted it. */
export interface ContactPurgeCounts {
  subscriptions: number;
  contacts: number;
  consents: number;
}

/** The totals, and what the rules for unconfirmed addresses deleted of them. */
export interface ContactPurgeProgress extends ContactPurgeCounts {
  /** Contacts never verified, deleted with their subscription kept (included in `contacts`). */
  unverifiedContacts: number;
  /** Subscriptions those deletions left without contacts and confirmed consent (included in `subscriptions`). */
  emptiedSubscriptions: number;
  /** Codes that expired long ago, deleted while their contact stays (not in any other count). */
  expiredCodes: number;
}

export interface ContactPurgeReport extends ContactPurgeProgress {
  dryRun: boolean;
  retentionDays: number;
  elections: {
    /** Closed at least `retentionDays` days ago. */
    due: string[];
    /** Still open, closed too recently, or without a usable closing moment. */
    notDue: string[];
  };
}

const NOTHING: ContactPurgeProgress = {
  subscriptions: 0,
  contacts: 0,
  consents: 0,
  unverifiedContacts: 0,
  emptiedSubscriptions: 0,
  expiredCodes: 0,
};

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
 * the page's rows are locked (rows another transaction holds are skipped until the next run; sign-up,
 * verification, resend, manage changes and unsubscribing all lock the subscription first), each is
 * decided by `subscriptionPurgeReason`, and the chosen ones are deleted; contacts, their open
 * verifications and consents go with them (ON DELETE CASCADE). The subscriptions it keeps are then
 * decided by `abandonedContactPurge`. Idempotent: a second run finds nothing.
 */
export async function purgeContactData(sql: Sql, options: ContactPurgeOptions): Promise<ContactPurgeReport> {
  const policy: RetentionPolicy = { retentionDays: options.retentionDays, now: (options.now ?? new Date()).getTime() };
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const elections = await electionRetentions(sql, policy);
  const totals: ContactPurgeProgress = { ...NOTHING };

  let after: string | null = null;
  for (;;) {
    const page: { last: string | null; counts: ContactPurgeProgress } = await sql.begin(async (tx) => {
      const rows = await tx<SubscriptionRow[]>`
        SELECT s.subscription_id, s.status, s.created_at, s.updated_at,
               ARRAY(SELECT DISTINCT b.election_id FROM ballots b WHERE b.voter_id = s.voter_id) AS ballot_election_ids
        FROM subscriptions s
        WHERE ${after}::uuid IS NULL OR s.subscription_id > ${after}::uuid
        ORDER BY s.subscription_id
        LIMIT ${batchSize}
        ${dryRun ? tx`` : tx`FOR UPDATE OF s SKIP LOCKED`}`;
      const purged = new Set(
        rows
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
          .map((row) => row.subscription_id),
      );
      const closed = await countAndDelete(tx, [...purged], dryRun);
      const counts = await purgeAbandonedContacts(
        tx,
        rows.filter((row) => !purged.has(row.subscription_id)),
        policy,
        dryRun,
      );
      counts.subscriptions += closed.subscriptions;
      counts.contacts += closed.contacts;
      counts.consents += closed.consents;
      return { last: rows.length === batchSize ? rows[rows.length - 1]!.subscription_id : null, counts };
    });
    for (const key of Object.keys(totals) as (keyof ContactPurgeProgress)[]) totals[key] += page.counts[key];
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

interface ContactRow {
  contact_id: string;
  subscription_id: string;
  channel: string;
  address: string;
  created_at: Date;
  verified_at: Date | null;
  code_address: string | null;
  code_expires_at: Date | null;
}

interface ConsentRow {
  consent_id: string;
  subscription_id: string;
  channel: string;
  address: string;
  confirmed_at: Date | null;
}

/**
 * The page's kept subscriptions, decided by `abandonedContactPurge`: never-verified contacts and their
 * unconfirmed consent records, abandoned codes, and the subscriptions left empty. The deletes repeat
 * the decision's conditions as a guard, and a real run counts what they deleted.
 */
async function purgeAbandonedContacts(
  tx: postgres.TransactionSql,
  kept: SubscriptionRow[],
  policy: RetentionPolicy,
  dryRun: boolean,
): Promise<ContactPurgeProgress> {
  if (kept.length === 0) return { ...NOTHING };
  const ids = kept.map((row) => row.subscription_id);
  const contacts = await tx<ContactRow[]>`
    SELECT c.contact_id, c.subscription_id, c.channel, c.address, c.created_at, c.verified_at,
           v.address AS code_address, v.expires_at AS code_expires_at
    FROM contacts c LEFT JOIN contact_verifications v ON v.contact_id = c.contact_id
    WHERE c.subscription_id = ANY(${ids}::uuid[])`;
  const consents = await tx<ConsentRow[]>`
    SELECT consent_id, subscription_id, channel, address, confirmed_at
    FROM consents WHERE subscription_id = ANY(${ids}::uuid[])`;

  const decided = {
    unverifiedContactIds: [] as string[],
    expiredCodeContactIds: [] as string[],
    consentIds: [] as string[],
    subscriptionIds: [] as string[],
  };
  for (const row of kept) {
    const decision = abandonedContactPurge(
      {
        createdAt: row.created_at.getTime(),
        updatedAt: row.updated_at.getTime(),
        contacts: contacts
          .filter((contact) => contact.subscription_id === row.subscription_id)
          .map((contact) => ({
            contactId: contact.contact_id,
            channel: contact.channel,
            address: contact.address,
            createdAt: contact.created_at.getTime(),
            verifiedAt: contact.verified_at?.getTime() ?? null,
            code:
              contact.code_expires_at === null
                ? null
                : { address: contact.code_address!, expiresAt: contact.code_expires_at.getTime() },
          })),
        consents: consents
          .filter((consent) => consent.subscription_id === row.subscription_id)
          .map((consent) => ({
            consentId: consent.consent_id,
            channel: consent.channel,
            address: consent.address,
            confirmedAt: consent.confirmed_at?.getTime() ?? null,
          })),
      },
      policy,
    );
    decided.unverifiedContactIds.push(...decision.unverifiedContactIds);
    decided.expiredCodeContactIds.push(...decision.expiredCodeContactIds);
    decided.consentIds.push(...decision.consentIds);
    if (decision.subscription) decided.subscriptionIds.push(row.subscription_id);
  }

  if (dryRun) {
    return {
      subscriptions: decided.subscriptionIds.length,
      contacts: decided.unverifiedContactIds.length,
      consents: decided.consentIds.length,
      unverifiedContacts: decided.unverifiedContactIds.length,
      emptiedSubscriptions: decided.subscriptionIds.length,
      expiredCodes: decided.expiredCodeContactIds.length,
    };
  }
  const cutoff = new Date(retentionCutoff(policy));
  const consentsDeleted = decided.consentIds.length
    ? (
        await tx`
          DELETE FROM consents WHERE consent_id = ANY(${decided.consentIds}::uuid[]) AND confirmed_at IS NULL`
      ).count
    : 0;
  const contactsDeleted = decided.unverifiedContactIds.length
    ? (
        await tx`
          DELETE FROM contacts WHERE contact_id = ANY(${decided.unverifiedContactIds}::uuid[])
            AND verified_at IS NULL AND created_at <= ${cutoff}`
      ).count
    : 0;
  const codesDeleted = decided.expiredCodeContactIds.length
    ? (
        await tx`
          DELETE FROM contact_verifications WHERE contact_id = ANY(${decided.expiredCodeContactIds}::uuid[])
            AND expires_at <= ${cutoff}`
      ).count
    : 0;
  const subscriptionsDeleted = decided.subscriptionIds.length
    ? (
        await tx`
          DELETE FROM subscriptions s WHERE s.subscription_id = ANY(${decided.subscriptionIds}::uuid[])
            AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.subscription_id = s.subscription_id)
            AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.subscription_id = s.subscription_id
                              AND c.confirmed_at IS NOT NULL)`
      ).count
    : 0;
  return {
    subscriptions: subscriptionsDeleted,
    contacts: contactsDeleted,
    consents: consentsDeleted,
    unverifiedContacts: contactsDeleted,
    emptiedSubscriptions: subscriptionsDeleted,
    expiredCodes: codesDeleted,
  };
}
