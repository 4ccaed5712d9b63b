import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW,
  isInsideWindow,
  isValidClockTime,
  nextAllowedInstant,
  parseWindow,
  windowEndAfter,
} from '../../domain/quiet-hours.js';

const LA = 'America/Los_Angeles';
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextAllowedInstant', () => {
  it.each([
    // Default 08:00-21:00, Los Angeles in summer (PDT, -07:00).
    {
      name: 'before the window opens, waits for today’s start',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-06-15T13:00:00.000Z',
      expected: '2026-06-15T15:00:00.000Z',
    },
    {
      name: 'exactly at the start, sends now',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-06-15T15:00:00.000Z',
      expected: '2026-06-15T15:00:00.000Z',
    },
    {
      name: 'in the middle of the window, sends now',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-06-15T20:00:00.000Z',
      expected: '2026-06-15T20:00:00.000Z',
    },
    {
      name: 'one ms before the end, sends now',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-06-16T03:59:59.999Z',
      expected: '2026-06-16T03:59:59.999Z',
    },
    {
      name: 'exactly at the end, waits for tomorrow’s start',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-06-16T04:00:00.000Z',
      expected: '2026-06-16T15:00:00.000Z',
    },
    {
      name: 'in the evening after the window, waits for tomorrow’s start',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-06-16T05:30:00.000Z',
      expected: '2026-06-16T15:00:00.000Z',
    },
    {
      name: 'in winter, opens at 08:00 PST',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-01-10T15:00:00.000Z',
      expected: '2026-01-10T16:00:00.000Z',
    },

    // Overnight window 21:00-08:00.
    {
      name: 'overnight window: late evening is inside',
      window: '21:00-08:00',
      tz: LA,
      now: '2026-06-16T06:00:00.000Z',
      expected: '2026-06-16T06:00:00.000Z',
    },
    {
      name: 'overnight window: small hours are inside',
      window: '21:00-08:00',
      tz: LA,
      now: '2026-06-16T10:00:00.000Z',
      expected: '2026-06-16T10:00:00.000Z',
    },
    {
      name: 'overnight window: one ms before the morning end is inside',
      window: '21:00-08:00',
      tz: LA,
      now: '2026-06-15T14:59:59.999Z',
      expected: '2026-06-15T14:59:59.999Z',
    },
    {
      name: 'overnight window: exactly at the morning end waits for the evening',
      window: '21:00-08:00',
      tz: LA,
      now: '2026-06-15T15:00:00.000Z',
      expected: '2026-06-16T04:00:00.000Z',
    },
    {
      name: 'overnight window: midday waits for the evening',
      window: '21:00-08:00',
      tz: LA,
      now: '2026-06-15T19:00:00.000Z',
      expected: '2026-06-16T04:00:00.000Z',
    },

    // LA spring-forward, Sunday 2026-03-08: 02:00 PST jumps to 03:00 PDT at 10:00Z.
    {
      name: 'spring-forward: the morning start uses PDT, not the PST in force at now',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-03-08T09:00:00.000Z',
      expected: '2026-03-08T15:00:00.000Z',
    },
    {
      name: 'spring-forward: the evening before waits for 08:00 PDT',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-03-08T06:00:00.000Z',
      expected: '2026-03-08T15:00:00.000Z',
    },
    {
      name: 'spring-forward: a 02:30 start opens right after the gap at 03:00 PDT',
      window: '02:30-05:00',
      tz: LA,
      now: '2026-03-08T08:30:00.000Z',
      expected: '2026-03-08T10:00:00.000Z',
    },
    {
      name: 'spring-forward: the next day’s 02:30 start is an ordinary 02:30 PDT',
      window: '02:30-05:00',
      tz: LA,
      now: '2026-03-08T13:00:00.000Z',
      expected: '2026-03-09T09:30:00.000Z',
    },
    {
      name: 'spring-forward: a window wholly inside the gap does not exist that day',
      window: '02:10-02:50',
      tz: LA,
      now: '2026-03-08T08:00:00.000Z',
      expected: '2026-03-09T09:10:00.000Z',
    },

    // LA fall-back, Sunday 2026-11-01: 02:00 PDT falls back to 01:00 PST at 09:00Z.
    {
      name: 'fall-back: a 01:30 start opens at its first occurrence (PDT)',
      window: '01:30-05:00',
      tz: LA,
      now: '2026-11-01T07:00:00.000Z',
      expected: '2026-11-01T08:30:00.000Z',
    },
    {
      name: 'fall-back: the second pass through 01:00 PST waits for 01:30 PST',
      window: '01:30-05:00',
      tz: LA,
      now: '2026-11-01T09:00:00.000Z',
      expected: '2026-11-01T09:30:00.000Z',
    },
    {
      name: 'fall-back: the second occurrence of 01:30 counts as inside',
      window: '01:30-05:00',
      tz: LA,
      now: '2026-11-01T09:30:00.000Z',
      expected: '2026-11-01T09:30:00.000Z',
    },
    {
      name: 'fall-back: the morning start uses PST',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-11-01T12:00:00.000Z',
      expected: '2026-11-01T16:00:00.000Z',
    },
    {
      name: 'fall-back: the evening before waits for 08:00 PST',
      window: '08:00-21:00',
      tz: LA,
      now: '2026-11-01T05:00:00.000Z',
      expected: '2026-11-01T16:00:00.000Z',
    },
    {
      name: 'fall-back: an overnight window ending 01:30 reopens when the clock falls back to 01:00',
      window: '21:00-01:30',
      tz: LA,
      now: '2026-11-01T08:30:00.000Z',
      expected: '2026-11-01T09:00:00.000Z',
    },

    // Zones without DST.
    {
      name: 'Phoenix ignores the LA spring-forward (MST all year)',
      window: '08:00-21:00',
      tz: 'America/Phoenix',
      now: '2026-03-08T13:00:00.000Z',
      expected: '2026-03-08T15:00:00.000Z',
    },
    {
      name: 'Phoenix in summer, after the window, waits for 08:00 MST',
      window: '08:00-21:00',
      tz: 'America/Phoenix',
      now: '2026-07-02T05:00:00.000Z',
      expected: '2026-07-02T15:00:00.000Z',
    },
    {
      name: 'Honolulu ignores the LA fall-back (HST all year)',
      window: '08:00-21:00',
      tz: 'Pacific/Honolulu',
      now: '2026-11-01T17:00:00.000Z',
      expected: '2026-11-01T18:00:00.000Z',
    },

    // Whole-day windows and a 24:00 end.
    {
      name: 'start equal to end is always allowed',
      window: '08:00-08:00',
      tz: LA,
      now: '2026-06-15T10:00:00.000Z',
      expected: '2026-06-15T10:00:00.000Z',
    },
    {
      name: '00:00-24:00 is always allowed',
      window: '00:00-24:00',
      tz: LA,
      now: '2026-03-08T10:30:00.000Z',
      expected: '2026-03-08T10:30:00.000Z',
    },
    {
      name: 'a 24:00 end includes one ms before midnight',
      window: '18:00-24:00',
      tz: LA,
      now: '2026-06-16T06:59:59.999Z',
      expected: '2026-06-16T06:59:59.999Z',
    },
    {
      name: 'a 24:00 end excludes midnight itself',
      window: '18:00-24:00',
      tz: LA,
      now: '2026-06-16T07:00:00.000Z',
      expected: '2026-06-17T01:00:00.000Z',
    },
    {
      name: 'a 24:00-ending window, before it opens, waits for today’s start',
      window: '18:00-24:00',
      tz: LA,
      now: '2026-06-15T19:00:00.000Z',
      expected: '2026-06-16T01:00:00.000Z',
    },

    // Half-hour zones.
    {
      name: 'Kolkata (+05:30) after the window waits for tomorrow’s 08:00 IST',
      window: '08:00-21:00',
      tz: 'Asia/Kolkata',
      now: '2026-06-15T16:00:00.000Z',
      expected: '2026-06-16T02:30:00.000Z',
    },
    {
      name: 'Kolkata (+05:30) mid-morning is inside',
      window: '08:00-21:00',
      tz: 'Asia/Kolkata',
      now: '2026-06-15T05:00:00.000Z',
      expected: '2026-06-15T05:00:00.000Z',
    },
    {
      name: 'Lord Howe DST start: a 02:15 start opens at 02:30 +11:00',
      window: '02:15-06:00',
      tz: 'Australia/Lord_Howe',
      now: '2026-10-03T14:00:00.000Z',
      expected: '2026-10-03T15:30:00.000Z',
    },
    {
      name: 'Lord Howe DST start: the morning start uses +11:00',
      window: '08:00-21:00',
      tz: 'Australia/Lord_Howe',
      now: '2026-10-03T20:00:00.000Z',
      expected: '2026-10-03T21:00:00.000Z',
    },
    {
      name: 'Lord Howe DST end: a 01:45 start opens at its first occurrence (+11:00)',
      window: '01:45-06:00',
      tz: 'Australia/Lord_Howe',
      now: '2026-04-04T14:00:00.000Z',
      expected: '2026-04-04T14:45:00.000Z',
    },
    {
      name: 'Lord Howe DST end: the repeated half hour waits for 01:45 +10:30',
      window: '01:45-06:00',
      tz: 'Australia/Lord_Howe',
      now: '2026-04-04T15:05:00.000Z',
      expected: '2026-04-04T15:15:00.000Z',
    },
  ])('$name', ({ window, tz, now, expected }) => {
    expect(iso(nextAllowedInstant(at(now), parseWindow(window), tz))).toBe(expected);
  });
});

describe('windowEndAfter', () => {
  it.each([
    {
      name: 'a day window closes at 21:00 the same day',
      window: '08:00-21:00',
      tz: LA,
      instant: '2026-06-15T15:00:00.000Z',
      expected: '2026-06-16T04:00:00.000Z',
    },
    {
      name: 'one ms before the end, closes one ms later',
      window: '08:00-21:00',
      tz: LA,
      instant: '2026-06-16T03:59:59.999Z',
      expected: '2026-06-16T04:00:00.000Z',
    },
    {
      name: 'an overnight window closes the next morning',
      window: '21:00-08:00',
      tz: LA,
      instant: '2026-06-16T06:00:00.000Z',
      expected: '2026-06-16T15:00:00.000Z',
    },
    {
      name: 'an overnight window across spring-forward closes at 08:00 PDT',
      window: '21:00-08:00',
      tz: LA,
      instant: '2026-03-08T06:00:00.000Z',
      expected: '2026-03-08T15:00:00.000Z',
    },
    {
      name: 'an overnight window across fall-back closes at 08:00 PST',
      window: '21:00-08:00',
      tz: LA,
      instant: '2026-11-01T05:00:00.000Z',
      expected: '2026-11-01T16:00:00.000Z',
    },
    {
      name: 'an end inside the spring-forward gap closes at the jump',
      window: '01:00-02:30',
      tz: LA,
      instant: '2026-03-08T09:30:00.000Z',
      expected: '2026-03-08T10:00:00.000Z',
    },
    {
      name: 'fall-back: a 01:30 window closes when the clock drops back to 01:00',
      window: '01:30-05:00',
      tz: LA,
      instant: '2026-11-01T08:30:00.000Z',
      expected: '2026-11-01T09:00:00.000Z',
    },
    {
      name: 'fall-back: an end at 01:30 closes at its first occurrence',
      window: '21:00-01:30',
      tz: LA,
      instant: '2026-11-01T05:00:00.000Z',
      expected: '2026-11-01T08:30:00.000Z',
    },
    {
      name: 'fall-back: the reopened repeated hour closes at the second 01:30',
      window: '21:00-01:30',
      tz: LA,
      instant: '2026-11-01T09:00:00.000Z',
      expected: '2026-11-01T09:30:00.000Z',
    },
    {
      name: 'a 24:00 end closes at local midnight',
      window: '18:00-24:00',
      tz: LA,
      instant: '2026-06-16T01:00:00.000Z',
      expected: '2026-06-16T07:00:00.000Z',
    },
    {
      name: 'Kolkata closes at 21:00 IST',
      window: '08:00-21:00',
      tz: 'Asia/Kolkata',
      instant: '2026-06-15T05:00:00.000Z',
      expected: '2026-06-15T15:30:00.000Z',
    },
    {
      name: 'an instant outside the window is its own end',
      window: '08:00-21:00',
      tz: LA,
      instant: '2026-06-16T05:30:00.000Z',
      expected: '2026-06-16T05:30:00.000Z',
    },
  ])('$name', ({ window, tz, instant, expected }) => {
    expect(iso(windowEndAfter(at(instant), parseWindow(window), tz))).toBe(expected);
  });

  it.each(['08:00-08:00', '00:00-24:00'])('the always-open window %s never closes', (window) => {
    expect(windowEndAfter(at('2026-06-15T15:00:00.000Z'), parseWindow(window), LA)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('isInsideWindow', () => {
  it.each([
    { name: 'start is inclusive', window: '08:00-21:00', tz: LA, instant: '2026-06-15T15:00:00.000Z', inside: true },
    {
      name: 'one ms before start is outside',
      window: '08:00-21:00',
      tz: LA,
      instant: '2026-06-15T14:59:59.999Z',
      inside: false,
    },
    { name: 'end is exclusive', window: '08:00-21:00', tz: LA, instant: '2026-06-16T04:00:00.000Z', inside: false },
    {
      name: 'overnight window contains 03:00',
      window: '21:00-08:00',
      tz: LA,
      instant: '2026-06-15T10:00:00.000Z',
      inside: true,
    },
    {
      name: 'overnight window excludes noon',
      window: '21:00-08:00',
      tz: LA,
      instant: '2026-06-15T19:00:00.000Z',
      inside: false,
    },
    {
      name: 'fall-back: the first 01:30 (PDT) is inside 01:00-02:00',
      window: '01:00-02:00',
      tz: LA,
      instant: '2026-11-01T08:30:00.000Z',
      inside: true,
    },
    {
      name: 'fall-back: the second 01:30 (PST) is inside 01:00-02:00',
      window: '01:00-02:00',
      tz: LA,
      instant: '2026-11-01T09:30:00.000Z',
      inside: true,
    },
    {
      name: 'fall-back: the second 01:00 (PST) is outside 01:30-05:00',
      window: '01:30-05:00',
      tz: LA,
      instant: '2026-11-01T09:00:00.000Z',
      inside: false,
    },
    {
      name: 'spring-forward: 03:00 PDT is inside 02:30-05:00',
      window: '02:30-05:00',
      tz: LA,
      instant: '2026-03-08T10:00:00.000Z',
      inside: true,
    },
    {
      name: 'spring-forward: 01:59 PST is outside 02:30-05:00',
      window: '02:30-05:00',
      tz: LA,
      instant: '2026-03-08T09:59:00.000Z',
      inside: false,
    },
  ])('$name', ({ window, tz, instant, inside }) => {
    expect(isInsideWindow(at(instant), parseWindow(window), tz)).toBe(inside);
  });
});

describe('parseWindow', () => {
  it.each([
    { spec: '08:00-21:00', expected: { start: '08:00', end: '21:00' } },
    { spec: '21:00-08:00', expected: { start: '21:00', end: '08:00' } },
    { spec: '18:00-24:00', expected: { start: '18:00', end: '24:00' } },
    { spec: '00:00-23:59', expected: { start: '00:00', end: '23:59' } },
  ])('accepts $spec', ({ spec, expected }) => {
    expect(parseWindow(spec)).toEqual(expected);
  });

  it.each(['24:00-08:00', '8:00-21:00', '08:60-21:00', '08:00', '08:00-24:01', '25:00-01:00', '', '08:00-21:00-22:00'])(
    'rejects %j',
    (spec) => {
      expect(() => parseWindow(spec)).toThrow(RangeError);
    },
  );

  it('the default window is 08:00-21:00', () => {
    expect(DEFAULT_WINDOW).toEqual({ start: '08:00', end: '21:00' });
  });
});

describe('isValidClockTime', () => {
  it.each([
    { value: '00:00', allowEndOfDay: false, valid: true },
    { value: '23:59', allowEndOfDay: false, valid: true },
    { value: '24:00', allowEndOfDay: false, valid: false },
    { value: '24:00', allowEndOfDay: true, valid: true },
    { value: '24:01', allowEndOfDay: true, valid: false },
    { value: '12:5', allowEndOfDay: false, valid: false },
    { value: ' 12:00', allowEndOfDay: false, valid: false },
  ])('$value (24:00 allowed: $allowEndOfDay) -> $valid', ({ value, allowEndOfDay, valid }) => {
    expect(isValidClockTime(value, allowEndOfDay)).toBe(valid);
  });
});
