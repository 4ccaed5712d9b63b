import type { Sql } from '../db/client.js';
import { enqueue } from '../db/outbox.js';
import type { ElectionInput } from './schemas.js';

export interface StoredElection {
  electionId: string;
  name: string;
  electionDay: string;
  timezone: string;
  receiptDeadline: string | null;
  cureDeadline: string | null;
  closesAt: string | null;
  returnReminderDaysBefore: number;
  cureReminderDaysBefore: number[];
  createdAt: string;
  updatedAt: string;
}

interface ElectionRow {
  election_id: string;
  name: string;
  election_day: string;
  timezone: string;
  receipt_deadline: Date | null;
  cure_deadline: Date | null;
  closes_at: Date | null;
  return_reminder_days_before: number;
  cure_reminder_days_before: number[];
  created_at: Date;
  updated_at: Date;
  created?: boolean;
}

/**
 * Stores an election (PUT semantics: absent optional fields are cleared) and, when anything changed,
 * queues an `election` outbox row in the same transaction, so the election's clock workflow is started
 * or told to reload even if Temporal is unreachable right now.
 */
export async function putElection(
  sql: Sql,
  electionId: string,
  input: ElectionInput,
): Promise<{ created: boolean; changed: boolean; election: StoredElection }> {
  return sql.begin(async (tx) => {
    const values = {
      name: input.name,
      day: input.electionDay,
      tz: input.timezone,
      receipt: input.receiptDeadline ?? null,
      cure: input.cureDeadline ?? null,
      closes: input.closesAt ?? null,
      returnDays: input.returnReminderDaysBefore ?? 5,
      cureDays: input.cureReminderDaysBefore ?? [3, 1],
    };
    const [written] = await tx<ElectionRow[]>`
      INSERT INTO elections AS e (election_id, name, election_day, timezone, receipt_deadline, cure_deadline, closes_at,
                                  return_reminder_days_before, cure_reminder_days_before)
      VALUES (${electionId}, ${values.name}, ${values.day}, ${values.tz}, ${values.receipt}, ${values.cure},
              ${values.closes}, ${values.returnDays}, ${values.cureDays})
      ON CONFLICT (election_id) DO UPDATE SET
        name = EXCLUDED.name, election_day = EXCLUDED.election_day, timezone = EXCLUDED.timezone,
        receipt_deadline = EXCLUDED.receipt_deadline, cure_deadline = EXCLUDED.cure_deadline,
        closes_at = EXCLUDED.closes_at, return_reminder_days_before = EXCLUDED.return_reminder_days_before,
        cure_reminder_days_before = EXCLUDED.cure_reminder_days_before, updated_at = now()
      WHERE (e.name, e.election_day, e.timezone, e.receipt_deadline, e.cure_deadline, e.closes_at,
             e.return_reminder_days_before, e.cure_reminder_days_before)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.election_day, EXCLUDED.timezone, EXCLUDED.receipt_deadline,
             EXCLUDED.cure_deadline, EXCLUDED.closes_at, EXCLUDED.return_reminder_days_before,
             EXCLUDED.cure_reminder_days_before)
      RETURNING (xmax = 0) AS created`;
    if (written) {
      await enqueue(tx, [{ kind: 'election', electionId, ballotId: '' }]);
    }
    const [row] = await tx<ElectionRow[]>`
      SELECT election_id, name, to_char(election_day, 'YYYY-MM-DD') AS election_day, timezone, receipt_deadline,
             cure_deadline, closes_at, return_reminder_days_before, cure_reminder_days_before, created_at, updated_at
      FROM elections WHERE election_id = ${electionId}`;
    return { created: written?.created ?? false, changed: written !== undefined, election: toElection(row!) };
  });
}

function toElection(row: ElectionRow): StoredElection {
  return {
    electionId: row.election_id,
    name: row.name,
    electionDay: row.election_day,
    timezone: row.timezone,
    receiptDeadline: row.receipt_deadline?.toISOString() ?? null,
    cureDeadline: row.cure_deadline?.toISOString() ?? null,
    closesAt: row.closes_at?.toISOString() ?? null,
    returnReminderDaysBefore: row.return_reminder_days_before,
    cureReminderDaysBefore: row.cure_reminder_days_before,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Which of these election IDs are stored. */
export async function knownElections(sql: Sql, electionIds: string[]): Promise<Set<string>> {
  if (electionIds.length === 0) return new Set();
  const rows = await sql<{ election_id: string }[]>`
    SELECT election_id FROM elections WHERE election_id = ANY(${electionIds})`;
  return new Set(rows.map((row) => row.election_id));
}
