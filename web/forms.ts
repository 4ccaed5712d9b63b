/**
 * Pure mapping between the HTML forms and the voter service: form bodies into the service's input
 * shapes, and the service's field problems back onto form fields with translated messages.
 */
import type { Channel } from '../domain/notices.js';
import { CONTACT_CHANNELS, type FieldProblems } from '../voters/contract.js';
import { WEB_CATALOGS, translate, translatePlural, type Language, type MessageKey } from './i18n.js';
import type { SummaryItem } from './views/components.js';

export type FormBody = Readonly<Record<string, unknown>>;

/** One field of an urlencoded body: the first value when repeated, '' when absent. */
export function formValue(body: FormBody | undefined, name: string): string {
  const raw = body?.[name];
  const value: unknown = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' ? value.trim() : '';
}

export const IDENTITY_FIELDS = ['firstName', 'lastName', 'dateOfBirth', 'zip', 'voterId'] as const;
export const SIGNUP_FIELDS = [
  ...IDENTITY_FIELDS,
  'email',
  'sms',
  'voice',
  'language',
  'quietStart',
  'quietEnd',
  'consent',
] as const;
export const MANAGE_FIELDS = ['language', 'timezone', 'quietStart', 'quietEnd', 'email', 'sms', 'voice'] as const;

export type FormValues = Readonly<Record<string, string>>;

export function readForm(body: FormBody | undefined, names: readonly string[]): FormValues {
  return Object.fromEntries(names.map((name) => [name, formValue(body, name)]));
}

/** The lookup facts; blank optional fields are left for the service to treat as absent. */
export function identityInput(values: FormValues) {
  return {
    firstName: values.firstName ?? '',
    lastName: values.lastName ?? '',
    dateOfBirth: values.dateOfBirth ?? '',
    zip: values.zip ?? '',
    ...(values.voterId ? { voterId: values.voterId } : {}),
  };
}

function filledContacts(values: FormValues): Partial<Record<Channel, string>> {
  const contacts: Partial<Record<Channel, string>> = {};
  for (const channel of CONTACT_CHANNELS) {
    const value = values[channel];
    if (value) contacts[channel] = value;
  }
  return contacts;
}

function quietHours(values: FormValues): { start: string; end: string } | undefined {
  const start = values.quietStart ?? '';
  const end = values.quietEnd ?? '';
  return start === '' && end === '' ? undefined : { start, end };
}

export function signUpInput(values: FormValues, pageLanguage: Language) {
  const hours = quietHours(values);
  return {
    ...identityInput(values),
    contacts: filledContacts(values),
    language: values.language || pageLanguage,
    ...(hours ? { quietHours: hours } : {}),
  };
}

/**
 * The manage form as a PATCH: a filled contact replaces that channel, a ticked `remove_<channel>`
 * removes it, an empty one is left out (the service reads a blank contact as "remove").
 */
export function preferencesPatch(values: FormValues, removals: readonly Channel[]) {
  const contacts: Partial<Record<Channel, string | null>> = { ...filledContacts(values) };
  for (const channel of removals) if (contacts[channel] === undefined) contacts[channel] = null;
  const hours = quietHours(values);
  return {
    ...(Object.keys(contacts).length > 0 ? { contacts } : {}),
    ...(values.language ? { language: values.language } : {}),
    ...(hours ? { quietHours: hours } : {}),
    ...(values.timezone ? { timezone: values.timezone } : {}),
  };
}

export function removedChannels(body: FormBody | undefined): Channel[] {
  return CONTACT_CHANNELS.filter((channel) => formValue(body, `remove_${channel}`) !== '');
}

const FIELD_ID_BY_PATH: Readonly<Record<string, string>> = {
  'contacts.email': 'email',
  'contacts.sms': 'sms',
  'contacts.voice': 'voice',
  contacts: 'email',
  quietHours: 'quietStart',
  'quietHours.start': 'quietStart',
  'quietHours.end': 'quietEnd',
};

/** The form field a service problem belongs to, when the form has it. */
export function fieldIdFor(path: string, formFields: readonly string[]): string | undefined {
  const id = FIELD_ID_BY_PATH[path] ?? path;
  return formFields.includes(id) ? id : undefined;
}

/** A problem code in the page language; a code the catalogs have no text for gets the generic one. */
export function problemMessage(lang: Language, fieldId: string | undefined, code: string): string {
  if (fieldId === 'consent' && code === 'required') return translate(lang, 'problem.consent_required');
  const key = `problem.${code}`;
  return translate(lang, (key in WEB_CATALOGS.en ? key : 'problem.generic') as MessageKey);
}

export function fieldLabel(lang: Language, fieldId: string): string {
  return translate(lang, `field.${fieldId}` as MessageKey);
}

/** Errors by field id (inline messages) and the summary lines, in the form's field order. */
export interface FormErrors {
  byField: Readonly<Record<string, string>>;
  summary: SummaryItem[];
}

export function formErrors(lang: Language, problems: FieldProblems, formFields: readonly string[]): FormErrors {
  const byField: Record<string, string> = {};
  const unplaced: SummaryItem[] = [];
  for (const [path, problem] of Object.entries(problems)) {
    const id = fieldIdFor(path, formFields);
    const message = problemMessage(lang, id, problem.code);
    if (id === undefined) unplaced.push({ text: message });
    else byField[id] ??= message;
  }
  return { byField, summary: [...summaryFor(lang, byField, formFields), ...unplaced] };
}

/** Summary lines "Label: message", each linking to its field, in form order. */
export function summaryFor(
  lang: Language,
  byField: Readonly<Record<string, string>>,
  formFields: readonly string[],
): SummaryItem[] {
  return formFields
    .filter((id) => byField[id] !== undefined)
    .map((id) => ({
      fieldId: id,
      text: translate(lang, 'error.summary_item', { field: fieldLabel(lang, id), problem: byField[id] ?? '' }),
    }));
}

export function verifyCodeField(channel: Channel): string {
  return `code_${channel}`;
}

export function invalidCodeMessage(lang: Language, attemptsRemaining: number): string {
  return translatePlural(lang, 'verify.invalid_code', attemptsRemaining);
}

export const NO_ERRORS: FormErrors = { byField: {}, summary: [] };
