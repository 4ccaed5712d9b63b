/**
 * The review state of every catalog text, and each language's glossary: `messages/review/<lang>.json`
 * (see messages/README.md). A county's translator reads there what a native speaker reviewed and
 * what not; `npm run messages:review` lists it and keeps the files in step with the catalogs.
 *
 * A state per text (a catalog leaf: one string, or one list such as an SMS's alternatives):
 * - `source`: English, the reference;
 * - `draft`: written or changed without a native speaker's review;
 * - `reviewed`: a native speaker reviewed it (`by`, `on`), against the English whose digest is
 *   `source`. When the English changes, the digest no longer matches: the text is stale and goes
 *   back to `draft` (a test fails until then).
 */
import { createHash } from 'node:crypto';
import type { Catalog } from './i18n.js';

export const REVIEW_STATES = ['source', 'draft', 'reviewed'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface StringReview {
  state: ReviewState;
  /** Digest of the English text the translation was written or reviewed against. */
  source?: string;
  /** Reviewed: who (a name or a role, never a voter) and when (YYYY-MM-DD). */
  by?: string;
  on?: string;
}

/** Terms every language words one way in every message. */
export const GLOSSARY_TERMS = [
  'ballot',
  'county',
  'cure',
  'drop_box',
  'postmark',
  'envelope_not_vote',
  'msg_and_data_rates',
  'msg_frequency',
  'help',
  'stop',
] as const;
export type GlossaryTerm = (typeof GLOSSARY_TERMS)[number];

export interface ReviewFile {
  language: string;
  glossary: Record<GlossaryTerm, string>;
  strings: Record<string, StringReview>;
}

/** Every leaf of a catalog by dotted path; a list of strings is one leaf. */
export function catalogLeaves(node: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    for (const [key, value] of Object.entries(node)) {
      for (const [path, leaf] of catalogLeaves(value, prefix ? `${prefix}.${key}` : key)) out.set(path, leaf);
    }
  } else {
    out.set(prefix, node);
  }
  return out;
}

/** The digest a review records: of the English leaf as JSON. */
export function sourceDigest(english: unknown): string {
  return createHash('sha256').update(JSON.stringify(english)).digest('hex').slice(0, 12);
}

/** What a review file says about a catalog: texts without a state, states without a text, stale reviews. */
export function reviewProblems(
  catalog: Catalog,
  english: Catalog,
  review: ReviewFile,
): { missing: string[]; extra: string[]; stale: string[] } {
  const texts = catalogLeaves(catalog);
  const source = catalogLeaves(english);
  const missing = [...texts.keys()].filter((path) => !review.strings[path]);
  const extra = Object.keys(review.strings).filter((path) => !texts.has(path));
  const stale = Object.entries(review.strings)
    .filter(([path, entry]) => entry.state === 'reviewed' && entry.source !== sourceDigest(source.get(path)))
    .map(([path]) => path);
  return { missing, extra, stale };
}

/**
 * The review file brought in step with the catalog: new texts are `draft` against today's English,
 * texts gone are dropped, a review whose English changed goes back to `draft`.
 */
export function syncReview(catalog: Catalog, english: Catalog, review: ReviewFile, isSource: boolean): ReviewFile {
  const source = catalogLeaves(english);
  const strings: Record<string, StringReview> = {};
  for (const path of catalogLeaves(catalog).keys()) {
    if (isSource) {
      strings[path] = { state: 'source' };
      continue;
    }
    const digest = sourceDigest(source.get(path));
    const previous = review.strings[path];
    strings[path] =
      previous?.state === 'reviewed' && previous.source === digest ? previous : { state: 'draft', source: digest };
  }
  return { ...review, strings };
}
