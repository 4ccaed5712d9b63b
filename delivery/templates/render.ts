/**
 * Rendering: a message's catalog text in the chosen language (./select.ts) with its values filled
 * in, per channel. The rules:
 *
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
import type { Channel } from '../../domain/notices.js';
import { formatCalendarDate, formatDeadline, type CalendarDate, type DateStyle, type Instant } from './dates.js';
import { catalogList, catalogText, reasonText } from './i18n.js';
import type { Language } from './languages.js';
import { chosenSmsAlternative, effectiveLanguage } from './select.js';
import { smsSegments, type SmsSegments } from './sms-segments.js';
import {
  MESSAGE_SPECS,
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
  return Object.fromEntries(allowedVariables(key, channel).map((name) => [name, `${OPEN}${name}${CLOSE}`]));
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
  const values = valuesFor(key, language, 'sms', vars);
  return catalogList(language, `${key}.sms`, markers(key, 'sms')).map((template) => {
    const text = fillPlain(template, values);
    return { text, ...smsSegments(text) };
  });
}

export function renderSms<K extends MessageKey>(key: K, lang: Language, vars: MessageVars<K>): RenderedSms {
  const language = effectiveLanguage(key, 'sms', lang);
  const alternatives = renderSmsAlternatives(key, language, vars);
  const index = chosenSmsAlternative(alternatives);
  const chosen = alternatives[index]!;
  return { ...chosen, alternative: index, language, fellBack: language !== lang };
}

export function renderEmail<K extends EmailKey>(key: K, lang: Language, vars: EmailVars<K>): RenderedEmail {
  const language = effectiveLanguage(key, 'email', lang);
  const values = valuesFor(key, language, 'email', vars);
  const subjectTemplate = catalogText(language, `${key}.email.subject`, markers(key, 'email'));
  const body = catalogList(language, `${key}.email.body`, markers(key, 'email'));
  const footer = catalogList(language, 'common.email.footer', markers(key, 'email'));

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
  const text = fillPlain(catalogText(language, `${key}.voice`, markers(key, 'voice')), values);
  return { text, language, fellBack: language !== lang };
}
