/**
 * Every path that sends a text, in every language, with the longest realistic values and every
 * optional part a county or the sender can add (the voter's initial for a household, the opt-out
 * hint of a first or monthly notice): within two segments, naming the county, and keeping to the
 * CTIA rules (an opt-in confirmation names the program, the frequency, "Msg & data rates may
 * apply", HELP and STOP; HELP answers with the county's contact; a notice that carries the hint
 * says STOP). The catalogs' glossary (messages/review/<lang>.json) holds each language's wording
 * of the rates and frequency phrases, so the check is the same in every language.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BALLOT_NOTICE_KEYS,
  CHALLENGE_REASONS,
  CURE_DEADLINE_RULES,
  LANGUAGES,
  MAX_SMS_SEGMENTS,
  MESSAGE_KEYS,
  MESSAGE_SPECS,
  REJECTION_REASONS,
  renderSms,
  renderSmsAlternatives,
  type Language,
  type MessageKey,
} from '../../delivery/templates/index.js';
import { OPT_OUT_HINT_EVERY_MS, optOutHintDue } from '../../activities/notices.js';

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

// 17:00 on the 28th of every month, so every month name is tried.
const DEADLINES = Array.from({ length: 12 }, (_, m) =>
  Date.parse(`2026-${String(m + 1).padStart(2, '0')}-28T17:00:00-08:00`),
);

const SMS_KEYS = MESSAGE_KEYS.filter((key) => MESSAGE_SPECS[key].channels.includes('sms'));

/** Every combination of values a key's SMS can be sent with. */
function variations(key: MessageKey): Array<{ vars: Record<string, unknown>; optOutHint: boolean; label: string }> {
  const spec = MESSAGE_SPECS[key];
  const reasons =
    spec.reasons === 'challenged' ? CHALLENGE_REASONS : spec.reasons === 'rejected' ? REJECTION_REASONS : [];
  const deadlines = spec.vars.includes('cureDeadline') ? DEADLINES : [undefined];
  const rules = spec.vars.includes('cureDeadlineRule') ? [undefined, ...CURE_DEADLINE_RULES] : [undefined];
  const maskedContact = key === 'contact_added.email_address' ? 'j\u2022\u2022\u2022@e\u2022\u2022\u2022.info' : '0123';
  const initials = spec.ballotNotice ? [undefined, 'W'] : [undefined];
  const hints = spec.ballotNotice ? [false, true] : [false];
  const out: Array<{ vars: Record<string, unknown>; optOutHint: boolean; label: string }> = [];
  for (const reason of [...reasons, 'unknown_code'])
    for (const cureDeadline of deadlines)
      for (const cureDeadlineRule of rules)
        for (const voterInitial of initials)
          for (const optOutHint of hints)
            out.push({
              vars: { ...LONG, reason, cureDeadline, cureDeadlineRule, maskedContact, voterInitial },
              optOutHint,
              label: `${reason} initial=${voterInitial ?? '-'} hint=${optOutHint}`,
            });
  return out;
}

interface Glossary {
  envelope_not_vote: string;
  msg_and_data_rates: string;
  msg_frequency: string;
  help: string;
  stop: string;
}

function glossary(lang: Language): Glossary {
  const file = new URL(`../../messages/review/${lang}.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { glossary: Glossary }).glossary;
}

const TYPICAL = {
  ...LONG,
  countyName: 'Yolo County Elections',
  countyUrl: 'https://yoloelections.gov',
  cureUrl: 'https://yoloelections.gov/cure/7KQ2ZT9W?ballot=B-1029',
};

describe('every text in every language fits in two segments, whatever a county and the sender add', () => {
  it.each(LANGUAGES)('%s: every SMS path, with long values, the initial and the opt-out hint', (lang) => {
    let checked = 0;
    for (const key of SMS_KEYS) {
      for (const { vars, optOutHint, label } of variations(key)) {
        const sms = renderSms(key, lang, vars as never, { optOutHint });
        expect(sms.segments, `${lang} ${key} (${label}): ${sms.text}`).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
        expect(sms.text, `${lang} ${key}`).toContain(LONG.countyName);
        // CTIA: the opt-out hint always has room, even with a long county name and link.
        expect(sms.optOutHint, `${lang} ${key} (${label}): ${sms.text}`).toBe(optOutHint);
        // The last alternative fits on its own, so no text can ever run long.
        const last = renderSmsAlternatives(key, lang, vars as never, { withoutVoterTag: true }).at(-1)!;
        expect(last.segments, `${lang} ${key} (${label}) last: ${last.text}`).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(SMS_KEYS.length);
  });

  it.each(LANGUAGES)('%s: with a typical county, the initial and the hint both fit in every notice', (lang) => {
    for (const key of BALLOT_NOTICE_KEYS) {
      for (const { vars } of variations(key).filter((v) => v.vars.voterInitial && v.optOutHint)) {
        const sms = renderSms(key, lang, { ...vars, ...TYPICAL }, { optOutHint: true });
        expect(sms.segments, `${lang} ${key}: ${sms.text}`).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
        expect({ tag: sms.voterTag, hint: sms.optOutHint }, `${lang} ${key}: ${sms.text}`).toEqual({
          tag: true,
          hint: true,
        });
        expect(sms.text).toContain('W');
      }
    }
  });
});

describe('CTIA: what the texts say', () => {
  it.each(LANGUAGES)(
    '%s: the opt-in confirmation names the program, the frequency, the rates, HELP and STOP',
    (lang) => {
      const words = glossary(lang);
      for (const key of ['sms_opt_in', 'opted_in'] as const) {
        for (const { text } of renderSmsAlternatives(key, lang, LONG)) {
          expect(text, `${lang} ${key}`).toContain(LONG.countyName);
          expect(text, `${lang} ${key}`).toContain(words.msg_and_data_rates);
          expect(text, `${lang} ${key}`).toContain(words.msg_frequency);
          expect(text, `${lang} ${key}`).toContain('HELP');
          expect(text, `${lang} ${key}`).toContain('STOP');
        }
      }
    },
  );

  it.each(LANGUAGES)('%s: HELP answers with the county and its phone, and how to stop', (lang) => {
    for (const { text } of renderSmsAlternatives('help_reply', lang, LONG)) {
      expect(text).toContain(LONG.countyName);
      expect(text).toContain(LONG.countyPhone);
      expect(text).toContain('STOP');
    }
  });

  it.each(LANGUAGES)('%s: a notice with the opt-out hint says STOP; without it, it says nothing of it', (lang) => {
    for (const key of BALLOT_NOTICE_KEYS) {
      for (const { vars } of variations(key).filter((v) => !v.optOutHint)) {
        expect(renderSms(key, lang, vars as never, { optOutHint: true }).text, `${lang} ${key}`).toContain('STOP');
        expect(renderSms(key, lang, vars as never, { optOutHint: false }).text, `${lang} ${key}`).not.toContain('STOP');
      }
    }
  });

  it.each(LANGUAGES)('%s: the opt-in confirmation says the service tracks the envelope, not the vote', (lang) => {
    const [fullest] = renderSmsAlternatives('sms_opt_in', lang, { ...LONG, countyName: 'Yolo County Elections' });
    expect(fullest!.text).toContain(glossary(lang).envelope_not_vote);
    if (lang === 'en' || lang === 'es' || lang === 'tl')
      expect(fullest!.segments).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
  });

  it('the hint goes in the first notice to a number and again once 30 days have passed', () => {
    const now = Date.parse('2026-10-20T17:00:00Z');
    expect(optOutHintDue(null, now)).toBe(true);
    expect(optOutHintDue(new Date(now - OPT_OUT_HINT_EVERY_MS + 60_000), now)).toBe(false);
    expect(optOutHintDue(new Date(now - OPT_OUT_HINT_EVERY_MS), now)).toBe(true);
    expect(OPT_OUT_HINT_EVERY_MS).toBe(30 * 86_400_000);
  });
});
