/**
 * The purge's statements: it reads elections, subscriptions with their contacts, open codes and
 * consents, and deletes what ./purge.ts decided (./retention.ts holds the rules). Functions that take
 * a `Tx` run inside the caller's page transaction.
 */
import type { Sql, Tx } from '../db/client.js';
import type { SubscriptionFacts } from './retention.js';

export interface ElectionRow {
  election_id: string;
  election_day: string;
  timezone: string;
  closes_at: Date | null;
}

export async function allElections(sql: Sql): Promise<ElectionRow[]> {
  return sql<ElectionRow[]>`
    SELECT election_id, to_char(election_day, 'YYYY-MM-DD') AS election_day, timezone, closes_at
    FROM elections ORDER BY election_id`;
}

export interface SubscriptionRow {
  subscription_id: string;
  status: SubscriptionFacts['status'];
  created_at: Date;
  updated_at: Date;
  ballot_election_ids: string[];
}

/**
 * One page of subscriptions after `after` (keyset on the ID) with the elections of their voter's
 * ballots. Unless `dryRun`, the page's rows are locked and rows another transaction holds are skipped.
 */
export async function subscriptionPage(
  tx: Tx,
  after: string | null,
  limit: number,
  dryRun: boolean,
): Promise<SubscriptionRow[]> {
  return tx<SubscriptionRow[]>`
    SELECT s.subscription_id, s.status, s.created_at, s.updated_at,
           ARRAY(SELECT DISTINCT b.election_id FROM ballots b WHERE b.voter_id = s.voter_id) AS ballot_election_ids
    FROM subscriptions s
    WHERE ${after}::uuid IS NULL OR s.subscription_id > ${after}::uuid
    ORDER BY s.subscription_id
    LIMIT ${limit}
    ${dryRun ? tx`` : tx`FOR UPDATE OF s SKIP LOCKED`}`;
}

/** How many contacts and consent records these subscriptions hold. */
export async function countContactData(
  tx: Tx,
  subscriptionIds: readonly string[],
): Promise<{ contacts: number; consents: number }> {
  const ids = [...subscriptionIds];
  const [counted] = await tx<{ contacts: number; consents: number }[]>`
    SELECT (SELECT count(*)::int FROM contacts WHERE subscription_id = ANY(${ids}::uuid[])) AS contacts,
           (SELECT count(*)::int FROM consents WHERE subscription_id = ANY(${ids}::uuid[])) AS consents`;
  return counted!;
}

/**
 * Copies the subscriptions' confirmed consents into `consent_evidence` (who by subscription ID and
 * the address's keyed hash, when, how, which text, when withdrawn; no address) before they are deleted.
 */
export async function archiveConsents(tx: Tx, subscriptionIds: readonly string[]): Promise<number> {
  if (subscriptionIds.length === 0) return 0;
  const rows = await tx`
    INSERT INTO consent_evidence (consent_id, subscription_id, channel, address_hash, source, consent_text_version,
                                  language, consented_at, confirmed_at, withdrawn_at)
    SELECT consent_id, subscription_id, channel, address_hash, source, consent_text_version, language, consented_at,
           confirmed_at, withdrawn_at
    FROM consents WHERE subscription_id = ANY(${[...subscriptionIds]}::uuid[]) AND confirmed_at IS NOT NULL
    ON CONFLICT (consent_id) DO NOTHING`;
  return rows.count;
}

/** How long consent evidence is kept (TCPA claims: four years), counted from the consent. */
export const CONSENT_EVIDENCE_YEARS = 4;

/** Deletes consent evidence older than four years, and inbound-message IDs older than a week. */
export async function deleteExpiredEvidence(sql: Sql, now: number): Promise<void> {
  const evidenceCutoff = new Date(now);
  evidenceCutoff.setUTCFullYear(evidenceCutoff.getUTCFullYear() - CONSENT_EVIDENCE_YEARS);
  await sql`DELETE FROM consent_evidence WHERE consented_at < ${evidenceCutoff}`;
  await sql`DELETE FROM inbound_messages WHERE received_at < ${new Date(now - 7 * 86_400_000)}`;
}

/** Deletes the subscriptions; their contacts, open codes and consents go with them (ON DELETE CASCADE). */
export async function deleteSubscriptions(tx: Tx, subscriptionIds: readonly string[]): Promise<number> {
  return (await tx`DELETE FROM subscriptions WHERE subscription_id = ANY(${[...subscriptionIds]}::uuid[])`).count;
}

export interface ContactRow {
  contact_id: string;
  subscription_id: string;
  channel: string;
  address: string;
  created_at: Date;
  verified_at: Date | null;
  code_address: string | null;
  code_expires_at: Date | null;
}

/** The subscriptions' contacts, each with its open code. */
export async function contactsWithCodes(tx: Tx, subscriptionIds: readonly string[]): Promise<ContactRow[]> {
  return tx<ContactRow[]>`
    SELECT c.contact_id, c.subscription_id, c.channel, c.address, c.created_at, c.verified_at,
           v.address AS code_address, v.expires_at AS code_expires_at
    FROM contacts c LEFT JOIN contact_verifications v ON v.contact_id = c.contact_id
    WHERE c.subscription_id = ANY(${[...subscriptionIds]}::uuid[])`;
}

export interface ConsentRow {
  consent_id: string;
  subscription_id: string;
  channel: string;
  address: string;
  confirmed_at: Date | null;
}

export async function consentsOf(tx: Tx, subscriptionIds: readonly string[]): Promise<ConsentRow[]> {
  return tx<ConsentRow[]>`
    SELECT consent_id, subscription_id, channel, address, confirmed_at
    FROM consents WHERE subscription_id = ANY(${[...subscriptionIds]}::uuid[])`;
}

/**
 * Deletes what the rules for unconfirmed addresses chose, each statement repeating the decision's
 * condition as a guard (`cutoff`: now minus the retention period); returns what each deleted.
 */
export async function deleteAbandoned(
  tx: Tx,
  chosen: {
    consentIds: readonly string[];
    unverifiedContactIds: readonly string[];
    expiredCodeContactIds: readonly string[];
    subscriptionIds: readonly string[];
  },
  cutoff: Date,
): Promise<{ consents: number; contacts: number; codes: number; subscriptions: number }> {
  const consents = await deleted(
    chosen.consentIds,
    (ids) => tx`DELETE FROM consents WHERE consent_id = ANY(${ids}::uuid[]) AND confirmed_at IS NULL`,
  );
  const contacts = await deleted(
    chosen.unverifiedContactIds,
    (ids) => tx`
      DELETE FROM contacts WHERE contact_id = ANY(${ids}::uuid[]) AND verified_at IS NULL AND created_at <= ${cutoff}`,
  );
  const codes = await deleted(
    chosen.expiredCodeContactIds,
    (ids) => tx`DELETE FROM contact_verifications WHERE contact_id = ANY(${ids}::uuid[]) AND expires_at <= ${cutoff}`,
  );
  const subscriptions = await deleted(
    chosen.subscriptionIds,
    (ids) => tx`
      DELETE FROM subscriptions s WHERE s.subscription_id = ANY(${ids}::uuid[])
        AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.subscription_id = s.subscription_id)
        AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.subscription_id = s.subscription_id
                          AND c.confirmed_at IS NOT NULL)`,
  );
  return { consents, contacts, codes, subscriptions };
}

/** Runs the delete only when there are IDs to delete; returns how many rows it deleted. */
async function deleted(
  ids: readonly string[],
  statement: (ids: string[]) => Promise<{ count: number }>,
): Promise<number> {
  return ids.length === 0 ? 0 : (await statement([...ids])).count;
}
