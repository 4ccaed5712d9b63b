import { z } from 'zod';
import { LANGUAGES, isLanguage, type Language } from '../delivery/templates/index.js';
import type { Channel } from '../domain/notices.js';
import { DEFAULT_WINDOW } from '../domain/quiet-hours.js';
import { CONTACT_CHANNELS, type FieldProblems } from './contract.js';
import {
  isValidDate,
  isValidTime,
  isValidTimeZone,
  normalizeEmail,
  normalizeName,
  normalizePhone,
  normalizeZip,
} from './normalize.js';

/**
 * Request shapes of the voter service, shared by the JSON API and the web pages. Each field turns
 * into its normalised value or into a problem with a stable code (pages translate it) and an English
 * message (the API's). Blank optional fields count as absent: a form posts every input, filled or not.
 */

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** A string field checked (and normalised) by `check`; a failed check adds `{ code, message }`. */
function checked<T>(check: (raw: string) => T | undefined, code: string, message: string, maxLength = 200) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'This field is required.' : 'Expected a string.') })
    .max(maxLength, { message: `At most ${maxLength} characters.` })
    .transform((raw, ctx) => {
      const value = check(raw);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message, params: { code } });
        return z.NEVER;
      }
      return value;
    });
}

/** A check of the trimmed value: the trimmed value when `test` accepts it. */
const trimmedIf =
  (test: (value: string) => boolean) =>
  (raw: string): string | undefined => {
    const value = raw.trim();
    return test(value) ? value : undefined;
  };

const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

const name = (label: string) =>
  z.preprocess(
    blankToUndefined,
    checked((raw) => (normalizeName(raw) === '' ? undefined : raw.trim()), 'required', `${label} is required.`, 100),
  );

export const dateOfBirthField = checked(
  trimmedIf(isValidDate),
  'invalid_date',
  'Enter the date of birth as YYYY-MM-DD, a date that exists.',
  10,
).meta({ description: 'YYYY-MM-DD', examples: ['1961-04-17'] });

export const zipField = checked(
  normalizeZip,
  'invalid_zip',
  'Enter the 5-digit ZIP code of your registration address (ZIP+4 is fine).',
  10,
).meta({ description: '5 digits, or ZIP+4', examples: ['95814'] });

const phoneField = checked(
  normalizePhone,
  'invalid_phone',
  'Enter a valid US phone number (or of a US territory), e.g. (916) 555-0123.',
  40,
).meta({ description: 'A phone number; US when it has no country code. Stored as E.164.' });
const emailField = checked(normalizeEmail, 'invalid_email', 'Enter a valid email address.', 254);

const time = (allowEndOfDay: boolean) =>
  checked(
    trimmedIf((value) => isValidTime(value, allowEndOfDay)),
    'invalid_time',
    'Enter a time as HH:MM (24-hour clock).',
    5,
  );

export const quietHoursField = z.object({ start: time(false), end: time(true) }).meta({
  description: `Daily window (local time) in which notices may arrive; default ${DEFAULT_WINDOW.start}-${DEFAULT_WINDOW.end}.`,
});

export const timezoneField = checked(
  trimmedIf(isValidTimeZone),
  'invalid_timezone',
  'Choose a valid time zone, e.g. America/Los_Angeles.',
  64,
).meta({ description: 'IANA time zone; default: the county of registration', examples: ['America/Los_Angeles'] });

export const languageField = z
  .preprocess(
    blankToUndefined,
    checked(
      (raw): Language | undefined => (isLanguage(raw) ? raw : undefined),
      'unsupported_language',
      `Choose one of the languages ${LANGUAGES.join(', ')}.`,
      10,
    ),
  )
  .meta({ description: `One of ${LANGUAGES.join(', ')}` });

export const channelField = checked(
  (raw): Channel | undefined => ((CONTACT_CHANNELS as readonly string[]).includes(raw) ? (raw as Channel) : undefined),
  'invalid_channel',
  `Choose a channel: ${CONTACT_CHANNELS.join(', ')}.`,
  10,
).meta({ description: CONTACT_CHANNELS.join(' | ') });

const voterIdField = optional(
  z.string({ error: 'Expected a string.' }).trim().max(64, { message: 'At most 64 characters.' }),
).meta({ description: 'Only when asked for it (several voters matched)' });

export const identitySchema = z.object({
  firstName: name('First name'),
  lastName: name('Last name'),
  dateOfBirth: z.preprocess(blankToUndefined, dateOfBirthField),
  zip: z.preprocess(blankToUndefined, zipField),
  voterId: voterIdField,
});

const contactsSchema = z
  .object({ email: optional(emailField), sms: optional(phoneField), voice: optional(phoneField) })
  .meta({ description: 'At least one channel' });

/** The version of the consent text an API client showed the voter (the web form sends its own). */
const consentTextVersionField = optional(
  checked(
    (raw) => (/^[\w.-]{1,64}$/.test(raw.trim()) ? raw.trim() : undefined),
    'invalid_consent_version',
    'Give the consent text version as letters, digits, dots, dashes or underscores (at most 64).',
    100,
  ),
).meta({ description: 'Version of the consent text shown to the voter' });

export const signUpSchema = identitySchema.extend({
  contacts: contactsSchema,
  language: languageField,
  quietHours: optional(quietHoursField),
  timezone: optional(timezoneField),
  consentTextVersion: consentTextVersionField,
});

export const verifySchema = z.object({
  channel: z.preprocess(blankToUndefined, channelField),
  code: z.preprocess(
    (value) => (typeof value === 'string' ? value.replace(/\s+/g, '') : value),
    checked(
      (raw) => (/^\d{6}$/.test(raw) ? raw : undefined),
      'invalid_code_format',
      'Enter the 6-digit code from the message.',
      20,
    ),
  ),
});

export const resendSchema = z.object({ channel: z.preprocess(blankToUndefined, channelField) });

/** PATCH: each given key replaces that setting; a contact set to null (or blank) removes the channel. */
export const preferencesPatchSchema = z.object({
  contacts: z
    .object({
      email: z.preprocess(blankToUndefinedOrNull, emailField.nullable().optional()),
      sms: z.preprocess(blankToUndefinedOrNull, phoneField.nullable().optional()),
      voice: z.preprocess(blankToUndefinedOrNull, phoneField.nullable().optional()),
    })
    .optional(),
  language: optional(languageField),
  quietHours: optional(quietHoursField),
  timezone: optional(timezoneField),
  consentTextVersion: consentTextVersionField,
});

/** In a PATCH, a blank contact means "remove" (null); a key left out means "unchanged". */
function blankToUndefinedOrNull(value: unknown) {
  return typeof value === 'string' && value.trim() === '' ? null : value;
}

export type IdentityInput = z.output<typeof identitySchema>;
export type SignUpData = z.output<typeof signUpSchema>;
export type VerifyData = z.output<typeof verifySchema>;
export type PreferencesPatchData = z.output<typeof preferencesPatchSchema>;

export type Parsed<T> = { ok: true; data: T } | { ok: false; fields: FieldProblems };

const GENERIC: Record<string, string> = {
  invalid_type: 'Expected a different type here.',
  too_big: 'This value is too long.',
};

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** zod issues as field problems: the first problem of each path, keyed 'contacts.sms', 'quietHours.start'. */
export function toFieldProblems(error: z.ZodError, input: unknown): FieldProblems {
  const fields: FieldProblems = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.') || 'body';
    if (fields[path]) continue;
    const params = (issue as { params?: { code?: unknown } }).params;
    if (issue.code === 'custom' && typeof params?.code === 'string') {
      fields[path] = { code: params.code, message: issue.message };
      continue;
    }
    const raw = valueAt(input, issue.path);
    if (issue.code === 'invalid_type' && blankToUndefined(raw ?? undefined) === undefined) {
      fields[path] = { code: 'required', message: path === 'body' ? 'Send a JSON object.' : 'This field is required.' };
      continue;
    }
    fields[path] = {
      code: issue.code === 'too_big' ? 'too_long' : 'invalid',
      message: issue.message || GENERIC[issue.code] || 'This value is not valid.',
    };
  }
  return fields;
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const parsed = schema.safeParse(input);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, fields: toFieldProblems(parsed.error, input) };
}

export const parseIdentity = (input: unknown) => parseWith(identitySchema, input);
export const parseVerify = (input: unknown) => parseWith(verifySchema, input);
export const parseResend = (input: unknown) => parseWith(resendSchema, input);
export const parsePreferencesPatch = (input: unknown) => parseWith(preferencesPatchSchema, input);

/** Sign-up: the field checks, and at least one contact (reported together with any other problem). */
export function parseSignUp(input: unknown): Parsed<SignUpData> {
  const parsed = parseWith(signUpSchema, input);
  const contacts = valueAt(input, ['contacts']);
  const given =
    contacts !== null &&
    typeof contacts === 'object' &&
    CONTACT_CHANNELS.some((channel) => blankToUndefined((contacts as Record<string, unknown>)[channel]) !== undefined);
  if (given || input === null || typeof input !== 'object') return parsed;
  const fields = parsed.ok ? {} : parsed.fields;
  fields.contacts = {
    code: 'no_contact',
    message: 'Give at least one way to reach you: email, text message or voice call.',
  };
  return { ok: false, fields };
}

/** The name as matching compares it (exported for the identity hash). */
export { normalizeName };
