/**
 * The notice languages: English plus the nine of the California Secretary of State's set. A voter's
 * stored preference (any BCP 47 tag) is resolved to one of these, falling back to English.
 */

export const LANGUAGES = ['en', 'es', 'zh-Hant', 'vi', 'ko', 'tl', 'ja', 'hi', 'km', 'th'] as const;
export type Language = (typeof LANGUAGES)[number];

export const DEFAULT_LANGUAGE: Language = 'en';

/**
 * Locale used for `Intl` date formatting. Thai uses the Gregorian calendar ("ค.ศ. 2026"): ICU's
 * default for `th` is the Buddhist era (2569), which would not match the dates on the ballot, the
 * county's website or the English notices.
 */
export const INTL_LOCALE: Readonly<Record<Language, string>> = {
  en: 'en-US',
  es: 'es-US',
  'zh-Hant': 'zh-Hant',
  vi: 'vi',
  ko: 'ko',
  tl: 'fil',
  ja: 'ja',
  hi: 'hi',
  km: 'km',
  th: 'th-u-ca-gregory',
};

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export interface ResolvedLanguage {
  language: Language;
  /** True when the tag matched none of the languages and English was chosen instead (log it). */
  fellBack: boolean;
}

/** Primary language subtags that map to one of ours (Filipino is the standard form of Tagalog). */
const BY_PRIMARY: Readonly<Record<string, Language>> = {
  en: 'en',
  es: 'es',
  // Chinese materials in California are in Traditional characters; a reader of Simplified Chinese is
  // better served by them than by English.
  zh: 'zh-Hant',
  vi: 'vi',
  ko: 'ko',
  tl: 'tl',
  fil: 'tl',
  ja: 'ja',
  hi: 'hi',
  km: 'km',
  th: 'th',
};

/**
 * Resolves a stored language preference ("es-MX", "zh_TW", "fil", "VI") to a notice language.
 * Unknown, empty or malformed tags give English with `fellBack: true`.
 */
export function resolveLanguage(tag: string | null | undefined): ResolvedLanguage {
  const raw = (tag ?? '').trim().replace(/_/g, '-');
  if (raw === '') return { language: DEFAULT_LANGUAGE, fellBack: true };
  let primary: string;
  try {
    const [canonical] = Intl.getCanonicalLocales(raw);
    primary = new Intl.Locale(canonical ?? raw).language.toLowerCase();
  } catch {
    return { language: DEFAULT_LANGUAGE, fellBack: true };
  }
  const language = BY_PRIMARY[primary];
  return language ? { language, fellBack: false } : { language: DEFAULT_LANGUAGE, fellBack: true };
}
