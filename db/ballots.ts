/**
 * Ballots and their events: the record of what happened to each ballot. The accepting transaction
 * locks the ballots it touches, stores the events with their outcome and moves the status; readers
 * (the status API, the voter status page, the forwarder, the sweeps) read it from here.
 */
import type postgres from 'postgres';
import { type BallotStatus, type EventOutcome, type EventType } from '../domain/ballot-status.js';
import type { Sql } from './client.js';

type Db = Sql | postgres.TransactionSql;

export const ballotKey = (electionId: string, ballotId: string) => `${electionId}\u0000${ballotId}`;

export interface BallotKey {
  electionId: string;
  ballotId: string;
}

export interface BallotRow extends BallotKey {
  voterId: string;
  county: string;
  status: BallotStatus;
  statusChangedAt: Date | null;
  eventCount: number;
  attention: string | null;
  issuedAt: Date | null;
  imb: string | null;
  /** The election's closing instant has passed (its ballots take no more events). */
  electionClosed: boolean;
}

interface RawBallot {
  election_id: string;
  ballot_id: string;
  voter_id: string;
  county: string;
  status: BallotStatus;
  status_changed_at: Date | null;
  event_count: number;
  attention: string | null;
  issued_at: Date | null;
  imb: string | null;
  election_closed: boolean;
}

const toBallot = (r: RawBallot): BallotRow => ({
  electionId: r.election_id,
  ballotId: r.ballot_id,
  voterId: r.voter_id,
  county: r.county,
  status: r.status,
  statusChangedAt: r.status_changed_at,
  eventCount: r.event_count,
  attention: r.attention,
  issuedAt: r.issued_at,
  imb: r.imb,
  electionClosed: r.election_closed,
});

const keysJson = (keys: readonly BallotKey[]) =>
  JSON.stringify(keys.map((k) => ({ election_id: k.electionId, ballot_id: k.ballotId })));

/**
 * The ballots named, keyed by `ballotKey`. With `lock`, rows are locked in key order (so two batches
 * touching the same ballots never deadlock) until the transaction ends.
 */
export async function findBallots(
  db: Db,
  keys: readonly BallotKey[],
  options: { lock?: boolean } = {},
): Promise<Map<string, BallotRow>> {
  if (keys.length === 0) return new Map();
  const rows = await db<RawBallot[]>`
    SELECT b.election_id, b.ballot_id, b.voter_id, b.county, b.status, b.status_changed_at, b.event_count,
           b.attention, b.issued_at, b.imb, coalesce(e.closes_at <= now(), false) AS election_closed
    FROM ballots b
    JOIN (SELECT DISTINCT election_id, ballot_id
          FROM jsonb_to_recordset(${keysJson(keys)}::text::jsonb) AS k(election_id text, ballot_id text)) k
      USING (election_id, ballot_id)
    LEFT JOIN elections e ON e.election_id = b.election_id
    ORDER BY b.election_id, b.ballot_id
    ${options.lock ? db`FOR UPDATE OF b` : db``}`;
  return new Map(rows.map((r) => [ballotKey(r.election_id, r.ballot_id), toBallot(r)]));
}

export async function findBallot(db: Db, electionId: string, ballotId: string): Promise<BallotRow | undefined> {
  return (await findBallots(db, [{ electionId, ballotId }])).get(ballotKey(electionId, ballotId));
}

/** One accepted scan as stored. `details` holds what the workflow never sees (reason, source, facility). */
export interface EventWrite extends BallotKey {
  eventId: string;
  type: EventType;
  occurredAt: string;
  details: Record<string, unknown>;
  keyId: string | null;
}

export interface StoredEvent extends BallotKey {
  seq: string;
  eventId: string;
  type: EventType;
  occurredAt: Date;
  receivedAt: Date;
  outcome: EventOutcome;
  details: Record<string, unknown>;
}

interface RawEvent {
  seq: string;
  election_id: string;
  ballot_id: string;
  event_id: string;
  type: EventType;
  occurred_at: Date;
  received_at: Date;
  outcome: EventOutcome;
  details: Record<string, unknown>;
}

const toEvent = (r: RawEvent): StoredEvent => ({
  seq: r.seq,
  electionId: r.election_id,
  ballotId: r.ballot_id,
  eventId: r.event_id,
  type: r.type,
  occurredAt: r.occurred_at,
  receivedAt: r.received_at,
  outcome: r.outcome,
  details: r.details,
});

/**
 * Stores new events as `pending` (their outcome is set once the ballot is locked); an event ID the
 * election already has is not stored. Returns the stored ones in arrival order.
 */
export async function insertEvents(db: Db, events: readonly EventWrite[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({
    election_id: e.electionId,
    ballot_id: e.ballotId,
    event_id: e.eventId,
    type: e.type,
    occurred_at: e.occurredAt,
    details: e.details,
    key_id: e.keyId,
  }));
  const inserted = await db<RawEvent[]>`
    INSERT INTO ballot_events (election_id, ballot_id, event_id, type, occurred_at, details, key_id, outcome)
    SELECT election_id, ballot_id, event_id, type, occurred_at, details, key_id, 'pending'
    FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
           AS (election_id text, ballot_id text, event_id text, type text, occurred_at timestamptz, details jsonb, key_id text))
         WITH ORDINALITY AS r(election_id, ballot_id, event_id, type, occurred_at, details, key_id, n)
    ORDER BY n
    ON CONFLICT (election_id, event_id) DO NOTHING
    RETURNING seq, election_id, ballot_id, event_id, type, occurred_at, received_at, outcome, details`;
  return inserted.map(toEvent).sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)));
}

/** Events still waiting for their ballots' issuance records, in arrival order. */
export async function pendingEvents(db: Db, keys: readonly BallotKey[]): Promise<StoredEvent[]> {
  if (keys.length === 0) return [];
  const rows = await db<RawEvent[]>`
    SELECT seq, election_id, ballot_id, event_id, type, occurred_at, received_at, outcome, details
    FROM ballot_events
    JOIN (SELECT DISTINCT election_id, ballot_id
          FROM jsonb_to_recordset(${keysJson(keys)}::text::jsonb) AS k(election_id text, ballot_id text)) k
      USING (election_id, ballot_id)
    WHERE outcome = 'pending'
    ORDER BY seq`;
  return rows.map(toEvent);
}

export async function setEventOutcomes(
  db: Db,
  outcomes: readonly { seq: string; outcome: EventOutcome }[],
): Promise<void> {
  if (outcomes.length === 0) return;
  await db`
    UPDATE ballot_events e SET outcome = o.outcome
    FROM jsonb_to_recordset(${JSON.stringify(outcomes)}::text::jsonb) AS o(seq bigint, outcome text)
    WHERE e.seq = o.seq`;
}

export interface ProgressWrite extends BallotKey {
  status: BallotStatus;
  statusChanged: boolean;
  eventCount: number;
  attention: string | null;
}

/** Moves the ballots' status (when it changed), event count and attention flag. */
export async function saveProgress(db: Db, progress: readonly ProgressWrite[]): Promise<void> {
  if (progress.length === 0) return;
  const rows = progress.map((p) => ({
    election_id: p.electionId,
    ballot_id: p.ballotId,
    status: p.status,
    changed: p.statusChanged,
    event_count: p.eventCount,
    attention: p.attention,
  }));
  await db`
    UPDATE ballots b SET status = p.status, event_count = p.event_count, attention = p.attention,
           status_changed_at = CASE WHEN p.changed THEN now() ELSE b.status_changed_at END
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
      AS p(election_id text, ballot_id text, status text, changed boolean, event_count integer, attention text)
    WHERE b.election_id = p.election_id AND b.ballot_id = p.ballot_id`;
}

/** A ballot's events in arrival order (all outcomes), for the status API. */
export async function eventsOf(db: Db, electionId: string, ballotId: string, limit = 1000): Promise<StoredEvent[]> {
  const rows = await db<RawEvent[]>`
    SELECT seq, election_id, ballot_id, event_id, type, occurred_at, received_at, outcome, details
    FROM ballot_events WHERE election_id = ${electionId} AND ballot_id = ${ballotId}
    ORDER BY seq LIMIT ${limit}`;
  return rows.map(toEvent);
}

/** Applied events of many ballots, in arrival order: the status-changing part of each story. */
export async function appliedEvents(db: Db, keys: readonly BallotKey[]): Promise<Map<string, StoredEvent[]>> {
  const byBallot = new Map<string, StoredEvent[]>();
  if (keys.length === 0) return byBallot;
  const rows = await db<RawEvent[]>`
    SELECT seq, election_id, ballot_id, event_id, type, occurred_at, received_at, outcome, details
    FROM ballot_events
    JOIN (SELECT DISTINCT election_id, ballot_id
          FROM jsonb_to_recordset(${keysJson(keys)}::text::jsonb) AS k(election_id text, ballot_id text)) k
      USING (election_id, ballot_id)
    WHERE outcome = 'applied'
    ORDER BY seq`;
  for (const row of rows) {
    const key = ballotKey(row.election_id, row.ballot_id);
    const list = byBallot.get(key) ?? [];
    list.push(toEvent(row));
    byBallot.set(key, list);
  }
  return byBallot;
}

/**
 * The ballots a voter's changed plan must reach: every ballot of an election that has not closed,
 * except those the closing made `closed`. A ballot already final is included: a voter who signs up
 * after their ballot was accepted hears its final status once (its workflow, finished or not, reads
 * the plan from the record; the notice ledger keeps a status told before from being told twice).
 */
export async function ballotsToTellOfVoter(db: Db, voterId: string): Promise<BallotKey[]> {
  const rows = await db<{ election_id: string; ballot_id: string }[]>`
    SELECT b.election_id, b.ballot_id FROM ballots b
    JOIN elections e ON e.election_id = b.election_id
    WHERE b.voter_id = ${voterId} AND b.status <> 'closed' AND (e.closes_at IS NULL OR e.closes_at > now())`;
  return rows.map((r) => ({ electionId: r.election_id, ballotId: r.ballot_id }));
}

/** One ledger row of a ballot's notices, as the status API shows it. */
export interface NoticeRow {
  noticeKey: string;
  channel: string;
  sequence: number;
  messageKey: string;
  language: string;
  state: string;
  attempts: number;
  errorCode: string | null;
  skipReason: string | null;
  providerStatus: string | null;
  sentAt: Date | null;
  updatedAt: Date;
  /** An active delivery pause covers this row's county and channel. */
  paused: boolean;
}

export async function noticeRowsOf(db: Db, electionId: string, ballotId: string): Promise<NoticeRow[]> {
  const rows = await db<
    {
      notice_key: string;
      channel: string;
      sequence: number;
      message_key: string;
      language: string;
      state: string;
      attempts: number;
      error_code: string | null;
      skip_reason: string | null;
      provider_status: string | null;
      sent_at: Date | null;
      updated_at: Date;
      paused: boolean;
    }[]
  >`
    SELECT n.notice_key, n.channel, n.sequence, n.message_key, n.language, n.state, n.attempts, n.error_code,
           n.skip_reason, n.provider_status, n.sent_at, n.updated_at,
           EXISTS (SELECT 1 FROM delivery_pauses p
                   WHERE p.resumed_at IS NULL AND (p.county IS NULL OR p.county = b.county)
                     AND (p.channel IS NULL OR p.channel = n.channel)) AS paused
    FROM notice_deliveries n
    LEFT JOIN ballots b ON b.election_id = n.election_id AND b.ballot_id = n.ballot_id
    WHERE n.election_id = ${electionId} AND n.ballot_id = ${ballotId}
    ORDER BY n.created_at, n.channel`;
  return rows.map((r) => ({
    noticeKey: r.notice_key,
    channel: r.channel,
    sequence: r.sequence,
    messageKey: r.message_key,
    language: r.language,
    state: r.state,
    attempts: r.attempts,
    errorCode: r.error_code,
    skipReason: r.skip_reason,
    providerStatus: r.provider_status,
    sentAt: r.sent_at,
    updatedAt: r.updated_at,
    paused: r.paused,
  }));
}

/** One of a voter's ballots as the status page lists it: IDs, names, times, a zone and its story. */
export interface VoterBallotRow {
  election_id: string;
  ballot_id: string;
  election_name: string | null;
  /** The county's zone, else the election's, else `defaultTimeZone`. */
  timezone: string;
  status: BallotStatus;
  issued_at: Date | null;
  created_at: Date;
  /** The events that moved the status, in arrival order. */
  events: { type: EventType; occurred_at: string }[] | null;
  county: string;
  county_name: string | null;
  county_phone: string | null;
  county_url: string | null;
  /** YYYY-MM-DD, and the election's zone (null when the election is not stored). */
  election_day: string | null;
  election_timezone: string | null;
  election_cure_deadline: Date | null;
  /** Details of the latest applied event of the current status (reason, cure deadline). */
  status_details: Record<string, unknown> | null;
}

/** The voter's ballots, newest election first, each with its status of record and applied events. */
export async function voterBallots(sql: Sql, voterId: string, defaultTimeZone: string): Promise<VoterBallotRow[]> {
  return sql<VoterBallotRow[]>`
    SELECT b.election_id, b.ballot_id, e.name AS election_name, b.issued_at, b.created_at, b.status,
           coalesce(k.timezone, e.timezone, ${defaultTimeZone}) AS timezone,
           (SELECT json_agg(json_build_object('type', x.type, 'occurred_at', x.occurred_at) ORDER BY x.seq)
              FROM ballot_events x
              WHERE x.election_id = b.election_id AND x.ballot_id = b.ballot_id AND x.outcome = 'applied') AS events,
           b.county, k.name AS county_name, k.phone AS county_phone, k.url AS county_url,
           to_char(e.election_day, 'YYYY-MM-DD') AS election_day, e.timezone AS election_timezone,
           e.cure_deadline AS election_cure_deadline,
           (SELECT x.details FROM ballot_events x
              WHERE x.election_id = b.election_id AND x.ballot_id = b.ballot_id AND x.outcome = 'applied'
                AND x.type = b.status ORDER BY x.seq DESC LIMIT 1) AS status_details
    FROM ballots b
    LEFT JOIN elections e ON e.election_id = b.election_id
    LEFT JOIN counties k ON k.county = b.county
    WHERE b.voter_id = ${voterId}
    ORDER BY e.election_day DESC NULLS LAST, b.created_at DESC`;
}

/** The voter a ballot was issued to, when it is stored. */
export async function ballotVoterId(sql: Sql, electionId: string, ballotId: string): Promise<string | undefined> {
  const [row] = await sql<{ voter_id: string }[]>`
    SELECT voter_id FROM ballots WHERE election_id = ${electionId} AND ballot_id = ${ballotId}`;
  return row?.voter_id;
}

/**
 * Issued ballots by the first 20 digits of their IMb, outbound or return (the tracking code a USPS
 * scan carries). A code is unique per election only, and mailers reuse serials: when ballots of
 * several elections carry it, the open election with the latest Election Day wins.
 */
export async function ballotsByTrackingCode(
  sql: Sql,
  codes: readonly string[],
): Promise<Map<string, { electionId: string; ballotId: string }>> {
  const rows = await sql<{ code: string; election_id: string; ballot_id: string }[]>`
    SELECT x.code, x.election_id, x.ballot_id
    FROM (SELECT left(imb, 20) AS code, election_id, ballot_id FROM ballots WHERE left(imb, 20) = ANY(${[...codes]})
          UNION ALL
          SELECT left(return_imb, 20), election_id, ballot_id FROM ballots WHERE left(return_imb, 20) = ANY(${[...codes]})) x
    LEFT JOIN elections e ON e.election_id = x.election_id
    ORDER BY coalesce(e.closes_at <= now(), false) DESC, e.election_day ASC NULLS FIRST`;
  // Later rows win: open elections, then the latest Election Day.
  return new Map(rows.map((row) => [row.code, { electionId: row.election_id, ballotId: row.ballot_id }]));
}
