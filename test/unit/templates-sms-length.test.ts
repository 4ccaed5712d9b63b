/**
 * Every SMS must fit in MAX_SMS_SEGMENTS (2) parts in every language, with long but realistic values.
 * A UCS-2 language (anything beyond GSM-7, including Spanish with á/í/ó/ú) has 134 units for two
 * parts, and the county name plus a cure link take 101 of them, so the catalogs list shorter
 * alternatives; these tests prove the shortest one always fits and that the fuller ones are used
 * when they fit.
 *
 * Worst cases measured when the catalogs were written (county name 41, cure link 60, county site 43
 * characters; every reason code; a cure deadline at 17:00 on the 28th of each month), as the share
 * of the two-segment budget (306 GSM-7 septets or 134 UCS-2 units), all 2 segments:
 *   en status.challenged 242/306 GSM-7      es status.rejected 133/134 UCS-2
 *   zh-Hant reminder.return 130/134          vi reminder.return 134/134
 *   ko reminder.cure 127/134                 tl status.challenged 263/306 GSM-7
 *   ja status.challenged 132/134             hi status.outbound.with_delivery_date 132/134
 *   km status.challenged 133/134             th status.inbound 134/134
 * The test names below print the current figures.
 */
import { describe, expect, it } from 'vitest';
import { formatCalendarDate, formatDeadline } from '../../delivery/templates/dates.js';
import {
  CHALLENGE_REASONS,
  LANGUAGES,
  MAX_SMS_SEGMENTS,
  MESSAGE_KEYS,
  MESSAGE_SPECS,
  REJECTION_REASONS,
  SMS_LIMITS,
  renderSms,
  renderSmsAlternatives,
  type Language,
  type MessageKey,
  type RenderedSms,
} from '../../delivery/templates/index.js';

const LONG = {
  countyName: 'San Bernardino County Registrar of Voters',
  countyPhone: '(909) 387-8300',
  countyUrl: 'https://elections.sbcounty.gov/vote-by-mail',
  cureUrl: 'https://elections.sbcounty.gov/cure/9F3KQ2ZT7WXB4M8D6HJ1NP5R',
  timeZone: 'America/Los_Angeles',
  electionDay: '2026-11-03',
  expectedDeliveryDate: '2026-09-30',
  code: '123456',
};

const TYPICAL = {
  countyName: 'Yolo County Elections',
  countyPhone: '(530) 666-8133',
  countyUrl: 'https://yoloelections.gov',
  cureUrl: 'https://yoloelections.gov/cure/7KQ2ZT9W',
  timeZone: 'America/Los_Angeles',
  electionDay: '2026-11-03',
  code: '123456',
  reason: 'signature_mismatch',
  cureDeadline: Date.parse('2026-12-01T17:00:00-08:00'),
};

// 17:00 on the 28th of every month, so every month name is tried.
const DEADLINES = Array.from({ length: 12 }, (_, m) =>
  Date.parse(`2026-${String(m + 1).padStart(2, '0')}-28T17:00:00-08:00`),
);

function variations(key: MessageKey): Array<Record<string, unknown>> {
  const kind = MESSAGE_SPECS[key].reasons;
  const reasons = kind === 'challenged' ? CHALLENGE_REASONS : kind === 'rejected' ? REJECTION_REASONS : [undefined];
  const deadlines = MESSAGE_SPECS[key].vars.includes('cureDeadline') ? DEADLINES : [undefined];
  // A contact alert names an email masked ('j•••@e•••.info') or a number's last 4 digits.
  const maskedContact = key === 'contact_added.email_address' ? 'j\u2022\u2022\u2022@e\u2022\u2022\u2022.info' : '0123';
  return [...reasons, 'unknown_code'].flatMap((reason) =>
    deadlines.map((cureDeadline) => ({ ...LONG, reason, cureDeadline, maskedContact })),
  );
}

interface Case {
  key: MessageKey;
  sms: RenderedSms;
}

function allSms(lang: Language): Case[] {
  return MESSAGE_KEYS.flatMap((key) =>
    variations(key).map((vars) => ({ key, sms: renderSms(key, lang, vars as never) })),
  );
}

/** Share of the two-segment budget used: 306 septets in GSM-7, 134 units in UCS-2. */
const fill = (sms: RenderedSms) => sms.units / (SMS_LIMITS[sms.encoding].perPart * MAX_SMS_SEGMENTS);

function worst(lang: Language): Case {
  return allSms(lang).reduce((a, b) => (b.sms.segments > a.sms.segments || fill(b.sms) > fill(a.sms) ? b : a));
}

describe('SMS length with long county names and links', () => {
  for (const lang of LANGUAGES) {
    let summary: string;
    try {
      const w = worst(lang);
      const unit = w.sms.encoding === 'GSM-7' ? 'septets' : 'UTF-16 units';
      summary = `worst: ${w.key}, ${w.sms.units} ${unit}, ${w.sms.encoding}, ${w.sms.segments} segments`;
    } catch (error) {
      summary = `does not render: ${(error as Error).message}`; // the test below then fails with the cause
    }
    it(`${lang}: every SMS fits in ${MAX_SMS_SEGMENTS} segments (${summary})`, () => {
      for (const { key, sms } of allSms(lang)) {
        expect(sms.segments, `${lang} ${key}: ${sms.text}`).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
        expect(sms.text, `${lang} ${key}`).toContain(LONG.countyName);
      }
    });
  }

  it('the last alternative of each message fits on its own, so no SMS can run long', () => {
    for (const lang of LANGUAGES) {
      for (const key of MESSAGE_KEYS) {
        for (const vars of variations(key)) {
          const alternatives = renderSmsAlternatives(key, lang, vars as never);
          const last = alternatives[alternatives.length - 1];
          expect(last?.segments, `${lang} ${key}: ${last?.text}`).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
        }
      }
    }
  });

  it('English and Tagalog always send their fullest text, in GSM-7', () => {
    for (const lang of ['en', 'tl'] as const) {
      for (const { key, sms } of allSms(lang)) {
        expect(sms.encoding, `${lang} ${key}: ${sms.text}`).toBe('GSM-7');
        expect(sms.alternative, `${lang} ${key}`).toBe(0);
      }
    }
  });
});

describe('SMS content with typical values', () => {
  it.each(LANGUAGES)('%s: the challenged and cure-reminder texts keep the deadline', (lang) => {
    const deadline = formatDeadline(TYPICAL.cureDeadline, TYPICAL.timeZone, lang, 'compact');
    for (const key of ['status.challenged', 'reminder.cure'] as const) {
      const sms = renderSms(key, lang, TYPICAL);
      expect(sms.text, `${lang} ${key}`).toContain(deadline);
      expect(sms.text, `${lang} ${key}`).toContain(TYPICAL.cureUrl);
      expect(sms.segments).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
    }
  });

  it.each(LANGUAGES)('%s: the return reminder keeps Election Day and the county link', (lang) => {
    const sms = renderSms('reminder.return', lang, { ...TYPICAL, countyUrl: LONG.countyUrl });
    expect(sms.text).toContain(LONG.countyUrl);
    expect(sms.text).toContain(formatCalendarDate(TYPICAL.electionDay, lang, 'compact'));
  });

  it.each(LANGUAGES)('%s: a rejected ballot SMS gives the reason', (lang) => {
    const withReason = renderSms('status.rejected', lang, { ...TYPICAL, reason: 'received_late' }).text;
    const generic = renderSms('status.rejected', lang, { ...TYPICAL, reason: 'unknown_code' }).text;
    expect(withReason).not.toBe(generic);
  });
});
