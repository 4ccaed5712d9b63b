import { describe, expect, it } from 'vitest';
import { acceptedLanguages, formatDateTime, negotiateLanguage, timeZoneLabel } from '../../web/i18n.js';
import { fieldIdFor, formErrors, preferencesPatch, signUpInput } from '../../web/forms.js';

describe('choosing the page language', () => {
  it('takes an explicit ?lang= first, including regional tags', () => {
    expect(negotiateLanguage('km', 'es')).toBe('km');
    expect(negotiateLanguage('zh-Hant', undefined)).toBe('zh-Hant');
    expect(negotiateLanguage('es-MX', 'en')).toBe('es');
  });

  it('falls back to the best Accept-Language entry we support, then English', () => {
    expect(negotiateLanguage(undefined, 'fr-CA,fr;q=0.9,vi;q=0.8,en;q=0.5')).toBe('vi');
    expect(negotiateLanguage('', 'zh-TW,zh;q=0.9')).toBe('zh-Hant');
    expect(negotiateLanguage('xx', 'de, fr')).toBe('en');
    expect(negotiateLanguage(undefined, undefined)).toBe('en');
  });

  it('orders Accept-Language by quality and drops q=0', () => {
    expect(acceptedLanguages('en;q=0.2, th, ko;q=0, ja;q=0.8')).toEqual(['th', 'ja', 'en']);
  });
});

describe('dates and zones in the page language', () => {
  it('shows an instant in the given zone and language', () => {
    const at = '2026-11-03T19:30:00Z';
    expect(formatDateTime('en', at, 'America/Los_Angeles')).toMatch(/November 3, 2026.*11:30/);
    expect(formatDateTime('en', at, 'America/New_York')).toMatch(/2:30/);
    expect(formatDateTime('th', at, 'America/Los_Angeles')).toContain('2026');
    expect(formatDateTime('es', at, 'Not/AZone')).toMatch(/noviembre/);
  });

  it('labels a zone with its localized generic name', () => {
    expect(timeZoneLabel('en', 'America/Los_Angeles')).toBe('Pacific Time (America/Los_Angeles)');
    expect(timeZoneLabel('en', 'Bad/Zone')).toBe('Bad/Zone');
  });
});

describe('form fields and the service input', () => {
  it('maps sign-up fields into the service shape, leaving blank contacts out', () => {
    const input = signUpInput(
      {
        firstName: 'Ana',
        lastName: 'Ruiz',
        dateOfBirth: '1970-01-02',
        zip: '95814',
        voterId: '',
        email: 'a@example.org',
        sms: '',
        voice: '',
        language: 'es',
        quietStart: '09:00',
        quietEnd: '20:00',
      },
      'en',
    );
    expect(input).toEqual({
      firstName: 'Ana',
      lastName: 'Ruiz',
      dateOfBirth: '1970-01-02',
      zip: '95814',
      contacts: { email: 'a@example.org' },
      language: 'es',
      quietHours: { start: '09:00', end: '20:00' },
    });
  });

  it('turns the manage form into a patch that never removes a contact by leaving it blank', () => {
    expect(
      preferencesPatch(
        {
          language: 'km',
          quietStart: '08:00',
          quietEnd: '21:00',
          timezone: '',
          email: '',
          sms: '+1 916 555 0100',
          voice: '',
        },
        ['voice'],
      ),
    ).toEqual({
      contacts: { sms: '+1 916 555 0100', voice: null },
      language: 'km',
      quietHours: { start: '08:00', end: '21:00' },
    });
  });

  it('places service problems on form fields and links the summary to them in form order', () => {
    expect(fieldIdFor('contacts.sms', ['sms'])).toBe('sms');
    expect(fieldIdFor('quietHours.end', ['quietEnd'])).toBe('quietEnd');
    expect(fieldIdFor('timezone', ['zip'])).toBeUndefined();
    const errors = formErrors(
      'en',
      {
        'contacts.sms': { code: 'invalid_phone', message: '' },
        firstName: { code: 'required', message: '' },
        body: { code: 'weird', message: '' },
      },
      ['firstName', 'sms'],
    );
    expect(errors.summary).toEqual([
      { fieldId: 'firstName', text: 'First name: Fill in this field.' },
      { fieldId: 'sms', text: 'Mobile number for text messages: Enter a US phone number, for example (916) 555-0123.' },
      { text: 'Check what you entered here.' },
    ]);
    expect(errors.byField.sms).toContain('US phone number');
  });
});
