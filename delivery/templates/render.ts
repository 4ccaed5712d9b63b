/**
 * Rendering: a message's catalog text in the chosen language (./select.ts) with its values filled
 * in, per channel. The rules:
 *
 * - The catalogs hold plain text only. Placeholders are `{{name}}`; the only names a message may use
 *   are those its key declares in MESSAGE_SPECS (an unknown one throws at render, and the tests
 *   render every key in every language).
 * - HTML: the whole text, catalog words and values alike, is escaped; URL values become links (only
 *   http/https, anything else stays escaped text).
 * - Reason codes are looked up in the catalog (or the county's own text for the code, `overrides`);
 *   an unknown code gets the generic text. Free text from a feed never reaches a voter.
 * - Optional values (MESSAGE_SPECS `optional`, e.g. the county's deadline rule) may be empty: the
 *   text closes up around them, and an email paragraph that held only such a value is dropped.
 * - Ballot notices may name the voter's initial (`voterInitial`: after the county name in an SMS,
 *   the first paragraph of an email, the last sentence of a call), and an SMS may end with the
 *   opt-out hint (`optOutHint`: the first notice to a number, and monthly after; CTIA).
 * - A message missing from a language is sent whole in English (never half and half), and the result
 *   says so (`fellBack`) for the log.
 * - SMS: `sms` may list alternatives, fullest first; the first that fits in MAX_SMS_SEGMENTS is sent.
 */
import type { Channel } from '../../domain/notices.js';
import { formatCalendarDate, formatDeadline, type CalendarDate, type DateStyle, type Instant } from './dates.js';
import { catalogList, catalogText, cureInstructionsText, cureRuleText, reasonText } from './i18n.js';
import type { Language } from './languages.js';
import { chosenSmsAlternative, effectiveLanguage } from './select.js';
import { MAX_SMS_SEGMENTS, smsSegments, type SmsSegments } from './sms-segments.js';
import {
  MESSAGE_SPECS,
  SHARED_TEXTS,
  allowedVariables,
  type CountyVars,
  type EmailKey,
  type EmailVars,
  type MessageKey,
  type MessageVars,
  type TemplateVar,
  type VoiceKey,
} from './spec.js';

// ---------------------------------------------------------------------------------------------
// Interpolation through sentinels: i18next fills each placeholder with a marker, and each channel
// then replaces the markers with its own rendering of the value (escaped and linked for HTML).

const OPEN = '\uE000';
const CLOSE = '\uE001';

function markers(key: MessageKey, channel: Channel): Record<string, string> {
  return markersFor(allowedVariables(key, channel));
}

function markersFor(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, `${OPEN}${name}${CLOSE}`]));
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

/** Closes up the space an empty optional value left ("possible.  Thank" → "possible. Thank"). */
function closeUp(text: string): string {
  return text.replace(/ {2,}/g, ' ').trim();
}

function fillPlain(template: string, values: Values): string {
  return closeUp(fill(template, values, (_, value) => value));
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
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
  return closeUp(
    fill(escapeHtml(template), values, (name, value) => {
      const escaped = escapeHtml(value);
      return URL_VARS.has(name) && isWebUrl(value) ? `<a href="${escaped}">${escaped}</a>` : escaped;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Values per channel

type AnyVars = CountyVars & {
  manageUrl?: string;
  cureUrl?: string;
  cureDeadline?: Instant;
  cureDeadlineRule?: string;
  timeZone?: string;
  expectedDeliveryDate?: CalendarDate;
  electionDay?: CalendarDate;
  code?: string;
  maskedContact?: string;
  reason?: string;
  voterInitial?: string;
  overrides?: Readonly<Record<string, string>>;
};

function requireString(vars: AnyVars, name: keyof AnyVars, key: MessageKey): string {
  const value = vars[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`Message ${key} needs a non-empty "${name}"`);
  }
  return value;
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
      case 'reason': {
        const kind = spec.reasons ?? 'rejected';
        values.reason = reasonText(lang, kind, String(vars.reason ?? ''), vars.overrides);
        break;
      }
      case 'cureInstructions':
        values.cureInstructions = cureInstructionsText(lang, String(vars.reason ?? ''), vars.overrides);
        break;
      case 'cureDeadlineRule':
        values.cureDeadlineRule = cureRuleText(lang, vars.cureDeadlineRule, vars.overrides) ?? '';
        break;
      default:
        break;
    }
  }
  if (spec.ballotNotice && typeof vars.voterInitial === 'string' && vars.voterInitial.trim() !== '') {
    values.voterInitial = vars.voterInitial.trim();
  }
  for (const name of spec.vars) {
    if (values[name] === '' && !spec.optional?.includes(name)) {
      throw new TypeError(`Message ${key} needs a non-empty "${name}"`);
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
  /** Whether the text carries the opt-out hint (asked for, and it fitted): the sender records it only then. */
  optOutHint: boolean;
  /** Whether the text names the voter's initial (asked for, and it fitted). */
  voterTag: boolean;
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

/** How a ballot notice's SMS ends. */
export interface SmsOptions {
  /** Append "Reply STOP to opt out" (the first notice to a number, and monthly after). */
  optOutHint?: boolean | undefined;
  /** Leave out the voter's initial even when `voterInitial` is given (the renderer's fallback). */
  withoutVoterTag?: boolean | undefined;
}

const COUNTY_MARKER = `${OPEN}countyName${CLOSE}`;

/**
 * The SMS template with the voter's tag after the leading county name (every notice SMS starts with
 * it; a catalog test checks) and the opt-out hint at the end, when they apply.
 */
function smsTemplate(key: MessageKey, language: Language, template: string, values: Values, options: SmsOptions) {
  let text = template;
  if (values.voterInitial !== undefined && MESSAGE_SPECS[key].ballotNotice && !options.withoutVoterTag) {
    const tag = catalogText(language, SHARED_TEXTS.smsVoterTag, markersFor(['voterInitial']));
    text = text.startsWith(COUNTY_MARKER)
      ? `${COUNTY_MARKER}${tag}${text.slice(COUNTY_MARKER.length)}`
      : `${text} ${tag.trim()}`;
  }
  if (options.optOutHint && MESSAGE_SPECS[key].ballotNotice) {
    text = `${text} ${catalogText(language, SHARED_TEXTS.smsOptOutHint, {})}`;
  }
  return text;
}

/** Every SMS alternative of a message, rendered, fullest first (renderSms sends the first that fits). */
export function renderSmsAlternatives<K extends MessageKey>(
  key: K,
  lang: Language,
  vars: MessageVars<K>,
  options: SmsOptions = {},
): Array<{ text: string } & SmsSegments> {
  const language = effectiveLanguage(key, 'sms', lang);
  const values = valuesFor(key, language, 'sms', vars);
  return catalogList(language, `${key}.sms`, markers(key, 'sms')).map((template) => {
    const text = fillPlain(smsTemplate(key, language, template, values, options), values);
    return { text, ...smsSegments(text) };
  });
}

/**
 * The SMS to send: the fullest alternative that fits with what was asked for (the voter's initial,
 * the opt-out hint). When no alternative fits with both, the initial is left out first (the hint
 * is a CTIA duty), then the hint (the result says so, and the sender asks for it again next time).
 */
export function renderSms<K extends MessageKey>(
  key: K,
  lang: Language,
  vars: MessageVars<K>,
  options: SmsOptions = {},
): RenderedSms {
  const language = effectiveLanguage(key, 'sms', lang);
  const initial = (vars as AnyVars).voterInitial;
  const tagAsked = MESSAGE_SPECS[key].ballotNotice === true && typeof initial === 'string' && initial.trim() !== '';
  const hintAsked = MESSAGE_SPECS[key].ballotNotice === true && options.optOutHint === true;
  const attempts: Array<{ voterTag: boolean; optOutHint: boolean }> = [
    { voterTag: tagAsked, optOutHint: hintAsked },
    ...(tagAsked ? [{ voterTag: false, optOutHint: hintAsked }] : []),
    ...(hintAsked ? [{ voterTag: false, optOutHint: false }] : []),
  ];
  for (const [n, attempt] of attempts.entries()) {
    const alternatives = renderSmsAlternatives(key, language, vars, {
      optOutHint: attempt.optOutHint,
      withoutVoterTag: !attempt.voterTag,
    });
    const index = chosenSmsAlternative(alternatives);
    const chosen = alternatives[index]!;
    if (chosen.segments <= MAX_SMS_SEGMENTS || n === attempts.length - 1) {
      return { ...chosen, alternative: index, language, fellBack: language !== lang, ...attempt };
    }
  }
  throw new Error('unreachable: the last attempt always returns');
}

export function renderEmail<K extends EmailKey>(key: K, lang: Language, vars: EmailVars<K>): RenderedEmail {
  const language = effectiveLanguage(key, 'email', lang);
  const values = valuesFor(key, language, 'email', vars);
  const subjectTemplate = catalogText(language, `${key}.email.subject`, markers(key, 'email'));
  const whose =
    values.voterInitial !== undefined
      ? [catalogText(language, SHARED_TEXTS.whoseBallot, markersFor(['voterInitial']))]
      : [];
  // A paragraph left empty by an optional value is dropped.
  const body = [...whose, ...catalogList(language, `${key}.email.body`, markers(key, 'email'))].filter(
    (p) => fillPlain(p, values) !== '',
  );
  const footer = catalogList(language, SHARED_TEXTS.emailFooter, markers(key, 'email'));

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
  const values = valuesFor(key, language, 'voice', vars);
  let template = catalogText(language, `${key}.voice`, markers(key, 'voice'));
  if (values.voterInitial !== undefined) {
    template = `${template} ${catalogText(language, SHARED_TEXTS.voiceWhoseBallot, markersFor(['voterInitial']))}`;
  }
  const text = fillPlain(template, values);
  return { text, language, fellBack: language !== lang };
}
