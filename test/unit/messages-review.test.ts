/**
 * The catalogs' review files (messages/review/<lang>.json): a state for every text, so a county's
 * translator sees what a native speaker reviewed; a glossary per language, and the catalogs use its
 * terms. When English changes, a reviewed translation is stale until someone reviews it again.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGS, LANGUAGES, type Language } from '../../delivery/templates/index.js';
import {
  GLOSSARY_TERMS,
  REVIEW_STATES,
  catalogLeaves,
  reviewProblems,
  sourceDigest,
  syncReview,
  type ReviewFile,
} from '../../delivery/templates/review.js';

function review(lang: Language): ReviewFile {
  return JSON.parse(readFileSync(new URL(`../../messages/review/${lang}.json`, import.meta.url), 'utf8')) as ReviewFile;
}

function textAt(lang: Language, path: string): string {
  const value = catalogLeaves(CATALOGS[lang]).get(path);
  return Array.isArray(value) ? value.join('\n') : String(value);
}

describe('message catalog review files', () => {
  it.each(LANGUAGES)('%s: every text has a review state, and no state names a text that is gone', (lang) => {
    const file = review(lang);
    expect(file.language).toBe(lang);
    expect(reviewProblems(CATALOGS[lang], CATALOGS.en, file)).toEqual({ missing: [], extra: [], stale: [] });
    for (const [path, entry] of Object.entries(file.strings)) {
      expect(REVIEW_STATES, `${lang}: ${path}`).toContain(entry.state);
      expect(entry.state === 'source', `${lang}: ${path} is ${entry.state}`).toBe(lang === 'en');
      if (entry.state === 'reviewed') {
        expect(entry.by, `${lang}: ${path} reviewed by whom`).toMatch(/\S/);
        expect(entry.on, `${lang}: ${path} reviewed when`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });

  it.each(LANGUAGES)('%s: the glossary words every term', (lang) => {
    const { glossary } = review(lang);
    expect(Object.keys(glossary).sort()).toEqual([...GLOSSARY_TERMS].sort());
    for (const term of GLOSSARY_TERMS) expect(glossary[term].trim(), `${lang}: ${term}`).not.toBe('');
  });

  it.each(LANGUAGES)('%s: the catalog uses the glossary terms for ballot, drop box and postmark', (lang) => {
    const { glossary } = review(lang);
    expect(textAt(lang, 'status.received.email.subject')).toContain(glossary.ballot);
    expect(textAt(lang, 'reminder.return.email.body')).toContain(glossary.drop_box);
    expect(textAt(lang, 'reminder.return.email.body')).toContain(glossary.postmark);
    expect(textAt(lang, 'status.collected.email.body')).toContain(glossary.drop_box);
  });

  it('a reviewed translation goes stale when its English changes, and back to draft on sync', () => {
    const english = { greeting: 'Hello' };
    const file: ReviewFile = {
      language: 'es',
      glossary: review('es').glossary,
      strings: {
        greeting: { state: 'reviewed', source: sourceDigest('Hello'), by: 'county translator', on: '2026-09-01' },
      },
    };
    expect(reviewProblems({ greeting: 'Hola' }, english, file).stale).toEqual([]);
    const changed = { greeting: 'Hello there' };
    expect(reviewProblems({ greeting: 'Hola' }, changed, file).stale).toEqual(['greeting']);
    expect(syncReview({ greeting: 'Hola' }, changed, file, false).strings.greeting).toEqual({
      state: 'draft',
      source: sourceDigest('Hello there'),
    });
    expect(syncReview({ greeting: 'Hola' }, english, file, false).strings.greeting?.state).toBe('reviewed');
  });
});
