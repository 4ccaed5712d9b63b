/**
 * The `voters` table: the county's voter roll, written by imports (ingest/voters.ts) and read by
 * the sign-up lookup. Names and birth dates stay here: callers get IDs and counties back.
 */
import type { Sql, Tx } from './client.js';

export interface RollRow {
  voter_id: string;
  county: string;
  first_name: string;
  last_name: string;
  date_of_birth: string;
  zip: string;
  status: string;
  language: string | null;
}

/**
 * Inserts or updates voters by ID in one statement. A row changes only when something differs and,
 * when `allowedCounties` is not null, only if it is in one of them. Returns the IDs written.
 */
export async function upsertRoll(
  sql: Sql,
  rows: readonly RollRow[],
  allowedCounties: readonly string[] | null,
): Promise<Set<string>> {
  const allowed = allowedCounties === null ? null : [...allowedCounties];
  const written = await sql<{ voter_id: string }[]>`
    INSERT INTO voters AS v (voter_id, county, first_name, last_name, date_of_birth, zip, status, language)
    SELECT voter_id, county, first_name, last_name, date_of_birth, zip, status, language
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) AS r(voter_id text, county text, first_name text,
         last_name text, date_of_birth date, zip text, status text, language text)
    ON CONFLICT (voter_id) DO UPDATE SET
      county = EXCLUDED.county, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
      date_of_birth = EXCLUDED.date_of_birth, zip = EXCLUDED.zip, status = EXCLUDED.status,
      language = EXCLUDED.language, updated_at = now()
    WHERE (${allowed}::text[] IS NULL OR v.county = ANY(${allowed}::text[]))
      AND (v.county, v.first_name, v.last_name, v.date_of_birth, v.zip, v.status, v.language)
        IS DISTINCT FROM (EXCLUDED.county, EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.date_of_birth,
                          EXCLUDED.zip, EXCLUDED.status, EXCLUDED.language)
    RETURNING voter_id`;
  return new Set(written.map((row) => row.voter_id));
}

/** The stored county of each of these voters (those on the roll). */
export async function rollCounties(sql: Sql, voterIds: readonly string[]): Promise<Map<string, string>> {
  if (voterIds.length === 0) return new Map();
  const rows = await sql<{ voter_id: string; county: string }[]>`
    SELECT voter_id, county FROM voters WHERE voter_id = ANY(${[...voterIds]})`;
  return new Map(rows.map((row) => [row.voter_id, row.county]));
}

/** The county of one voter, or null when the voter is not on the roll. */
export async function voterCounty(db: Sql | Tx, voterId: string): Promise<string | null> {
  const [row] = await db<{ county: string }[]>`SELECT county FROM voters WHERE voter_id = ${voterId}`;
  return row?.county ?? null;
}

/** Everyone on the roll with this birth date and ZIP (the voters_lookup index): the sign-up lookup's candidates. */
export async function rollCandidates(
  sql: Sql,
  dateOfBirth: string,
  zip: string,
): Promise<{ voterId: string; county: string; status: string; firstName: string; lastName: string }[]> {
  const rows = await sql<{ voter_id: string; county: string; status: string; first_name: string; last_name: string }[]>`
    SELECT voter_id, county, status, first_name, last_name FROM voters
    WHERE date_of_birth = ${dateOfBirth}::date AND zip = ${zip}`;
  return rows.map((row) => ({
    voterId: row.voter_id,
    county: row.county,
    status: row.status,
    firstName: row.first_name,
    lastName: row.last_name,
  }));
}
