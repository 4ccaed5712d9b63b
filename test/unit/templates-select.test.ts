import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../domain/ballot-status.js';
import { CHANNELS, messageKeyFor, noticeKey, reminderNotice, type Notice } from '../../domain/notices.js';
import { MESSAGE_SPECS, type MessageKey } from '../../delivery/templates/index.js';
import { chosenSmsAlternative, effectiveLanguage } from '../../delivery/templates/select.js';

const context = (sendAt: string) => ({
  sendAt: Date.parse(sendAt),
  electionDay: '2026-11-03',
  electionTimeZone: 'America/Los_Angeles',
  expectedDeliveryDate: '2026-10-09',
});

describe('the messages the ballot workflow chooses (domain/notices.ts messageKeyFor)', () => {
  const chosen = (notice: Notice) =>
    ['2026-10-20T17:00:00Z', '2026-11-20T18:00:00Z'].map((sendAt) => messageKeyFor(notice, context(sendAt)));

  it('exist on SMS, email and voice for every status, before and after Election Day', () => {
    for (const status of EVENT_TYPES) {
      for (const key of chosen({ key: noticeKey(status, 0), status, sequence: 0 })) {
        expect(MESSAGE_SPECS[key as MessageKey]?.channels).toEqual(CHANNELS);
      }
    }
  });

  it('exist on every channel for both reminders', () => {
    for (const kind of ['return', 'cure'] as const) {
      for (const key of chosen(reminderNotice({ kind, sequence: 1, dueAt: 0 }))) {
        expect(MESSAGE_SPECS[key as MessageKey]?.channels).toEqual(CHANNELS);
      }
    }
  });

  it('rejects an unknown election time zone instead of guessing the day', () => {
    const accepted: Notice = { key: noticeKey('accepted', 0), status: 'accepted', sequence: 0 };
    expect(() =>
      messageKeyFor(accepted, { ...context('2026-11-03T12:00:00Z'), electionTimeZone: 'Mars/Olympus_Mons' }),
    ).toThrow(RangeError);
  });
});

describe('which version of a message goes out', () => {
  it('refuses a channel the message does not have', () => {
    expect(() => effectiveLanguage('help_reply', 'email', 'es')).toThrow(/no email version/);
  });

  it('keeps a language whose catalog has the whole message', () => {
    expect(effectiveLanguage('status.received', 'sms', 'es')).toBe('es');
  });

  it('sends the fullest SMS alternative that fits, else the shortest', () => {
    const parts = (...segments: number[]) =>
      segments.map((n) => ({ encoding: 'GSM-7' as const, segments: n, units: 0 }));
    expect(chosenSmsAlternative(parts(1, 1))).toBe(0);
    expect(chosenSmsAlternative(parts(5, 2, 1))).toBe(1);
    expect(chosenSmsAlternative(parts(9, 8, 7))).toBe(2);
  });
});
