/**
 * Allowed contact hours in the voter's local time. Pure and deterministic so workflow code can use
 * it to decide when a notice may go out.
 *
 * "Inside the window" is always judged on the voter's wall clock: on the fall-back day both
 * occurrences of 01:30 count as 01:30, and a clock that jumps (either way) across a window edge
 * opens or closes the window at the jump. Because of that, the instants at which the window can
 * open or close are the occurrences of its start/end times plus the zone's offset transitions;
 * the functions below enumerate those candidates over the next few days and pick the first that
 * fits.
 */
import { addDays, localDate, nextOffsetTransition, zonedParts, zonedTimeToInstant } from './zoned-time.js';

/**
 * A daily window, start inclusive, end exclusive, both 'HH:MM'. `end` may be '24:00' (midnight at
 * the end of the day). An end before the start crosses midnight (21:00-08:00 is overnight);
 * start === end means always allowed.
 */
export interface DailyWindow {
  start: string;
  end: string;
}

export const DEFAULT_WINDOW: DailyWindow = { start: '08:00', end: '21:00' };

const MINUTES_PER_DAY = 1440;
const MS_PER_DAY = 86_400_000;

/** 'HH:MM' from 00:00 to 23:59; with `allowEndOfDay`, also '24:00'. */
export function isValidClockTime(value: string, allowEndOfDay = false): boolean {
  if (allowEndOfDay && value === '24:00') return true;
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  return m !== null && Number(m[1]) <= 23 && Number(m[2]) <= 59;
}

/** Parses 'HH:MM-HH:MM' (e.g. '08:00-21:00'); throws RangeError if malformed. */
export function parseWindow(spec: string): DailyWindow {
  const [start = '', end = '', ...rest] = spec.split('-');
  if (rest.length > 0 || !isValidClockTime(start) || !isValidClockTime(end, true)) {
    throw new RangeError(`Invalid window "${spec}", expected HH:MM-HH:MM`);
  }
  return { start, end };
}

/** True if the wall-clock time at `instantMs` in `timeZone` is inside the window. */
export function isInsideWindow(instantMs: number, window: DailyWindow, timeZone: string): boolean {
  if (isAlwaysOpen(window)) return true;
  const { hour, minute } = zonedParts(instantMs, timeZone);
  const now = hour * 60 + minute;
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start < end ? start <= now && now < end : now >= start || now < end;
}

/**
 * The earliest instant at or after `nowMs` inside the window: `nowMs` itself if already inside,
 * otherwise the next opening. A start time in a spring-forward gap opens the window at the first
 * instant after the gap; on a fall-back day the window opens at the first occurrence of the start
 * time (or, if that has passed, when the repeated hour brings the wall clock back into it).
 */
export function nextAllowedInstant(nowMs: number, window: DailyWindow, timeZone: string): number {
  if (isInsideWindow(nowMs, window, timeZone)) return nowMs;
  return firstCandidate(nowMs, window.start, timeZone, (t) => isInsideWindow(t, window, timeZone));
}

/**
 * The first instant at or after `instantMs` outside the window: for an instant inside the window,
 * when that occurrence of the window closes (an end time in a spring-forward gap closes it at the
 * jump). Returns `instantMs` if already outside, and Infinity for an always-open window.
 */
export function windowEndAfter(instantMs: number, window: DailyWindow, timeZone: string): number {
  if (isAlwaysOpen(window)) return Number.POSITIVE_INFINITY;
  if (!isInsideWindow(instantMs, window, timeZone)) return instantMs;
  return firstCandidate(instantMs, window.end, timeZone, (t) => !isInsideWindow(t, window, timeZone));
}

/**
 * The earliest instant after `afterMs` that is an occurrence of wall time `hhmm` (either
 * occurrence on a fall-back day, the post-gap instant on a spring-forward day) or an offset
 * transition, and that satisfies `accept`. Any window opens or closes within about a day, and a
 * window swallowed by a gap is skipped, so a few days of candidates always suffice.
 */
function firstCandidate(
  afterMs: number,
  hhmm: string,
  timeZone: string,
  accept: (instantMs: number) => boolean,
): number {
  const time = hhmm === '24:00' ? '00:00' : hhmm;
  const today = localDate(afterMs, timeZone);
  const candidates: number[] = [];
  for (let i = -1; i <= 3; i++) {
    const date = addDays(today, i);
    candidates.push(zonedTimeToInstant(date, time, timeZone, 'earlier'));
    candidates.push(zonedTimeToInstant(date, time, timeZone, 'later'));
    const from = afterMs + i * MS_PER_DAY;
    const transition = nextOffsetTransition(from, from + MS_PER_DAY, timeZone);
    if (transition !== undefined) candidates.push(transition);
  }
  const found = candidates.filter((t) => t > afterMs && accept(t)).sort((a, b) => a - b)[0];
  if (found === undefined) throw new Error(`No window edge found after ${afterMs} in ${timeZone}`);
  return found;
}

function isAlwaysOpen(window: DailyWindow): boolean {
  return minutesOf(window.start) % MINUTES_PER_DAY === minutesOf(window.end) % MINUTES_PER_DAY;
}

function minutesOf(hhmm: string): number {
  if (!isValidClockTime(hhmm, true)) throw new RangeError(`Invalid time "${hhmm}", expected HH:MM`);
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
