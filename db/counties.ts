/** The `counties` table: a county's name, phone, web address, cure form and time zone. */
import type { Sql, Tx } from './client.js';

export interface CountyRow {
  name: string | null;
  phone: string | null;
  url: string | null;
}

/** The county's contact details as stored (fields may be missing; delivery/county.ts fills them in). */
export async function countyDetailsRow(sql: Sql, county: string): Promise<CountyRow | undefined> {
  const [row] = await sql<CountyRow[]>`SELECT name, phone, url FROM counties WHERE county = ${county}`;
  return row;
}

/** The first county (by code) with a name, phone and URL: who answers a number nobody registered. */
export async function firstConfiguredCounty(
  sql: Sql,
): Promise<{ name: string; phone: string; url: string } | undefined> {
  const [row] = await sql<{ name: string; phone: string; url: string }[]>`
    SELECT name, phone, url FROM counties WHERE name <> '' AND phone <> '' AND url <> ''
    ORDER BY county LIMIT 1`;
  return row;
}

/** The county's time zone, when it has a row. */
export async function countyTimeZone(db: Sql | Tx, county: string): Promise<string | undefined> {
  const [row] = await db<{ timezone: string }[]>`SELECT timezone FROM counties WHERE county = ${county}`;
  return row?.timezone;
}

export interface CountyRecord {
  county: string;
  name: string;
  phone: string;
  url: string;
  cureUrl: string | null;
  timezone: string;
  emailFrom: string | null;
}

/** Creates or replaces a county's record (`npm run cli -- county`). */
export async function saveCounty(sql: Sql, record: CountyRecord): Promise<void> {
  await sql`
    INSERT INTO counties (county, name, phone, url, cure_url, timezone, email_from, updated_at)
    VALUES (${record.county}, ${record.name}, ${record.phone}, ${record.url}, ${record.cureUrl},
            ${record.timezone}, ${record.emailFrom}, now())
    ON CONFLICT (county) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, url = EXCLUDED.url,
      cure_url = EXCLUDED.cure_url, timezone = EXCLUDED.timezone, email_from = EXCLUDED.email_from, updated_at = now()`;
}
