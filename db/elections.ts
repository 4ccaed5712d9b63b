import type { ElectionSettings } from '../domain/notices.js';
import type { Sql } from './client.js';

/** The settings of one election as the workflows see them, or null if it is not stored. */
export async function findElectionSettings(sql: Sql, electionId: string): Promise<ElectionSettings | null> {
  const [row] = await sql<
    {
      election_day: string;
      timezone: string;
      closes_at: Date | null;
      cure_deadline: Date | null;
      receipt_deadline: Date | null;
      return_reminder_days_before: number;
      cure_reminder_days_before: number[];
    }[]
  >`
    SELECT to_char(election_day, 'YYYY-MM-DD') AS election_day, timezone, closes_at, cure_deadline,
           receipt_deadline, return_reminder_days_before, cure_reminder_days_before
    FROM elections WHERE election_id = ${electionId}`;
  if (!row) return null;
  return {
    electionDay: row.election_day,
    timezone: row.timezone,
    ...(row.closes_at ? { closesAt: row.closes_at.toISOString() } : {}),
    ...(row.cure_deadline ? { cureDeadline: row.cure_deadline.toISOString() } : {}),
    ...(row.receipt_deadline ? { receiptDeadline: row.receipt_deadline.toISOString() } : {}),
    returnReminderDaysBefore: row.return_reminder_days_before,
    cureReminderDaysBefore: row.cure_reminder_days_before,
  };
}
