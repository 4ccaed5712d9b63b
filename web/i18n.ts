/**
 * The words of the voter pages in the ten notice languages. Catalogs are flat JSON files in
 * web/locales (same keys in every language, `{{name}}` placeholders, plain text only: the page
 * templates escape everything). Language choice and date formatting live here too.
 */
import { INTL_LOCALE, LANGUAGES, isLanguage, resolveLanguage, type Language } from '../delivery/templates/index.js';
import en from './locales/en.json' with { type: 'json' };
import es from './locales/es.json' with { type: 'json' };
import zhHant from './locales/zh-Hant.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };
import ko from './locales/ko.json' with { type: 'json' };
import tl from './locales/tl.json' with { type: 'json' };
import ja from './locales/ja.json' with { type: 'json' };
import hi from './locales/hi.json' with { type: 'json' };
import km from './locales/km.json' with { type: 'json' };
import th from './locales/th.json' with { type: 'json' };

export type MessageKey = keyof typeof en;
export type WebCatalog = Readonly<Record<string, string>>;

export const WEB_CATALOGS: Readonly<Record<Language, WebCatalog>> = {
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

/** Each language's name in that language (the switcher and the language select show these). */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  en: 'English',
  es: 'Español',
  'zh-Hant': '繁體中文',
  vi: 'Tiếng Việt',
  ko: '한국어',
  tl: 'Tagalog',
  ja: '日本語',
  hi: 'हिन्दी',
  km: 'ខ្មែរ',
  th: 'ไทย',
};

export type Vars = Readonly<Record<string, string | number>>;

/** A catalog text with its placeholders filled; a key missing from a language falls back to English. */
export function translate(lang: Language, key: MessageKey, vars: Vars = {}): string {
  const text = WEB_CATALOGS[lang][key] ?? en[key];
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => {
    const value = vars[name];
    return value === undefined ? whole : String(value);
  });
}

/** `<base>_one` / `<base>_other` chosen with the language's plural rules ('other' when missing). */
export function translatePlural(lang: Language, base: string, count: number): string {
  const category = new Intl.PluralRules(INTL_LOCALE[lang]).select(count);
  const key = `${base}_${category}`;
  const chosen = (key in en ? key : `${base}_other`) as MessageKey;
  return translate(lang, chosen, { count });
}

/** A language from a tag ('km', 'es-MX', 'zh-TW'), or undefined when it is none of ours. */
function fromTag(tag: unknown): Language | undefined {
  if (isLanguage(tag)) return tag;
  if (typeof tag !== 'string' || tag.length > 35) return undefined;
  const resolved = resolveLanguage(tag);
  return resolved.fellBack ? undefined : resolved.language;
}

/** Accept-Language entries ordered by preference (q=0 dropped; ties keep header order). */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}

/** The page language: an explicit choice (`lang` in the query or form), then Accept-Language, then English. */
export function negotiateLanguage(explicit: unknown, acceptLanguage: string | undefined): Language {
  const chosen = fromTag(Array.isArray(explicit) ? explicit[0] : explicit);
  if (chosen) return chosen;
  for (const tag of acceptedLanguages(acceptLanguage)) {
    const language = fromTag(tag);
    if (language) return language;
  }
  return 'en';
}

/**
 * An instant as a date and time in the page language and the given zone (the voter service has
 * already chosen it: county, election, DEFAULT_TIME_ZONE). A zone the runtime does not know shows
 * the time in UTC, saying so.
 */
export function formatDateTime(lang: Language, iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(INTL_LOCALE[lang], { dateStyle: 'long', timeStyle: 'short', timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(INTL_LOCALE[lang], { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' }).format(
      date,
    );
  }
}

/** "Pacific Time (America/Los_Angeles)" in the page language; the bare zone when Intl has no name. */
export function timeZoneLabel(lang: Language, zone: string): string {
  try {
    const name = new Intl.DateTimeFormat(INTL_LOCALE[lang], { timeZone: zone, timeZoneName: 'longGeneric' })
      .formatToParts(new Date(0))
      .find((part) => part.type === 'timeZoneName')?.value;
    return name ? `${name} (${zone})` : zone;
  } catch {
    return zone;
  }
}

export { LANGUAGES };
export type { Language };
