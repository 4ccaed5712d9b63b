/**
 * Date formatting for notices. Pure: every instant is passed in (epoch
 * ms or Date) with an explicit IANA zone; calendar dates are 'YYYY-MM-DD' strings with no zone.
 */
import { INTL_LOCALE, type Language } from './languages.js';

/** A calendar date, 'YYYY-MM-DD' (Election Day, an expected delivery date). */
export type CalendarDate = string;
/** An instant: epoch milliseconds or a Date. */
export type Instant = number | Date;

/** Long dates for email and voice; month and day only (the year is the current one) for SMS. */
export type DateStyle = 'long' | 'compact';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses 'YYYY-MM-DD' to noon UTC of that day (so formatting in UTC cannot shift the day). */
export function parseCalendarDate(date: CalendarDate): number {
  const m = CALENDAR_DATE.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`Invalid calendar date "${date}", expected YYYY-MM-DD`);
  }
  return ms;
}

function toEpochMs(instant: Instant): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('Invalid instant');
  return ms;
}

/**
 * ICU puts narrow/no-break spaces in some formats ("5:00\u202FPM"); a plain space reads the same and
 * keeps an English or Tagalog SMS in GSM-7.
 */
function plainSpaces(text: string): string {
  return text.replace(/[\u00A0\u2007\u2009\u202F]/g, ' ');
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatter(lang: Language, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const cacheKey = `${lang}|${JSON.stringify(options)}`;
  let f = formatterCache.get(cacheKey);
  if (!f) {
    f = new Intl.DateTimeFormat(INTL_LOCALE[lang], options);
    formatterCache.set(cacheKey, f);
  }
  return f;
}

/** "November 3, 2026" (long) or "November 3" (compact), in the language's own form. */
export function formatCalendarDate(date: CalendarDate, lang: Language, style: DateStyle): string {
  const options: Intl.DateTimeFormatOptions =
    style === 'long' ? { timeZone: 'UTC', dateStyle: 'long' } : { timeZone: 'UTC', month: 'long', day: 'numeric' };
  return plainSpaces(formatter(lang, options).format(parseCalendarDate(date)));
}

/** "December 1, 2026 at 5:00 PM" (long) or "December 1 at 5:00 PM" (compact), wall time in `timeZone`. */
export function formatDeadline(instant: Instant, timeZone: string, lang: Language, style: DateStyle): string {
  const options: Intl.DateTimeFormatOptions =
    style === 'long'
      ? { timeZone, dateStyle: 'long', timeStyle: 'short' }
      : { timeZone, month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  return plainSpaces(formatter(lang, options).format(toEpochMs(instant)));
}
