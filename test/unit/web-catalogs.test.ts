import { describe, expect, it } from 'vitest';
import { BALLOT_STATUSES } from '../../domain/ballot-status.js';
import { LANGUAGES } from '../../delivery/templates/index.js';
import { WEB_CATALOGS, translate, translatePlural, type MessageKey } from '../../web/i18n.js';
import { problemMessage } from '../../web/forms.js';

const english = WEB_CATALOGS.en;
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('web page catalogs', () => {
  it.each(LANGUAGES)('%s has exactly the English keys, none empty', (lang) => {
    const catalog = WEB_CATALOGS[lang];
    expect(Object.keys(catalog).sort()).toEqual(Object.keys(english).sort());
    for (const [key, text] of Object.entries(catalog)) {
      expect(text.trim(), `${lang}: ${key}`).not.toBe('');
    }
  });

  it.each(LANGUAGES)('%s uses the same placeholders as English in every text', (lang) => {
    for (const [key, text] of Object.entries(WEB_CATALOGS[lang])) {
      expect(placeholders(text), `${lang}: ${key}`).toEqual(placeholders(english[key as MessageKey] ?? ''));
    }
  });

  it.each(LANGUAGES.filter((lang) => lang !== 'en'))('%s translates the page texts (not English copies)', (lang) => {
    const sample: MessageKey[] = ['signup.title', 'consent.text', 'manage.unsubscribe', 'ballot.received'];
    for (const key of sample) expect(WEB_CATALOGS[lang][key], `${lang}: ${key}`).not.toBe(english[key]);
  });

  it('names every ballot status in every language', () => {
    for (const lang of LANGUAGES) {
      for (const status of BALLOT_STATUSES) {
        expect(WEB_CATALOGS[lang][`ballot.${status}`], `${lang}: ${status}`).toBeTruthy();
      }
    }
  });

  it('has a message for every field problem code the voter service uses, and a fallback for others', () => {
    const codes = [
      'required',
      'invalid_date',
      'invalid_zip',
      'invalid_phone',
      'invalid_email',
      'invalid_time',
      'invalid_timezone',
      'unsupported_language',
      'no_contact',
      'invalid_channel',
      'invalid_code_format',
    ];
    for (const code of codes) {
      expect(problemMessage('en', 'zip', code), code).not.toBe(translate('en', 'problem.generic'));
    }
    expect(problemMessage('km', 'zip', 'something_new')).toBe(translate('km', 'problem.generic'));
    expect(problemMessage('es', 'consent', 'required')).toBe(WEB_CATALOGS.es['problem.consent_required']);
  });

  it('fills placeholders and picks plural forms by the language rules', () => {
    expect(translate('en', 'error.title', { title: 'Sign up' })).toBe('Error: Sign up');
    expect(translatePlural('en', 'verify.invalid_code', 1)).toBe('This code is not right. You have 1 more try.');
    expect(translatePlural('en', 'verify.invalid_code', 3)).toBe('This code is not right. You have 3 more tries.');
    expect(translatePlural('es', 'verify.invalid_code', 4)).toContain('4 intentos');
    expect(translatePlural('ja', 'verify.invalid_code', 1)).toContain('1回');
  });
});
