import { describe, expect, it } from 'vitest';
import type { BallotStatus } from '../../domain/ballot-status.js';
import { electionMoments, RETURN_REMINDER_TIME, returnReminderExpired } from '../../domain/election-moments.js';
import {
  cureDeadlineInstant,
  cureReminderSchedule,
  messageKeyFor,
  noticeMessageKey,
  nextNotice,
  noticeKey,
  reminderNotice,
  reminderStillValid,
  type DueReminder,
  type ElectionSettings,
  type Notice,
} from '../../domain/notices.js';

const LA = 'America/Los_Angeles';
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

const NOW = at('2026-10-20T18:00:00.000Z');
const DEADLINE = at('2026-11-06T01:00:00.000Z');
const RETURN_1: DueReminder = { kind: 'return', sequence: 1, dueAt: NOW - DAY };
const CURE_1: DueReminder = { kind: 'cure', sequence: 1, dueAt: NOW - 2 * DAY };
const CURE_2: DueReminder = { kind: 'cure', sequence: 2, dueAt: NOW - DAY };

function settings(overrides: Partial<ElectionSettings> = {}): ElectionSettings {
  return {
    electionDay: '2026-11-03',
    timezone: LA,
    returnReminderDaysBefore: 5,
    cureReminderDaysBefore: [3, 1],
    ...overrides,
  };
}

describe('noticeKey and reminderNotice', () => {
  it('keys a status notice as status#0 and a reminder under the status it reminds about', () => {
    expect(noticeKey('received', 0)).toBe('received#0');
    expect(reminderNotice(RETURN_1)).toEqual({
      key: 'outbound#1',
      status: 'outbound',
      sequence: 1,
      reminder: 'return',
    });
    expect(reminderNotice(CURE_2)).toEqual({
      key: 'challenged#2',
      status: 'challenged',
      sequence: 2,
      reminder: 'cure',
    });
  });
});

describe('nextNotice', () => {
  const told = (...keys: string[]) => new Set(keys);

  it.each<{
    name: string;
    status: BallotStatus;
    told: string[];
    reminders: DueReminder[];
    expected: string | undefined;
  }>([
    // Only the current status is ever told.
    { name: 'a fresh status is told', status: 'received', told: [], reminders: [], expected: 'received#0' },
    {
      name: 'only the current status, not earlier ones never told',
      status: 'accepted',
      told: [],
      reminders: [],
      expected: 'accepted#0',
    },
    {
      name: 'a status already told is not told again',
      status: 'received',
      told: ['received#0'],
      reminders: [],
      expected: undefined,
    },
    {
      name: 'told earlier statuses do not matter',
      status: 'inbound',
      told: ['outbound#0'],
      reminders: [],
      expected: 'inbound#0',
    },
    { name: 'issued is never told', status: 'issued', told: [], reminders: [], expected: undefined },
    { name: 'closed is never told', status: 'closed', told: [], reminders: [], expected: undefined },
    {
      name: 'closed sends no reminders either',
      status: 'closed',
      told: [],
      reminders: [RETURN_1, CURE_1],
      expected: undefined,
    },
    // A status notice goes before any reminder.
    {
      name: 'status notice before a due return reminder',
      status: 'outbound',
      told: [],
      reminders: [RETURN_1],
      expected: 'outbound#0',
    },
    {
      name: 'status notice before due cure reminders',
      status: 'challenged',
      told: [],
      reminders: [CURE_1, CURE_2],
      expected: 'challenged#0',
    },
    {
      name: 'then the return reminder',
      status: 'outbound',
      told: ['outbound#0'],
      reminders: [RETURN_1],
      expected: 'outbound#1',
    },
    {
      name: 'then the first cure reminder',
      status: 'challenged',
      told: ['challenged#0'],
      reminders: [CURE_1, CURE_2],
      expected: 'challenged#1',
    },
    {
      name: 'then the second cure reminder',
      status: 'challenged',
      told: ['challenged#0', 'challenged#1'],
      reminders: [CURE_1, CURE_2],
      expected: 'challenged#2',
    },
    {
      name: 'told reminders suppress',
      status: 'challenged',
      told: ['challenged#0', 'challenged#1', 'challenged#2'],
      reminders: [CURE_1, CURE_2],
      expected: undefined,
    },
    {
      name: 'told return reminder suppresses',
      status: 'outbound',
      told: ['outbound#0', 'outbound#1'],
      reminders: [RETURN_1],
      expected: undefined,
    },
    // Reminders only while valid.
    {
      name: 'no return reminder once inbound',
      status: 'inbound',
      told: ['inbound#0'],
      reminders: [RETURN_1],
      expected: undefined,
    },
    {
      name: 'no return reminder while undeliverable',
      status: 'undeliverable',
      told: ['undeliverable#0'],
      reminders: [RETURN_1],
      expected: undefined,
    },
    {
      name: 'no cure reminder once cured',
      status: 'cured',
      told: ['cured#0'],
      reminders: [CURE_1, CURE_2],
      expected: undefined,
    },
    {
      name: 'no cure reminder once accepted',
      status: 'accepted',
      told: ['accepted#0'],
      reminders: [CURE_1],
      expected: undefined,
    },
    {
      name: 'no cure reminder for an outbound ballot',
      status: 'outbound',
      told: ['outbound#0'],
      reminders: [CURE_1],
      expected: undefined,
    },
    {
      name: 'no return reminder for a challenged ballot',
      status: 'challenged',
      told: ['challenged#0'],
      reminders: [RETURN_1],
      expected: undefined,
    },
  ])('$name', ({ status, told: keys, reminders, expected }) => {
    expect(nextNotice({ status, told: told(...keys), reminders, now: NOW, cureDeadline: DEADLINE })?.key).toBe(
      expected,
    );
  });

  it('returns the whole notice: status notices have sequence 0 and no reminder kind', () => {
    expect(nextNotice({ status: 'received', told: told(), reminders: [], now: NOW })).toEqual({
      key: 'received#0',
      status: 'received',
      sequence: 0,
    });
    expect(nextNotice({ status: 'outbound', told: told('outbound#0'), reminders: [RETURN_1], now: NOW })).toEqual({
      key: 'outbound#1',
      status: 'outbound',
      sequence: 1,
      reminder: 'return',
    });
  });

  it('sends cure reminders only strictly before the cure deadline', () => {
    const input = { status: 'challenged' as const, told: told('challenged#0'), reminders: [CURE_1] };
    expect(nextNotice({ ...input, now: DEADLINE - 1, cureDeadline: DEADLINE })?.key).toBe('challenged#1');
    expect(nextNotice({ ...input, now: DEADLINE, cureDeadline: DEADLINE })).toBeUndefined();
    expect(nextNotice({ ...input, now: DEADLINE + DAY, cureDeadline: DEADLINE })).toBeUndefined();
    // Without a known deadline a due cure reminder stays valid while challenged.
    expect(nextNotice({ ...input, now: DEADLINE + DAY })?.key).toBe('challenged#1');
    // The status notice itself is not bound by the deadline.
    expect(nextNotice({ ...input, told: told(), now: DEADLINE + DAY, cureDeadline: DEADLINE })?.key).toBe(
      'challenged#0',
    );
  });

  it('reminderStillValid: return while outbound only; cure while challenged and before the deadline', () => {
    expect(reminderStillValid(RETURN_1, 'outbound', NOW)).toBe(true);
    expect(reminderStillValid(RETURN_1, 'issued', NOW)).toBe(false);
    expect(reminderStillValid(RETURN_1, 'received', NOW)).toBe(false);
    expect(reminderStillValid(CURE_1, 'challenged', NOW, NOW + 1)).toBe(true);
    expect(reminderStillValid(CURE_1, 'challenged', NOW, NOW)).toBe(false);
    expect(reminderStillValid(CURE_1, 'cured', NOW, NOW + DAY)).toBe(false);
    expect(reminderStillValid(CURE_1, 'rejected', NOW)).toBe(false);
  });
});

describe('cureDeadlineInstant', () => {
  it.each([
    { name: 'no deadline', deadline: undefined, tz: LA, expected: undefined },
    { name: 'empty string', deadline: '', tz: LA, expected: undefined },
    {
      name: 'bare date: 17:00 PST, after the fall-back',
      deadline: '2026-11-05',
      tz: LA,
      expected: '2026-11-06T01:00:00.000Z',
    },
    { name: 'bare date: 17:00 PDT, in summer', deadline: '2026-10-30', tz: LA, expected: '2026-10-31T00:00:00.000Z' },
    {
      name: 'bare date in another zone',
      deadline: '2026-11-11',
      tz: 'America/Denver',
      expected: '2026-11-12T00:00:00.000Z',
    },
    { name: 'bare date in UTC', deadline: '2026-11-05', tz: 'UTC', expected: '2026-11-05T17:00:00.000Z' },
    {
      name: 'full timestamp as given',
      deadline: '2026-11-05T12:00:00-08:00',
      tz: LA,
      expected: '2026-11-05T20:00:00.000Z',
    },
    {
      name: 'full UTC timestamp, zone ignored',
      deadline: '2026-11-05T23:59:00Z',
      tz: 'Asia/Tokyo',
      expected: '2026-11-05T23:59:00.000Z',
    },
  ])('$name', ({ deadline, tz, expected }) => {
    const instant = cureDeadlineInstant(deadline, tz);
    expect(instant === undefined ? undefined : iso(instant)).toBe(expected);
  });
});

describe('cureReminderSchedule', () => {
  it('offsets [3, 1] give two reminders numbered 1 and 2, earliest first', () => {
    expect(cureReminderSchedule(DEADLINE, [3, 1])).toEqual([
      { kind: 'cure', sequence: 1, dueAt: at('2026-11-03T01:00:00.000Z') },
      { kind: 'cure', sequence: 2, dueAt: at('2026-11-05T01:00:00.000Z') },
    ]);
  });

  it('the order the offsets are given in does not matter', () => {
    expect(cureReminderSchedule(DEADLINE, [1, 3])).toEqual(cureReminderSchedule(DEADLINE, [3, 1]));
  });

  it('ignores duplicate and non-positive offsets', () => {
    expect(cureReminderSchedule(DEADLINE, [1, 3, 3, 0, -2, 1])).toEqual([
      { kind: 'cure', sequence: 1, dueAt: at('2026-11-03T01:00:00.000Z') },
      { kind: 'cure', sequence: 2, dueAt: at('2026-11-05T01:00:00.000Z') },
    ]);
  });

  it('no offsets, or only non-positive ones, give no reminders', () => {
    expect(cureReminderSchedule(DEADLINE, [])).toEqual([]);
    expect(cureReminderSchedule(DEADLINE, [0, -1])).toEqual([]);
  });

  it('a single offset gives reminder 1', () => {
    expect(cureReminderSchedule(DEADLINE, [2])).toEqual([
      { kind: 'cure', sequence: 1, dueAt: at('2026-11-04T01:00:00.000Z') },
    ]);
  });
});

describe('messageKeyFor', () => {
  const status = (s: BallotStatus): Notice => ({ key: noticeKey(s, 0), status: s, sequence: 0 });
  const context = (sendAt: string, extra: { expectedDeliveryDate?: string; electionTimeZone?: string } = {}) => ({
    sendAt: at(sendAt),
    electionDay: '2026-11-03',
    electionTimeZone: LA,
    ...extra,
  });

  it.each([
    // Election Day 2026-11-03 in Los Angeles (PST, -08:00) starts at 2026-11-03T08:00:00Z.
    {
      name: 'a week before Election Day',
      sendAt: '2026-10-27T18:00:00.000Z',
      expected: 'status.accepted.will_be_counted',
    },
    {
      name: 'the last ms before Election Day (LA)',
      sendAt: '2026-11-03T07:59:59.999Z',
      expected: 'status.accepted.will_be_counted',
    },
    {
      name: 'already Election Day in UTC, still the day before in LA',
      sendAt: '2026-11-03T03:00:00.000Z',
      expected: 'status.accepted.will_be_counted',
    },
    { name: '00:00 on Election Day (LA)', sendAt: '2026-11-03T08:00:00.000Z', expected: 'status.accepted.was_counted' },
    { name: 'during Election Day', sendAt: '2026-11-03T20:00:00.000Z', expected: 'status.accepted.was_counted' },
    { name: 'after Election Day', sendAt: '2026-11-10T20:00:00.000Z', expected: 'status.accepted.was_counted' },
  ])('accepted, $name -> $expected', ({ sendAt, expected }) => {
    expect(messageKeyFor(status('accepted'), context(sendAt))).toBe(expected);
  });

  it('judges Election Day in the election’s time zone, not UTC', () => {
    const tokyo = { electionTimeZone: 'Asia/Tokyo' };
    // 2026-11-02T15:00Z is 00:00 on 2026-11-03 in Tokyo.
    expect(messageKeyFor(status('accepted'), context('2026-11-02T14:59:59.999Z', tokyo))).toBe(
      'status.accepted.will_be_counted',
    );
    expect(messageKeyFor(status('accepted'), context('2026-11-02T15:00:00.000Z', tokyo))).toBe(
      'status.accepted.was_counted',
    );
  });

  it('words outbound with and without an expected delivery date', () => {
    expect(messageKeyFor(status('outbound'), context('2026-10-06T17:00:00Z'))).toBe('status.outbound');
    expect(
      messageKeyFor(status('outbound'), context('2026-10-06T17:00:00Z', { expectedDeliveryDate: '2026-10-09' })),
    ).toBe('status.outbound.with_delivery_date');
  });

  it.each<[BallotStatus, string]>([
    ['undeliverable', 'status.undeliverable'],
    ['inbound', 'status.inbound'],
    ['received', 'status.received'],
    ['challenged', 'status.challenged'],
    ['cured', 'status.cured'],
    ['rejected', 'status.rejected'],
    ['voted_in_person', 'status.voted_in_person'],
    ['superseded', 'status.superseded'],
  ])('other statuses: %s -> %s (before and after Election Day)', (s, expected) => {
    expect(messageKeyFor(status(s), context('2026-10-27T18:00:00Z'))).toBe(expected);
    expect(messageKeyFor(status(s), context('2026-11-10T18:00:00Z'))).toBe(expected);
  });

  it('words reminders by their kind, whatever the date or delivery date', () => {
    expect(messageKeyFor(reminderNotice(RETURN_1), context('2026-10-27T18:00:00Z'))).toBe('reminder.return');
    expect(
      messageKeyFor(reminderNotice(RETURN_1), context('2026-10-27T18:00:00Z', { expectedDeliveryDate: '2026-10-09' })),
    ).toBe('reminder.return');
    expect(messageKeyFor(reminderNotice(CURE_2), context('2026-11-10T18:00:00Z'))).toBe('reminder.cure');
  });
});

describe('noticeMessageKey (the v2 wording; v1 keeps messageKeyFor)', () => {
  const status = (s: BallotStatus): Notice => ({ key: noticeKey(s, 0), status: s, sequence: 0 });
  const facts = (sendAt: string, extra: Partial<Parameters<typeof noticeMessageKey>[1]> = {}) => ({
    sendAt: at(sendAt),
    electionDay: '2026-11-03',
    electionTimeZone: LA,
    ...extra,
  });
  // The county's "was counted" instant for this election: 8 p.m. on Election Day, when polls close.
  const COUNTED_FROM = at('2026-11-04T04:00:00.000Z');

  it.each([
    {
      name: 'before Election Day, county set a time',
      sendAt: '2026-10-27T18:00:00.000Z',
      countedFrom: COUNTED_FROM,
      expected: 'will_be_counted',
    },
    {
      name: 'midnight on Election Day: an acceptance alone is not a count',
      sendAt: '2026-11-03T08:00:00.000Z',
      countedFrom: COUNTED_FROM,
      expected: 'will_be_counted',
    },
    {
      name: 'the last ms before the county’s time',
      sendAt: '2026-11-04T03:59:59.999Z',
      countedFrom: COUNTED_FROM,
      expected: 'will_be_counted',
    },
    {
      name: 'from the county’s time on',
      sendAt: '2026-11-04T04:00:00.000Z',
      countedFrom: COUNTED_FROM,
      expected: 'was_counted',
    },
    {
      name: 'a week after, no time set by the county',
      sendAt: '2026-11-10T20:00:00.000Z',
      countedFrom: undefined,
      expected: 'will_be_counted',
    },
    {
      name: 'a time left from an earlier election (before this Election Day)',
      sendAt: '2026-11-10T20:00:00.000Z',
      countedFrom: at('2026-03-04T04:00:00.000Z'),
      expected: 'will_be_counted',
    },
  ])('accepted, $name -> $expected', ({ sendAt, countedFrom, expected }) => {
    expect(noticeMessageKey(status('accepted'), facts(sendAt, { countedFrom }))).toBe(`status.accepted.${expected}`);
  });

  it.each([
    { sendAt: '2026-10-27T18:00:00.000Z', expected: 'status.rejected.can_still_vote' },
    // Polls close at 20:00 on Election Day in Los Angeles (PST): 2026-11-04T04:00Z.
    { sendAt: '2026-11-04T03:59:59.999Z', expected: 'status.rejected.can_still_vote' },
    { sendAt: '2026-11-04T04:00:00.000Z', expected: 'status.rejected' },
  ])('rejected at $sendAt -> $expected (what the voter can still do until polls close)', ({ sendAt, expected }) => {
    expect(noticeMessageKey(status('rejected'), facts(sendAt))).toBe(expected);
  });

  it('a rejection of an election not stored says nothing about voting again', () => {
    expect(noticeMessageKey(status('rejected'), facts('2026-10-27T18:00:00Z', { electionDay: undefined }))).toBe(
      'status.rejected',
    );
  });

  it('words a challenge and its reminder for their deadline, and the rest as messageKeyFor does', () => {
    const sendAt = '2026-11-20T18:00:00.000Z';
    expect(noticeMessageKey(status('challenged'), facts(sendAt))).toBe('status.challenged.no_deadline');
    expect(noticeMessageKey(status('challenged'), facts(sendAt, { cureDeadline: at(sendAt) }))).toBe(
      'status.challenged.no_deadline',
    );
    expect(noticeMessageKey(status('challenged'), facts(sendAt, { cureDeadline: at(sendAt) + 1 }))).toBe(
      'status.challenged',
    );
    expect(noticeMessageKey(reminderNotice(CURE_2), facts(sendAt))).toBe('reminder.cure.no_deadline');
    expect(noticeMessageKey(reminderNotice(RETURN_1), facts(sendAt))).toBe('reminder.return');
    expect(noticeMessageKey(status('collected'), facts(sendAt))).toBe('status.collected');
    expect(
      noticeMessageKey(status('outbound'), facts('2026-10-06T17:00:00Z', { expectedDeliveryDate: '2026-10-09' })),
    ).toBe('status.outbound.with_delivery_date');
  });
});

describe('electionMoments', () => {
  it(`puts the return reminder at ${RETURN_REMINDER_TIME} election time N days before Election Day`, () => {
    // 2026-10-29 is still PDT (-07:00) in Los Angeles.
    expect(electionMoments(settings())).toEqual([{ kind: 'return-reminder', at: at('2026-10-29T16:00:00.000Z') }]);
  });

  it('is DST-correct: a reminder day after the fall-back uses PST', () => {
    // 2026-11-02 is PST (-08:00).
    expect(electionMoments(settings({ returnReminderDaysBefore: 1 }))).toEqual([
      { kind: 'return-reminder', at: at('2026-11-02T17:00:00.000Z') },
    ]);
  });

  it('adds the closing date, earliest moment first', () => {
    expect(electionMoments(settings({ closesAt: '2026-12-04T00:00:00Z' }))).toEqual([
      { kind: 'return-reminder', at: at('2026-10-29T16:00:00.000Z') },
      { kind: 'close', at: at('2026-12-04T00:00:00.000Z') },
    ]);
    expect(electionMoments(settings({ closesAt: '2026-10-01T00:00:00Z' }))).toEqual([
      { kind: 'close', at: at('2026-10-01T00:00:00.000Z') },
      { kind: 'return-reminder', at: at('2026-10-29T16:00:00.000Z') },
    ]);
  });

  it('has no return reminder for zero or negative days, and no close without a closing date', () => {
    expect(electionMoments(settings({ returnReminderDaysBefore: 0 }))).toEqual([]);
    expect(electionMoments(settings({ returnReminderDaysBefore: -2 }))).toEqual([]);
    expect(electionMoments(settings({ returnReminderDaysBefore: 0, closesAt: '2026-12-04T00:00:00-08:00' }))).toEqual([
      { kind: 'close', at: at('2026-12-04T08:00:00.000Z') },
    ]);
  });

  it('returnReminderExpired from 00:00 on Election Day in the election’s zone', () => {
    expect(returnReminderExpired(settings(), at('2026-11-03T07:59:59.999Z'))).toBe(false);
    expect(returnReminderExpired(settings(), at('2026-11-03T08:00:00.000Z'))).toBe(true);
    expect(returnReminderExpired(settings(), at('2026-11-20T00:00:00.000Z'))).toBe(true);
  });
});
