import { describe, expect, it } from 'vitest';
import {
  addDays,
  isValidTimeZone,
  localDate,
  nextOffsetTransition,
  offsetMinutesAt,
  zonedParts,
  zonedTimeToInstant,
} from '../../domain/zoned-time.js';

const LA = 'America/Los_Angeles';
const at = (iso: string) => Date.parse(iso);

describe('zonedParts', () => {
  it.each([
    {
      name: 'first instant after the LA spring-forward gap reads 03:00 on a Sunday',
      iso: '2026-03-08T10:00:00.000Z',
      tz: LA,
      parts: { year: 2026, month: 3, day: 8, hour: 3, minute: 0, second: 0, weekday: 0 },
    },
    {
      name: 'last second before the LA spring-forward gap reads 01:59:59',
      iso: '2026-03-08T09:59:59.999Z',
      tz: LA,
      parts: { year: 2026, month: 3, day: 8, hour: 1, minute: 59, second: 59, weekday: 0 },
    },
    {
      name: 'first pass through the LA fall-back hour reads 01:30',
      iso: '2026-11-01T08:30:00.000Z',
      tz: LA,
      parts: { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0, weekday: 0 },
    },
    {
      name: 'second pass through the LA fall-back hour also reads 01:30',
      iso: '2026-11-01T09:30:00.000Z',
      tz: LA,
      parts: { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0, weekday: 0 },
    },
    {
      name: 'local midnight is hour 0 of the new day, never hour 24',
      iso: '2026-06-16T07:00:00.000Z',
      tz: LA,
      parts: { year: 2026, month: 6, day: 16, hour: 0, minute: 0, second: 0, weekday: 2 },
    },
    {
      name: 'Kolkata midnight arrives at 18:30Z the day before',
      iso: '2026-01-01T18:30:00.000Z',
      tz: 'Asia/Kolkata',
      parts: { year: 2026, month: 1, day: 2, hour: 0, minute: 0, second: 0, weekday: 5 },
    },
    {
      name: 'Lord Howe jumps from 02:00 to 02:30 when its half-hour DST starts',
      iso: '2026-10-03T15:30:00.000Z',
      tz: 'Australia/Lord_Howe',
      parts: { year: 2026, month: 10, day: 4, hour: 2, minute: 30, second: 0, weekday: 0 },
    },
  ])('$name', ({ iso, tz, parts }) => {
    expect(zonedParts(at(iso), tz)).toEqual(parts);
  });

  it('throws for an unknown zone', () => {
    expect(() => zonedParts(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('offsetMinutesAt', () => {
  it.each([
    { name: 'LA is PST just before spring-forward', iso: '2026-03-08T09:59:59.999Z', tz: LA, offset: -480 },
    { name: 'LA is PDT from the spring-forward instant', iso: '2026-03-08T10:00:00.000Z', tz: LA, offset: -420 },
    { name: 'LA is PDT just before fall-back', iso: '2026-11-01T08:59:59.999Z', tz: LA, offset: -420 },
    { name: 'LA is PST from the fall-back instant', iso: '2026-11-01T09:00:00.000Z', tz: LA, offset: -480 },
    { name: 'Phoenix stays on MST in summer', iso: '2026-07-01T12:00:00.000Z', tz: 'America/Phoenix', offset: -420 },
    { name: 'Honolulu stays on HST', iso: '2026-11-01T12:00:00.000Z', tz: 'Pacific/Honolulu', offset: -600 },
    { name: 'Kolkata is a half-hour zone', iso: '2026-06-15T00:00:00.000Z', tz: 'Asia/Kolkata', offset: 330 },
    { name: 'Lord Howe winter is +10:30', iso: '2026-07-15T00:00:00.000Z', tz: 'Australia/Lord_Howe', offset: 630 },
    { name: 'Lord Howe summer is +11:00', iso: '2026-01-15T00:00:00.000Z', tz: 'Australia/Lord_Howe', offset: 660 },
    {
      name: 'Lord Howe is +10:30 just before DST starts',
      iso: '2026-10-03T15:29:59.000Z',
      tz: 'Australia/Lord_Howe',
      offset: 630,
    },
  ])('$name', ({ iso, tz, offset }) => {
    expect(offsetMinutesAt(at(iso), tz)).toBe(offset);
  });
});

describe('nextOffsetTransition', () => {
  it.each([
    {
      name: 'finds LA spring-forward',
      tz: LA,
      from: '2026-03-08T00:00:00.000Z',
      to: '2026-03-09T00:00:00.000Z',
      expected: '2026-03-08T10:00:00.000Z',
    },
    {
      name: 'finds LA fall-back',
      tz: LA,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      expected: '2026-11-01T09:00:00.000Z',
    },
    {
      name: 'finds Lord Howe half-hour DST start',
      tz: 'Australia/Lord_Howe',
      from: '2026-10-03T00:00:00.000Z',
      to: '2026-10-04T00:00:00.000Z',
      expected: '2026-10-03T15:30:00.000Z',
    },
    {
      name: 'finds nothing on an ordinary day',
      tz: LA,
      from: '2026-06-15T00:00:00.000Z',
      to: '2026-06-16T00:00:00.000Z',
      expected: undefined,
    },
  ])('$name', ({ tz, from, to, expected }) => {
    const found = nextOffsetTransition(at(from), at(to), tz);
    expect(found === undefined ? undefined : new Date(found).toISOString()).toBe(expected);
  });
});

describe('zonedTimeToInstant', () => {
  it.each([
    {
      name: 'a time in the LA spring-forward gap becomes the first instant after it (03:00 PDT)',
      date: '2026-03-08',
      time: '02:30',
      tz: LA,
      dis: 'earlier',
      expected: '2026-03-08T10:00:00.000Z',
    },
    {
      name: 'the start of the LA gap also becomes 03:00 PDT',
      date: '2026-03-08',
      time: '02:00',
      tz: LA,
      dis: 'earlier',
      expected: '2026-03-08T10:00:00.000Z',
    },
    {
      name: 'the last minute of the LA gap also becomes 03:00 PDT',
      date: '2026-03-08',
      time: '02:59',
      tz: LA,
      dis: 'later',
      expected: '2026-03-08T10:00:00.000Z',
    },
    {
      name: 'the minute before the LA gap is still PST',
      date: '2026-03-08',
      time: '01:59',
      tz: LA,
      dis: 'earlier',
      expected: '2026-03-08T09:59:00.000Z',
    },
    {
      name: 'a morning after spring-forward uses PDT, the offset at the target',
      date: '2026-03-08',
      time: '08:00',
      tz: LA,
      dis: 'earlier',
      expected: '2026-03-08T15:00:00.000Z',
    },
    {
      name: 'an ambiguous fall-back time resolves to PDT for earlier',
      date: '2026-11-01',
      time: '01:30',
      tz: LA,
      dis: 'earlier',
      expected: '2026-11-01T08:30:00.000Z',
    },
    {
      name: 'an ambiguous fall-back time resolves to PST for later',
      date: '2026-11-01',
      time: '01:30',
      tz: LA,
      dis: 'later',
      expected: '2026-11-01T09:30:00.000Z',
    },
    {
      name: 'the start of the repeated hour, earlier',
      date: '2026-11-01',
      time: '01:00',
      tz: LA,
      dis: 'earlier',
      expected: '2026-11-01T08:00:00.000Z',
    },
    {
      name: 'the start of the repeated hour, later',
      date: '2026-11-01',
      time: '01:00',
      tz: LA,
      dis: 'later',
      expected: '2026-11-01T09:00:00.000Z',
    },
    {
      name: 'the minute before the repeated hour is unambiguous',
      date: '2026-11-01',
      time: '00:59',
      tz: LA,
      dis: 'later',
      expected: '2026-11-01T07:59:00.000Z',
    },
    {
      name: 'the end of the repeated hour is unambiguous PST',
      date: '2026-11-01',
      time: '02:00',
      tz: LA,
      dis: 'earlier',
      expected: '2026-11-01T10:00:00.000Z',
    },
    {
      name: 'Phoenix has no gap on the LA spring-forward day',
      date: '2026-03-08',
      time: '02:30',
      tz: 'America/Phoenix',
      dis: 'earlier',
      expected: '2026-03-08T09:30:00.000Z',
    },
    {
      name: 'Honolulu has no overlap on the LA fall-back day',
      date: '2026-11-01',
      time: '01:30',
      tz: 'Pacific/Honolulu',
      dis: 'later',
      expected: '2026-11-01T11:30:00.000Z',
    },
    {
      name: 'Kolkata applies +05:30',
      date: '2026-06-15',
      time: '08:00',
      tz: 'Asia/Kolkata',
      dis: 'earlier',
      expected: '2026-06-15T02:30:00.000Z',
    },
    {
      name: 'a time in the half-hour Lord Howe gap becomes 02:30 +11:00',
      date: '2026-10-04',
      time: '02:15',
      tz: 'Australia/Lord_Howe',
      dis: 'earlier',
      expected: '2026-10-03T15:30:00.000Z',
    },
    {
      name: 'the half-hour Lord Howe overlap, earlier (+11:00)',
      date: '2026-04-05',
      time: '01:45',
      tz: 'Australia/Lord_Howe',
      dis: 'earlier',
      expected: '2026-04-04T14:45:00.000Z',
    },
    {
      name: 'the half-hour Lord Howe overlap, later (+10:30)',
      date: '2026-04-05',
      time: '01:45',
      tz: 'Australia/Lord_Howe',
      dis: 'later',
      expected: '2026-04-04T15:15:00.000Z',
    },
    {
      name: 'a time on the day Samoa skipped becomes the start of the next day',
      date: '2011-12-30',
      time: '12:00',
      tz: 'Pacific/Apia',
      dis: 'earlier',
      expected: '2011-12-30T10:00:00.000Z',
    },
  ] as const)('$name', ({ date, time, tz, dis, expected }) => {
    expect(new Date(zonedTimeToInstant(date, time, tz, dis)).toISOString()).toBe(expected);
  });

  it('defaults to the earlier occurrence', () => {
    expect(new Date(zonedTimeToInstant('2026-11-01', '01:30', LA)).toISOString()).toBe('2026-11-01T08:30:00.000Z');
  });

  it.each([
    { name: 'an impossible date', date: '2026-02-30', time: '08:00' },
    { name: 'an unpadded date', date: '2026-3-8', time: '08:00' },
    { name: 'hour 24', date: '2026-03-08', time: '24:00' },
    { name: 'minute 60', date: '2026-03-08', time: '08:60' },
  ])('rejects $name', ({ date, time }) => {
    expect(() => zonedTimeToInstant(date, time, LA)).toThrow(RangeError);
  });
});

describe('localDate', () => {
  it.each([
    {
      name: 'the last ms of an LA day is still that day',
      iso: '2026-06-16T06:59:59.999Z',
      tz: LA,
      expected: '2026-06-15',
    },
    { name: 'LA midnight starts the next day', iso: '2026-06-16T07:00:00.000Z', tz: LA, expected: '2026-06-16' },
    {
      name: 'Kolkata is already on the next day at 18:30Z',
      iso: '2026-06-15T18:30:00.000Z',
      tz: 'Asia/Kolkata',
      expected: '2026-06-16',
    },
  ])('$name', ({ iso, tz, expected }) => {
    expect(localDate(at(iso), tz)).toBe(expected);
  });
});

describe('addDays', () => {
  it.each([
    { name: 'rolls over the end of February', date: '2026-02-28', n: 1, expected: '2026-03-01' },
    { name: 'lands on a leap day', date: '2028-02-28', n: 1, expected: '2028-02-29' },
    { name: 'goes back across a year boundary', date: '2026-01-01', n: -1, expected: '2025-12-31' },
    { name: 'is not affected by DST', date: '2026-03-07', n: 1, expected: '2026-03-08' },
    { name: 'adds a whole non-leap year', date: '2026-12-31', n: 365, expected: '2027-12-31' },
  ])('$name', ({ date, n, expected }) => {
    expect(addDays(date, n)).toBe(expected);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    { tz: 'America/Los_Angeles', valid: true },
    { tz: 'Australia/Lord_Howe', valid: true },
    { tz: 'UTC', valid: true },
    { tz: 'Mars/Olympus', valid: false },
    { tz: 'America/Los Angeles', valid: false },
    { tz: '', valid: false },
  ])('$tz -> $valid', ({ tz, valid }) => {
    expect(isValidTimeZone(tz)).toBe(valid);
  });
});
