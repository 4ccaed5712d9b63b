/**
 * The catalogs: the translator-editable JSON files `messages/<lang>.json` (see messages/README.md),
 * loaded once at import into a private i18next instance. Lookups return catalog text with its
 * placeholders filled by the caller's values (./render.ts passes markers and renders per channel).
 */
import i18next, { type TFunction } from 'i18next';
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
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from './languages.js';
import { CHALLENGE_REASONS, CURE_DEADLINE_RULES, REJECTION_REASONS } from './spec.js';

/** A parsed catalog file: nested objects whose leaves are strings or lists of strings. */
export type Catalog = Readonly<Record<string, unknown>>;

/** The raw catalogs, by language (for tests and tooling; render through ./render.ts). */
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

// One private instance, resources from the JSON files, no backend, initialised synchronously.
const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(LANGUAGES.map((lang) => [lang, { translation: CATALOGS[lang] }])),
  lng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGES],
  load: 'currentOnly', // 'zh-Hant' must not be looked up as 'zh'
  fallbackLng: false, // fallback is decided per message (./select.ts), so a message is never half English
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
  return fixedT.get(lang)!;
}

/** Whether the catalog of `lang` has a non-empty string (or non-empty array of strings) at `path`. */
export function hasText(lang: Language, path: string): boolean {
  const value: unknown = i18n.getResource(lang, 'translation', path);
  if (typeof value === 'string') return value.trim() !== '';
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.trim() !== '');
}

/** The text at `path`, its placeholders filled with `values`. */
export function catalogText(lang: Language, path: string, values: Readonly<Record<string, string>>): string {
  const out: unknown = tFor(lang)(path, { ...values });
  if (typeof out !== 'string') throw new Error(`Catalog ${lang}: ${path} is not a string`);
  return out;
}

/** The list at `path` (a single text is a list of one), placeholders filled with `values`. */
export function catalogList(lang: Language, path: string, values: Readonly<Record<string, string>>): string[] {
  const out: unknown = tFor(lang)(path, { ...values, returnObjects: true });
  if (typeof out === 'string') return [out];
  if (!Array.isArray(out) || !out.every((s) => typeof s === 'string')) {
    throw new Error(`Catalog ${lang}: ${path} is not a string or a list of strings`);
  }
  return out;
}

type Overrides = Readonly<Record<string, string>> | undefined;

/** The county's own text at `path` when it set one (non-blank), else the catalog's. */
function countyOr(lang: Language, path: string, overrides: Overrides): string {
  const own = overrides?.[path];
  return own !== undefined && own.trim() !== '' ? own.trim() : catalogText(lang, path, {});
}

/**
 * A reason code's words (`reason.<kind>.<code>`, or the county's own for that code); an unknown code
 * (free text stored before codes were enforced) gets the generic text.
 */
export function reasonText(
  lang: Language,
  kind: 'challenged' | 'rejected',
  code: string,
  overrides?: Overrides,
): string {
  const known: readonly string[] = kind === 'challenged' ? CHALLENGE_REASONS : REJECTION_REASONS;
  return countyOr(lang, `reason.${kind}.${known.includes(code) ? code : 'other'}`, overrides);
}

/** What the voter does to fix a challenge of this reason (`cure_instructions.<code>`, or the county's). */
export function cureInstructionsText(lang: Language, code: string, overrides?: Overrides): string {
  const known: readonly string[] = CHALLENGE_REASONS;
  return countyOr(lang, `cure_instructions.${known.includes(code) ? code : 'other'}`, overrides);
}

/**
 * The county's rule for a challenge without a deadline: its own text (`cure_rule` override), else
 * the catalog's wording of its rule code; undefined when it has neither.
 */
export function cureRuleText(lang: Language, rule: string | undefined, overrides?: Overrides): string | undefined {
  const own = overrides?.cure_rule;
  if (own !== undefined && own.trim() !== '') return own.trim();
  const known: readonly string[] = CURE_DEADLINE_RULES;
  return rule !== undefined && known.includes(rule) ? catalogText(lang, `cure_rule.${rule}`, {}) : undefined;
}
