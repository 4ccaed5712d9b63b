/**
 * The county tables: `counties` (name, phone, web address, cure form, time zone, and what its
 * messages say: deadline rule, when "was counted" may be said, the household initial option),
 * `county_cure_forms` (a form per challenge reason) and `county_texts` (the county's own wording of
 * catalog texts per language). Set by `npm run cli -- county`; read by the senders and the status page.
 */
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
  /** A code of domain/reasons.ts CURE_DEADLINE_RULES: said when a challenge carries no deadline. */
  cureDeadlineRule?: string | null;
  /** From this instant (ISO) an accepted ballot "was counted"; unset: it "will be counted". */
  countedFrom?: string | null;
  /** Messages name the voter's first initial (a household may share one phone). */
  householdInitial?: boolean;
}

/** A county's own wording of one catalog text in one language. */
export interface CountyText {
  /** `reason.challenged.<code>`, `reason.rejected.<code>`, `cure_instructions.<code>` or `cure_rule`. */
  path: string;
  language: string;
  text: string;
  reviewState: 'draft' | 'reviewed';
}

/**
 * Creates or replaces a county's record (`npm run cli -- county`); the cure forms and texts given
 * are added or replaced, the county's others stay. One transaction.
 */
export async function saveCounty(
  sql: Sql,
  record: CountyRecord,
  extras: { cureForms?: Readonly<Record<string, string>>; texts?: readonly CountyText[] } = {},
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO counties (county, name, phone, url, cure_url, timezone, email_from, cure_deadline_rule,
                            counted_from, household_initial, updated_at)
      VALUES (${record.county}, ${record.name}, ${record.phone}, ${record.url}, ${record.cureUrl},
              ${record.timezone}, ${record.emailFrom}, ${record.cureDeadlineRule ?? null},
              ${record.countedFrom ?? null}, ${record.householdInitial ?? false}, now())
      ON CONFLICT (county) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, url = EXCLUDED.url,
        cure_url = EXCLUDED.cure_url, timezone = EXCLUDED.timezone, email_from = EXCLUDED.email_from,
        cure_deadline_rule = EXCLUDED.cure_deadline_rule, counted_from = EXCLUDED.counted_from,
        household_initial = EXCLUDED.household_initial, updated_at = now()`;
    for (const [reason, url] of Object.entries(extras.cureForms ?? {})) {
      await tx`
        INSERT INTO county_cure_forms (county, reason, url) VALUES (${record.county}, ${reason}, ${url})
        ON CONFLICT (county, reason) DO UPDATE SET url = EXCLUDED.url, updated_at = now()`;
    }
    for (const text of extras.texts ?? []) {
      await tx`
        INSERT INTO county_texts (county, path, language, text, review_state)
        VALUES (${record.county}, ${text.path}, ${text.language}, ${text.text}, ${text.reviewState})
        ON CONFLICT (county, path, language) DO UPDATE SET text = EXCLUDED.text,
          review_state = EXCLUDED.review_state, updated_at = now()`;
    }
  });
}

/** What a county's notices and status page say beyond its contact details. */
export interface CountyMessageSettings {
  cureUrl: string | null;
  cureDeadlineRule: string | null;
  countedFrom: Date | null;
  householdInitial: boolean;
  /** Form per challenge reason. */
  cureForms: Record<string, string>;
  /** The county's own texts in the languages asked for, by language and path. */
  texts: Record<string, Record<string, { text: string; reviewState: string }>>;
}

const NO_SETTINGS: CountyMessageSettings = {
  cureUrl: null,
  cureDeadlineRule: null,
  countedFrom: null,
  householdInitial: false,
  cureForms: {},
  texts: {},
};

/** The county's message settings, with its texts in `languages` (a county without a row: none). */
export async function countyMessageSettings(
  db: Sql | Tx,
  county: string,
  languages: readonly string[],
): Promise<CountyMessageSettings> {
  const [row] = await db<
    {
      cure_url: string | null;
      cure_deadline_rule: string | null;
      counted_from: Date | null;
      household_initial: boolean;
    }[]
  >`SELECT cure_url, cure_deadline_rule, counted_from, household_initial FROM counties WHERE county = ${county}`;
  if (!row) return { ...NO_SETTINGS, cureForms: {}, texts: {} };
  const [forms, texts] = await Promise.all([
    db<{ reason: string; url: string }[]>`SELECT reason, url FROM county_cure_forms WHERE county = ${county}`,
    db<{ path: string; language: string; text: string; review_state: string }[]>`
      SELECT path, language, text, review_state FROM county_texts
      WHERE county = ${county} AND language = ANY(${[...languages]})`,
  ]);
  const byLanguage: CountyMessageSettings['texts'] = {};
  for (const text of texts) {
    (byLanguage[text.language] ??= {})[text.path] = { text: text.text, reviewState: text.review_state };
  }
  return {
    cureUrl: row.cure_url,
    cureDeadlineRule: row.cure_deadline_rule,
    countedFrom: row.counted_from,
    householdInitial: row.household_initial,
    cureForms: Object.fromEntries(forms.map((form) => [form.reason, form.url])),
    texts: byLanguage,
  };
}

/** Every text a county set, for translators (`npm run cli -- county-texts`). */
export async function countyTexts(sql: Sql, county: string): Promise<CountyText[]> {
  const rows = await sql<{ path: string; language: string; text: string; review_state: 'draft' | 'reviewed' }[]>`
    SELECT path, language, text, review_state FROM county_texts WHERE county = ${county} ORDER BY path, language`;
  return rows.map((row) => ({ path: row.path, language: row.language, text: row.text, reviewState: row.review_state }));
}
