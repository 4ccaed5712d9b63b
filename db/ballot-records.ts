/**
 * What the forwarder tells a ballot's workflow, read from the record: the issuance (IDs only), the
 * status-changing events, the voter's delivery plan and the election's dates. The barcode, scan
 * reasons and sources, and everything about the voter but their preferences stay in PostgreSQL.
 */
import type { BallotEventRecord, BallotRecords, ElectionFacts } from '../domain/ballot-records.js';
import { CHANNELS, type Channel, type DeliveryPlan } from '../domain/notices.js';
import { appliedEvents, findBallots, type BallotKey, type BallotRow, type StoredEvent } from './ballots.js';
import type { Sql } from './client.js';
import { findElectionSettings } from './elections.js';
import { groupBy } from '../domain/group-by.js';

/** A stored event as the workflow sees it: ID, type, time and (challenged) the cure deadline it named. */
export function forwardedEvent(
  event: Pick<StoredEvent, 'eventId' | 'type' | 'occurredAt' | 'details'>,
): BallotEventRecord {
  const cureDeadline = event.details.cureDeadline;
  return {
    eventId: event.eventId,
    type: event.type,
    occurredAt: new Date(event.occurredAt).toISOString(),
    ...(event.type === 'challenged' && typeof cureDeadline === 'string' ? { cureDeadline } : {}),
  };
}

/**
 * Each voter's delivery plan: verified channels that still work, channels they opted out of, their
 * language, window and time zone. `null` for a voter nobody subscribed (no active subscription, or
 * no confirmed contact yet): their ballots run without activities or timers.
 */
export async function deliveryPlans(sql: Sql, voterIds: readonly string[]): Promise<Map<string, DeliveryPlan | null>> {
  const plans = new Map<string, DeliveryPlan | null>(voterIds.map((id) => [id, null]));
  if (voterIds.length === 0) return plans;
  const rows = await sql<
    {
      voter_id: string;
      language: string;
      window_start: string;
      window_end: string;
      timezone: string;
      channel: Channel;
      opted_out: boolean;
    }[]
  >`
    SELECT s.voter_id, s.language, s.window_start, s.window_end, s.timezone, c.channel,
           c.opted_out_at IS NOT NULL AS opted_out
    FROM subscriptions s
    JOIN contacts c ON c.subscription_id = s.subscription_id
      AND c.verified_at IS NOT NULL AND c.disabled_reason IS NULL
    WHERE s.voter_id = ANY(${[...new Set(voterIds)]}) AND s.status = 'active'`;
  for (const [voterId, contacts] of groupBy(rows, (row) => row.voter_id)) {
    const first = contacts[0]!;
    const has = (channel: Channel, optedOut: boolean) =>
      contacts.some((row) => row.channel === channel && row.opted_out === optedOut);
    const channels = CHANNELS.filter((channel) => has(channel, false));
    const optedOut = CHANNELS.filter((channel) => has(channel, true) && !channels.includes(channel));
    plans.set(voterId, {
      channels,
      ...(optedOut.length > 0 ? { optedOut } : {}),
      language: first.language,
      window: { start: first.window_start, end: first.window_end },
      timeZone: first.timezone,
    });
  }
  return plans;
}

/**
 * Why a verified channel of the voter does not get notices, per channel, from their latest
 * subscription (an active one first): `opted_out` (STOP, email unsubscribe), `disabled` (a
 * recipient that can never work, with its reason), `unsubscribed` (the whole subscription). A
 * channel missing from the map has no verified contact, or gets notices.
 */
export async function idleChannels(
  sql: Sql,
  voterId: string,
): Promise<Map<Channel, { why: 'opted_out' | 'disabled' | 'unsubscribed'; detail?: string }>> {
  const rows = await sql<{ channel: Channel; status: string; opted_out: boolean; disabled_reason: string | null }[]>`
    SELECT DISTINCT ON (c.channel) c.channel, s.status, c.opted_out_at IS NOT NULL AS opted_out, c.disabled_reason
    FROM subscriptions s
    JOIN contacts c ON c.subscription_id = s.subscription_id AND c.verified_at IS NOT NULL
    WHERE s.voter_id = ${voterId}
    ORDER BY c.channel, (s.status = 'active') DESC, s.updated_at DESC`;
  const idle = new Map<Channel, { why: 'opted_out' | 'disabled' | 'unsubscribed'; detail?: string }>();
  for (const row of rows) {
    if (row.status !== 'active') idle.set(row.channel, { why: 'unsubscribed' });
    else if (row.disabled_reason) idle.set(row.channel, { why: 'disabled', detail: row.disabled_reason });
    else if (row.opted_out) idle.set(row.channel, { why: 'opted_out' });
  }
  return idle;
}

/** The election's dates as a ballot needs them, or undefined for an election not stored. */
export async function electionFacts(sql: Sql, electionId: string): Promise<ElectionFacts | undefined> {
  const settings = await findElectionSettings(sql, electionId);
  if (!settings) return undefined;
  return {
    electionDay: settings.electionDay,
    timeZone: settings.timezone,
    ...(settings.cureDeadline ? { cureDeadline: settings.cureDeadline } : {}),
    cureReminderDaysBefore: settings.cureReminderDaysBefore,
    ...(settings.closesAt ? { closesAt: settings.closesAt } : {}),
  };
}

export interface LoadedRecord {
  ballot: BallotRow;
  /** The whole story so far: idempotent, so it serves as the signal and as a fresh run's start. */
  records: BallotRecords;
}

/** The records of issued ballots (a ballot without an issuance record has nothing to forward yet). */
export async function loadBallotRecords(
  sql: Sql,
  keys: readonly BallotKey[],
  facts: (electionId: string) => Promise<ElectionFacts | undefined>,
): Promise<Map<string, LoadedRecord>> {
  const ballots = await findBallots(sql, keys);
  const [events, plans] = await Promise.all([
    appliedEvents(sql, [...ballots.values()]),
    deliveryPlans(
      sql,
      [...ballots.values()].map((ballot) => ballot.voterId),
    ),
  ]);
  const loaded = new Map<string, LoadedRecord>();
  for (const [key, ballot] of ballots) {
    const election = await facts(ballot.electionId);
    loaded.set(key, {
      ballot,
      records: {
        issuance: { voterId: ballot.voterId, county: ballot.county },
        events: (events.get(key) ?? []).map(forwardedEvent),
        plan: plans.get(ballot.voterId) ?? null,
        ...(election ? { election } : {}),
      },
    });
  }
  return loaded;
}

/** What the wording of one notice needs, read at send time (so a corrected record is used). */
export interface NoticeFacts {
  voterId: string;
  county: string;
  electionDay: string | undefined;
  electionTimeZone: string | undefined;
  /** The reason code of the latest applied event of the notice's status (challenged, rejected). */
  reason?: string;
  /** The challenge's own cure deadline, else the election's. */
  cureDeadline?: string;
  expectedDeliveryDate?: string;
  /** The county's instant from which an accepted ballot "was counted" (counties.counted_from). */
  countedFrom?: string;
}

export async function noticeFacts(
  sql: Sql,
  electionId: string,
  ballotId: string,
  status: string,
): Promise<NoticeFacts | undefined> {
  const [row] = await sql<
    {
      voter_id: string;
      county: string;
      election_day: string | null;
      timezone: string | null;
      election_cure_deadline: Date | null;
      status_details: Record<string, unknown> | null;
      outbound_details: Record<string, unknown> | null;
      counted_from: Date | null;
    }[]
  >`
    SELECT b.voter_id, b.county, to_char(e.election_day, 'YYYY-MM-DD') AS election_day, e.timezone,
           e.cure_deadline AS election_cure_deadline, k.counted_from,
           (SELECT details FROM ballot_events x WHERE x.election_id = b.election_id AND x.ballot_id = b.ballot_id
              AND x.outcome = 'applied' AND x.type = ${status} ORDER BY seq DESC LIMIT 1) AS status_details,
           -- The latest outbound scan that gives a delivery date: a USPS feed dates the piece at the
           -- destination facility, usually after the scan that moved the ballot to outbound.
           (SELECT details FROM ballot_events x WHERE x.election_id = b.election_id AND x.ballot_id = b.ballot_id
              AND x.outcome IN ('applied', 'stale') AND x.type = 'outbound'
              ORDER BY x.details ? 'expectedDeliveryDate' DESC, seq DESC LIMIT 1) AS outbound_details
    FROM ballots b LEFT JOIN elections e ON e.election_id = b.election_id
    LEFT JOIN counties k ON k.county = b.county
    WHERE b.election_id = ${electionId} AND b.ballot_id = ${ballotId}`;
  if (!row) return undefined;
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const reason = text(row.status_details?.reason);
  const cureDeadline =
    status === 'challenged'
      ? (text(row.status_details?.cureDeadline) ?? row.election_cure_deadline?.toISOString())
      : undefined;
  const expectedDeliveryDate = text(row.outbound_details?.expectedDeliveryDate);
  return {
    voterId: row.voter_id,
    county: row.county,
    electionDay: row.election_day ?? undefined,
    electionTimeZone: row.timezone ?? undefined,
    ...(reason ? { reason } : {}),
    ...(cureDeadline ? { cureDeadline } : {}),
    ...(expectedDeliveryDate ? { expectedDeliveryDate } : {}),
    ...(row.counted_from ? { countedFrom: row.counted_from.toISOString() } : {}),
  };
}

/** Notices a newer one replaced before they went out: recorded as skipped (never sent later). */
export async function recordReplaced(
  sql: Sql,
  input: { electionId: string; ballotId: string; channel: string; keys: readonly string[]; language: string },
): Promise<void> {
  if (input.keys.length === 0) return;
  const rows = input.keys.map((key) => ({ key, sequence: Number(key.split('#')[1] ?? 0) }));
  await sql`
    INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, sequence, message_key, language, state, skip_reason)
    SELECT ${input.electionId}, ${input.ballotId}, r.key, ${input.channel}, r.sequence, '', ${input.language},
           'skipped', 'replaced by a newer notice'
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) AS r(key text, sequence integer)
    ON CONFLICT (election_id, ballot_id, notice_key, channel, sequence) DO NOTHING`;
}
