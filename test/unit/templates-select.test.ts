import { describe, expect, it } from 'vitest';
import {
  MESSAGE_SPECS,
  NOTICE_STATUSES,
  selectStatusMessage,
  type StatusMessageContext,
} from '../../delivery/templates/index.js';

const LA = 'America/Los_Angeles';
const ctx = (sendAtIso: string, overrides: Partial<StatusMessageContext> = {}): StatusMessageContext => ({
  sendAt: Date.parse(sendAtIso),
  electionDay: '2026-11-03',
  electionTimeZone: LA,
  ...overrides,
});

describe('selectStatusMessage: accepted ballots', () => {
  it.each([
    ['a week before Election Day', '2026-10-27T12:00:00-07:00', 'status.accepted.will_be_counted'],
    [
      'the last minute before Election Day (2026-11-02T23:59-08:00)',
      '2026-11-02T23:59:00-08:00',
      'status.accepted.will_be_counted',
    ],
    ['the last millisecond before Election Day', '2026-11-02T23:59:59.999-08:00', 'status.accepted.will_be_counted'],
    [
      'midnight starting Election Day (2026-11-03T00:00-08:00)',
      '2026-11-03T00:00:00-08:00',
      'status.accepted.was_counted',
    ],
    ['Election Day evening', '2026-11-03T20:30:00-08:00', 'status.accepted.was_counted'],
    ['after Election Day', '2026-11-10T09:00:00-08:00', 'status.accepted.was_counted'],
  ])('%s gives %s', (_label, sendAt, key) => {
    expect(selectStatusMessage('accepted', ctx(sendAt))).toBe(key);
  });

  it("uses the election's time zone, not UTC: 07:59Z on Election Day is still the day before in Los Angeles", () => {
    // UTC already reads 2026-11-03; Los Angeles reads 2026-11-02 23:59.
    expect(selectStatusMessage('accepted', ctx('2026-11-03T07:59:00Z'))).toBe('status.accepted.will_be_counted');
    expect(selectStatusMessage('accepted', ctx('2026-11-03T08:00:00Z'))).toBe('status.accepted.was_counted');
  });

  it('moves the boundary with the zone: 05:00Z is Election Day in New York but not yet in Los Angeles', () => {
    const sendAt = '2026-11-03T05:00:00Z';
    expect(selectStatusMessage('accepted', ctx(sendAt, { electionTimeZone: 'America/New_York' }))).toBe(
      'status.accepted.was_counted',
    );
    expect(selectStatusMessage('accepted', ctx(sendAt))).toBe('status.accepted.will_be_counted');
  });

  it('rejects a malformed Election Day and an unknown time zone instead of guessing', () => {
    expect(() => selectStatusMessage('accepted', ctx('2026-11-03T12:00:00Z', { electionDay: '11/03/2026' }))).toThrow(
      RangeError,
    );
    expect(() => selectStatusMessage('accepted', ctx('2026-11-03T12:00:00Z', { electionDay: '2026-02-30' }))).toThrow(
      RangeError,
    );
    expect(() =>
      selectStatusMessage('accepted', ctx('2026-11-03T12:00:00Z', { electionTimeZone: 'Mars/Olympus_Mons' })),
    ).toThrow(RangeError);
  });
});

describe('selectStatusMessage: other statuses', () => {
  it('adds the expected delivery date to the outbound notice only when one is known', () => {
    expect(selectStatusMessage('outbound', ctx('2026-10-05T10:00:00-07:00'))).toBe('status.outbound');
    expect(selectStatusMessage('outbound', ctx('2026-10-05T10:00:00-07:00', { hasExpectedDeliveryDate: false }))).toBe(
      'status.outbound',
    );
    expect(selectStatusMessage('outbound', ctx('2026-10-05T10:00:00-07:00', { hasExpectedDeliveryDate: true }))).toBe(
      'status.outbound.with_delivery_date',
    );
  });

  it.each([
    'undeliverable',
    'inbound',
    'received',
    'challenged',
    'cured',
    'rejected',
    'voted_in_person',
    'superseded',
  ] as const)('%s maps to its own notice whatever the date', (status) => {
    expect(selectStatusMessage(status, ctx('2026-10-20T10:00:00-07:00'))).toBe(`status.${status}`);
    expect(selectStatusMessage(status, ctx('2026-11-20T10:00:00-08:00'))).toBe(`status.${status}`);
  });

  it('picks, for every status, a message that exists on SMS, email and voice', () => {
    for (const status of NOTICE_STATUSES) {
      for (const sendAt of ['2026-10-20T10:00:00-07:00', '2026-11-20T10:00:00-08:00']) {
        const key = selectStatusMessage(status, ctx(sendAt, { hasExpectedDeliveryDate: true }));
        expect(MESSAGE_SPECS[key].channels).toEqual(['sms', 'email', 'voice']);
      }
    }
  });
});
