/**
 * What provider webhooks do to our tables, apart from HTTP: record an event once, move a delivery's
 * provider status forward, and switch a contact off (opted out or disabled). The routers in this
 * folder verify signatures and parse; these functions own the SQL.
 */
import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import type { Sql } from '../../db/client.js';
import {
  DELIVERY_STATUS_RANK,
  type Correlation,
  type ProviderName,
  type StatusEvent,
} from '../../delivery/providers/index.js';
import type { Logger } from '../../lib/logger.js';

/** The domain functions run inside the caller's transaction. */
export type Tx = postgres.TransactionSql;
type Db = Tx;

export type ContactChannel = 'sms' | 'voice' | 'email';

/** The dependencies every webhook router takes. */
export interface WebhookDeps {
  sql: Sql;
  logger: Logger;
  /**
   * Tells the voter's open ballot workflows that their contacts changed (the caller signals
   * `preferencesChangedSignal` to each). Failures are logged, never answered to the provider:
   * the database is already right and a workflow reloads contacts before it sends.
   */
  signalVoterBallots?: (voterId: string) => Promise<void>;
}

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
export async function claimWebhookEvent(db: Db, provider: ProviderName, eventId: string): Promise<boolean> {
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
  db: Db,
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
  channels: readonly ContactChannel[];
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
  db: Db,
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
  return rows.map((r) => ({ contactId: r.contact_id, voterId: r.voter_id, changed: r.changed }));
}

/**
 * Signals each voter once. Called after the transaction committed, so a workflow that reloads at
 * once sees the change. Never throws.
 */
export async function signalVoters(deps: WebhookDeps, voterIds: Iterable<string>): Promise<void> {
  const unique = [...new Set(voterIds)];
  if (unique.length === 0) return;
  if (!deps.signalVoterBallots) {
    deps.logger.debug({ voters: unique.length }, 'contacts changed; no signaller configured');
    return;
  }
  const signal = deps.signalVoterBallots;
  const results = await Promise.allSettled(unique.map((voterId) => signal(voterId)));
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      deps.logger.error(
        { err: result.reason as unknown, voterId: unique[index] },
        'could not signal the voter ballots after a contact change',
      );
    }
  });
}
