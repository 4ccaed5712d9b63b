import type { ElectionSettings } from './notices.js';
import { addDays, zonedTimeToInstant } from './zoned-time.js';

export type ElectionMomentKind = 'return-reminder' | 'close';

export interface ElectionMoment {
  kind: ElectionMomentKind;
  at: number;
}

/** Local time on the reminder day at which the election's return reminders are released. */
export const RETURN_REMINDER_TIME = '09:00';

/**
 * The election-wide moments the election workflow acts on: the return reminder N days before
 * Election Day (each voter still gets it inside their own window), and the closing date. A reminder
 * whose day has already passed Election Day is dropped; one set late but before Election Day fires at once.
 */
export function electionMoments(settings: ElectionSettings): ElectionMoment[] {
  const moments: ElectionMoment[] = [];
  if (settings.returnReminderDaysBefore > 0) {
    const day = addDays(settings.electionDay, -settings.returnReminderDaysBefore);
    moments.push({ kind: 'return-reminder', at: zonedTimeToInstant(day, RETURN_REMINDER_TIME, settings.timezone) });
  }
  if (settings.closesAt) moments.push({ kind: 'close', at: Date.parse(settings.closesAt) });
  return moments.sort((a, b) => a.at - b.at);
}

/** The reminder is pointless from Election Day on. */
export function returnReminderExpired(settings: ElectionSettings, now: number): boolean {
  return now >= zonedTimeToInstant(settings.electionDay, '00:00', settings.timezone);
}
