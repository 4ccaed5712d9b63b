import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { isValidClockTime } from '../domain/quiet-hours.js';

/**
 * Pure normalisation of what a voter types, so matching against the roll forgives what the domain
 * says it must (case, whitespace, diacritics, hyphens, apostrophes) and nothing more: no nickname
 * guessing, "Jim" stays "jim" and never matches "james".
 */

/** Apostrophes and look-alikes: ' ’ ‘ ʼ ʻ ` ´ and the fullwidth apostrophe. */
const APOSTROPHES = /['\u2018\u2019\u201B\u02BC\u02BB\u0060\u00B4\uFF07]/g;
/** Hyphen-minus, the Unicode hyphen and dash family (\p{Pd}), the soft hyphen and the minus sign. */
const HYPHENS = /[\p{Pd}\u00AD\u2212]/gu;
const COMBINING_MARKS = /\p{M}/gu;
const WHITESPACE = /[\s\u200B]+/gu;

/**
 * A name as the roll comparison sees it: "Mary-Jane", "mary jane", "MaryJane" and " MÁRY  jane " are
 * all "maryjane"; "O'Brien", "OBrien" and "o’brien" are all "obrien". Spaces are dropped entirely,
 * because voters split and join compound names differently from the roll.
 */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .replace(HYPHENS, '')
    .replace(WHITESPACE, '')
    .normalize('NFC');
}

/** The five-digit ZIP of "95814" or "95814-1234" (ZIP+4 compares on its first five), else undefined. */
export function normalizeZip(zip: string): string | undefined {
  const match = /^(\d{5})(?:[-\s]?\d{4})?$/.exec(zip.trim());
  return match ? match[1] : undefined;
}

/** E.164 of a valid phone number ("(916) 555-0123" → "+19165550123"; US when no country code), else undefined. */
export function normalizePhone(phone: string): string | undefined {
  const trimmed = phone.trim();
  if (trimmed === '' || trimmed.length > 40) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, 'US');
  // US numbers and US territories only: a county texts and calls its own voters, and an open form
  // that sends codes anywhere invites SMS pumping and toll fraud. +1 alone is not enough: it also
  // reaches Canada and the Caribbean (Jamaica, the Dominican Republic, ...), where calls are premium.
  return parsed?.isValid() && parsed.country !== undefined && US_REGIONS.has(parsed.country)
    ? parsed.number
    : undefined;
}

/** The United States and the territories in its numbering plan (Puerto Rico, USVI, Guam, CNMI, American Samoa). */
const US_REGIONS = new Set(['US', 'PR', 'VI', 'GU', 'MP', 'AS']);

const emailForm = z.email();

/** The address with its domain lowercased (the local part is the mailbox owner's), else undefined. */
export function normalizeEmail(email: string): string | undefined {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !emailForm.safeParse(trimmed).success) return undefined;
  const at = trimmed.lastIndexOf('@');
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

/** A calendar date 'YYYY-MM-DD' that exists (no 2023-02-29), from 1900 on. */
export function isValidDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** 'HH:MM' from 00:00 to 23:59; a window end may also be '24:00'. */
export function isValidTime(value: string, allowEndOfDay = false): boolean {
  return isValidClockTime(value, allowEndOfDay);
}

/** An IANA time zone the runtime knows ('America/Los_Angeles'); abbreviations like 'PST' are not. */
export function isValidTimeZone(zone: string): boolean {
  if (!/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone) || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  return zone === 'UTC' || zone.includes('/');
}

/** A voter ID as compared with the roll: surrounding spaces ignored, case-insensitive. */
export function normalizeVoterId(voterId: string): string {
  return voterId.trim().toLowerCase();
}
