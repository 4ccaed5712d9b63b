/**
 * The county tables: `counties` (name, phone, web address, cure form, time zone, and what its
 * messages say: deadline rule, when "was counted" may be said, the household initial option),
 * `county_cure_forms` (a form per challenge reason) and `county_texts` (the county's own wording of
 * catalog texts per language, used only once reviewed). Set by `npm run cli -- county` and the county
 * records API (`api/counties.ts`, `/v1/counties`); read by the senders and the status page.
 */
import type { Sql, Tx } from './client.js';

export interface CountyRow {
  name: string | null;
  phone: string | null;
  url: string | null;
  email_from: string | null;
  email_from_name: string | null;
  sms_messaging_service_sid: string | null;
}

/** The county's contact details and senders as stored (fields may be missing; delivery/county.ts fills them in). */
export async function countyDetailsRow(sql: Sql, county: string): Promise<CountyRow | undefined> {
  const [row] = await sql<CountyRow[]>`
    SELECT name, phone, url, email_from, email_from_name, sms_messaging_service_sid FROM counties
    WHERE county = ${county}`;
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

/** What a county offers its voters: its contact details and languages (null: every catalog language). */
export async function countyOffer(
  db: Sql | Tx,
  county: string,
): Promise<{ name: string; phone: string; url: string; languages: string[] | null } | undefined> {
  const [row] = await db<{ name: string; phone: string; url: string; languages: string[] | null }[]>`
    SELECT name, phone, url, languages FROM counties WHERE county = ${county}`;
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
        INSERT INTO county_texts (county, path, language, text, review_state, author, reviewed_by, reviewed_at)
        VALUES (${record.county}, ${text.path}, ${text.language}, ${text.text}, ${text.reviewState}, 'cli',
                ${text.reviewState === 'reviewed' ? 'cli' : null},
                CASE WHEN ${text.reviewState} = 'reviewed' THEN now() END)
        ON CONFLICT (county, path, language) DO UPDATE SET text = EXCLUDED.text,
          review_state = EXCLUDED.review_state, author = EXCLUDED.author, reviewed_by = EXCLUDED.reviewed_by,
          reviewed_at = EXCLUDED.reviewed_at, updated_at = now()`;
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
  /**
   * The county's own texts in the languages asked for, by language and path: only reviewed ones (a
   * draft is never shown to a voter; the catalog's text stands until a second key reviews it).
   */
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
      WHERE county = ${county} AND language = ANY(${[...languages]}) AND review_state = 'reviewed'`,
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

/**
 * A county's whole record as the API shows and replaces it (`PUT /v1/counties/{code}`): contact
 * details, the languages it offers, its senders, its cure path and its rules. Its own texts are a
 * resource of their own (`county_texts`, `GET /v1/counties/{code}/texts`).
 */
export interface CountyRecordView {
  county: string;
  name: string;
  phone: string;
  url: string;
  timezone: string;
  /** Catalog languages offered to the county's voters; null: every catalog language. */
  languages: string[] | null;
  emailSender: { address: string; name: string | null } | null;
  smsSender: { messagingServiceSid: string } | null;
  cureUrl: string | null;
  cureForms: Record<string, string>;
  cureDeadlineRule: string | null;
  certifiesAt: string | null;
  countedFrom: string | null;
  householdInitial: boolean;
  updatedAt: string;
}

/** What a PUT writes: the record without its code and update time. */
export type CountyRecordInput = Omit<CountyRecordView, 'county' | 'updatedAt'>;

interface CountyTableRow {
  county: string;
  name: string;
  phone: string;
  url: string;
  timezone: string;
  languages: string[] | null;
  email_from: string | null;
  email_from_name: string | null;
  sms_messaging_service_sid: string | null;
  cure_url: string | null;
  cure_deadline_rule: string | null;
  certifies_at: Date | null;
  counted_from: Date | null;
  household_initial: boolean;
  updated_at: Date;
  cure_forms: Record<string, string> | null;
}

function recordView(row: CountyTableRow): CountyRecordView {
  return {
    county: row.county,
    name: row.name,
    phone: row.phone,
    url: row.url,
    timezone: row.timezone,
    languages: row.languages,
    emailSender: row.email_from ? { address: row.email_from, name: row.email_from_name } : null,
    smsSender: row.sms_messaging_service_sid ? { messagingServiceSid: row.sms_messaging_service_sid } : null,
    cureUrl: row.cure_url,
    cureForms: row.cure_forms ?? {},
    cureDeadlineRule: row.cure_deadline_rule,
    certifiesAt: row.certifies_at?.toISOString() ?? null,
    countedFrom: row.counted_from?.toISOString() ?? null,
    householdInitial: row.household_initial,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The records of `counties` that exist (null: every county), by code. */
export async function countyRecords(db: Sql | Tx, counties: readonly string[] | null): Promise<CountyRecordView[]> {
  const rows = await db<CountyTableRow[]>`
    SELECT k.county, k.name, k.phone, k.url, k.timezone, k.languages, k.email_from, k.email_from_name,
           k.sms_messaging_service_sid, k.cure_url, k.cure_deadline_rule, k.certifies_at, k.counted_from,
           k.household_initial, k.updated_at,
           (SELECT jsonb_object_agg(f.reason, f.url) FROM county_cure_forms f WHERE f.county = k.county) AS cure_forms
    FROM counties k
    WHERE ${counties === null} OR k.county = ANY(${counties === null ? [] : [...counties]}::text[])
    ORDER BY k.county`;
  return rows.map(recordView);
}

/** One county's record, or undefined when it has none. */
export async function countyRecord(db: Sql | Tx, county: string): Promise<CountyRecordView | undefined> {
  const [record] = await countyRecords(db, [county]);
  return record;
}

/**
 * Creates or replaces a county's whole record (`PUT`): every column, and its cure forms become
 * exactly `input.cureForms`. Its own texts stay. Whether it was created, and the record as stored.
 */
export async function replaceCountyRecord(
  sql: Sql,
  county: string,
  input: CountyRecordInput,
): Promise<{ created: boolean; record: CountyRecordView }> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ created: boolean }[]>`
      INSERT INTO counties (county, name, phone, url, timezone, languages, email_from, email_from_name,
                            sms_messaging_service_sid, cure_url, cure_deadline_rule, certifies_at, counted_from,
                            household_initial, updated_at)
      VALUES (${county}, ${input.name}, ${input.phone}, ${input.url}, ${input.timezone}, ${input.languages}::text[],
              ${input.emailSender?.address ?? null}, ${input.emailSender?.name ?? null},
              ${input.smsSender?.messagingServiceSid ?? null}, ${input.cureUrl}, ${input.cureDeadlineRule},
              ${input.certifiesAt}, ${input.countedFrom}, ${input.householdInitial}, now())
      ON CONFLICT (county) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, url = EXCLUDED.url,
        timezone = EXCLUDED.timezone, languages = EXCLUDED.languages, email_from = EXCLUDED.email_from,
        email_from_name = EXCLUDED.email_from_name, sms_messaging_service_sid = EXCLUDED.sms_messaging_service_sid,
        cure_url = EXCLUDED.cure_url, cure_deadline_rule = EXCLUDED.cure_deadline_rule,
        certifies_at = EXCLUDED.certifies_at, counted_from = EXCLUDED.counted_from,
        household_initial = EXCLUDED.household_initial, updated_at = now()
      RETURNING (xmax = 0) AS created`;
    const reasons = Object.keys(input.cureForms);
    await tx`DELETE FROM county_cure_forms WHERE county = ${county} AND NOT (reason = ANY(${reasons}::text[]))`;
    for (const [reason, url] of Object.entries(input.cureForms)) {
      await tx`
        INSERT INTO county_cure_forms (county, reason, url) VALUES (${county}, ${reason}, ${url})
        ON CONFLICT (county, reason) DO UPDATE SET url = EXCLUDED.url, updated_at = now()`;
    }
    const record = await countyRecord(tx, county);
    return { created: row!.created, record: record! };
  });
}

/** A county text with who wrote it and who reviewed it (`GET /v1/counties/{code}/texts`). */
export interface CountyTextRow extends CountyText {
  author: string | null;
  reviewedBy: string | null;
  reviewedAt: string | null;
  updatedAt: string;
}

interface TextTableRow {
  path: string;
  language: string;
  text: string;
  review_state: 'draft' | 'reviewed';
  author: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  updated_at: Date;
}

const textRow = (row: TextTableRow): CountyTextRow => ({
  path: row.path,
  language: row.language,
  text: row.text,
  reviewState: row.review_state,
  author: row.author,
  reviewedBy: row.reviewed_by,
  reviewedAt: row.reviewed_at?.toISOString() ?? null,
  updatedAt: row.updated_at.toISOString(),
});

/** Every text of a county with its authorship. */
export async function countyTextRows(db: Sql | Tx, county: string): Promise<CountyTextRow[]> {
  const rows = await db<TextTableRow[]>`
    SELECT path, language, text, review_state, author, reviewed_by, reviewed_at, updated_at
    FROM county_texts WHERE county = ${county} ORDER BY path, language`;
  return rows.map(textRow);
}

/**
 * Stores a county's own text as a draft by `author` (a changed text needs a new review, so a
 * reviewed one goes back to draft). The county must have a record.
 */
export async function putCountyText(
  sql: Sql,
  text: { county: string; path: string; language: string; text: string; author: string },
): Promise<{ created: boolean; text: CountyTextRow }> {
  const [row] = await sql<(TextTableRow & { created: boolean })[]>`
    INSERT INTO county_texts (county, path, language, text, review_state, author)
    VALUES (${text.county}, ${text.path}, ${text.language}, ${text.text}, 'draft', ${text.author})
    ON CONFLICT (county, path, language) DO UPDATE SET text = EXCLUDED.text, review_state = 'draft',
      author = EXCLUDED.author, reviewed_by = NULL, reviewed_at = NULL, updated_at = now()
    RETURNING path, language, text, review_state, author, reviewed_by, reviewed_at, updated_at, (xmax = 0) AS created`;
  return { created: row!.created, text: textRow(row!) };
}

export type ReviewOutcome =
  | { outcome: 'reviewed'; text: CountyTextRow }
  | { outcome: 'not_found' }
  | { outcome: 'own_text'; text: CountyTextRow }
  | { outcome: 'text_changed'; text: CountyTextRow };

/**
 * Marks a county text reviewed by `reviewer`, who must not be its author; when `expectedText` is
 * given, only if the text is still that one (it may have changed since the reviewer read it).
 */
export async function reviewCountyText(
  sql: Sql,
  key: { county: string; path: string; language: string },
  reviewer: string,
  expectedText?: string,
): Promise<ReviewOutcome> {
  return sql.begin(async (tx) => {
    const [current] = await tx<TextTableRow[]>`
      SELECT path, language, text, review_state, author, reviewed_by, reviewed_at, updated_at FROM county_texts
      WHERE county = ${key.county} AND path = ${key.path} AND language = ${key.language} FOR UPDATE`;
    if (!current) return { outcome: 'not_found' };
    if (current.author === reviewer) return { outcome: 'own_text', text: textRow(current) };
    if (expectedText !== undefined && expectedText !== current.text) {
      return { outcome: 'text_changed', text: textRow(current) };
    }
    const [row] = await tx<TextTableRow[]>`
      UPDATE county_texts SET review_state = 'reviewed', reviewed_by = ${reviewer}, reviewed_at = now()
      WHERE county = ${key.county} AND path = ${key.path} AND language = ${key.language}
      RETURNING path, language, text, review_state, author, reviewed_by, reviewed_at, updated_at`;
    return { outcome: 'reviewed', text: textRow(row!) };
  });
}

/** Removes a county text (messages use the catalog's again); whether there was one. */
export async function deleteCountyText(
  sql: Sql,
  key: { county: string; path: string; language: string },
): Promise<boolean> {
  const rows = await sql`
    DELETE FROM county_texts WHERE county = ${key.county} AND path = ${key.path} AND language = ${key.language}
    RETURNING 1`;
  return rows.length > 0;
}
