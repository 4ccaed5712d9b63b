import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../domain/notices.js';
import { CONTACT_CHANNELS } from '../../voters/contract.js';
import { parsePreferencesPatch, parseSignUp, parseVerify } from '../../voters/schemas.js';

const valid = {
  firstName: 'José',
  lastName: 'García López',
  dateOfBirth: '1980-02-29',
  zip: '95814-1234',
  contacts: { sms: '(916) 555-0123', email: 'Ana@Example.ORG' },
  language: 'es',
};

describe('sign-up fields', () => {
  it('normalises contacts and the ZIP, and drops blank optional fields', () => {
    const parsed = parseSignUp({ ...valid, voterId: '', timezone: ' ', contacts: { ...valid.contacts, voice: '' } });
    expect(parsed).toEqual({
      ok: true,
      data: {
        firstName: 'José',
        lastName: 'García López',
        dateOfBirth: '1980-02-29',
        zip: '95814',
        contacts: { sms: '+19165550123', email: 'Ana@example.org' },
        language: 'es',
      },
    });
  });

  it('names each bad field with a stable code and a message', () => {
    const parsed = parseSignUp({
      firstName: ' ',
      dateOfBirth: '2023-02-29',
      zip: '9581',
      contacts: { sms: '555-0123', email: 'nope', voice: 42 },
      language: 'fr',
      quietHours: { start: '25:00', end: '21:00' },
      timezone: 'PST',
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const codes = Object.fromEntries(Object.entries(parsed.fields).map(([path, problem]) => [path, problem.code]));
    expect(codes).toEqual({
      firstName: 'required',
      lastName: 'required',
      dateOfBirth: 'invalid_date',
      zip: 'invalid_zip',
      'contacts.sms': 'invalid_phone',
      'contacts.email': 'invalid_email',
      'contacts.voice': 'invalid',
      language: 'unsupported_language',
      'quietHours.start': 'invalid_time',
      timezone: 'invalid_timezone',
    });
    for (const problem of Object.values(parsed.fields)) expect(problem.message.length).toBeGreaterThan(5);
  });

  it('asks for at least one contact', () => {
    for (const contacts of [undefined, {}, { email: '', sms: ' ' }]) {
      const parsed = parseSignUp({ ...valid, contacts });
      expect(parsed).toMatchObject({ ok: false, fields: { contacts: { code: 'no_contact' } } });
    }
  });
});

describe('verification and preference changes', () => {
  it('accepts a 6-digit code (spaces ignored) on a known channel', () => {
    expect(parseVerify({ channel: 'sms', code: '012 345' })).toEqual({
      ok: true,
      data: { channel: 'sms', code: '012345' },
    });
    expect(parseVerify({ channel: 'fax', code: '12345' })).toMatchObject({
      ok: false,
      fields: { channel: { code: 'invalid_channel' }, code: { code: 'invalid_code_format' } },
    });
  });

  it('reads a blank or null contact in a PATCH as "remove", a missing one as "unchanged"', () => {
    expect(parsePreferencesPatch({ contacts: { sms: null, email: '' }, language: 'ko' })).toEqual({
      ok: true,
      data: { contacts: { sms: null, email: null }, language: 'ko' },
    });
    expect(parsePreferencesPatch({ quietHours: { start: '09:00', end: '24:00' } })).toMatchObject({ ok: true });
    expect(parsePreferencesPatch({ timezone: 'Nowhere/Land' })).toMatchObject({
      ok: false,
      fields: { timezone: { code: 'invalid_timezone' } },
    });
  });
});

describe('the channels voters see', () => {
  it('are every notice channel, each once, email first', () => {
    expect([...CONTACT_CHANNELS].sort()).toEqual([...CHANNELS].sort());
    expect(new Set(CONTACT_CHANNELS).size).toBe(CONTACT_CHANNELS.length);
    expect(CONTACT_CHANNELS[0]).toBe('email');
  });
});
