/**
 * What the voter service stores: `subscriptions`, their `contacts`, open codes
 * (`contact_verifications`) and `consents`. Every statement of the voter service is here; the
 * service (./service.ts) decides. Functions that take a `Tx` run inside the caller's transaction.
 */
import type { Sql, Tx } from '../db/client.js';
import type { Channel } from '../domain/notices.js';
import type { DailyWindow } from '../domain/quiet-hours.js';
import type { RequestOrigin } from './contract.js';
import { CONSENT_TEXT_VERSION } from './consent.js';

type Db = Sql | Tx;

export interface SubscriptionRow {
  subscription_id: string;
  voter_id: string;
  language: string;
  window_start: string;
  window_end: string;
  timezone: string;
  status: 'active' | 'unsubscribed';
  /** Manage tokens made before the last bump no longer work. */
  token_version: number;
}

export interface ContactRow {
  contact_id: string;
  channel: Channel;
  address: string;
  verified_at: Date | null;
  opted_out_at: Date | null;
  disabled_reason: string | null;
  /** The address an open code was sent to (a new contact, or a changed address). */
  pending_address: string | null;
}

/** A subscription's delivery preferences. */
export interface Preferences {
  language: string;
  window: DailyWindow;
  timezone: string;
}

// Subscriptions

/** Serialises sign-ups of one voter (one active subscription per voter) until the transaction ends. */
export async function lockVoterSignUp(tx: Tx, voterId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtext(${`voter-signup:${voterId}`}))`;
}

/** The voter's active subscription, locked. */
export async function activeSubscriptionForUpdate(tx: Tx, voterId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx<SubscriptionRow[]>`
    SELECT * FROM subscriptions WHERE voter_id = ${voterId} AND status = 'active' FOR UPDATE`;
  return row;
}

export async function insertSubscription(tx: Tx, voterId: string, preferences: Preferences): Promise<SubscriptionRow> {
  const [row] = await tx<SubscriptionRow[]>`
    INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
    VALUES (${voterId}, ${preferences.language}, ${preferences.window.start}, ${preferences.window.end},
            ${preferences.timezone})
    RETURNING *`;
  return row!;
}

/** The subscription (locked with `lock`), or undefined. The ID must already be a UUID. */
export async function subscriptionById(
  db: Db,
  subscriptionId: string,
  lock = false,
): Promise<SubscriptionRow | undefined> {
  const [row] = lock
    ? await db<SubscriptionRow[]>`SELECT * FROM subscriptions WHERE subscription_id = ${subscriptionId} FOR UPDATE`
    : await db<SubscriptionRow[]>`SELECT * FROM subscriptions WHERE subscription_id = ${subscriptionId}`;
  return row;
}

export async function updatePreferences(tx: Tx, subscriptionId: string, preferences: Preferences): Promise<void> {
  await tx`
    UPDATE subscriptions SET language = ${preferences.language}, window_start = ${preferences.window.start},
      window_end = ${preferences.window.end}, timezone = ${preferences.timezone}, updated_at = now()
    WHERE subscription_id = ${subscriptionId}`;
}

/** Ends the subscription: status, open codes and every consent not yet withdrawn. */
export async function markUnsubscribed(tx: Tx, subscriptionId: string, at: Date): Promise<void> {
  await tx`
    UPDATE subscriptions SET status = 'unsubscribed', token_version = token_version + 1, updated_at = now()
    WHERE subscription_id = ${subscriptionId}`;
  await tx`DELETE FROM contact_verifications WHERE contact_id IN (SELECT contact_id FROM contacts WHERE subscription_id = ${subscriptionId})`;
  await withdrawConsents(tx, subscriptionId, {}, at);
}

/** Revokes every manage token made so far (a contact was changed or removed); returns the new version. */
export async function bumpTokenVersion(tx: Tx, subscriptionId: string): Promise<number> {
  const [row] = await tx<{ token_version: number }[]>`
    UPDATE subscriptions SET token_version = token_version + 1 WHERE subscription_id = ${subscriptionId}
    RETURNING token_version`;
  return row!.token_version;
}

/** The subscription's token version, and whether the token's contact (if it names one) is still on it. */
export async function tokenState(
  db: Db,
  subscriptionId: string,
  contactId: string | undefined,
): Promise<{ token_version: number; contact_exists: boolean } | undefined> {
  const [row] = await db<{ token_version: number; contact_exists: boolean }[]>`
    SELECT s.token_version,
           EXISTS (SELECT 1 FROM contacts c
                   WHERE c.contact_id = ${contactId ?? null}::uuid AND c.subscription_id = s.subscription_id
           ) AS contact_exists
    FROM subscriptions s WHERE s.subscription_id = ${subscriptionId}`;
  return row;
}

/** Stops one contact (a one-click unsubscribe from a message sent to it) and withdraws its consents. */
export async function optOutContact(tx: Tx, subscriptionId: string, contactId: string, at: Date): Promise<boolean> {
  const [row] = await tx<{ channel: Channel }[]>`
    UPDATE contacts SET opted_out_at = ${at}
    WHERE contact_id = ${contactId} AND subscription_id = ${subscriptionId} AND opted_out_at IS NULL
    RETURNING channel`;
  if (!row) return false;
  await withdrawConsents(tx, subscriptionId, { channel: row.channel }, at);
  return true;
}

/**
 * When the subscription's manage links should expire at the latest: the end of the voter's latest
 * election (its closing date, else Election Day plus `linkLifetimeDays`); undefined without one.
 */
export async function latestElectionEnd(
  sql: Sql,
  subscriptionId: string,
  linkLifetimeDays: number,
): Promise<number | undefined> {
  const [row] = await sql<{ latest: Date | null }[]>`
    SELECT max(coalesce(e.closes_at, (e.election_day + ${linkLifetimeDays}::int)::timestamptz)) AS latest
    FROM subscriptions s
    JOIN ballots b ON b.voter_id = s.voter_id
    JOIN elections e ON e.election_id = b.election_id
    WHERE s.subscription_id = ${subscriptionId}`;
  return row?.latest ? new Date(row.latest).getTime() : undefined;
}

// Contacts

export async function contactsOf(db: Db, subscriptionId: string): Promise<ContactRow[]> {
  return db<ContactRow[]>`
    SELECT c.contact_id, c.channel, c.address, c.verified_at, c.opted_out_at, c.disabled_reason,
           v.address AS pending_address
    FROM contacts c LEFT JOIN contact_verifications v ON v.contact_id = c.contact_id
    WHERE c.subscription_id = ${subscriptionId}`;
}

/** The subscription's verified contacts that still work (not opted out, not disabled). */
export async function workingContacts(
  tx: Tx,
  subscriptionId: string,
): Promise<{ contact_id: string; channel: Channel; address: string }[]> {
  return tx<{ contact_id: string; channel: Channel; address: string }[]>`
    SELECT contact_id, channel, address FROM contacts
    WHERE subscription_id = ${subscriptionId}
      AND verified_at IS NOT NULL AND opted_out_at IS NULL AND disabled_reason IS NULL`;
}

/** Returns the new contact's ID. */
export async function insertContact(
  tx: Tx,
  subscriptionId: string,
  channel: Channel,
  address: string,
): Promise<string> {
  const [row] = await tx<{ contact_id: string }[]>`
    INSERT INTO contacts (subscription_id, channel, address) VALUES (${subscriptionId}, ${channel}, ${address})
    RETURNING contact_id`;
  return row!.contact_id;
}

/** A new address for a contact: unverified until its code is confirmed. */
export async function changeContactAddress(tx: Tx, contactId: string, address: string): Promise<void> {
  await tx`UPDATE contacts SET address = ${address}, verified_at = NULL WHERE contact_id = ${contactId}`;
}

export async function deleteContact(tx: Tx, contactId: string): Promise<void> {
  await tx`DELETE FROM contacts WHERE contact_id = ${contactId}`;
}

/**
 * The subscription's other verified, working contacts (or the channel's previous address) that must
 * hear of a newly confirmed contact: all except, when `requestedAt` is set, those given in that same
 * request and confirmed since (a contact verified before that request is never left out).
 */
export async function contactsToAlert(
  tx: Tx,
  confirmed: { subscriptionId: string; contactId: string; address: string; requestedAt: Date | null },
): Promise<{ contact_id: string; channel: Channel; address: string }[]> {
  const { subscriptionId, contactId, address, requestedAt } = confirmed;
  return tx<{ contact_id: string; channel: Channel; address: string }[]>`
    SELECT c.contact_id, c.channel, c.address FROM contacts c
    WHERE c.subscription_id = ${subscriptionId}
      AND c.verified_at IS NOT NULL AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL
      AND (c.contact_id <> ${contactId} OR c.address <> ${address})
      AND NOT (${requestedAt}::timestamptz IS NOT NULL AND c.verified_at >= ${requestedAt}::timestamptz AND EXISTS (
        SELECT 1 FROM consents k
        WHERE k.subscription_id = c.subscription_id AND k.channel = c.channel AND k.address = c.address
          AND k.consented_at = ${requestedAt}::timestamptz))`;
}

// Verification codes

/** Stores a code's hash for the contact, replacing any open one (attempts start again). */
export async function upsertCode(
  tx: Tx,
  code: { contactId: string; address: string; codeHash: string; expiresAt: Date; sentAt: Date },
): Promise<void> {
  await tx`
    INSERT INTO contact_verifications (contact_id, address, code_hash, expires_at, attempts, sent_at)
    VALUES (${code.contactId}, ${code.address}, ${code.codeHash}, ${code.expiresAt}, 0, ${code.sentAt})
    ON CONFLICT (contact_id) DO UPDATE SET address = EXCLUDED.address, code_hash = EXCLUDED.code_hash,
      expires_at = EXCLUDED.expires_at, attempts = 0, sent_at = EXCLUDED.sent_at`;
}

export async function deleteCode(tx: Tx, contactId: string): Promise<void> {
  await tx`DELETE FROM contact_verifications WHERE contact_id = ${contactId}`;
}

/** What a code check needs, for the subscription's contact on `channel` (the contact row locked). */
export interface CodeCheckRow {
  voter_id: string;
  status: string;
  language: string;
  window_start: string;
  window_end: string;
  timezone: string;
  county: string | null;
  contact_id: string;
  verified_at: Date | null;
  address: string | null;
  code_hash: string | null;
  expires_at: Date | null;
  attempts: number | null;
}

/**
 * Locks the subscription first (as sign-up, PATCH and unsubscribe do: concurrent attempts queue
 * here), then reads the contact and its open code as committed.
 */
export async function codeCheckForUpdate(
  tx: Tx,
  subscriptionId: string,
  channel: Channel,
): Promise<CodeCheckRow | undefined> {
  await tx`SELECT 1 FROM subscriptions WHERE subscription_id = ${subscriptionId} FOR UPDATE`;
  const [row] = await tx<CodeCheckRow[]>`
    SELECT s.voter_id, s.status, s.language, s.window_start, s.window_end, s.timezone,
           (SELECT county FROM voters WHERE voter_id = s.voter_id) AS county,
           c.contact_id, c.verified_at, v.address, v.code_hash, v.expires_at, v.attempts
    FROM subscriptions s
    JOIN contacts c ON c.subscription_id = s.subscription_id AND c.channel = ${channel}
    LEFT JOIN contact_verifications v ON v.contact_id = c.contact_id
    WHERE s.subscription_id = ${subscriptionId}
    FOR UPDATE OF c`;
  return row;
}

/** Counts a wrong code; returns the attempts so far. */
export async function countFailedAttempt(tx: Tx, contactId: string): Promise<number> {
  const [row] = await tx<{ attempts: number }[]>`
    UPDATE contact_verifications SET attempts = attempts + 1 WHERE contact_id = ${contactId} RETURNING attempts`;
  return row!.attempts;
}

/**
 * A confirmed code: the contact takes the address it was sent to and works again, the code is
 * gone, and the consents given for that address are confirmed.
 */
export async function confirmContact(
  tx: Tx,
  confirmed: { subscriptionId: string; contactId: string; channel: Channel; address: string; at: Date },
): Promise<void> {
  const { subscriptionId, contactId, channel, address, at } = confirmed;
  await tx`
    UPDATE contacts SET address = ${address}, verified_at = ${at}, opted_out_at = NULL, disabled_reason = NULL
    WHERE contact_id = ${contactId}`;
  await deleteCode(tx, contactId);
  await tx`
    UPDATE consents SET confirmed_at = ${at}
    WHERE subscription_id = ${subscriptionId} AND channel = ${channel} AND address = ${address}
      AND confirmed_at IS NULL AND withdrawn_at IS NULL`;
}

// Consents

export async function insertConsent(
  tx: Tx,
  consent: {
    subscriptionId: string;
    channel: Channel;
    address: string;
    language: string;
    origin: RequestOrigin;
    confirmed: boolean;
    at: Date;
    /** The address's keyed hash: what the consent evidence keeps after the purge. */
    addressHash: string;
  },
): Promise<void> {
  const { subscriptionId, channel, address, language, origin, confirmed, at, addressHash } = consent;
  await tx`
    INSERT INTO consents (subscription_id, channel, address, address_hash, source, consent_text_version, language,
                          consented_at, confirmed_at)
    VALUES (${subscriptionId}, ${channel}, ${address}, ${addressHash}, ${origin.source.slice(0, 200)},
            ${(origin.consentTextVersion ?? CONSENT_TEXT_VERSION).slice(0, 100)}, ${language}, ${at},
            ${confirmed ? at : null})`;
}

/** When the latest open (unconfirmed, not withdrawn) consent for this address was given. */
export async function openConsentTime(
  tx: Tx,
  subscriptionId: string,
  channel: Channel,
  address: string,
): Promise<Date | null> {
  const [row] = await tx<{ given: Date | null }[]>`
    SELECT max(consented_at) AS given FROM consents
    WHERE subscription_id = ${subscriptionId} AND channel = ${channel} AND address = ${address}
      AND confirmed_at IS NULL AND withdrawn_at IS NULL`;
  return row?.given ?? null;
}

/**
 * Withdraws the subscription's consents not yet withdrawn: all of them, those of one channel, or
 * those of one channel for any address but `keepAddress`.
 */
export async function withdrawConsents(
  tx: Tx,
  subscriptionId: string,
  which: { channel?: Channel; keepAddress?: string },
  at: Date,
): Promise<void> {
  const channel = which.channel ?? null;
  const keep = which.keepAddress ?? null;
  await tx`
    UPDATE consents SET withdrawn_at = ${at}
    WHERE subscription_id = ${subscriptionId} AND withdrawn_at IS NULL
      AND (${channel}::text IS NULL OR channel = ${channel}::text)
      AND (${keep}::text IS NULL OR address <> ${keep}::text)`;
}
