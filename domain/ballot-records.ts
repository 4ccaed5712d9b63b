/**
 * What a ballot's workflow is told by the rest of the system: the contract between PostgreSQL (the
 * record of what happened, read by the outbox forwarder) and the ballot state machine. IDs, types,
 * dates and preferences only; names, addresses, barcodes and free text stay in PostgreSQL.
 *
 * The checks here are written by hand on purpose: this module runs inside every cached workflow, and
 * a schema library instantiated per workflow (zod costs about 3 MB each) would multiply the worker's
 * memory by the cache size. The records come from our own forwarder, already validated at the API;
 * the workflow only makes sure a malformed signal cannot break it.
 */
import { BALLOT_STATUSES, EVENT_TYPES, type BallotStatus, type EventType } from './ballot-status.js';
import { CHANNELS, type Channel, type DeliveryPlan } from './notices.js';
import { isValidClockTime } from './quiet-hours.js';
import {
  checked,
  date,
  fail,
  instant,
  instantOrDate,
  isObject,
  oneOf,
  optional,
  record,
  text,
  type Checked,
} from './checks.js';
import { ID_PATTERN } from './ids.js';

/** A status-changing scan as PostgreSQL accepted it. Reasons, sources and facility data stay there. */
export interface BallotEventRecord {
  eventId: string;
  type: EventType;
  /** ISO 8601 instant. */
  occurredAt: string;
  /** Challenged only: the cure deadline the scan named (an instant, or a date meaning 17:00 local). */
  cureDeadline?: string;
}

/** Who the ballot belongs to, by ID. */
export interface BallotIssuance {
  voterId: string;
  county: string;
}

/** The election's dates a ballot needs to word and time its notices. */
export interface ElectionFacts {
  /** YYYY-MM-DD. */
  electionDay: string;
  timeZone: string;
  /** The election's cure deadline, used when a challenge names none. */
  cureDeadline?: string;
  cureReminderDaysBefore: number[];
  /** When the election closes: a ballot that learns of it late (started after the sweep) closes itself. */
  closesAt?: string;
}

/**
 * One delivery from the outbox: everything PostgreSQL has for the ballot that the workflow has not
 * necessarily seen. Every part is optional and idempotent (events are deduplicated by ID, the first
 * issuance wins, the latest plan and facts replace the earlier ones), so a redelivered or
 * overlapping batch changes nothing.
 */
export interface BallotRecords {
  issuance?: BallotIssuance;
  /** Status-changing events in the order PostgreSQL applied them. */
  events?: BallotEventRecord[];
  /** The voter's current delivery plan; `null` when nobody is subscribed (no activity, no timer). */
  plan?: DeliveryPlan | null;
  election?: ElectionFacts;
  /** An operator resumed delivery after a configuration failure paused it. */
  resumed?: boolean;
}

/** Sent by the election's sweep: a return reminder, valid until Election Day begins. */
export interface ReturnReminderDue {
  /** Epoch milliseconds: the reminder is refused (or dropped while it waits) from this instant on. */
  expiresAt: number;
}

function event(value: unknown, path: string): BallotEventRecord {
  const source = record(value, path);
  return {
    eventId: text(source.eventId, `${path}.eventId`),
    type: oneOf(source.type, EVENT_TYPES, `${path}.type`),
    occurredAt: instant(source.occurredAt, `${path}.occurredAt`),
    ...optional(source, 'cureDeadline', (v) => instantOrDate(v, `${path}.cureDeadline`)),
  };
}

function plan(value: unknown, path: string): DeliveryPlan {
  if (!isObject(value) || !Array.isArray(value.channels) || !isObject(value.window)) fail(path, 'a delivery plan');
  const channels = (list: unknown[], at: string) => list.map((c, i): Channel => oneOf(c, CHANNELS, `${at}[${i}]`));
  const clock = (time: unknown, at: string) =>
    typeof time === 'string' && isValidClockTime(time, true) ? time : fail(at, 'HH:MM');
  const optedOut = value.optedOut;
  if (optedOut !== undefined && !Array.isArray(optedOut)) fail(`${path}.optedOut`, 'a list of channels');
  return {
    channels: channels(value.channels, `${path}.channels`),
    ...(optedOut ? { optedOut: channels(optedOut, `${path}.optedOut`) } : {}),
    language: text(value.language, `${path}.language`, { max: 16 }),
    window: {
      start: clock(value.window.start, `${path}.window.start`),
      end: clock(value.window.end, `${path}.window.end`),
    },
    timeZone: text(value.timeZone, `${path}.timeZone`, { max: 64 }),
  };
}

function election(value: unknown, path: string): ElectionFacts {
  if (!isObject(value) || !Array.isArray(value.cureReminderDaysBefore)) fail(path, 'election facts');
  const days = value.cureReminderDaysBefore.map((d, i) =>
    Number.isInteger(d) && (d as number) >= 0 && (d as number) <= 60
      ? (d as number)
      : fail(`${path}.cureReminderDaysBefore[${i}]`, '0 to 60'),
  );
  return {
    electionDay: date(value.electionDay, `${path}.electionDay`),
    timeZone: text(value.timeZone, `${path}.timeZone`, { max: 64 }),
    ...optional(value, 'cureDeadline', (v) => instantOrDate(v, `${path}.cureDeadline`)),
    cureReminderDaysBefore: days,
    ...optional(value, 'closesAt', (v) => instant(v, `${path}.closesAt`)),
  };
}

/** The workflow's check of a `records` signal: the records, or a problem in words. */
export function checkBallotRecords(value: unknown): Checked<BallotRecords> {
  return checked(() => {
    const source = record(value, 'records');
    const records: BallotRecords = {};
    if (source.issuance !== undefined) {
      const issuance = record(source.issuance, 'issuance');
      records.issuance = {
        voterId: text(issuance.voterId, 'issuance.voterId', { pattern: ID_PATTERN }),
        county: text(issuance.county, 'issuance.county', { max: 64 }),
      };
    }
    if (source.events !== undefined) {
      if (!Array.isArray(source.events) || source.events.length > 100) fail('events', 'a list of at most 100 events');
      records.events = source.events.map((e, i) => event(e, `events[${i}]`));
    }
    if (source.plan !== undefined) records.plan = source.plan === null ? null : plan(source.plan, 'plan');
    if (source.election !== undefined) records.election = election(source.election, 'election');
    if (source.resumed !== undefined) records.resumed = source.resumed === true;
    return records;
  });
}

/**
 * Sent by a broadcast's run (`workflows/broadcast.ts`) to each ballot it selected: the broadcast's
 * notice is owed on every channel of the voter's plan, at the next instant inside the voter's window,
 * while the ballot is still in one of `statuses` and until `expiresAt`.
 */
export interface BroadcastDue {
  broadcastId: number;
  statuses: BallotStatus[];
  /** Epoch milliseconds: a notice still waiting for the window is dropped from this instant. */
  expiresAt?: number;
}

/** The workflow's check of a `broadcastDue` signal (by hand: no schema library in workflow code). */
export function checkBroadcastDue(value: unknown): Checked<BroadcastDue> {
  return checked(() => {
    const source = record(value, 'broadcastDue');
    const id = source.broadcastId;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 1_000_000_000)
      fail('broadcastDue.broadcastId', 'a positive integer');
    if (!Array.isArray(source.statuses) || source.statuses.length === 0 || source.statuses.length > 20)
      fail('broadcastDue.statuses', 'a list of statuses');
    const statuses = source.statuses.map((s, i) => oneOf(s, BALLOT_STATUSES, `broadcastDue.statuses[${i}]`));
    const expiresAt = source.expiresAt;
    if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)))
      fail('broadcastDue.expiresAt', 'epoch milliseconds');
    return { broadcastId: id, statuses, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  });
}
