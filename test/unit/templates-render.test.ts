import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHALLENGE_REASONS,
  EMAIL_KEYS,
  LANGUAGES,
  MESSAGE_KEYS,
  MESSAGE_SPECS,
  REJECTION_REASONS,
  VOICE_KEYS,
  renderEmail,
  renderSms,
  renderSmsAlternatives,
  renderVoice,
  resolveLanguage,
  type EmailKey,
  type Language,
  type MessageKey,
} from '../../delivery/templates/index.js';

const COUNTY = 'Sacramento County Elections';
const VARS = {
  countyName: COUNTY,
  countyPhone: '(916) 875-6451',
  countyUrl: 'https://elections.saccounty.gov',
  manageUrl: 'https://ballottrax.saccounty.gov/manage?token=abc123',
  cureUrl: 'https://elections.saccounty.gov/cure/4F7Q',
  timeZone: 'America/Los_Angeles',
  // 17:00 in Los Angeles on December 1; already December 2 in UTC.
  cureDeadline: Date.parse('2026-12-02T01:00:00Z'),
  electionDay: '2026-11-03',
  expectedDeliveryDate: '2026-10-09',
  code: '123456',
  maskedContact: 'j\u2022\u2022\u2022@e\u2022\u2022\u2022.org',
  reason: 'signature_mismatch',
};

/** Every reason code a message can get, plus one nobody defined. */
function reasonsFor(key: MessageKey): string[] {
  const kind = MESSAGE_SPECS[key].reasons;
  if (kind === 'challenged') return [...CHALLENGE_REASONS, 'unheard_of_code'];
  if (kind === 'rejected') return [...REJECTION_REASONS, 'unheard_of_code'];
  return ['n/a'];
}

interface Output {
  where: string;
  text: string;
}

/** Every text a voter can get for `key` in `lang`: all SMS alternatives, email subject/HTML/text, voice. */
function allOutputs(key: MessageKey, lang: Language, vars: Record<string, unknown> = VARS): Output[] {
  const out: Output[] = [];
  for (const reason of reasonsFor(key)) {
    const v = { ...vars, reason } as never;
    const tag = `${lang} ${key} (${reason})`;
    renderSmsAlternatives(key, lang, v).forEach((a, i) => out.push({ where: `${tag} sms#${i}`, text: a.text }));
    if (MESSAGE_SPECS[key].channels.includes('email')) {
      const email = renderEmail(key as EmailKey, lang, v);
      out.push({ where: `${tag} email subject`, text: email.subject });
      out.push({ where: `${tag} email html`, text: email.html });
      out.push({ where: `${tag} email text`, text: email.text });
      out.push({ where: `${tag} voice`, text: renderVoice(key as EmailKey, lang, v).text });
    }
  }
  return out;
}

afterEach(() => {
  vi.doUnmock('../../messages/km.json');
  vi.resetModules();
});

describe('rendering every message', () => {
  it.each(LANGUAGES)('%s: no output has a leftover placeholder or a broken value', (lang) => {
    for (const key of MESSAGE_KEYS) {
      for (const { where, text } of allOutputs(key, lang)) {
        for (const bad of [
          '{{',
          '}}',
          '%{',
          '$t(',
          '\uE000',
          '\uE001',
          'undefined',
          'NaN',
          'Invalid Date',
          '[object',
        ]) {
          expect(text, `${where} contains ${JSON.stringify(bad)}`).not.toContain(bad);
        }
      }
    }
  });

  it.each(LANGUAGES)('%s: every SMS, email subject, HTML, text and voice script names the county', (lang) => {
    for (const key of MESSAGE_KEYS) {
      for (const { where, text } of allOutputs(key, lang)) expect(text, where).toContain(COUNTY);
    }
  });

  it.each(LANGUAGES)('%s: the email footer links the manage/unsubscribe page', (lang) => {
    for (const key of EMAIL_KEYS) {
      const email = renderEmail(key, lang, VARS as never);
      expect(email.html, key).toContain(`<a href="${VARS.manageUrl}">${VARS.manageUrl}</a>`);
      expect(email.html.indexOf('<hr'), key).toBeLessThan(email.html.indexOf(VARS.manageUrl));
      expect(email.text.split('\n--\n')[1], key).toContain(VARS.manageUrl);
      expect(email.html).toContain(`<html lang="${lang}">`);
    }
  });

  it('renders each language in its own words, not English', () => {
    const english = renderSms('status.received', 'en', VARS).text;
    for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
      const text = renderSms('status.received', lang, VARS);
      expect(text.language).toBe(lang);
      expect(text.fellBack).toBe(false);
      expect(text.text).not.toBe(english);
    }
  });
});

describe('escaping and untrusted values', () => {
  const hostile = {
    ...VARS,
    countyName: '<script>alert("x")</script> County & Co',
    manageUrl: 'https://example.org/manage?a=1&b="2"',
    cureUrl: 'javascript:alert(1)',
  };

  it.each(LANGUAGES)('%s: variables are HTML-escaped in the HTML email', (lang) => {
    for (const key of EMAIL_KEYS) {
      const { html, text, subject } = renderEmail(key, lang, hostile as never);
      expect(html, key).not.toContain('<script>');
      expect(html, key).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; County &amp; Co');
      expect(html, key).toContain('href="https://example.org/manage?a=1&amp;b=&quot;2&quot;"');
      // Plain text and the subject are not HTML: they carry the value as it is.
      expect(text, key).toContain(hostile.countyName);
      expect(subject, key).toContain(hostile.countyName);
    }
  });

  it('links only http(s) URLs: a javascript: cure link stays inert text', () => {
    const { html } = renderEmail('status.challenged', 'en', hostile);
    expect(html).toContain('javascript:alert(1)');
    expect(html).not.toContain('href="javascript:');
    expect(renderEmail('status.challenged', 'en', VARS).html).toContain(
      `<a href="${VARS.cureUrl}">${VARS.cureUrl}</a>`,
    );
  });

  it('keeps a subject on one line even if the county name has a line break', () => {
    const { subject } = renderEmail('status.received', 'en', {
      ...VARS,
      countyName: 'Yolo County\r\nBcc: x@example.org',
    });
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it.each(LANGUAGES)('%s: a reason code nobody defined gets the generic text and is never echoed', (lang) => {
    const free = 'VOTER SIGNED WITH AN X <b>see memo 17</b>';
    for (const key of ['status.challenged', 'status.rejected'] as const) {
      const generic = { ...VARS, reason: 'no_such_code' };
      const withFree = { ...VARS, reason: free };
      expect(renderSms(key, lang, withFree).text).toBe(renderSms(key, lang, generic).text);
      expect(renderEmail(key, lang, withFree).text).toBe(renderEmail(key, lang, generic).text);
      expect(renderVoice(key, lang, withFree).text).toBe(renderVoice(key, lang, generic).text);
      expect(renderEmail(key, lang, withFree).html).not.toContain('memo 17');
    }
  });

  it.each(LANGUAGES)('%s: each known reason code reads differently from the generic text', (lang) => {
    const text = (key: 'status.challenged' | 'status.rejected', reason: string) =>
      renderEmail(key, lang, { ...VARS, reason }).text;
    // `other` is itself a listed code (a reason the list does not name): the generic text.
    for (const code of REJECTION_REASONS.filter((c) => c !== 'other')) {
      expect(text('status.rejected', code), code).not.toBe(text('status.rejected', 'other'));
    }
    for (const code of ['no_signature', 'signature_mismatch'] as const) {
      expect(text('status.challenged', code), code).not.toBe(text('status.challenged', 'other'));
    }
  });

  it('refuses to render with a required value missing or blank', () => {
    const { cureUrl: _cureUrl, ...withoutCureUrl } = VARS;
    expect(() => renderSms('status.challenged', 'en', withoutCureUrl as never)).toThrow(/cureUrl/);
    expect(() => renderEmail('status.received', 'en', { ...VARS, manageUrl: ' ' })).toThrow(/manageUrl/);
    expect(() => renderVoice('verification_code', 'vi', { ...VARS, countyName: '' })).toThrow(/countyName/);
  });

  it('has no email or voice version of SMS-only replies', () => {
    expect(() => renderEmail('help_reply' as EmailKey, 'en', VARS)).toThrow(/no email version/);
    expect(VOICE_KEYS).not.toContain('opted_out');
  });
});

describe('wording rules', () => {
  it('says "mailed" (English) only in the outbound notices', () => {
    for (const key of MESSAGE_KEYS) {
      const outbound = key === 'status.outbound' || key === 'status.outbound.with_delivery_date';
      for (const { where, text } of allOutputs(key, 'en')) {
        if (outbound) expect(text, where).toMatch(/\bmailed to you\b/);
        else expect(text, where).not.toMatch(/\bmailed\b/i);
      }
    }
  });

  it('says an accepted ballot "will be counted" before Election Day and "was counted" from Election Day on', () => {
    for (const { where, text } of allOutputs('status.accepted.will_be_counted', 'en')) {
      if (where.includes('html')) continue; // same words as the text part
      expect(text, where).toContain('will be counted');
      expect(text, where).not.toContain('was counted');
    }
    for (const { where, text } of allOutputs('status.accepted.was_counted', 'en')) {
      expect(text, where).toContain('was counted');
      expect(text, where).not.toContain('will be counted');
    }
  });

  it.each(LANGUAGES)('%s: the voted-in-person notice never calls the ballot "spoiled"', (lang) => {
    for (const { where, text } of allOutputs('status.voted_in_person', lang)) {
      expect(text, where).not.toMatch(/spoil/i);
    }
    for (const { where, text } of allOutputs('status.voted_in_person', 'en')) {
      expect(text, where).toMatch(/voted in person/);
    }
  });

  it('the outbound variant with a date gives the expected delivery date; the plain one gives none', () => {
    expect(renderSms('status.outbound.with_delivery_date', 'en', VARS).text).toContain('October 9');
    expect(renderEmail('status.outbound.with_delivery_date', 'en', VARS).text).toContain('October 9, 2026');
    expect(renderEmail('status.outbound', 'en', VARS).text).not.toMatch(/October/);
  });
});

describe('dates, codes and links', () => {
  it('formats the cure deadline as wall time in the county zone, long in email and short in SMS', () => {
    expect(renderEmail('status.challenged', 'en', VARS).text).toContain('December 1, 2026 at 5:00 PM');
    expect(renderSms('status.challenged', 'en', VARS).text).toContain('December 1 at 5:00 PM');
    expect(renderVoice('reminder.cure', 'es', VARS).text).toContain('1 de diciembre de 2026');
    expect(renderEmail('reminder.cure', 'ja', VARS).text).toContain('2026年12月1日 17:00');
  });

  it('gives Election Day in each language, with Thai in the Gregorian calendar', () => {
    expect(renderEmail('reminder.return', 'en', VARS).text).toContain('November 3, 2026');
    expect(renderEmail('reminder.return', 'vi', VARS).text).toContain('3 tháng 11, 2026');
    expect(renderEmail('reminder.return', 'ko', VARS).text).toContain('2026년 11월 3일');
    const thai = renderEmail('reminder.return', 'th', VARS).text;
    expect(thai).toContain('3 พฤศจิกายน');
    expect(thai).toContain('2026');
    expect(thai).not.toContain('2569');
  });

  it('keeps English and Tagalog dates free of the narrow spaces ICU puts before AM/PM', () => {
    for (const lang of ['en', 'tl'] as const) {
      expect(renderSms('reminder.cure', lang, VARS).text).not.toMatch(/[\u00A0\u202F]/);
    }
  });

  it('collapses the period of an "a.m./p.m." value and the sentence period into one', () => {
    const text = renderEmail('status.challenged', 'es', VARS).text;
    expect(text).toContain('5:00 p.m.');
    expect(text).not.toContain('p.m..');
  });

  it('reads a verification code digit by digit on the phone, and shows it whole in writing', () => {
    expect(renderVoice('verification_code', 'en', VARS).text).toContain('1, 2, 3, 4, 5, 6');
    expect(renderVoice('verification_code', 'ja', VARS).text).toContain('1、2、3、4、5、6');
    expect(renderSms('verification_code', 'en', VARS).text).toContain('123456');
    expect(renderEmail('verification_code', 'ko', VARS).subject).not.toContain('123456');
  });

  it('speaks a web address without "https://"', () => {
    const script = renderVoice('status.challenged', 'en', VARS).text;
    expect(script).toContain('elections.saccounty.gov');
    expect(script).not.toContain('https://');
  });
});

describe('language resolution and fallback', () => {
  it.each([
    ['en', 'en', false],
    ['en-US', 'en', false],
    ['es-MX', 'es', false],
    ['ES', 'es', false],
    ['zh-Hant', 'zh-Hant', false],
    ['zh_TW', 'zh-Hant', false],
    ['zh-Hans-CN', 'zh-Hant', false],
    ['vi-VN', 'vi', false],
    ['ko', 'ko', false],
    ['fil', 'tl', false],
    ['tl-PH', 'tl', false],
    ['ja-JP', 'ja', false],
    ['hi-IN', 'hi', false],
    ['km', 'km', false],
    ['th-TH', 'th', false],
    ['hy', 'en', true],
    ['pa-IN', 'en', true],
    ['', 'en', true],
    [undefined, 'en', true],
    ['not a language tag!', 'en', true],
  ])('%s resolves to %s (fell back: %s)', (tag, language, fellBack) => {
    expect(resolveLanguage(tag)).toEqual({ language, fellBack });
  });

  it('sends a message missing from a catalog wholly in English, and says so', async () => {
    const real = (await import('../../messages/km.json', { with: { type: 'json' } })).default;
    const { received: _dropped, ...status } = real.status;
    vi.resetModules();
    vi.doMock('../../messages/km.json', () => ({ default: { ...real, status } }));
    const templates = await import('../../delivery/templates/index.js');

    const sms = templates.renderSms('status.received', 'km', VARS);
    expect(sms).toMatchObject({ language: 'en', fellBack: true });
    expect(sms.text).toBe(templates.renderSms('status.received', 'en', VARS).text);
    const email = templates.renderEmail('status.received', 'km', VARS);
    expect(email).toMatchObject({ language: 'en', fellBack: true });
    expect(email.html).toContain('<html lang="en">');
    // Messages the catalog still has stay in Khmer.
    expect(templates.renderSms('status.inbound', 'km', VARS)).toMatchObject({ language: 'km', fellBack: false });
  });
});
