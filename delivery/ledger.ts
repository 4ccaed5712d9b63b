/**
 * The notice ledger: every statement about what was sent, and what the providers said about it.
 * One module for the sender (activities/notices.ts) and the provider webhooks (./webhooks/):
 *
 * - `notice_deliveries`: a row per (ballot, notice, channel, sequence), claimed before the provider
 *   call and finished after it; status callbacks move its provider status forward, never back;
 * - `provider_webhook_events`: each provider event applied once;
 * - the delivery side of `contacts`: who receives a ballot's notice on a channel, who owns a number
 *   that texted us, and the switch-offs delivery causes (opted out, disabled address).
 *
 * Functions that take a `Tx` run inside the caller's transaction.
 */
import { createHash } from 'node:crypto';
import { ballotVoterId } from '../db/ballots.js';
import type { Sql, Tx } from '../db/client.js';
import type { Channel } from '../domain/notices.js';
import { DELIVERY_STATUS_RANK, type Correlation, type ProviderName, type StatusEvent } from './providers/index.js';

/**
 * The delivery ID the sender put in the correlation (Twilio: status callback query; SendGrid:
 * custom args without the `bt_` prefix). Only a UUID is believed: it is matched against a uuid column.
 */
export function correlatedDeliveryId(correlation: Correlation): string | undefined {
  const value = correlation.delivery ?? correlation.delivery_id ?? correlation.deliveryId;
  return value !== undefined && UUID.test(value) ? value.toLowerCase() : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Claims a provider event ID in `provider_webhook_events`. False when it was seen before (a retry
 * or a replay): the caller does nothing more.
 */
export async function claimWebhookEvent(db: Tx, provider: ProviderName, eventId: string): Promise<boolean> {
  const rows = await db`
    INSERT INTO provider_webhook_events (provider, event_id) VALUES (${provider}, ${eventId})
    ON CONFLICT (provider, event_id) DO NOTHING
    RETURNING event_id`;
  return rows.length > 0;
}

/** An event ID for events that carry none (SendGrid always sends `sg_event_id`; be safe anyway). */
export function contentEventId(event: unknown): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify(event)).digest('hex');
}

/** DELIVERY_STATUS_RANK as two parallel arrays for SQL; an unknown or missing stored status ranks lowest. */
const RANKED_STATUSES = Object.keys(DELIVERY_STATUS_RANK);
const RANKS = Object.values(DELIVERY_STATUS_RANK);

export interface DeliveryMatch {
  deliveryId: string;
  voterId: string | null;
  contactId: string | null;
  channel: string;
  /** Whether this event moved the status forward (false: stale or repeated). */
  advanced: boolean;
}

/**
 * Moves the provider status of the delivery an event names forward, in one statement: the row is
 * found by the provider's message ID or, when the sender has not stored that yet (it may have
 * crashed after the provider accepted the message), by the correlated delivery ID, and is updated
 * only when the new status outranks the stored one (DELIVERY_STATUS_RANK). Repeated and
 * out-of-order events therefore change nothing. `provider_status` holds our DeliveryStatus; the
 * provider's own word goes to the log. Fills in the message ID when the row lacks it.
 * Returns the matched rows (none when the event names no delivery we know).
 */
export async function advanceDeliveryStatus(
  db: Tx,
  provider: ProviderName,
  event: StatusEvent,
): Promise<DeliveryMatch[]> {
  const deliveryId = correlatedDeliveryId(event.correlation) ?? null;
  const rank = DELIVERY_STATUS_RANK[event.status];
  const at = event.at !== undefined && Number.isFinite(event.at) ? new Date(event.at) : null;
  const errorCode = event.errorCode === undefined ? null : String(event.errorCode);
  const rows = await db<
    { delivery_id: string; voter_id: string | null; contact_id: string | null; channel: string; advanced: boolean }[]
  >`
    WITH target AS (
      SELECT delivery_id, voter_id, contact_id, channel FROM notice_deliveries
      WHERE (provider = ${provider} AND provider_message_id = ${event.providerMessageId})
         OR (delivery_id = ${deliveryId}::uuid
             AND (provider_message_id IS NULL OR provider_message_id = ${event.providerMessageId}))
    ), moved AS (
      UPDATE notice_deliveries n SET
        provider = coalesce(n.provider, ${provider}),
        provider_message_id = coalesce(n.provider_message_id, ${event.providerMessageId}),
        provider_status = ${event.status},
        provider_status_at = coalesce(${at}::timestamptz, now()),
        provider_error_code = coalesce(${errorCode}, n.provider_error_code),
        updated_at = now()
      FROM target t
      WHERE n.delivery_id = t.delivery_id
        AND coalesce((${RANKS}::int[])[array_position(${RANKED_STATUSES}::text[], n.provider_status)], -1) < ${rank}
      RETURNING n.delivery_id
    )
    SELECT t.delivery_id, t.voter_id, t.contact_id, t.channel,
           EXISTS (SELECT 1 FROM moved m WHERE m.delivery_id = t.delivery_id) AS advanced
    FROM target t`;
  return rows.map((r) => ({
    deliveryId: r.delivery_id,
    voterId: r.voter_id,
    contactId: r.contact_id,
    channel: r.channel,
    advanced: r.advanced,
  }));
}

export interface ContactSelector {
  channels: readonly Channel[];
  /** Contacts with this address on those channels (every voter who shares it). */
  address?: string;
  /** And/or these contacts by ID (the ledger row's contact). */
  contactIds?: readonly string[];
  /** And/or the contact of these voters' active subscriptions on those channels. */
  voterIds?: readonly string[];
}

export type ContactChange =
  | { kind: 'opt_out' }
  | { kind: 'opt_in' }
  /** A permanent delivery failure: the RecipientFailureType (or ours) as the reason. */
  | { kind: 'disable'; reason: string };

export interface ChangedContact {
  contactId: string;
  voterId: string;
  /** False when the contact was already in that state (a repeat). */
  changed: boolean;
}

/**
 * Opts contacts out, back in, or disables them. Email addresses are compared case-insensitively.
 * Returns every selected contact with its voter (so the caller can signal them) and whether it changed.
 */
export async function changeContacts(
  db: Sql | Tx,
  selector: ContactSelector,
  change: ContactChange,
): Promise<ChangedContact[]> {
  const address = selector.address ?? null;
  const addresses = address === null ? [] : [...new Set([address, address.toLowerCase()])];
  const contactIds = [...(selector.contactIds ?? [])];
  const voterIds = [...(selector.voterIds ?? [])];
  const channels = [...selector.channels];
  const kind = change.kind;
  const reason = change.kind === 'disable' ? change.reason : null;
  const rows = await db<{ contact_id: string; voter_id: string; changed: boolean }[]>`
    WITH selected AS (
      SELECT c.contact_id, s.voter_id, c.opted_out_at, c.disabled_reason
      FROM contacts c JOIN subscriptions s ON s.subscription_id = c.subscription_id
      WHERE c.channel = ANY(${channels}::text[])
        AND (c.address = ANY(${addresses}::text[])
             OR (${address}::text IS NOT NULL AND c.channel = 'email' AND lower(c.address) = lower(${address}::text))
             OR c.contact_id = ANY(${contactIds}::uuid[])
             OR (s.voter_id = ANY(${voterIds}::text[]) AND s.status = 'active'))
    ), changed AS (
      UPDATE contacts c SET
        opted_out_at = CASE
          WHEN ${kind} = 'opt_out' THEN coalesce(c.opted_out_at, now())
          WHEN ${kind} = 'opt_in' THEN NULL
          ELSE c.opted_out_at END,
        disabled_reason = CASE WHEN ${kind} = 'disable' THEN coalesce(c.disabled_reason, ${reason}) ELSE c.disabled_reason END
      FROM selected s
      WHERE c.contact_id = s.contact_id
        AND CASE ${kind}
              WHEN 'opt_out' THEN s.opted_out_at IS NULL
              WHEN 'opt_in' THEN s.opted_out_at IS NOT NULL
              ELSE s.disabled_reason IS NULL END
      RETURNING c.contact_id
    )
    SELECT s.contact_id, s.voter_id, EXISTS (SELECT 1 FROM changed x WHERE x.contact_id = s.contact_id) AS changed
    FROM selected s`;
  await recordConsentChange(
    db,
    rows.filter((r) => r.changed).map((r) => r.contact_id),
    kind,
  );
  return rows.map((r) => ({ contactId: r.contact_id, voterId: r.voter_id, changed: r.changed }));
}

/**
 * The consent record follows the voter's word: an opt-out (STOP, or the provider's opt-out) withdraws
 * the contact's open consents; an opt-in (START) is a new consent, given by text, confirmed by the
 * number itself. A permanent delivery failure is no word of the voter's and changes no consent.
 */
async function recordConsentChange(db: Sql | Tx, contactIds: string[], kind: ContactChange['kind']): Promise<void> {
  if (contactIds.length === 0) return;
  if (kind === 'opt_out') {
    await db`
      UPDATE consents k SET withdrawn_at = now()
      FROM contacts c
      WHERE c.contact_id = ANY(${contactIds}::uuid[]) AND k.subscription_id = c.subscription_id
        AND k.channel = c.channel AND lower(k.address) = lower(c.address) AND k.withdrawn_at IS NULL`;
  } else if (kind === 'opt_in') {
    await db`
      INSERT INTO consents (subscription_id, channel, address, address_hash, source, consent_text_version, language,
                            consented_at, confirmed_at)
      SELECT c.subscription_id, c.channel, c.address,
             (SELECT k.address_hash FROM consents k WHERE k.subscription_id = c.subscription_id
                AND k.channel = c.channel AND k.address = c.address AND k.address_hash IS NOT NULL LIMIT 1),
             'inbound SMS keyword', 'opt-in keyword', s.language, now(), now()
      FROM contacts c JOIN subscriptions s ON s.subscription_id = c.subscription_id
      WHERE c.contact_id = ANY(${contactIds}::uuid[])`;
  }
}

/** Records an inbound message's provider ID; false when it was recorded before (a retry or a replay). */
export async function firstInbound(db: Sql | Tx, messageSid: string): Promise<boolean> {
  const rows = await db`
    INSERT INTO inbound_messages (message_sid) VALUES (${messageSid}) ON CONFLICT DO NOTHING RETURNING message_sid`;
  return rows.length > 0;
}

// The sender's side: claim a row before the provider call, finish it after.

/** Which ledger row a notice is: a ballot's notice on one channel, sequence 0 or a reminder's number. */
export interface NoticeRef {
  electionId: string;
  ballotId: string;
  noticeKey: string;
  channel: Channel;
  sequence: number;
}

export type ClaimedDelivery =
  /** Sent or skipped before: nothing to do. */
  | { done: 'sent' | 'skipped'; deliveryId: string }
  /** This attempt owns the row (`sending`); `unknownOutcome` when an earlier attempt's outcome is unknown. */
  | { done: undefined; deliveryId: string; unknownOutcome: boolean };

/**
 * Claims the notice's row for this attempt. A row already `sent` or `skipped` is done; a row that a
 * status callback has since named (an earlier attempt whose answer was lost, or that failed after
 * the provider took it) becomes `sent`; otherwise the row is (re)claimed as `sending`, counting an
 * unknown outcome when an earlier attempt left it `sending`.
 */
export async function claimDelivery(
  sql: Sql,
  notice: NoticeRef,
  row: { messageKey: string; language: string; voterId: string | null },
): Promise<ClaimedDelivery> {
  return sql.begin(async (tx): Promise<ClaimedDelivery> => {
    const [previous] = await tx<{ delivery_id: string; state: string; provider_status: string | null }[]>`
      SELECT delivery_id, state, provider_status FROM notice_deliveries
      WHERE election_id = ${notice.electionId} AND ballot_id = ${notice.ballotId} AND notice_key = ${notice.noticeKey}
        AND channel = ${notice.channel} AND sequence = ${notice.sequence}
      FOR UPDATE`;
    if (previous?.state === 'sent' || previous?.state === 'skipped')
      return { done: previous.state, deliveryId: previous.delivery_id };
    if (previous && previous.state !== 'failed' && previous.provider_status) {
      await tx`UPDATE notice_deliveries SET state = 'sent', sent_at = coalesce(sent_at, now()), error_code = NULL, updated_at = now()
               WHERE delivery_id = ${previous.delivery_id}`;
      return { done: 'sent', deliveryId: previous.delivery_id };
    }
    const unknown = previous?.state === 'sending' ? 1 : 0;
    const [claimed] = await tx<{ delivery_id: string }[]>`
      INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, sequence, message_key, language, voter_id, state, attempts)
      VALUES (${notice.electionId}, ${notice.ballotId}, ${notice.noticeKey}, ${notice.channel}, ${notice.sequence},
              ${row.messageKey}, ${row.language}, ${row.voterId}, 'sending', 1)
      ON CONFLICT (election_id, ballot_id, notice_key, channel, sequence) DO UPDATE SET
        state = 'sending', attempts = notice_deliveries.attempts + 1, message_key = EXCLUDED.message_key,
        language = EXCLUDED.language, unknown_outcomes = notice_deliveries.unknown_outcomes + ${unknown},
        error_code = NULL,
        updated_at = now()
      RETURNING delivery_id`;
    return { done: undefined, deliveryId: claimed!.delivery_id, unknownOutcome: unknown === 1 };
  });
}

/** The SMS opt-out hint went out to this contact now (CTIA: the first notice, then monthly). */
export async function noteOptOutHint(sql: Sql, contactId: string): Promise<void> {
  await sql`UPDATE contacts SET opt_out_hint_at = now() WHERE contact_id = ${contactId}`;
}

/**
 * An attempt failed in a way the ledger would not otherwise show (an outcome nobody knows, an
 * error of our own): the row keeps its state and records the error class, so the status API shows
 * the notice `retrying` with the attempt count instead of `sending` forever.
 */
export async function noteAttemptError(sql: Sql, deliveryId: string, errorCode: string): Promise<void> {
  await sql`UPDATE notice_deliveries SET error_code = ${errorCode}, updated_at = now() WHERE delivery_id = ${deliveryId}`;
}

/** The error class the notice's last attempt recorded (TransientProviderError reasons, ...), if any. */
export async function lastAttemptError(sql: Sql, notice: NoticeRef): Promise<string | undefined> {
  const [row] = await sql<{ error_code: string | null }[]>`
    SELECT error_code FROM notice_deliveries
    WHERE election_id = ${notice.electionId} AND ballot_id = ${notice.ballotId} AND notice_key = ${notice.noticeKey}
      AND channel = ${notice.channel} AND sequence = ${notice.sequence}`;
  return row?.error_code ?? undefined;
}

/** Records an attempt's end: its state, the provider and its message ID when known, an error code. */
export async function finishDelivery(
  sql: Sql,
  deliveryId: string,
  fields: { state: string; provider?: string; providerMessageId?: string; errorCode?: string },
): Promise<void> {
  await sql`
    UPDATE notice_deliveries SET state = ${fields.state}, provider = coalesce(${fields.provider ?? null}, provider),
      provider_message_id = coalesce(${fields.providerMessageId ?? null}, provider_message_id),
      error_code = ${fields.errorCode ?? null},
      sent_at = CASE WHEN ${fields.state} = 'sent' THEN now() ELSE sent_at END, updated_at = now()
    WHERE delivery_id = ${deliveryId}`;
}

/** The delivery's contact, for an event that names the delivery but not the address. */
export async function deliveryContactId(tx: Tx, deliveryId: string): Promise<string | undefined> {
  const [row] = await tx<{ contact_id: string | null }[]>`
    SELECT contact_id FROM notice_deliveries WHERE delivery_id = ${deliveryId}::uuid`;
  return row?.contact_id ?? undefined;
}

// Who receives what

/** A ballot's recipient on one channel, with what the message needs to name the county and link back. */
export interface NoticeRecipient {
  contact_id: string;
  address: string;
  subscription_id: string;
  /** The subscription's manage-token version (the links the message carries must be current). */
  token_version: number;
  county: string;
  county_name: string | null;
  county_phone: string | null;
  county_url: string | null;
  county_timezone: string | null;
  county_cure_url: string | null;
  /** The county's own senders (its record), used instead of the deployment's when set. */
  county_email_from: string | null;
  county_email_from_name: string | null;
  county_messaging_service_sid: string | null;
  /** The voter's first initial when the county names it in messages (household option), else null. */
  voter_initial: string | null;
  /** When this contact last got the SMS opt-out hint (null: never). */
  opt_out_hint_at: Date | null;
  /** The election's closing date, else Election Day plus `linkLifetimeDays`, else that long from now. */
  links_expire_at: Date;
}

/**
 * The verified, working contact on `channel` of the voter's active subscription (the ballot's
 * voter when `voterId` is not given), or undefined.
 */
export async function noticeRecipient(
  sql: Sql,
  notice: { electionId: string; ballotId: string; voterId?: string | undefined; channel: Channel },
  linkLifetimeDays: number,
): Promise<NoticeRecipient | undefined> {
  const voterId = notice.voterId ?? (await ballotVoterId(sql, notice.electionId, notice.ballotId));
  if (!voterId) return undefined;
  const [row] = await sql<NoticeRecipient[]>`
    SELECT c.contact_id, c.address, s.subscription_id, s.token_version, v.county,
           k.name AS county_name, k.phone AS county_phone, k.url AS county_url, k.timezone AS county_timezone,
           k.cure_url AS county_cure_url, k.email_from AS county_email_from,
           k.email_from_name AS county_email_from_name, k.sms_messaging_service_sid AS county_messaging_service_sid,
           CASE WHEN k.household_initial THEN nullif(upper(left(btrim(v.first_name), 1)), '') END AS voter_initial,
           c.opt_out_hint_at,
           coalesce(e.closes_at, e.election_day + ${linkLifetimeDays}::int, now() + make_interval(days => ${linkLifetimeDays}::int)) AS links_expire_at
    FROM subscriptions s
    JOIN contacts c ON c.subscription_id = s.subscription_id AND c.channel = ${notice.channel}
    LEFT JOIN voters v ON v.voter_id = s.voter_id
    LEFT JOIN counties k ON k.county = v.county
    LEFT JOIN elections e ON e.election_id = ${notice.electionId}
    WHERE s.voter_id = ${voterId} AND s.status = 'active'
      AND c.verified_at IS NOT NULL AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL
      -- County isolation, again at the last step: a voter on another county's roll never hears of this ballot.
      AND (v.county IS NULL OR NOT EXISTS (
        SELECT 1 FROM ballots b WHERE b.election_id = ${notice.electionId} AND b.ballot_id = ${notice.ballotId}
          AND b.county <> v.county))`;
  return row;
}

/** Who a number that texted us belongs to, as far as a reply needs to know. */
export interface SmsSenderContext {
  voter_id: string;
  language: string | null;
  county_name: string | null;
  county_phone: string | null;
  county_url: string | null;
}

/**
 * The most recent subscription with an SMS contact at `from` (active ones first), its language and
 * its county's details; undefined for a number we do not know.
 */
export async function smsSenderContext(sql: Sql, from: string): Promise<SmsSenderContext | undefined> {
  const [row] = await sql<SmsSenderContext[]>`
    SELECT s.voter_id, coalesce(s.language, v.language) AS language,
           co.name AS county_name, co.phone AS county_phone, co.url AS county_url
    FROM contacts c
    JOIN subscriptions s ON s.subscription_id = c.subscription_id
    LEFT JOIN voters v ON v.voter_id = s.voter_id
    LEFT JOIN counties co ON co.county = v.county
    WHERE c.channel = 'sms' AND c.address = ${from}
    ORDER BY (s.status = 'active') DESC, s.updated_at DESC, c.created_at DESC
    LIMIT 1`;
  return row;
}

/**
 * Ballots with a notice stuck in delivery, for the API's gauge: `retrying` (a notice failing for
 * longer than `retryingFor` ms, first attempt to now; the ballot's `DeliveryProblem` search
 * attribute says the same from the workflow) and `paused` (a notice held by an active delivery
 * pause). Reads only unfinished ledger rows (a partial index covers them).
 */
export async function stuckDeliveries(sql: Sql, retryingFor: number): Promise<{ retrying: number; paused: number }> {
  const [row] = await sql<{ retrying: string; paused: string }[]>`
    WITH stuck AS (
      SELECT n.election_id, n.ballot_id, n.created_at,
             EXISTS (SELECT 1 FROM delivery_pauses p
                     WHERE p.resumed_at IS NULL AND (p.county IS NULL OR p.county = b.county)
                       AND (p.channel IS NULL OR p.channel = n.channel)) AS paused
      FROM notice_deliveries n
      LEFT JOIN ballots b ON b.election_id = n.election_id AND b.ballot_id = n.ballot_id
      WHERE n.state IN ('pending', 'sending') AND n.error_code IS NOT NULL
    )
    SELECT count(DISTINCT (election_id, ballot_id)) FILTER (
             WHERE NOT paused AND created_at <= now() - make_interval(secs => ${retryingFor / 1000})) AS retrying,
           count(DISTINCT (election_id, ballot_id)) FILTER (WHERE paused) AS paused
    FROM stuck`;
  return { retrying: Number(row?.retrying ?? 0), paused: Number(row?.paused ?? 0) };
}
