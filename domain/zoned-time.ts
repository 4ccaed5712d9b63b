/**
 * Pure time-zone arithmetic for workflow code: no imports, no clock reads, no local-time Date
 * methods. Every instant is passed in as epoch milliseconds and every zone is named explicitly,
 * so results are deterministic on replay regardless of the worker's TZ.
 */

export interface ZonedParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number; // 0-23
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday ... 6 = Saturday (like Date#getUTCDay)
}

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Wall-clock parts of `instantMs` in `timeZone`. Throws RangeError for an unknown zone. */
export function zonedParts(instantMs: number, timeZone: string): ZonedParts {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instantMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = NaN, month = NaN, day = NaN, minute = NaN, second = NaN } = fields;
  // Some Intl implementations render midnight as hour "24" even with h23.
  const hour = fields.hour === 24 ? 0 : (fields.hour ?? NaN);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, hour, minute, second, weekday };
}

/** UTC offset in minutes (east positive, e.g. -420 for PDT, 330 for IST) in force at `instantMs`. */
export function offsetMinutesAt(instantMs: number, timeZone: string): number {
  const p = zonedParts(instantMs, timeZone);
  const wallMs = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return (wallMs - Math.floor(instantMs / 1000) * 1000) / MS_PER_MINUTE;
}

/**
 * The first instant in (fromMs, toMs] whose offset differs from the offset at `fromMs`, or
 * undefined if the offsets at both ends agree. Assumes at most one transition in the range, so
 * keep ranges to about a day. Transitions fall on whole seconds, so we bisect over seconds.
 */
export function nextOffsetTransition(fromMs: number, toMs: number, timeZone: string): number | undefined {
  const before = offsetMinutesAt(fromMs, timeZone);
  if (offsetMinutesAt(toMs, timeZone) === before) return undefined;
  let lo = Math.floor(fromMs / 1000);
  let hi = Math.floor(toMs / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMinutesAt(mid * 1000, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
}

/**
 * Converts a local wall-clock time to an instant, using the offset in force AT THAT INSTANT
 * (never "the offset now"), so a time scheduled across a DST change lands where the voter
 * expects it.
 *
 * - Spring-forward gap (the wall time never happens): returns the first instant after the gap,
 *   e.g. 02:30 on the Los Angeles spring-forward day is 03:00 PDT. We deliberately do not shift
 *   by the gap length (which would give 03:30): nothing should be later than it has to be.
 * - Fall-back overlap (the wall time happens twice): 'earlier' picks the first occurrence
 *   (daylight time), 'later' the second (standard time).
 */
export function zonedTimeToInstant(
  date: string,
  time: string,
  timeZone: string,
  disambiguation: 'earlier' | 'later' = 'earlier',
): number {
  const [year, month, day] = parseDate(date);
  const hm = /^(\d{2}):(\d{2})$/.exec(time);
  const hour = Number(hm?.[1]);
  const minute = Number(hm?.[2]);
  if (!hm || hour > 23 || minute > 59) throw new RangeError(`Invalid time "${time}", expected HH:MM`);
  const wallMs = Date.UTC(year, month - 1, day, hour, minute);

  // The two offsets that could apply are those in force a day either side of the wall time.
  const offsets = [offsetMinutesAt(wallMs - MS_PER_DAY, timeZone), offsetMinutesAt(wallMs + MS_PER_DAY, timeZone)];
  const candidates = offsets.map((offset) => wallMs - offset * MS_PER_MINUTE);
  const valid = candidates
    .filter((instant, i) => offsetMinutesAt(instant, timeZone) === offsets[i])
    .sort((a, b) => a - b);
  if (valid.length > 0) {
    return (disambiguation === 'later' ? valid[valid.length - 1] : valid[0]) as number;
  }
  // In a gap: the transition lies between the two candidate instants.
  const lo = Math.min(...candidates);
  const hi = Math.max(...candidates);
  return nextOffsetTransition(lo, hi, timeZone) ?? lo;
}

/** The local calendar date ('YYYY-MM-DD') of `instantMs` in `timeZone`. */
export function localDate(instantMs: number, timeZone: string): string {
  const p = zonedParts(instantMs, timeZone);
  return formatDate(p.year, p.month, p.day);
}

/** Calendar arithmetic on a 'YYYY-MM-DD' date (no time zone involved). */
export function addDays(date: string, n: number): string {
  const [year, month, day] = parseDate(date);
  return normalizeDate(year, month, day + n);
}

/** True if `tz` is an IANA zone name (or alias) this runtime's Intl knows. */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz === '') return false;
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

function parseDate(date: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const parsed: [number, number, number] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
  // Date.UTC rolls impossible dates over (2026-02-30 -> 2026-03-02), so a round trip catches them.
  if (!m || normalizeDate(...parsed) !== date) {
    throw new RangeError(`Invalid date "${date}", expected YYYY-MM-DD`);
  }
  return parsed;
}

function normalizeDate(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  return formatDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function formatDate(year: number, month: number, day: number): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}
