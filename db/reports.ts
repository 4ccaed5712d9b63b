/**
 * The statements behind the county reports (`reports/`): aggregates of the notice ledger, the
 * subscriptions and contacts, and the ballots and their events. Every statement reads through an
 * index of migration 0012 (or 0006 for the attention set) and returns IDs, codes and counts only:
 * no name, address or contact.
 *
 * Days are local to each row's county (`counties.timezone`, else the default zone given). A date
 * range is applied in two steps: a coarse instant range one day wider on each side (every UTC offset
 * fits), which the index reads, then the exact local date.
 */
import type { Sql, Tx } from './client.js';

/** A pool or the report's read-only transaction. */
type Db = Sql | Tx;

/** What every report is narrowed to. `counties` null: every county. */
export interface ReportScope {
  counties: readonly string[] | null;
  electionId: string | null;
  /** Local dates, YYYY-MM-DD, both included. */
  from: string;
  to: string;
  /** The zone of a county without a `counties` row (DEFAULT_TIME_ZONE). */
  defaultTimeZone: string;
  /** Most rows a listing report returns (one more is read, to say it was cut). */
  maxRows: number;
}

/** The scope as statement parameters: an empty list with `all` true means every county. */
function scopeParams(scope: ReportScope) {
  return {
    all: scope.counties === null,
    counties: [...(scope.counties ?? [])],
    election: scope.electionId,
    from: scope.from,
    to: scope.to,
    tz: scope.defaultTimeZone,
  };
}

export interface SignupRow {
  county: string;
  day: string;
  language: string;
  channel: string;
  signups: number;
  verified: number;
}

/**
 * Contacts added (`signups`) and confirmed (`verified`, by their latest confirmation) per county,
 * local day, the subscription's language and channel. With an election, only voters with a ballot
 * in it.
 */
export async function signupCounts(sql: Db, scope: ReportScope): Promise<SignupRow[]> {
  const p = scopeParams(scope);
  const rows = await sql<(Omit<SignupRow, 'signups' | 'verified'> & { signups: string; verified: string })[]>`
    WITH c AS (
      SELECT v.county, s.language, c.channel, c.created_at, c.verified_at,
             coalesce(k.timezone, ${p.tz}) AS tz
      FROM contacts c
      JOIN subscriptions s ON s.subscription_id = c.subscription_id
      JOIN voters v ON v.voter_id = s.voter_id
      LEFT JOIN counties k ON k.county = v.county
      WHERE ((c.created_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC') AND c.created_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC'))
          OR (c.verified_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC') AND c.verified_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC')))
        AND (${p.all} OR v.county = ANY(${p.counties}::text[]))
        AND (${p.election}::text IS NULL OR EXISTS (
          SELECT 1 FROM ballots b WHERE b.voter_id = s.voter_id AND b.election_id = ${p.election}::text))
    ), days AS (
      SELECT county, language, channel, (created_at AT TIME ZONE tz)::date AS day, 1 AS signup, 0 AS verified FROM c
      UNION ALL
      SELECT county, language, channel, (verified_at AT TIME ZONE tz)::date, 0, 1 FROM c WHERE verified_at IS NOT NULL
    )
    SELECT county, day::text AS day, language, channel, sum(signup) AS signups, sum(verified) AS verified
    FROM days WHERE day BETWEEN ${p.from}::date AND ${p.to}::date
    GROUP BY county, day, language, channel
    ORDER BY county, day, language, channel`;
  return rows.map((r) => ({ ...r, signups: Number(r.signups), verified: Number(r.verified) }));
}

export interface NoticeCountRow {
  county: string;
  electionId: string;
  day: string;
  /** The ballot status the notice told. */
  status: string;
  /** `status`, or `return_reminder` / `cure_reminder` (sequence above 0). */
  notice: string;
  channel: string;
  language: string;
  /** The ledger state: sent, failed, skipped, retrying (an attempt failed, more follow), sending. */
  outcome: string;
  /** The provider's latest delivery status (queued, sent, delivered, undelivered, failed), or ''. */
  deliveryStatus: string;
  notices: number;
}

/** The ledger's state in the words of the status API (`ingest/ballot-status.ts`). */
const OUTCOME = `CASE WHEN n.state IN ('sent', 'failed', 'skipped') THEN n.state
                      WHEN n.error_code IS NOT NULL THEN 'retrying' ELSE 'sending' END`;

/** Ledger rows per county, election, local day of their first attempt, notice, channel, language and outcome. */
export async function noticeCounts(sql: Db, scope: ReportScope): Promise<NoticeCountRow[]> {
  const p = scopeParams(scope);
  const rows = await sql<(Omit<NoticeCountRow, 'notices'> & { notices: string })[]>`
    WITH n AS (
      SELECT coalesce(n.county, '') AS county, n.election_id,
             (n.created_at AT TIME ZONE coalesce(k.timezone, ${p.tz}))::date AS day,
             split_part(n.notice_key, '#', 1) AS status,
             CASE WHEN n.sequence = 0 THEN 'status'
                  WHEN split_part(n.notice_key, '#', 1) = 'challenged' THEN 'cure_reminder'
                  ELSE 'return_reminder' END AS notice,
             n.channel, n.language, ${sql.unsafe(OUTCOME)} AS outcome, coalesce(n.provider_status, '') AS delivery_status
      FROM notice_deliveries n
      LEFT JOIN counties k ON k.county = n.county
      WHERE n.created_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC') AND n.created_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC')
        AND (${p.all} OR n.county = ANY(${p.counties}::text[]))
        AND (${p.election}::text IS NULL OR n.election_id = ${p.election}::text)
    )
    SELECT county, election_id AS "electionId", day::text AS day, status, notice, channel, language, outcome,
           delivery_status AS "deliveryStatus", count(*) AS notices
    FROM n WHERE day BETWEEN ${p.from}::date AND ${p.to}::date
    GROUP BY county, election_id, day, status, notice, channel, language, outcome, delivery_status
    ORDER BY county, election_id, day, status, notice, channel, language, outcome, delivery_status`;
  return rows.map((r) => ({ ...r, notices: Number(r.notices) }));
}

export interface FailureRow {
  county: string;
  /** '' for opt-outs and unsubscribes (a subscription is the voter's, not an election's). */
  electionId: string;
  day: string;
  /**
   * `notice_failed` (the ledger gave up: a permanent refusal), `notice_retrying` (attempts fail and
   * go on), `delivery_failed` (the provider took it, then reported undelivered or failed),
   * `opt_out` (a contact opted out: STOP, the provider's opt-out, one-click unsubscribe of one
   * address), `unsubscribe` (a subscription ended, counted per confirmed channel).
   */
  kind: string;
  channel: string;
  /** The error class (notices), the provider's status and error code (deliveries), or ''. */
  detail: string;
  count: number;
}

/** Failed and failing notices, provider delivery failures, opt-outs and unsubscribes per local day. */
export async function failureCounts(sql: Db, scope: ReportScope): Promise<FailureRow[]> {
  const p = scopeParams(scope);
  const rows = await sql<(Omit<FailureRow, 'count'> & { count: string })[]>`
    WITH n AS (
      SELECT coalesce(n.county, '') AS county, n.election_id,
             (n.created_at AT TIME ZONE coalesce(k.timezone, ${p.tz}))::date AS day,
             n.channel, n.state, n.error_code, n.provider_status, n.provider_error_code
      FROM notice_deliveries n
      LEFT JOIN counties k ON k.county = n.county
      WHERE n.created_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC') AND n.created_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC')
        AND (${p.all} OR n.county = ANY(${p.counties}::text[]))
        AND (${p.election}::text IS NULL OR n.election_id = ${p.election}::text)
        AND (n.state = 'failed' OR (n.state IN ('pending', 'sending') AND n.error_code IS NOT NULL)
             OR n.provider_status IN ('undelivered', 'failed'))
    ), opt_outs AS (
      SELECT v.county, c.channel, (c.opted_out_at AT TIME ZONE coalesce(k.timezone, ${p.tz}))::date AS day
      FROM contacts c
      JOIN subscriptions s ON s.subscription_id = c.subscription_id
      JOIN voters v ON v.voter_id = s.voter_id
      LEFT JOIN counties k ON k.county = v.county
      WHERE c.opted_out_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC')
        AND c.opted_out_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC')
        AND (${p.all} OR v.county = ANY(${p.counties}::text[]))
        AND (${p.election}::text IS NULL OR EXISTS (
          SELECT 1 FROM ballots b WHERE b.voter_id = s.voter_id AND b.election_id = ${p.election}::text))
    ), unsubscribes AS (
      SELECT v.county, c.channel, (s.updated_at AT TIME ZONE coalesce(k.timezone, ${p.tz}))::date AS day
      FROM subscriptions s
      JOIN contacts c ON c.subscription_id = s.subscription_id AND c.verified_at IS NOT NULL
      JOIN voters v ON v.voter_id = s.voter_id
      LEFT JOIN counties k ON k.county = v.county
      WHERE s.status = 'unsubscribed'
        AND s.updated_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC')
        AND s.updated_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC')
        AND (${p.all} OR v.county = ANY(${p.counties}::text[]))
        AND (${p.election}::text IS NULL OR EXISTS (
          SELECT 1 FROM ballots b WHERE b.voter_id = s.voter_id AND b.election_id = ${p.election}::text))
    ), events AS (
      SELECT county, election_id, day, 'notice_failed' AS kind, channel, coalesce(error_code, '') AS detail
      FROM n WHERE state = 'failed'
      UNION ALL
      SELECT county, election_id, day, 'notice_retrying', channel, error_code
      FROM n WHERE state IN ('pending', 'sending') AND error_code IS NOT NULL
      UNION ALL
      SELECT county, election_id, day, 'delivery_failed', channel,
             provider_status || coalesce(' ' || provider_error_code, '')
      FROM n WHERE provider_status IN ('undelivered', 'failed')
      UNION ALL
      SELECT county, '', day, 'opt_out', channel, '' FROM opt_outs
      UNION ALL
      SELECT county, '', day, 'unsubscribe', channel, '' FROM unsubscribes
    )
    SELECT county, election_id AS "electionId", day::text AS day, kind, channel, detail, count(*) AS count
    FROM events WHERE day BETWEEN ${p.from}::date AND ${p.to}::date
    GROUP BY county, election_id, day, kind, channel, detail
    ORDER BY county, election_id, day, kind, channel, detail`;
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export interface AttentionRow {
  county: string;
  electionId: string;
  ballotId: string;
  /**
   * `challenged`, `undeliverable`, `event_cap` (the ballot's events beyond the cap are kept without
   * effect), `delivery_retrying` (a notice failing for over `retryingAfterMs`), `delivery_paused`
   * (a notice held by a delivery pause until an operator resumes it).
   */
  problem: string;
  status: string;
  /** The notice's channel for delivery problems, else ''. */
  channel: string;
  /** The challenge reason code, or the last attempt's error class, or ''. */
  detail: string;
  since: Date;
}

/**
 * Ballots needing attention now, oldest first: their status (challenged, undeliverable) or flag
 * (`attention`) through the partial index `ballots_attention`, and their stuck notices through the
 * ledger's partial index of unfinished rows. `since` in the scope's dates narrows by local day of
 * `since` only when `sinceRange` is set.
 */
export async function attentionRows(
  sql: Db,
  scope: ReportScope,
  options: { retryingAfterMs: number; sinceRange: boolean },
): Promise<AttentionRow[]> {
  const p = scopeParams(scope);
  const rows = await sql<AttentionRow[]>`
    WITH flagged AS (
      SELECT b.county, b.election_id, b.ballot_id, b.status, b.attention,
             coalesce(b.status_changed_at, b.created_at) AS since
      FROM ballots b
      WHERE (b.status IN ('challenged', 'undeliverable') OR b.attention IS NOT NULL)
        AND (${p.election}::text IS NULL OR b.election_id = ${p.election}::text)
        AND (${p.all} OR b.county = ANY(${p.counties}::text[]))
    ), stuck AS (
      SELECT b.county, b.election_id, b.ballot_id, b.status, n.channel, n.error_code, n.created_at,
             EXISTS (SELECT 1 FROM delivery_pauses x
                     WHERE x.resumed_at IS NULL AND (x.county IS NULL OR x.county = b.county)
                       AND (x.channel IS NULL OR x.channel = n.channel)) AS paused
      FROM notice_deliveries n
      JOIN ballots b ON b.election_id = n.election_id AND b.ballot_id = n.ballot_id
      WHERE n.state IN ('pending', 'sending') AND n.error_code IS NOT NULL
        AND (${p.election}::text IS NULL OR n.election_id = ${p.election}::text)
        AND (${p.all} OR b.county = ANY(${p.counties}::text[]))
    ), problems AS (
      SELECT county, election_id, ballot_id, status AS problem, status, '' AS channel,
             CASE WHEN status = 'challenged' THEN coalesce((
               SELECT e.details->>'reason' FROM ballot_events e
               WHERE e.election_id = f.election_id AND e.ballot_id = f.ballot_id AND e.type = 'challenged'
                 AND e.outcome = 'applied'
               ORDER BY e.seq DESC LIMIT 1), '') ELSE '' END AS detail,
             since
      FROM flagged f WHERE status IN ('challenged', 'undeliverable')
      UNION ALL
      SELECT county, election_id, ballot_id, attention, status, '', '', since FROM flagged WHERE attention IS NOT NULL
      UNION ALL
      SELECT county, election_id, ballot_id, CASE WHEN paused THEN 'delivery_paused' ELSE 'delivery_retrying' END,
             status, channel, error_code, created_at
      FROM stuck
      WHERE paused OR created_at <= now() - make_interval(secs => ${options.retryingAfterMs / 1000})
    )
    SELECT p.county, p.election_id AS "electionId", p.ballot_id AS "ballotId", p.problem, p.status, p.channel,
           p.detail, p.since
    FROM problems p LEFT JOIN counties k ON k.county = p.county
    WHERE NOT ${options.sinceRange}
       OR (p.since AT TIME ZONE coalesce(k.timezone, ${p.tz}))::date BETWEEN ${p.from}::date AND ${p.to}::date
    ORDER BY p.since, p.county, p.election_id, p.ballot_id, p.problem, p.channel
    LIMIT ${scope.maxRows + 1}`;
  return rows;
}

export interface CureLogRow {
  county: string;
  electionId: string;
  ballotId: string;
  reason: string;
  /** The ballot's status now. */
  ballotStatus: string;
  challengeOccurredAt: Date;
  challengeReceivedAt: Date;
  /** The channel of the notice or of the voter's contact; null when the voter has no subscription. */
  channel: string | null;
  /** The ledger row of the challenge notice (`challenged#0`) on that channel, when there is one. */
  noticeState: string | null;
  noticeError: string | null;
  noticeSkipReason: string | null;
  noticeFirstAttemptAt: Date | null;
  noticeSentAt: Date | null;
  deliveryStatus: string | null;
  /** The voter's contact on that channel in their active subscription, when there is one. */
  contactVerified: boolean | null;
  contactOptedOut: boolean | null;
  contactDisabled: string | null;
}

/**
 * Every challenge that moved a ballot (received in the date range, local day), with, per channel
 * (each the ledger has a challenge notice on, or the voter has a contact on), that notice's row and
 * the contact's state. A ballot whose voter has no subscription comes once with channel null.
 */
export async function cureLogRows(sql: Db, scope: ReportScope): Promise<CureLogRow[]> {
  const p = scopeParams(scope);
  return sql<CureLogRow[]>`
    WITH ch AS (
      SELECT b.county, e.election_id, e.ballot_id, b.voter_id, b.status, coalesce(e.details->>'reason', '') AS reason,
             e.occurred_at, e.received_at
      FROM ballot_events e
      JOIN ballots b ON b.election_id = e.election_id AND b.ballot_id = e.ballot_id
      LEFT JOIN counties k ON k.county = b.county
      WHERE e.type = 'challenged' AND e.outcome = 'applied'
        AND e.received_at >= ((${p.from}::date - 1)::timestamp AT TIME ZONE 'UTC') AND e.received_at < ((${p.to}::date + 2)::timestamp AT TIME ZONE 'UTC')
        AND (e.received_at AT TIME ZONE coalesce(k.timezone, ${p.tz}))::date BETWEEN ${p.from}::date AND ${p.to}::date
        AND (${p.election}::text IS NULL OR e.election_id = ${p.election}::text)
        AND (${p.all} OR b.county = ANY(${p.counties}::text[]))
    ), contact AS (
      SELECT ch.election_id, ch.ballot_id, c.channel, c.verified_at, c.opted_out_at, c.disabled_reason
      FROM ch
      JOIN subscriptions s ON s.voter_id = ch.voter_id AND s.status = 'active'
      JOIN contacts c ON c.subscription_id = s.subscription_id
    ), notice AS (
      SELECT n.election_id, n.ballot_id, n.channel, n.state, n.error_code, n.skip_reason, n.created_at, n.sent_at,
             n.provider_status
      FROM ch JOIN notice_deliveries n
        ON n.election_id = ch.election_id AND n.ballot_id = ch.ballot_id AND n.notice_key = 'challenged#0'
    ), channels AS (
      SELECT election_id, ballot_id, channel FROM notice
      UNION
      SELECT election_id, ballot_id, channel FROM contact
    )
    SELECT ch.county, ch.election_id AS "electionId", ch.ballot_id AS "ballotId", ch.reason,
           ch.status AS "ballotStatus",
           ch.occurred_at AS "challengeOccurredAt", ch.received_at AS "challengeReceivedAt",
           x.channel,
           CASE WHEN n.state IS NULL THEN NULL WHEN n.state IN ('sent', 'failed', 'skipped') THEN n.state
                WHEN n.error_code IS NOT NULL THEN 'retrying' ELSE 'sending' END AS "noticeState",
           n.error_code AS "noticeError", n.skip_reason AS "noticeSkipReason",
           n.created_at AS "noticeFirstAttemptAt", n.sent_at AS "noticeSentAt", n.provider_status AS "deliveryStatus",
           c.verified_at IS NOT NULL AS "contactVerified", c.opted_out_at IS NOT NULL AS "contactOptedOut",
           c.disabled_reason AS "contactDisabled"
    FROM ch
    LEFT JOIN channels x ON x.election_id = ch.election_id AND x.ballot_id = ch.ballot_id
    LEFT JOIN notice n ON n.election_id = ch.election_id AND n.ballot_id = ch.ballot_id AND n.channel = x.channel
    LEFT JOIN contact c ON c.election_id = ch.election_id AND c.ballot_id = ch.ballot_id AND c.channel = x.channel
    ORDER BY ch.received_at, ch.county, ch.election_id, ch.ballot_id, x.channel
    LIMIT ${scope.maxRows + 1}`;
}

/**
 * Runs `work` in a read-only transaction that PostgreSQL stops after `timeoutMs` (0: no limit), so
 * a report too wide for the API cannot hold a connection and the database for long.
 */
export async function inReportTransaction<T>(sql: Sql, timeoutMs: number, work: (tx: Tx) => Promise<T>): Promise<T> {
  return sql.begin('read only', async (tx) => {
    await tx`SELECT set_config('statement_timeout', ${String(timeoutMs)}, true)`;
    return work(tx);
  }) as Promise<T>;
}

/** SQLSTATE 57014: the statement was cancelled (here: by the report's statement timeout). */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}

/** Whether an election exists (an election's existence is not a county's secret). */
export async function electionExists(sql: Db, electionId: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM elections WHERE election_id = ${electionId}`;
  return rows.length > 0;
}

/** The counties' own time zones, for those that have a row. */
export async function countyTimeZones(sql: Db, counties: readonly string[]): Promise<Map<string, string>> {
  const rows = await sql<{ county: string; timezone: string }[]>`
    SELECT county, timezone FROM counties WHERE county = ANY(${[...counties]}::text[])`;
  return new Map(rows.map((r) => [r.county, r.timezone]));
}
