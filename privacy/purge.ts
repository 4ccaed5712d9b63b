/**
 * Purges what voters gave us (subscriptions with their contact addresses, open verification codes and
 * consent records) once the elections they signed up for have been closed long enough, and, whatever
 * the elections, addresses nobody confirmed: never-verified contacts with their unconfirmed consent
 * records, abandoned codes, and the subscriptions this leaves empty. The rules are in ./retention.ts.
 * The voter roll (`voters`) and ballots stay as imported. The notice ledger (`notice_deliveries`)
 * keeps its rows: it holds only IDs (contact, voter), no address.
 */
import type { Sql, Tx } from '../db/client.js';
import {
  allElections,
  consentsOf as consentsOfSubscriptions,
  contactsWithCodes,
  countContactData,
  archiveConsents,
  deleteAbandoned,
  deleteExpiredEvidence,
  deleteSubscriptions,
  subscriptionPage,
  type SubscriptionRow,
} from './purge-store.js';
import {
  abandonedContactPurge,
  electionRetention,
  retentionCutoff,
  subscriptionPurgeReason,
  type ElectionRetention,
  type RetentionPolicy,
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

async function electionRetentions(sql: Sql, policy: RetentionPolicy): Promise<Map<string, ElectionRetention>> {
  const retentions = (await allElections(sql)).map((row) =>
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
      const rows = await subscriptionPage(tx, after, batchSize, dryRun);
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

  if (!dryRun) await deleteExpiredEvidence(sql, policy.now);
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

async function countAndDelete(tx: Tx, subscriptionIds: string[], dryRun: boolean): Promise<ContactPurgeCounts> {
  if (subscriptionIds.length === 0) return { subscriptions: 0, contacts: 0, consents: 0 };
  const counted = await countContactData(tx, subscriptionIds);
  // The minimal consent record outlives the subscription (TCPA: four years), without the address.
  if (!dryRun) await archiveConsents(tx, subscriptionIds);
  const subscriptions = dryRun ? subscriptionIds.length : await deleteSubscriptions(tx, subscriptionIds);
  return { subscriptions, ...counted };
}

/**
 * The page's kept subscriptions, decided by `abandonedContactPurge`: never-verified contacts and their
 * unconfirmed consent records, abandoned codes, and the subscriptions left empty. The deletes repeat
 * the decision's conditions as a guard, and a real run counts what they deleted.
 */
async function purgeAbandonedContacts(
  tx: Tx,
  kept: SubscriptionRow[],
  policy: RetentionPolicy,
  dryRun: boolean,
): Promise<ContactPurgeProgress> {
  if (kept.length === 0) return { ...NOTHING };
  const ids = kept.map((row) => row.subscription_id);
  const contacts = await contactsWithCodes(tx, ids);
  const consents = await consentsOfSubscriptions(tx, ids);

  const decided = {
    unverifiedContactIds: [] as string[],
    expiredCodeContactIds: [] as string[],
    consentIds: [] as string[],
    subscriptionIds: [] as string[],
  };
  const contactsOf = groupBySubscription(contacts);
  const consentsOf = groupBySubscription(consents);
  for (const row of kept) {
    const decision = abandonedContactPurge(
      {
        createdAt: row.created_at.getTime(),
        updatedAt: row.updated_at.getTime(),
        contacts: (contactsOf.get(row.subscription_id) ?? []).map((contact) => ({
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
        consents: (consentsOf.get(row.subscription_id) ?? []).map((consent) => ({
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
  const deleted = await deleteAbandoned(tx, decided, new Date(retentionCutoff(policy)));
  return {
    subscriptions: deleted.subscriptions,
    contacts: deleted.contacts,
    consents: deleted.consents,
    unverifiedContacts: deleted.contacts,
    emptiedSubscriptions: deleted.subscriptions,
    expiredCodes: deleted.codes,
  };
}

function groupBySubscription<T extends { subscription_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.subscription_id);
    if (group) group.push(row);
    else groups.set(row.subscription_id, [row]);
  }
  return groups;
}
