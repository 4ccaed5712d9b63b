/**
 * The county reports, one use case each: sign-ups, notices, failures and opt-outs, ballots needing
 * attention, and the cure-notice log. The API (`GET /v1/reports/{report}`) and the CLI
 * (`npm run cli -- report`) both call `runReport` and render its table as JSON or CSV, so the two
 * always say the same. The statements live in `db/reports.ts`.
 *
 * County isolation: a key sees only its counties. A county outside them is answered exactly as an
 * unknown county (`not_found`), so a report is never an oracle of another county's existence.
 */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import {
  attentionRows,
  countyTimeZones,
  cureLogRows,
  electionExists,
  failureCounts,
  inReportTransaction,
  isStatementTimeout,
  noticeCounts,
  signupCounts,
  type CureLogRow,
  type ReportScope,
} from '../db/reports.js';
import { RETRY_SPAN_MS } from '../domain/ballot-machine.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { idSchema } from '../domain/scan-event.js';
import { addDays, localDate } from '../domain/zoned-time.js';

export const REPORT_NAMES = ['signups', 'notices', 'failures', 'attention', 'cure-log'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/** Each report's columns, in CSV order: the JSON rows carry the same keys. */
export const REPORT_COLUMNS: Readonly<Record<ReportName, readonly string[]>> = {
  signups: ['county', 'day', 'language', 'channel', 'signups', 'verified'],
  notices: [
    'county',
    'electionId',
    'day',
    'status',
    'notice',
    'channel',
    'language',
    'outcome',
    'deliveryStatus',
    'notices',
  ],
  failures: ['county', 'electionId', 'day', 'kind', 'channel', 'detail', 'count'],
  attention: ['county', 'electionId', 'ballotId', 'problem', 'status', 'channel', 'detail', 'since', 'ageHours'],
  'cure-log': [
    'county',
    'electionId',
    'ballotId',
    'reason',
    'challengeOccurredAt',
    'challengeReceivedAt',
    'channel',
    'notice',
    'detail',
    'firstAttemptAt',
    'sentAt',
    'minutesFromReceipt',
    'minutesFromChallenge',
    'deliveryStatus',
  ],
};

/** What each report says, for the API reference and the CLI's help. */
export const REPORT_DESCRIPTIONS: Readonly<Record<ReportName, string>> = {
  signups: 'contacts added and confirmed per day, language and channel',
  notices: 'notices per day of their first attempt, ballot status, channel, language and outcome',
  failures:
    'failed and failing notices with their error class, provider delivery failures, opt-outs and unsubscribes per day',
  attention: 'ballots needing attention now (challenged, undeliverable, event cap, delivery problems), since when',
  'cure-log': 'per challenged ballot and channel: challenge received, cure notice sent, minutes between (or why not)',
};

/** Days a report may span, from and to included. */
export const MAX_REPORT_DAYS = 366;
/** Days a report spans when `from` is not given (ending `to`, by default today). */
export const DEFAULT_REPORT_DAYS = 31;
/** Rows a listing report (attention, cure-log) returns at most; `truncated` says when it was cut. */
export const MAX_REPORT_ROWS = 100_000;

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((value) => {
    const parsed = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
  }, 'a calendar date YYYY-MM-DD');

/** The query parameters (the CLI's options map onto them); unknown parameters are refused. */
export const reportQuerySchema = z
  .object({
    county: idSchema.optional().describe("a county code; omitted: every county of the key's"),
    electionId: idSchema.optional().describe('an election; omitted: every election'),
    from: date.optional().describe(`first local day, YYYY-MM-DD (default: ${DEFAULT_REPORT_DAYS} days before to)`),
    to: date.optional().describe("last local day, YYYY-MM-DD (default: today in the county's time zone)"),
    format: z.enum(['json', 'csv']).optional().describe('csv: a download; default json (or as Accept says)'),
  })
  .strict();
export type ReportQuery = z.input<typeof reportQuerySchema>;

export type ReportValue = string | number | null;
export type ReportRow = Record<string, ReportValue>;

export interface ReportResult {
  report: ReportName;
  /** The county asked for, or null for every county the key covers. */
  county: string | null;
  electionId: string | null;
  from: string;
  to: string;
  /** The zone the days are in (the county's; `per county` when several). */
  timeZone: string;
  generatedAt: string;
  columns: readonly string[];
  rows: ReportRow[];
  /** A listing report stopped at MAX_REPORT_ROWS rows. */
  truncated: boolean;
}

/** The JSON answer, as the API reference documents it. */
export const reportResultSchema = z.object({
  report: z.enum(REPORT_NAMES),
  county: z.string().nullable().describe("the county asked for; null: every county of the key's"),
  electionId: z.string().nullable(),
  from: z.string().describe('first local day, YYYY-MM-DD'),
  to: z.string().describe('last local day, YYYY-MM-DD'),
  timeZone: z.string().describe("the county's zone the days are in, or `per county`"),
  generatedAt: z.string(),
  columns: z.array(z.string()).describe('the keys of each row, in the order of the CSV columns'),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
  truncated: z.boolean().describe(`a listing report (attention, cure-log) stopped at ${MAX_REPORT_ROWS} rows`),
});

/** A request the reports refuse: the API answers `status` with `code`; the CLI prints the message. */
export class ReportError extends Error {
  override name = 'ReportError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function isReportName(name: string): name is ReportName {
  return (REPORT_NAMES as readonly string[]).includes(name);
}

export interface ReportOptions {
  /** DEFAULT_TIME_ZONE: the days of a county without a `counties` row. */
  defaultTimeZone: string;
  now?: number;
  maxRows?: number;
  /** PostgreSQL stops a report that runs longer (0 or unset: no limit, the CLI's choice). */
  statementTimeoutMs?: number;
}

/** How long the API lets a report run before answering 503 `report_timeout`. */
export const API_REPORT_TIMEOUT_MS = 60_000;

/** Validates the request against the key, runs the report and returns its table. */
export async function runReport(
  sql: Sql,
  principal: Principal,
  name: string,
  query: unknown,
  options: ReportOptions,
): Promise<ReportResult> {
  if (!isReportName(name)) {
    throw new ReportError(404, 'unknown_report', `No report ${name}; the reports are ${REPORT_NAMES.join(', ')}.`);
  }
  const parsed = reportQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const parameter =
      issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.') || 'query';
    throw new ReportError(
      400,
      'invalid_parameter',
      issue.code === 'unrecognized_keys'
        ? `Unknown parameter ${parameter}; use county, electionId, from, to, format.`
        : `${parameter}: ${issue.message}.`,
      { parameter },
    );
  }
  const { county, electionId } = parsed.data;
  if (county !== undefined && !allowsCounty(principal, county)) {
    // The same answer as a county nobody has heard of: no oracle of another county's existence.
    throw new ReportError(404, 'not_found', `No county ${county}.`);
  }
  if (electionId !== undefined && !(await electionExists(sql, electionId))) {
    throw new ReportError(404, 'not_found', `No election ${electionId}.`);
  }
  const counties = county !== undefined ? [county] : principal.counties;
  // One county (asked for, or the key's only one): its days, and "today", are in its zone.
  const single = counties?.length === 1 ? counties[0]! : undefined;
  const zone =
    single !== undefined
      ? ((await countyTimeZones(sql, [single])).get(single) ?? options.defaultTimeZone)
      : options.defaultTimeZone;
  const now = options.now ?? Date.now();
  const to = parsed.data.to ?? localDate(now, zone);
  const from = parsed.data.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
  if (from > to) {
    throw new ReportError(400, 'invalid_range', `from (${from}) is after to (${to}).`, { parameter: 'from' });
  }
  if (addDays(from, MAX_REPORT_DAYS - 1) < to) {
    throw new ReportError(400, 'invalid_range', `A report spans at most ${MAX_REPORT_DAYS} days; narrow from and to.`, {
      parameter: 'to',
    });
  }
  const maxRows = options.maxRows ?? MAX_REPORT_ROWS;
  const scope: ReportScope = {
    counties,
    electionId: electionId ?? null,
    from,
    to,
    defaultTimeZone: options.defaultTimeZone,
    maxRows,
  };
  const timeoutMs = options.statementTimeoutMs ?? 0;
  const rows: ReportRow[] = await inReportTransaction(sql, timeoutMs, async (tx): Promise<ReportRow[]> => {
    switch (name) {
      case 'signups':
        return (await signupCounts(tx, scope)).map((row) => ({ ...row }));
      case 'notices':
        return (await noticeCounts(tx, scope)).map((row) => ({ ...row }));
      case 'failures':
        return (await failureCounts(tx, scope)).map((row) => ({ ...row }));
      case 'attention': {
        const sinceRange = parsed.data.from !== undefined || parsed.data.to !== undefined;
        return (await attentionRows(tx, scope, { retryingAfterMs: RETRY_SPAN_MS, sinceRange })).map((row) => ({
          ...row,
          channel: row.channel || null,
          detail: row.detail || null,
          since: row.since.toISOString(),
          ageHours: Math.floor((now - row.since.getTime()) / 360_000) / 10,
        }));
      }
      case 'cure-log':
        return (await cureLogRows(tx, scope)).map(cureLogView);
    }
  }).catch((error: unknown) => {
    if (!isStatementTimeout(error)) throw error;
    throw new ReportError(
      503,
      'report_timeout',
      `The report ran longer than ${timeoutMs / 1000} s and was stopped: narrow it (one county, one election, fewer days) or run it with the CLI.`,
    );
  });
  const truncated = rows.length > maxRows;
  return {
    report: name,
    county: county ?? null,
    electionId: electionId ?? null,
    from,
    to,
    timeZone: single !== undefined ? zone : 'per county',
    generatedAt: new Date(now).toISOString(),
    columns: REPORT_COLUMNS[name],
    rows: (truncated ? rows.slice(0, maxRows) : rows).map((row) => normalise(row, REPORT_COLUMNS[name])),
    truncated,
  };
}

/** Exactly the report's columns, in order; an empty string is no value (null). */
function normalise(row: Record<string, unknown>, columns: readonly string[]): ReportRow {
  return Object.fromEntries(
    columns.map((column) => {
      const value = row[column];
      return [column, value === '' || value === undefined ? null : (value as ReportValue)];
    }),
  );
}

const minutesBetween = (from: Date, to: Date | null) =>
  to === null ? null : Math.round((to.getTime() - from.getTime()) / 6_000) / 10;

/**
 * One challenge on one channel, in words: the ledger's state of the challenge notice when it has a
 * row; else why nothing was sent (the contact's state), or `scheduled` while the ballot is still
 * challenged and the notice waits for the voter's window; `not_subscribed` when the voter has no
 * subscription at all.
 */
function cureLogView(row: CureLogRow): ReportRow {
  let notice: string;
  let detail: string | null = null;
  if (row.channel === null) {
    notice = 'not_subscribed';
    detail = 'the voter has no active subscription';
  } else if (row.noticeState !== null) {
    notice = row.noticeState;
    detail = row.noticeSkipReason ?? row.noticeError;
  } else if (!row.contactVerified) {
    notice = 'not_sent';
    detail = 'contact not confirmed';
  } else if (row.contactOptedOut) {
    notice = 'not_sent';
    detail = 'opted out';
  } else if (row.contactDisabled) {
    notice = 'not_sent';
    detail = `contact disabled (${row.contactDisabled})`;
  } else if (row.ballotStatus !== 'challenged') {
    notice = 'not_sent';
    detail = `the ballot moved on (${row.ballotStatus}) before a notice was attempted`;
  } else {
    notice = 'scheduled';
    detail = 'no attempt yet: waiting for the voter’s window';
  }
  const sentAt = notice === 'sent' ? (row.noticeSentAt ?? null) : null;
  return {
    county: row.county,
    electionId: row.electionId,
    ballotId: row.ballotId,
    reason: row.reason,
    challengeOccurredAt: row.challengeOccurredAt.toISOString(),
    challengeReceivedAt: row.challengeReceivedAt.toISOString(),
    channel: row.channel,
    notice,
    detail,
    firstAttemptAt: row.noticeFirstAttemptAt?.toISOString() ?? null,
    sentAt: sentAt?.toISOString() ?? null,
    minutesFromReceipt: minutesBetween(row.challengeReceivedAt, sentAt),
    minutesFromChallenge: minutesBetween(row.challengeOccurredAt, sentAt),
    deliveryStatus: row.deliveryStatus,
  };
}

/**
 * RFC 4180 CSV with a header row. A text cell that a spreadsheet would run as a formula (starting
 * with =, +, -, @, tab or carriage return) is prefixed with an apostrophe (OWASP's CSV injection advice).
 */
export function toCsv(result: Pick<ReportResult, 'columns' | 'rows'>): string {
  const cell = (value: ReportValue): string => {
    if (value === null) return '';
    let text = String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [
    result.columns.join(','),
    ...result.rows.map((row) => result.columns.map((c) => cell(row[c] ?? null)).join(',')),
  ];
  return lines.join('\r\n') + '\r\n';
}

/** The download's file name: report, county (or all), dates. */
export function reportFileName(result: Pick<ReportResult, 'report' | 'county' | 'from' | 'to'>): string {
  return `${result.report}-${result.county ?? 'all'}-${result.from}-${result.to}.csv`;
}
