/**
 * Finds personal data in a workflow history. Payloads (inputs, signal arguments, activity results,
 * memo, search attributes, failure details) are bytes in a history, base64 in its JSON form, so a
 * plain `JSON.stringify(history)` search never sees inside them: this walks the whole event tree and
 * decodes every byte field as UTF-8 before matching.
 */
import type { temporal } from '@temporalio/proto';
import {
  FIXTURE_PEOPLE,
  FREE_TEXT_CANARIES,
  INLINE_IMBS,
  INLINE_SEEDED,
  type FixturePerson,
} from './history-pii-fixtures.js';

type History = temporal.api.history.v1.IHistory;

export type PiiKind = 'name' | 'birthDate' | 'phone' | 'email' | 'zipPlus4' | 'imb' | 'freeText';

export interface PiiPattern {
  kind: PiiKind;
  value: string;
  pattern: RegExp;
}

export interface PiiFinding {
  kind: PiiKind;
  value: string;
  /** Where in the history, e.g. `events[3].workflowExecutionSignaledEventAttributes.input.payloads[0].data`. */
  path: string;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Case and accents do not matter: "GARCIA" is "García". */
const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '');
/** Not inside a longer word: "Reyes" must not match "Reyesville", nor a name a part of an ID. */
const word = (text: string) => new RegExp(`(?<![\\p{L}\\p{N}_])${escape(fold(text))}(?![\\p{L}\\p{N}_])`, 'iu');

/**
 * Patterns for one person: each name part and the full name, the birth date in ISO and US forms,
 * the phone number as E.164 or as a national number (with or without +1) with any common separators,
 * the email. Fields left out get no pattern.
 */
export function patternsFor(person: Partial<FixturePerson>): PiiPattern[] {
  const patterns: PiiPattern[] = [];
  const names = [person.firstName, person.lastName];
  if (person.firstName && person.lastName) names.push(`${person.firstName} ${person.lastName}`);
  for (const name of names) if (name) patterns.push({ kind: 'name', value: name, pattern: word(name) });
  if (person.dateOfBirth) {
    const [year, month, day] = person.dateOfBirth.split('-') as [string, string, string];
    patterns.push(
      {
        kind: 'birthDate',
        value: person.dateOfBirth,
        pattern: new RegExp(`(?<!\\d)${escape(person.dateOfBirth)}(?!\\d)`),
      },
      {
        kind: 'birthDate',
        value: `${month}/${day}/${year}`,
        pattern: new RegExp(`(?<!\\d)0?${Number(month)}/0?${Number(day)}/${year}(?!\\d)`),
      },
    );
  }
  if (person.phone) {
    const national = person.phone.replace(/\D/g, '').slice(-10);
    const sep = '[\\s.\\-]*';
    const [area, exchange, line] = [national.slice(0, 3), national.slice(3, 6), national.slice(6)];
    patterns.push({
      kind: 'phone',
      value: person.phone,
      pattern: new RegExp(`(?<!\\d)(?:\\+?1${sep})?\\(?${area}\\)?${sep}${exchange}${sep}${line}(?!\\d)`),
    });
  }
  if (person.email) {
    patterns.push({ kind: 'email', value: person.email, pattern: new RegExp(escape(fold(person.email)), 'i') });
  }
  if (person.zipPlus4) {
    const [five, four] = person.zipPlus4.split('-') as [string, string];
    patterns.push({
      kind: 'zipPlus4',
      value: person.zipPlus4,
      pattern: new RegExp(`(?<!\\d)${five}[\\s-]?${four}(?!\\d)`),
    });
  }
  if (person.imb) patterns.push(imbPattern(person.imb));
  return patterns;
}

/** An IMb, found by the 20-digit tracking code every scan of it carries (with or without the routing code). */
export function imbPattern(imb: string): PiiPattern {
  return { kind: 'imb', value: imb, pattern: new RegExp(`(?<!\\d)${imb.slice(0, 20)}`) };
}

/** Free text planted in fields that stay in PostgreSQL. */
export function freeTextPattern(text: string): PiiPattern {
  return { kind: 'freeText', value: text, pattern: new RegExp(escape(text), 'i') };
}

/**
 * Everything the tests seed: the fixture people (names, birth dates, ZIP+4, phone numbers, email
 * addresses, their ballots' IMbs), the values other tests seed inline, and planted free text.
 */
export const FIXTURE_PATTERNS: readonly PiiPattern[] = [
  ...[...FIXTURE_PEOPLE, ...INLINE_SEEDED].flatMap(patternsFor),
  ...INLINE_IMBS.map(imbPattern),
  ...FREE_TEXT_CANARIES.map(freeTextPattern),
];

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Every text in the tree with its path: strings as they are, byte fields decoded as UTF-8. */
export function* textsOf(value: unknown, path = ''): Generator<[path: string, text: string]> {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    yield [path, value];
  } else if (value instanceof Uint8Array) {
    yield [path, utf8.decode(value)];
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* textsOf(item, `${path}[${index}]`);
  } else if (typeof value === 'object') {
    // Long (int64 fields) has no text worth scanning.
    if ('low' in value && 'high' in value && 'unsigned' in value) return;
    for (const [key, item] of Object.entries(value)) yield* textsOf(item, path ? `${path}.${key}` : key);
  }
}

/** Every fixture value found in the history; empty when it is clean. */
export function findPersonalData(history: History, patterns: readonly PiiPattern[] = FIXTURE_PATTERNS): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const [path, text] of textsOf(history)) {
    const folded = fold(text);
    for (const { kind, value, pattern } of patterns) {
      if (pattern.test(folded)) findings.push({ kind, value, path });
    }
  }
  return findings;
}
