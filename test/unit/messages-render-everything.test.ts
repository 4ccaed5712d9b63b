/**
 * Every message key, in every language, on every channel it has, with each optional field absent
 * and present: the reason code (each listed one, and one nobody defined), the voter's initial (a
 * county's household option), the county's deadline rule, the county's own wording, the opt-out
 * hint of an SMS, and the cure deadline (none, past, ahead: the sender words the challenge for it).
 * Nothing may throw, leave a placeholder or a broken value, or lose the county's name; an SMS stays
 * within two segments; what was asked for shows up, and what was not does not.
 */
import { describe, expect, it } from 'vitest';
import {
  CURE_DEADLINE_RULES,
  LANGUAGES,
  MAX_SMS_SEGMENTS,
  MESSAGE_KEYS,
  MESSAGE_SPECS,
  CHALLENGE_REASONS,
  REJECTION_REASONS,
  CATALOGS,
  renderEmail,
  renderSms,
  renderVoice,
  type EmailKey,
  type Language,
  type MessageKey,
} from '../../delivery/templates/index.js';
import { catalogLeaves } from '../../delivery/templates/review.js';
import { cureVariant, noticeMessageKey, noticeKey } from '../../domain/notices.js';
import { formatDeadline } from '../../delivery/templates/dates.js';

const COUNTY = 'Sacramento County Elections';
const BASE = {
  countyName: COUNTY,
  countyPhone: '(916) 875-6451',
  countyUrl: 'https://elections.saccounty.gov',
  manageUrl: 'https://ballottrax.saccounty.gov/manage?token=abc123',
  cureUrl: 'https://elections.saccounty.gov/cure/4F7Q?ballot=B-77',
  timeZone: 'America/Los_Angeles',
  cureDeadline: Date.parse('2026-12-02T01:00:00Z'),
  electionDay: '2026-11-03',
  expectedDeliveryDate: '2026-10-09',
  code: '123456',
  maskedContact: 'j\u2022\u2022\u2022@e\u2022\u2022\u2022.org',
};

/** The county's own words for every text it may override, so each can be found in the output. */
const OVERRIDES = Object.fromEntries(
  [
    ...CHALLENGE_REASONS.map((code) => `reason.challenged.${code}`),
    ...REJECTION_REASONS.map((code) => `reason.rejected.${code}`),
    ...CHALLENGE_REASONS.map((code) => `cure_instructions.${code}`),
    'cure_rule',
  ].map((path) => [path, `County words for ${path}.`]),
);

const BAD = ['{{', '}}', '$t(', '\uE000', '\uE001', 'undefined', 'NaN', 'Invalid Date', '[object', '  '];

function text(lang: Language, path: string): string {
  const value = catalogLeaves(CATALOGS[lang]).get(path);
  if (typeof value !== 'string') throw new Error(`${lang}: no text at ${path}`);
  return value;
}

interface Combination {
  label: string;
  vars: Record<string, unknown>;
  optOutHint: boolean;
}

function combinations(key: MessageKey): Combination[] {
  const spec = MESSAGE_SPECS[key];
  const reasons =
    spec.reasons === 'challenged'
      ? [...CHALLENGE_REASONS, 'no_such_code']
      : spec.reasons === 'rejected'
        ? [...REJECTION_REASONS, 'no_such_code']
        : [undefined];
  const rules = spec.vars.includes('cureDeadlineRule') ? [undefined, ...CURE_DEADLINE_RULES] : [undefined];
  const overrides = spec.reasons ? [undefined, OVERRIDES] : [undefined];
  const initials = spec.ballotNotice ? [undefined, 'J'] : [undefined];
  const hints = spec.ballotNotice ? [false, true] : [false];
  const out: Combination[] = [];
  for (const reason of reasons)
    for (const cureDeadlineRule of rules)
      for (const override of overrides)
        for (const voterInitial of initials)
          for (const optOutHint of hints)
            out.push({
              label: `reason=${reason} rule=${cureDeadlineRule} overrides=${Boolean(override)} initial=${voterInitial} hint=${optOutHint}`,
              vars: {
                ...BASE,
                ...(reason ? { reason } : {}),
                ...(cureDeadlineRule ? { cureDeadlineRule } : {}),
                ...(override ? { overrides: override } : {}),
                ...(voterInitial ? { voterInitial } : {}),
              },
              optOutHint,
            });
  return out;
}

function clean(where: string, output: string): void {
  for (const bad of BAD) expect(output, `${where} contains ${JSON.stringify(bad)}`).not.toContain(bad);
  expect(output, where).toContain(COUNTY);
}

describe('every message renders for every combination of optional fields', () => {
  it.each(LANGUAGES)('%s: every key, channel and combination', (lang) => {
    let rendered = 0;
    for (const key of MESSAGE_KEYS) {
      const spec = MESSAGE_SPECS[key];
      for (const { label, vars, optOutHint } of combinations(key)) {
        const where = `${lang} ${key} (${label})`;
        const initial = vars.voterInitial as string | undefined;
        const rule = vars.cureDeadlineRule as string | undefined;
        const overridden = vars.overrides !== undefined;

        const sms = renderSms(key, lang, vars as never, { optOutHint });
        clean(`${where} sms`, sms.text);
        expect(sms.segments, `${where} sms: ${sms.text}`).toBeLessThanOrEqual(MAX_SMS_SEGMENTS);
        if (optOutHint) expect(sms.text, where).toContain(text(lang, 'common.sms.opt_out_hint'));
        if (sms.voterTag) expect(sms.text, where).toContain(`${initial}`);
        rendered += 1;
        if (!spec.channels.includes('email')) continue;

        const email = renderEmail(key as EmailKey, lang, vars as never);
        const voice = renderVoice(key as EmailKey, lang, vars as never);
        for (const [part, output] of [
          ['subject', email.subject],
          ['text', email.text],
          ['html', email.html],
          ['voice', voice.text],
        ] as const) {
          clean(`${where} ${part}`, output);
        }
        // Every email says the service tracks the envelope, not the vote (the footer's first paragraph).
        const footer = catalogLeaves(CATALOGS[lang]).get('common.email.footer') as string[];
        expect(email.text, where).toContain(footer[0]!);
        const whose = text(lang, 'common.whose_ballot').split('{{')[0]!;
        if (initial) {
          expect(email.text.split('\n\n')[0], where).toContain(initial);
          expect(email.text, where).toContain(whose);
          expect(voice.text, where).toContain(initial);
        } else {
          expect(email.text, where).not.toContain(whose);
        }
        if (spec.vars.includes('cureDeadlineRule')) {
          const ruleText = overridden ? OVERRIDES.cure_rule! : rule ? text(lang, `cure_rule.${rule}`) : undefined;
          for (const output of [email.text, voice.text]) {
            if (ruleText) expect(output, where).toContain(ruleText);
            for (const other of CURE_DEADLINE_RULES.filter((r) => r !== rule || overridden)) {
              expect(output, where).not.toContain(text(lang, `cure_rule.${other}`));
            }
          }
        }
        if (overridden && spec.vars.includes('reason')) {
          const kind = spec.reasons!;
          const code = (vars.reason as string) === 'no_such_code' ? 'other' : (vars.reason as string);
          expect(email.text, where).toContain(`County words for reason.${kind}.${code}.`);
        }
        if (overridden && spec.vars.includes('cureInstructions')) {
          const code = (vars.reason as string) === 'no_such_code' ? 'other' : (vars.reason as string);
          expect(email.text, where).toContain(`County words for cure_instructions.${code}.`);
        }
      }
    }
    expect(rendered).toBeGreaterThan(MESSAGE_KEYS.length * 4);
  });
});

describe('a challenge is worded for the deadline it has when it goes out', () => {
  const now = Date.parse('2026-11-20T18:00:00Z');
  const cases = [
    { label: 'no deadline', deadline: undefined, expected: 'no_deadline' },
    { label: 'a deadline already past', deadline: now - 3_600_000, expected: 'no_deadline' },
    { label: 'a deadline ahead', deadline: now + 86_400_000, expected: 'with_deadline' },
  ] as const;

  it.each(cases)('$label: the sender picks the right message for v1 and v2 alike', ({ deadline, expected }) => {
    for (const base of ['status.challenged', 'reminder.cure'] as const) {
      const key = cureVariant(base, deadline, now);
      expect(key).toBe(expected === 'no_deadline' ? `${base}.no_deadline` : base);
      const notice =
        base === 'reminder.cure'
          ? { key: noticeKey('challenged', 1), status: 'challenged' as const, sequence: 1, reminder: 'cure' as const }
          : { key: noticeKey('challenged', 0), status: 'challenged' as const, sequence: 0 };
      expect(
        noticeMessageKey(notice, {
          sendAt: now,
          electionDay: '2026-11-03',
          electionTimeZone: 'America/Los_Angeles',
          cureDeadline: deadline,
        }),
      ).toBe(key);
    }
  });

  it.each(LANGUAGES)('%s: without a deadline it never names a date, and with one it names it', (lang) => {
    const past = Date.parse('2026-11-18T01:00:00Z');
    for (const base of ['status.challenged', 'reminder.cure'] as const) {
      const key = cureVariant(base, undefined, Date.parse('2026-11-20T18:00:00Z')) as MessageKey;
      const vars = { ...BASE, reason: 'no_signature', cureDeadline: past } as never;
      const outputs = [
        renderSms(key, lang, vars).text,
        renderEmail(key as EmailKey, lang, vars).text,
        renderVoice(key as EmailKey, lang, vars).text,
      ];
      for (const style of ['compact', 'long'] as const) {
        const date = formatDeadline(past, BASE.timeZone, lang, style);
        for (const output of outputs) expect(output, `${lang} ${key}`).not.toContain(date);
      }
      if (lang === 'en') {
        for (const output of outputs) expect(output).toMatch(/as soon as possible/);
      }
      const withDeadline = renderEmail(base, lang, { ...BASE, reason: 'no_signature' }).text;
      expect(withDeadline).toContain(formatDeadline(BASE.cureDeadline, BASE.timeZone, lang, 'long'));
    }
  });
});
