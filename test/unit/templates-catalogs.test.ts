import { describe, expect, it } from 'vitest';
import {
  CATALOGS,
  CHALLENGE_REASONS,
  CURE_DEADLINE_RULES,
  LANGUAGES,
  MESSAGE_KEYS,
  MESSAGE_SPECS,
  REJECTION_REASONS,
  SHARED_TEXTS,
  SHARED_TEXT_VARS,
  allowedVariables,
  catalogParts,
  type Catalog,
} from '../../delivery/templates/index.js';
import { CHANNELS } from '../../domain/notices.js';

type Leaf = string | string[];

/** Every leaf of a catalog by dotted path; a list of strings is one leaf. */
function leaves(node: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node)) {
      for (const [p, leaf] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, leaf);
    }
  } else {
    out.set(prefix, node);
  }
  return out;
}

function at(catalog: Catalog, path: string): Leaf {
  const value = leaves(catalog).get(path);
  if (typeof value !== 'string' && !Array.isArray(value)) throw new Error(`no text at ${path}`);
  return value as Leaf;
}

function placeholders(text: Leaf): Set<string> {
  const all = Array.isArray(text) ? text.join('\n') : text;
  return new Set([...all.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1] as string));
}

const en = CATALOGS.en;
const enLeaves = leaves(en);
const OTHER_LANGUAGES = LANGUAGES.filter((l) => l !== 'en');

describe('message catalogs', () => {
  it('English has every part of every message, and nothing else', () => {
    const expected = new Set<string>(Object.values(SHARED_TEXTS));
    for (const key of MESSAGE_KEYS)
      for (const channel of CHANNELS) for (const p of catalogParts(key, channel)) expected.add(p);
    for (const code of CHALLENGE_REASONS) expected.add(`reason.challenged.${code}`);
    for (const code of REJECTION_REASONS) expected.add(`reason.rejected.${code}`);
    for (const code of CHALLENGE_REASONS) expected.add(`cure_instructions.${code}`);
    for (const rule of CURE_DEADLINE_RULES) expected.add(`cure_rule.${rule}`);
    expect([...enLeaves.keys()].sort()).toEqual([...expected].sort());
  });

  it.each(OTHER_LANGUAGES)('%s has exactly the keys of English', (lang) => {
    const keys = [...leaves(CATALOGS[lang]).keys()].sort();
    expect(keys).toEqual([...enLeaves.keys()].sort());
  });

  it.each(LANGUAGES)('%s: every text is a non-empty string or a non-empty list of non-empty strings', (lang) => {
    for (const [path, value] of leaves(CATALOGS[lang])) {
      const ok =
        (typeof value === 'string' && value.trim() !== '') ||
        (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.trim() !== ''));
      expect(ok, `${lang}: ${path}`).toBe(true);
    }
  });

  it.each(LANGUAGES)(
    '%s: lists appear only where the renderer accepts them (SMS alternatives, email body, footer)',
    (lang) => {
      for (const [path, value] of leaves(CATALOGS[lang])) {
        if (Array.isArray(value)) expect(path, lang).toMatch(/(\.sms|\.email\.body|^common\.email\.footer)$/);
      }
    },
  );

  it.each(LANGUAGES)('%s: texts use only the placeholders their message provides', (lang) => {
    const catalog = CATALOGS[lang];
    for (const key of MESSAGE_KEYS) {
      for (const channel of CHANNELS) {
        const allowed = new Set(allowedVariables(key, channel));
        for (const path of catalogParts(key, channel)) {
          for (const name of placeholders(at(catalog, path)))
            expect(allowed, `${lang}: ${path} uses {{${name}}}`).toContain(name);
        }
      }
    }
    for (const [path, names] of Object.entries(SHARED_TEXT_VARS)) {
      for (const name of placeholders(at(catalog, path)))
        expect(names, `${lang}: ${path} uses {{${name}}}`).toContain(name);
    }
    for (const [path, value] of leaves(catalog)) {
      if (/^(reason|cure_instructions|cure_rule)\./.test(path))
        expect(placeholders(value as Leaf).size, `${lang}: ${path}`).toBe(0);
    }
  });

  it.each(OTHER_LANGUAGES)(
    '%s: each email, voice text and fullest SMS carries the same placeholders as English',
    (lang) => {
      const catalog = CATALOGS[lang];
      for (const key of MESSAGE_KEYS) {
        for (const channel of CHANNELS) {
          for (const path of catalogParts(key, channel)) {
            const mine = at(catalog, path);
            const theirs = at(en, path);
            // SMS alternatives shorten freely, but the first (fullest) one says what English says.
            const pick = (t: Leaf) => (path.endsWith('.sms') && Array.isArray(t) ? (t[0] as string) : t);
            expect([...placeholders(pick(mine))].sort(), `${lang}: ${path}`).toEqual(
              [...placeholders(pick(theirs))].sort(),
            );
          }
        }
      }
      expect([...placeholders(at(catalog, 'common.email.footer'))].sort()).toEqual(
        [...placeholders(at(en, 'common.email.footer'))].sort(),
      );
    },
  );

  it.each(LANGUAGES)(
    '%s: every SMS alternative names the county, and the cure alternatives all keep the cure link',
    (lang) => {
      for (const key of MESSAGE_KEYS) {
        const sms = at(CATALOGS[lang], `${key}.sms`);
        for (const text of Array.isArray(sms) ? sms : [sms]) {
          expect(text, `${lang}: ${key}`).toContain('{{countyName}}');
          if (MESSAGE_SPECS[key].vars.includes('cureUrl')) expect(text, `${lang}: ${key}`).toContain('{{cureUrl}}');
        }
      }
    },
  );

  it.each(LANGUAGES)('%s: opt-out and opt-in keywords stay the English words carriers act on', (lang) => {
    expect(at(CATALOGS[lang], 'help_reply.sms').toString()).toContain('STOP');
    expect(at(CATALOGS[lang], 'opted_out.sms').toString()).toContain('START');
    expect(at(CATALOGS[lang], 'opted_in.sms').toString()).toMatch(/STOP/);
  });

  it('the two accepted variants are different texts in every language', () => {
    for (const lang of LANGUAGES) {
      for (const part of ['sms', 'email.subject', 'email.body', 'voice']) {
        expect(at(CATALOGS[lang], `status.accepted.will_be_counted.${part}`), `${lang}: ${part}`).not.toEqual(
          at(CATALOGS[lang], `status.accepted.was_counted.${part}`),
        );
      }
    }
  });
});
