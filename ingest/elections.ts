import type { Sql } from '../db/client.js';
import { enqueue } from '../db/outbox.js';
import type { ElectionInput, ElectionPatch } from './schemas.js';
import type postgres from 'postgres';

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
 * Stores an election with PUT semantics: the body is the whole election, and an optional field it
 * omits is cleared (deadlines, the closing) or reset to its default (reminder days). When anything
 * changed, an `election` outbox row is queued in the same transaction, so the election's clock
 * workflow is started or told to reload even if Temporal is unreachable right now.
 */
export async function putElection(
  sql: Sql,
  electionId: string,
  input: ElectionInput,
): Promise<{ created: boolean; changed: boolean; election: StoredElection }> {
  return sql.begin((tx) => writeElection(tx, electionId, input));
}

/**
 * Changes only the fields the patch names (`null` clears an optional one); the rest stay as stored.
 * Undefined when the election does not exist (PATCH creates nothing: PUT does).
 */
export async function patchElection(
  sql: Sql,
  electionId: string,
  patch: ElectionPatch,
): Promise<{ changed: boolean; election: StoredElection } | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx<ElectionRow[]>`
      SELECT election_id, name, to_char(election_day, 'YYYY-MM-DD') AS election_day, timezone, receipt_deadline,
             cure_deadline, closes_at, return_reminder_days_before, cure_reminder_days_before, created_at, updated_at
      FROM elections WHERE election_id = ${electionId} FOR UPDATE`;
    if (!row) return undefined;
    const current = toElection(row);
    const pick = <T>(value: T | null | undefined, stored: T | null): T | undefined =>
      value === undefined ? (stored ?? undefined) : (value ?? undefined);
    const merged: ElectionInput = {
      name: patch.name ?? current.name,
      electionDay: patch.electionDay ?? current.electionDay,
      timezone: patch.timezone ?? current.timezone,
    };
    const receipt = pick(patch.receiptDeadline, current.receiptDeadline);
    const cure = pick(patch.cureDeadline, current.cureDeadline);
    const closes = pick(patch.closesAt, current.closesAt);
    const returnDays = pick(patch.returnReminderDaysBefore, current.returnReminderDaysBefore);
    const cureDays = pick(patch.cureReminderDaysBefore, current.cureReminderDaysBefore);
    if (receipt !== undefined) merged.receiptDeadline = receipt;
    if (cure !== undefined) merged.cureDeadline = cure;
    if (closes !== undefined) merged.closesAt = closes;
    if (returnDays !== undefined) merged.returnReminderDaysBefore = returnDays;
    if (cureDays !== undefined) merged.cureReminderDaysBefore = cureDays;
    const { changed, election } = await writeElection(tx, electionId, merged);
    return { changed, election };
  });
}

async function writeElection(
  tx: postgres.TransactionSql,
  electionId: string,
  input: ElectionInput,
): Promise<{ created: boolean; changed: boolean; election: StoredElection }> {
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
