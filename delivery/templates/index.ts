/**
 * Voter-facing notice texts: SMS, email (subject, HTML, plain text) and voice scripts in the ten
 * notice languages. The words live in the translator-editable catalogs `messages/<lang>.json`
 * (see messages/README.md), loaded once at import into an i18next instance; everything here is pure.
 *
 * Rules the renderers enforce:
 * - The catalogs hold plain text only. Placeholders are `{{name}}`; the only names a message may use
 *   are those its key declares in MESSAGE_SPECS (an unknown one throws at render, and the tests
 *   render every key in every language).
 * - HTML: the whole text, catalog words and values alike, is escaped; URL values become links (only
 *   http/https, anything else stays escaped text).
 * - Reason codes are looked up in the catalog; an unknown code gets the generic text. Free text from
 *   a feed never reaches a voter.
 * - A message missing from a language is sent whole in English (never half and half), and the result
 *   says so (`fellBack`) for the log.
 * - SMS: `sms` may list alternatives, fullest first; the first that fits in MAX_SMS_SEGMENTS is sent.
 */
import i18next, { type ResourceKey, type TFunction } from 'i18next';
import en from '../../messages/en.json' with { type: 'json' };
import es from '../../messages/es.json' with { type: 'json' };
import zhHant from '../../messages/zh-Hant.json' with { type: 'json' };
import vi from '../../messages/vi.json' with { type: 'json' };
import ko from '../../messages/ko.json' with { type: 'json' };
import tl from '../../messages/tl.json' with { type: 'json' };
import ja from '../../messages/ja.json' with { type: 'json' };
import hi from '../../messages/hi.json' with { type: 'json' };
import km from '../../messages/km.json' with { type: 'json' };
import th from '../../messages/th.json' with { type: 'json' };
import {
  formatCalendarDate,
  formatDeadline,
  localCalendarDate,
  parseCalendarDate,
  type CalendarDate,
  type DateStyle,
  type Instant,
} from './dates.js';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from './languages.js';
import { MAX_SMS_SEGMENTS, smsSegments, type SmsSegments } from './sms-segments.js';
import { EVENT_TYPES, type EventType } from '../../domain/ballot-status.js';

export { LANGUAGES, DEFAULT_LANGUAGE, INTL_LOCALE, isLanguage, resolveLanguage } from './languages.js';
export type { Language, ResolvedLanguage } from './languages.js';
export { smsSegments, MAX_SMS_SEGMENTS, SMS_LIMITS } from './sms-segments.js';
export type { SmsEncoding, SmsSegments } from './sms-segments.js';
export { localCalendarDate } from './dates.js';
export type { CalendarDate, Instant } from './dates.js';

/** A parsed catalog file: nested objects whose leaves are strings or lists of strings. */
export type Catalog = Readonly<Record<string, unknown>>;

/** The raw catalogs, by language (for tests and tooling; render through the functions below). */
export const CATALOGS: Readonly<Record<Language, Catalog>> = {
  en,
  es,
  'zh-Hant': zhHant,
  vi,
  ko,
  tl,
  ja,
  hi,
  km,
  th,
};

// ---------------------------------------------------------------------------------------------
// Keys, channels and variables

export const CHALLENGE_REASONS = ['no_signature', 'signature_mismatch', 'more_information'] as const;
export type ChallengeReason = (typeof CHALLENGE_REASONS)[number];

export const REJECTION_REASONS = [
  'already_voted',
  'no_signature',
  'signature_mismatch',
  'ballot_missing',
  'voter_deceased',
  'received_late',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Always passed: every message names the county, and most say how to reach it. */
export interface CountyVars {
  countyName: string;
  countyPhone: string;
  countyUrl: string;
}

export interface CureVars {
  cureUrl: string;
  /** The instant the cure period ends, shown as wall time in `timeZone`. */
  cureDeadline: Instant;
  /** IANA zone of the county (e.g. America/Los_Angeles). */
  timeZone: string;
}

/** Variables each message needs beyond CountyVars. */
interface VarsByKey {
  'status.outbound': object;
  'status.outbound.with_delivery_date': { expectedDeliveryDate: CalendarDate };
  'status.undeliverable': object;
  'status.inbound': object;
  'status.received': object;
  /** `reason`: a ChallengeReason code; any other string gets the generic text. */
  'status.challenged': CureVars & { reason: ChallengeReason | (string & {}) };
  'status.cured': object;
  'status.accepted.will_be_counted': object;
  'status.accepted.was_counted': object;
  /** `reason`: a RejectionReason code; any other string gets the generic text. */
  'status.rejected': { reason: RejectionReason | (string & {}) };
  'status.voted_in_person': object;
  'status.superseded': object;
  'reminder.return': { electionDay: CalendarDate };
  'reminder.cure': CureVars;
  verification_code: { code: string };
  /**
   * Security alerts to the contacts already verified on a subscription: `maskedContact` is the
   * contact just confirmed, masked (voters/mask.ts: an email as 'j•••@e•••.org', a number as its
   * last 4 digits). SMS spells '•' as '*' (GSM-7); a call reads digits one by one.
   */
  'contact_added.email_address': { maskedContact: string };
  'contact_added.mobile_number': { maskedContact: string };
  'contact_added.phone_number': { maskedContact: string };
  /** To an address a manage-page change replaced or removed: it gets no more notices. */
  contact_removed: object;
  /**
   * To every verified, working contact once a subscription is unsubscribed (by the voter or by
   * whoever holds its manage link): no more notices follow. The email carries no manage link.
   */
  unsubscribed_confirmation: object;
  help_reply: object;
  unknown_reply: object;
  opted_out: object;
  opted_in: object;
}

export type MessageKey = keyof VarsByKey;
export type MessageVars<K extends MessageKey> = CountyVars & VarsByKey[K];
/** Email also needs the voter's manage/unsubscribe link for the footer. */
export type EmailVars<K extends MessageKey> = MessageVars<K> & { manageUrl: string };

export type Channel = 'sms' | 'email' | 'voice';

/** Variable names a catalog text may use (after the renderer has formatted them). */
type TemplateVar =
  | keyof CountyVars
  | 'manageUrl'
  | 'cureUrl'
  | 'cureDeadline'
  | 'expectedDeliveryDate'
  | 'electionDay'
  | 'code'
  | 'maskedContact'
  | 'reason';

interface MessageSpec {
  channels: readonly Channel[];
  vars: readonly TemplateVar[];
  reasons?: 'challenged' | 'rejected';
}

const ALL: readonly Channel[] = ['sms', 'email', 'voice'];
const SMS_ONLY: readonly Channel[] = ['sms'];
const CURE: readonly TemplateVar[] = ['cureUrl', 'cureDeadline'];

export const MESSAGE_SPECS: Readonly<Record<MessageKey, MessageSpec>> = {
  'status.outbound': { channels: ALL, vars: [] },
  'status.outbound.with_delivery_date': { channels: ALL, vars: ['expectedDeliveryDate'] },
  'status.undeliverable': { channels: ALL, vars: [] },
  'status.inbound': { channels: ALL, vars: [] },
  'status.received': { channels: ALL, vars: [] },
  'status.challenged': { channels: ALL, vars: [...CURE, 'reason'], reasons: 'challenged' },
  'status.cured': { channels: ALL, vars: [] },
  'status.accepted.will_be_counted': { channels: ALL, vars: [] },
  'status.accepted.was_counted': { channels: ALL, vars: [] },
  'status.rejected': { channels: ALL, vars: ['reason'], reasons: 'rejected' },
  'status.voted_in_person': { channels: ALL, vars: [] },
  'status.superseded': { channels: ALL, vars: [] },
  'reminder.return': { channels: ALL, vars: ['electionDay'] },
  'reminder.cure': { channels: ALL, vars: CURE },
  verification_code: { channels: ALL, vars: ['code'] },
  'contact_added.email_address': { channels: ALL, vars: ['maskedContact'] },
  'contact_added.mobile_number': { channels: ALL, vars: ['maskedContact'] },
  'contact_added.phone_number': { channels: ALL, vars: ['maskedContact'] },
  contact_removed: { channels: ALL, vars: [] },
  unsubscribed_confirmation: { channels: ALL, vars: [] },
  help_reply: { channels: SMS_ONLY, vars: [] },
  unknown_reply: { channels: SMS_ONLY, vars: [] },
  opted_out: { channels: SMS_ONLY, vars: [] },
  opted_in: { channels: SMS_ONLY, vars: [] },
};

export const MESSAGE_KEYS = Object.keys(MESSAGE_SPECS) as MessageKey[];
export type EmailKey = Exclude<MessageKey, 'help_reply' | 'unknown_reply' | 'opted_out' | 'opted_in'>;
export type VoiceKey = EmailKey;
export const EMAIL_KEYS = MESSAGE_KEYS.filter((k) => MESSAGE_SPECS[k].channels.includes('email')) as EmailKey[];
export const VOICE_KEYS = EMAIL_KEYS as readonly VoiceKey[];

/** Variables every text may use: the county is named in every message. */
const COUNTY_VARS: readonly TemplateVar[] = ['countyName', 'countyPhone', 'countyUrl'];

/** The names a catalog text for `key` on `channel` may use (for tests and translator tooling). */
export function allowedVariables(key: MessageKey, channel: Channel): readonly string[] {
  return [...COUNTY_VARS, ...MESSAGE_SPECS[key].vars, ...(channel === 'email' ? ['manageUrl'] : [])];
}

/** Catalog paths of the parts a message has on a channel (email footer is shared: `common.email.footer`). */
export function catalogParts(key: MessageKey, channel: Channel): string[] {
  if (!MESSAGE_SPECS[key].channels.includes(channel)) return [];
  if (channel === 'email') return [`${key}.email.subject`, `${key}.email.body`];
  return [`${key}.${channel}`];
}

// ---------------------------------------------------------------------------------------------
// i18next: one private instance, resources from the JSON files, no backend, initialised synchronously.

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(LANGUAGES.map((lang) => [lang, { translation: CATALOGS[lang] as ResourceKey }])),
  lng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGES],
  load: 'currentOnly', // 'zh-Hant' must not be looked up as 'zh'
  fallbackLng: false, // fallback is decided per message, below, so a message is never half English
  initAsync: false,
  nsSeparator: false,
  returnNull: false,
  returnEmptyString: false,
  interpolation: {
    escapeValue: false, // values are sentinels here; each channel escapes for itself
  },
  missingInterpolationHandler: (text: string, match: RegExpExecArray) => {
    throw new Error(`Catalog text uses an unknown placeholder ${match[0]}: "${text}"`);
  },
});

const fixedT = new Map<Language, TFunction>(LANGUAGES.map((lang) => [lang, i18n.getFixedT(lang)]));

function tFor(lang: Language): TFunction {
  return fixedT.get(lang) as TFunction;
}

/** Whether the catalog of `lang` has a non-empty string (or non-empty array of strings) at `path`. */
export function hasText(lang: Language, path: string): boolean {
  const value: unknown = i18n.getResource(lang, 'translation', path);
  if (typeof value === 'string') return value.trim() !== '';
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.trim() !== '');
}

function requiredPaths(key: MessageKey, channel: Channel): string[] {
  const paths = catalogParts(key, channel);
  if (channel === 'email') paths.push('common.email.footer');
  const kind = MESSAGE_SPECS[key].reasons;
  if (kind) {
    const codes = kind === 'challenged' ? CHALLENGE_REASONS : REJECTION_REASONS;
    paths.push(...[...codes, 'other'].map((code) => `reason.${kind}.${code}`));
  }
  return paths;
}

/** The language a message is rendered in: `lang` when its catalog has every part, else English. */
function effectiveLanguage(key: MessageKey, channel: Channel, lang: Language): Language {
  if (!MESSAGE_SPECS[key].channels.includes(channel)) {
    throw new Error(`Message ${key} has no ${channel} version`);
  }
  return requiredPaths(key, channel).every((p) => hasText(lang, p)) ? lang : DEFAULT_LANGUAGE;
}

// ---------------------------------------------------------------------------------------------
// Interpolation through sentinels: i18next fills each placeholder with a marker, and each channel
// then replaces the markers with its own rendering of the value (escaped and linked for HTML).

const OPEN = '\uE000';
const CLOSE = '\uE001';

function markers(key: MessageKey, channel: Channel): Record<string, string> {
  return Object.fromEntries(allowedVariables(key, channel).map((name) => [name, `${OPEN}${name}${CLOSE}`]));
}

function lookupText(lang: Language, path: string, key: MessageKey, channel: Channel): string {
  const out: unknown = tFor(lang)(path, { ...markers(key, channel) });
  if (typeof out !== 'string') throw new Error(`Catalog ${lang}: ${path} is not a string`);
  return out;
}

function lookupList(lang: Language, path: string, key: MessageKey, channel: Channel): string[] {
  const out: unknown = tFor(lang)(path, { ...markers(key, channel), returnObjects: true });
  if (typeof out === 'string') return [out];
  if (!Array.isArray(out) || !out.every((s) => typeof s === 'string')) {
    throw new Error(`Catalog ${lang}: ${path} is not a string or a list of strings`);
  }
  return out as string[];
}

type Values = Partial<Record<TemplateVar, string>>;

/** A value ending in a period ("5:00 p.m.") before a template period gives one period, not two. */
const MARKER_AND_PERIOD = /\uE000([A-Za-z]+)\uE001(\.?)/g;

function fill(template: string, values: Values, render: (name: string, value: string) => string): string {
  return template.replace(MARKER_AND_PERIOD, (_, name: string, period: string) => {
    const value = values[name as TemplateVar];
    if (value === undefined) throw new Error(`Missing value for {{${name}}}`);
    return render(name, value) + (period && value.endsWith('.') ? '' : period);
  });
}

function fillPlain(template: string, values: Values): string {
  return fill(template, values, (_, value) => value);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

const URL_VARS = new Set<string>(['countyUrl', 'cureUrl', 'manageUrl']);

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function fillHtml(template: string, values: Values): string {
  return fill(escapeHtml(template), values, (name, value) => {
    const escaped = escapeHtml(value);
    return URL_VARS.has(name) && isWebUrl(value) ? `<a href="${escaped}">${escaped}</a>` : escaped;
  });
}

// ---------------------------------------------------------------------------------------------
// Values per channel

type AnyVars = CountyVars & {
  manageUrl?: string;
  cureUrl?: string;
  cureDeadline?: Instant;
  timeZone?: string;
  expectedDeliveryDate?: CalendarDate;
  electionDay?: CalendarDate;
  code?: string;
  maskedContact?: string;
  reason?: string;
};

function requireString(vars: AnyVars, name: keyof AnyVars, key: MessageKey): string {
  const value = vars[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`Message ${key} needs a non-empty "${name}"`);
  }
  return value;
}

function reasonText(lang: Language, kind: 'challenged' | 'rejected', code: string): string {
  const known: readonly string[] = kind === 'challenged' ? CHALLENGE_REASONS : REJECTION_REASONS;
  const path = `reason.${kind}.${known.includes(code) ? code : 'other'}`;
  return String(tFor(lang)(path));
}

/** Read aloud without "h t t p s colon slash slash". */
function spokenUrl(url: string): string {
  return url.replace(/^https?:\/\//i, '').replace(/\/$/, '');
}

function valuesFor(key: MessageKey, lang: Language, channel: Channel, vars: AnyVars): Values {
  const spec = MESSAGE_SPECS[key];
  const dateStyle: DateStyle = channel === 'sms' ? 'compact' : 'long';
  const values: Values = {
    countyName: requireString(vars, 'countyName', key),
    countyPhone: requireString(vars, 'countyPhone', key),
    countyUrl: requireString(vars, 'countyUrl', key),
  };
  if (channel === 'email') values.manageUrl = requireString(vars, 'manageUrl', key);
  for (const name of spec.vars) {
    switch (name) {
      case 'cureUrl':
        values.cureUrl = requireString(vars, 'cureUrl', key);
        break;
      case 'cureDeadline': {
        if (vars.cureDeadline === undefined) throw new TypeError(`Message ${key} needs "cureDeadline"`);
        const timeZone = requireString(vars, 'timeZone', key);
        values.cureDeadline = formatDeadline(vars.cureDeadline, timeZone, lang, dateStyle);
        break;
      }
      case 'expectedDeliveryDate':
        values.expectedDeliveryDate = formatCalendarDate(
          requireString(vars, 'expectedDeliveryDate', key),
          lang,
          dateStyle,
        );
        break;
      case 'electionDay':
        values.electionDay = formatCalendarDate(requireString(vars, 'electionDay', key), lang, dateStyle);
        break;
      case 'code': {
        const code = requireString(vars, 'code', key);
        // Digits read one by one, with a pause between them.
        values.code =
          channel === 'voice' ? Array.from(code).join(lang === 'ja' || lang === 'zh-Hant' ? '、' : ', ') : code;
        break;
      }
      case 'maskedContact': {
        const masked = requireString(vars, 'maskedContact', key);
        // '•' is not GSM-7: one would make a whole text UCS-2. Digits are read one by one.
        if (channel === 'sms') values.maskedContact = masked.replace(/\u2022/g, '*');
        else if (channel === 'voice' && /^\d+$/.test(masked))
          values.maskedContact = Array.from(masked).join(lang === 'ja' || lang === 'zh-Hant' ? '、' : ', ');
        else values.maskedContact = masked;
        break;
      }
      case 'reason':
        values.reason = reasonText(lang, spec.reasons ?? 'rejected', String(vars.reason ?? ''));
        break;
      default:
        break;
    }
  }
  if (channel === 'voice') {
    for (const name of URL_VARS) {
      const value = values[name as TemplateVar];
      if (value !== undefined) values[name as TemplateVar] = spokenUrl(value);
    }
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Renderers

interface Rendered {
  /** The language actually used. */
  language: Language;
  /** True when the message was missing from the requested language's catalog and English was used. */
  fellBack: boolean;
}

export interface RenderedSms extends Rendered, SmsSegments {
  text: string;
  /** Index of the catalog alternative sent (0 = the fullest). */
  alternative: number;
}

export interface RenderedEmail extends Rendered {
  subject: string;
  html: string;
  text: string;
}

export interface RenderedVoice extends Rendered {
  /** Plain text for text-to-speech (e.g. TwiML <Say>). */
  text: string;
}

/** Every SMS alternative of a message, rendered, fullest first (renderSms sends the first that fits). */
export function renderSmsAlternatives<K extends MessageKey>(
  key: K,
  lang: Language,
  vars: MessageVars<K>,
): Array<{ text: string } & SmsSegments> {
  const language = effectiveLanguage(key, 'sms', lang);
  const values = valuesFor(key, language, 'sms', vars as AnyVars);
  return lookupList(language, `${key}.sms`, key, 'sms').map((template) => {
    const text = fillPlain(template, values);
    return { text, ...smsSegments(text) };
  });
}

export function renderSms<K extends MessageKey>(key: K, lang: Language, vars: MessageVars<K>): RenderedSms {
  const language = effectiveLanguage(key, 'sms', lang);
  const alternatives = renderSmsAlternatives(key, language, vars);
  let index = alternatives.findIndex((a) => a.segments <= MAX_SMS_SEGMENTS);
  if (index < 0) index = alternatives.length - 1; // too long even at its shortest: send the shortest
  const chosen = alternatives[index] as { text: string } & SmsSegments;
  return { ...chosen, alternative: index, language, fellBack: language !== lang };
}

export function renderEmail<K extends EmailKey>(key: K, lang: Language, vars: EmailVars<K>): RenderedEmail {
  const language = effectiveLanguage(key, 'email', lang);
  const values = valuesFor(key, language, 'email', vars as AnyVars);
  const subjectTemplate = lookupText(language, `${key}.email.subject`, key, 'email');
  const body = lookupList(language, `${key}.email.body`, key, 'email');
  const footer = lookupList(language, 'common.email.footer', key, 'email');

  const subject = fillPlain(subjectTemplate, values).replace(/\s+/g, ' ').trim();
  const text = [...body.map((p) => fillPlain(p, values)), '--', ...footer.map((p) => fillPlain(p, values))].join(
    '\n\n',
  );
  const html = [
    '<!DOCTYPE html>',
    `<html lang="${language}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    '</head>',
    '<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;">',
    ...body.map((p) => `<p>${fillHtml(p, values)}</p>`),
    '<hr style="border:none;border-top:1px solid #ccc;margin:24px 0;">',
    ...footer.map((p) => `<p style="font-size:13px;color:#555;">${fillHtml(p, values)}</p>`),
    '</body>',
    '</html>',
  ].join('\n');
  return { subject, html, text, language, fellBack: language !== lang };
}

export function renderVoice<K extends VoiceKey>(key: K, lang: Language, vars: MessageVars<K>): RenderedVoice {
  const language = effectiveLanguage(key, 'voice', lang);
  const values = valuesFor(key, language, 'voice', vars as AnyVars);
  const text = fillPlain(lookupText(language, `${key}.voice`, key, 'voice'), values);
  return { text, language, fellBack: language !== lang };
}

// ---------------------------------------------------------------------------------------------
// Which message a status change gets

/** Every status a vendor can report is one a voter hears about. */
export const NOTICE_STATUSES = EVENT_TYPES;
export type NoticeStatus = EventType;

export interface StatusMessageContext {
  /** When the notice is actually sent (after any quiet-hours wait), epoch ms. */
  sendAt: number;
  /** 'YYYY-MM-DD' in the election's own zone. */
  electionDay: CalendarDate;
  /** IANA zone of the election (the county's). */
  electionTimeZone: string;
  /** Whether an expected delivery date is known for an outbound ballot. */
  hasExpectedDeliveryDate?: boolean;
}

/**
 * The message for a status notice. An accepted ballot "will be counted" until the end of the day
 * before Election Day and "was counted" from 00:00 on Election Day in the election's time zone.
 * Decide at send time: a notice that waited overnight for quiet hours may cross the boundary.
 */
export function selectStatusMessage(status: NoticeStatus, ctx: StatusMessageContext): MessageKey {
  switch (status) {
    case 'outbound':
      return ctx.hasExpectedDeliveryDate ? 'status.outbound.with_delivery_date' : 'status.outbound';
    case 'accepted': {
      parseCalendarDate(ctx.electionDay); // validates
      const today = localCalendarDate(ctx.sendAt, ctx.electionTimeZone);
      return today >= ctx.electionDay ? 'status.accepted.was_counted' : 'status.accepted.will_be_counted';
    }
    case 'undeliverable':
    case 'inbound':
    case 'received':
    case 'challenged':
    case 'cured':
    case 'rejected':
    case 'voted_in_person':
    case 'superseded':
      return `status.${status}`;
    default: {
      const unknown: never = status;
      throw new Error(`No notice for status ${String(unknown)}`);
    }
  }
}
