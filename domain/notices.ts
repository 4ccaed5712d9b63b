/**
 * What a voter is told, and when: pure decisions the ballot workflow makes at send time, so that
 * coalescing, reminder validity and wording are functions of state and workflow time alone.
 */
import { isNotifiable, type BallotStatus } from './ballot-status.js';
import { nextAllowedInstant, type DailyWindow } from './quiet-hours.js';
import { localDate, zonedTimeToInstant } from './zoned-time.js';

export const CHANNELS = ['sms', 'email', 'voice'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How to reach a voter, without addresses: those stay in Postgres. */
export interface DeliveryPlan {
  channels: Channel[];
  /** Channels the voter stopped (SMS STOP, email unsubscribe): their notices are recorded as skipped. */
  optedOut?: Channel[];
  language: string;
  window: DailyWindow;
  timeZone: string;
}

/** Per-election settings the workflow needs (dates only; all optional fields may be unset). */
export interface ElectionSettings {
  electionDay: string;
  timezone: string;
  closesAt?: string;
  cureDeadline?: string;
  receiptDeadline?: string;
  returnReminderDaysBefore: number;
  cureReminderDaysBefore: number[];
}

/** `broadcast`: an operator's broadcast (`domain/broadcasts.ts`), one per broadcast and ballot. */
export type ReminderKind = 'return' | 'cure' | 'broadcast';

/**
 * One notice a channel owes. Status notices have sequence 0; reminders count up from 1 under the
 * status they remind about. `key` is what the ledger and the workflow deduplicate on.
 */
export interface Notice {
  key: string;
  status: BallotStatus;
  sequence: number;
  reminder?: ReminderKind;
}

export interface DueReminder {
  kind: ReminderKind;
  sequence: number;
  dueAt: number;
  /** A return reminder is pointless from Election Day on: it is dropped from this instant. */
  expiresAt?: number;
  /** Broadcast only: the ballot's status when it fell due; it is dropped once the ballot moves on. */
  status?: BallotStatus;
}

export function noticeKey(status: BallotStatus, sequence: number): string {
  return `${status}#${sequence}`;
}

export function reminderNotice(reminder: DueReminder): Notice {
  if (reminder.kind === 'broadcast') {
    const status = reminder.status ?? 'outbound';
    return { key: noticeKey(status, reminder.sequence), status, sequence: reminder.sequence, reminder: 'broadcast' };
  }
  const status: BallotStatus = reminder.kind === 'return' ? 'outbound' : 'challenged';
  return { key: noticeKey(status, reminder.sequence), status, sequence: reminder.sequence, reminder: reminder.kind };
}

/** A reminder still makes sense only while the ballot is where it was when the reminder fell due. */
export function reminderStillValid(
  reminder: DueReminder,
  status: BallotStatus,
  now: number,
  cureDeadline?: number,
): boolean {
  if (reminder.kind === 'return')
    return status === 'outbound' && (reminder.expiresAt === undefined || now < reminder.expiresAt);
  if (reminder.kind === 'broadcast')
    return status === reminder.status && (reminder.expiresAt === undefined || now < reminder.expiresAt);
  return status === 'challenged' && (cureDeadline === undefined || now < cureDeadline);
}

/**
 * The next notice for one channel. Only the current status is ever told (so several statuses that
 * became due while the channel waited coalesce into one, and an action-needed notice goes out only
 * while it is still current); a reminder goes out only when no status notice is owed.
 */
export function nextNotice(input: {
  status: BallotStatus;
  told: ReadonlySet<string>;
  reminders: readonly DueReminder[];
  now: number;
  cureDeadline?: number;
}): Notice | undefined {
  const { status, told } = input;
  if (isNotifiable(status) && !told.has(noticeKey(status, 0)))
    return { key: noticeKey(status, 0), status, sequence: 0 };
  for (const reminder of input.reminders) {
    const notice = reminderNotice(reminder);
    if (!told.has(notice.key) && reminderStillValid(reminder, status, input.now, input.cureDeadline)) return notice;
  }
  return undefined;
}

/**
 * A cure deadline as an instant: a full timestamp as given, a bare date as 17:00 that day in the
 * election's time zone (California's cure statements are due by 5 p.m.).
 */
export function cureDeadlineInstant(deadline: string | undefined, electionTimeZone: string): number | undefined {
  if (!deadline) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(deadline)) return zonedTimeToInstant(deadline, '17:00', electionTimeZone);
  return Date.parse(deadline);
}

/** Cure reminder instants (deadline minus each offset in days), earliest first, numbered from 1. */
export function cureReminderSchedule(deadline: number, daysBefore: readonly number[]): DueReminder[] {
  return [...new Set(daysBefore)]
    .filter((days) => days > 0)
    .sort((a, b) => b - a)
    .map((days, index) => ({ kind: 'cure' as const, sequence: index + 1, dueAt: deadline - days * 86_400_000 }));
}

/**
 * The message a notice is worded with. "Will be counted" before Election Day and "was counted" from
 * Election Day on, judged by the calendar day in the election's time zone at the moment of sending.
 */
export function messageKeyFor(
  notice: Notice,
  context: { sendAt: number; electionDay: string; electionTimeZone: string; expectedDeliveryDate?: string },
): string {
  if (notice.reminder) return `reminder.${notice.reminder}`;
  switch (notice.status) {
    case 'outbound':
      return context.expectedDeliveryDate ? 'status.outbound.with_delivery_date' : 'status.outbound';
    case 'accepted':
      return localDate(context.sendAt, context.electionTimeZone) < context.electionDay
        ? 'status.accepted.will_be_counted'
        : 'status.accepted.was_counted';
    default:
      return `status.${notice.status}`;
  }
}

/** What the wording of a notice depends on, read from the record at send time. */
export interface WordingFacts {
  sendAt: number;
  /** YYYY-MM-DD; undefined when the election is not stored. */
  electionDay: string | undefined;
  electionTimeZone: string;
  expectedDeliveryDate?: string | undefined;
  /** The challenge's deadline (its own, else the election's), epoch ms. */
  cureDeadline?: number | undefined;
  /** From this instant the county says an accepted ballot "was counted" (epoch ms). */
  countedFrom?: number | undefined;
}

/** Polls close at 8 p.m. on Election Day (California): until then a voter whose ballot failed can still vote. */
export const POLLS_CLOSE = '20:00';

/**
 * The message a v2 notice is worded with (the frozen v1 workflow keeps `messageKeyFor`):
 * - a challenge (and its reminder) says "respond by" only while its deadline is ahead; without a
 *   deadline, or past it, it asks for a response as soon as possible (`.no_deadline`);
 * - an accepted ballot "will be counted" until the instant the county set for "was counted", and
 *   that instant counts only on or after Election Day (a value left from an earlier election, or
 *   none at all, keeps "will be counted": an acceptance alone is not a count);
 * - a rejection before polls close on Election Day says what the voter can still do.
 */
export function noticeMessageKey(notice: Notice, facts: WordingFacts): string {
  const deadlineAhead = facts.cureDeadline !== undefined && facts.cureDeadline > facts.sendAt;
  if (notice.reminder === 'cure') return deadlineAhead ? 'reminder.cure' : 'reminder.cure.no_deadline';
  if (notice.reminder) return `reminder.${notice.reminder}`;
  switch (notice.status) {
    case 'outbound':
      return facts.expectedDeliveryDate ? 'status.outbound.with_delivery_date' : 'status.outbound';
    case 'challenged':
      return deadlineAhead ? 'status.challenged' : 'status.challenged.no_deadline';
    case 'accepted': {
      const dayStarts = facts.electionDay
        ? zonedTimeToInstant(facts.electionDay, '00:00', facts.electionTimeZone)
        : Number.POSITIVE_INFINITY;
      const counted =
        facts.countedFrom !== undefined && facts.countedFrom >= dayStarts && facts.sendAt >= facts.countedFrom;
      return counted ? 'status.accepted.was_counted' : 'status.accepted.will_be_counted';
    }
    case 'rejected': {
      const pollsClose = facts.electionDay
        ? zonedTimeToInstant(facts.electionDay, POLLS_CLOSE, facts.electionTimeZone)
        : Number.NEGATIVE_INFINITY;
      return facts.sendAt < pollsClose ? 'status.rejected.can_still_vote' : 'status.rejected';
    }
    default:
      return `status.${notice.status}`;
  }
}

/**
 * A challenge message worded for the deadline it has at send time: "respond by" only while the
 * deadline is ahead. The sender applies it to whatever key a workflow chose (the v1 workflow picks
 * `status.challenged` whatever the deadline), so no challenge says "respond by" a past or missing date.
 */
export function cureVariant(messageKey: string, cureDeadline: number | undefined, now: number): string {
  if (messageKey !== 'status.challenged' && messageKey !== 'reminder.cure') return messageKey;
  return cureDeadline !== undefined && cureDeadline > now ? messageKey : `${messageKey}.no_deadline`;
}

/**
 * What each channel of the voter's plan is owed now and the first instant it may go out: the same
 * `nextNotice` the ballot's workflow decides with, for the status API's `scheduled` notices.
 * Reminders are not known outside the workflow and are not listed.
 */
export function owedNotices(input: {
  status: BallotStatus;
  plan: DeliveryPlan;
  told: (channel: Channel) => ReadonlySet<string>;
  now: number;
  cureDeadline?: number;
}): { channel: Channel; notice: Notice; at: number }[] {
  return input.plan.channels.flatMap((channel) => {
    const notice = nextNotice({
      status: input.status,
      told: input.told(channel),
      reminders: [],
      now: input.now,
      ...(input.cureDeadline !== undefined ? { cureDeadline: input.cureDeadline } : {}),
    });
    return notice
      ? [{ channel, notice, at: nextAllowedInstant(input.now, input.plan.window, input.plan.timeZone) }]
      : [];
  });
}
