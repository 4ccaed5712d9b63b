/**
 * The workflow outbox: every record that must reach a workflow is written here in the transaction
 * that accepts it, and forwarded later by any API process. Rows are forwarded per ballot: the
 * `outbox_ballots` row of a ballot counts its pending rows and carries its retry schedule, which is
 * also its lease. Claiming picks ballots, not rows, so a failing ballot delays nobody else.
 */
import type postgres from 'postgres';
import { ballotsToTellOfVoter } from './ballots.js';
import type { Sql } from './client.js';

type Db = Sql | postgres.TransactionSql;

export type OutboxKind = 'scan' | 'issuance' | 'election' | 'plan' | 'resume';

/** The channel a committed outbox write is announced on (LISTEN/NOTIFY), so forwarders look at once. */
export const OUTBOX_CHANNEL = 'workflow_outbox';

export interface OutboxWrite {
  kind: OutboxKind;
  electionId: string;
  /** '' for election rows. */
  ballotId: string;
  eventId?: string;
  payload?: unknown;
  keyId?: string | null;
}

/**
 * Queues rows (call inside the accepting transaction) and announces them: the notification is
 * delivered when the transaction commits, never before.
 */
export async function enqueue(tx: Db, writes: readonly OutboxWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const rows = writes.map((w) => ({
    kind: w.kind,
    election_id: w.electionId,
    ballot_id: w.ballotId,
    event_id: w.eventId ?? null,
    payload: w.payload ?? {},
    key_id: w.keyId ?? null,
  }));
  await tx`
    WITH written AS (
      INSERT INTO workflow_outbox (kind, election_id, ballot_id, event_id, payload, key_id)
      SELECT kind, election_id, ballot_id, event_id, payload, key_id
      FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
             AS (kind text, election_id text, ballot_id text, event_id text, payload jsonb, key_id text))
           WITH ORDINALITY AS r(kind, election_id, ballot_id, event_id, payload, key_id, n)
      ORDER BY n
      RETURNING election_id, ballot_id
    )
    INSERT INTO outbox_ballots AS q (election_id, ballot_id, pending)
    SELECT election_id, ballot_id, count(*) FROM written GROUP BY election_id, ballot_id
    ORDER BY election_id, ballot_id
    ON CONFLICT (election_id, ballot_id) DO UPDATE SET
      pending = q.pending + EXCLUDED.pending,
      -- An idle ballot queues behind nobody: it becomes due now, not at its last attempt's time.
      next_attempt_at = CASE WHEN q.pending = 0 THEN now() ELSE q.next_attempt_at END`;
  await tx`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`;
}

/**
 * A voter's contacts or preferences changed: each of their ballots in an open election gets a `plan` row (`ballotsToTellOfVoter`), so its
 * workflow hears the new plan (in order with its scans) even if Temporal is unreachable right now.
 */
export async function enqueuePlanChange(db: Db, voterId: string): Promise<number> {
  const ballots = await ballotsToTellOfVoter(db, voterId);
  await enqueue(
    db,
    ballots.map((ballot) => ({ kind: 'plan' as const, ...ballot })),
  );
  return ballots.length;
}

export interface OutboxRow {
  seq: string;
  kind: OutboxKind;
  electionId: string;
  ballotId: string;
  payload: unknown;
  receivedAt: Date;
}

export interface ClaimedBallot {
  electionId: string;
  ballotId: string;
  attempts: number;
  /** Its pending rows in `seq` order (at most `rowsPerBallot`). */
  rows: OutboxRow[];
}

/**
 * Claims up to `limit` due ballots (oldest due first) for `leaseMs` and returns their pending rows.
 * Committed at once: the lease, not a held transaction, keeps other forwarders off them.
 */
export async function claimBallots(
  sql: Sql,
  options: { limit: number; leaseMs: number; rowsPerBallot?: number },
): Promise<ClaimedBallot[]> {
  const rows = await sql<
    {
      election_id: string;
      ballot_id: string;
      attempts: number;
      seq: string | null;
      kind: OutboxKind | null;
      payload: unknown;
      received_at: Date | null;
    }[]
  >`
    WITH claimed AS (
      UPDATE outbox_ballots q SET next_attempt_at = now() + make_interval(secs => ${options.leaseMs / 1000})
      WHERE (q.election_id, q.ballot_id) IN (
        SELECT election_id, ballot_id FROM outbox_ballots
        WHERE pending > 0 AND dead_at IS NULL AND next_attempt_at <= now()
        ORDER BY next_attempt_at
        LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING q.election_id, q.ballot_id, q.attempts
    )
    SELECT c.election_id, c.ballot_id, c.attempts, o.seq, o.kind, o.payload, o.received_at
    FROM claimed c
    LEFT JOIN LATERAL (
      SELECT seq, kind, payload, received_at FROM workflow_outbox w
      WHERE w.election_id = c.election_id AND w.ballot_id = c.ballot_id AND w.forwarded_at IS NULL
      ORDER BY seq LIMIT ${options.rowsPerBallot ?? 100}
    ) o ON true
    ORDER BY c.election_id, c.ballot_id, o.seq`;
  const ballots = new Map<string, ClaimedBallot>();
  for (const row of rows) {
    const key = `${row.election_id}\u0000${row.ballot_id}`;
    let ballot = ballots.get(key);
    if (!ballot) {
      ballot = { electionId: row.election_id, ballotId: row.ballot_id, attempts: row.attempts, rows: [] };
      ballots.set(key, ballot);
    }
    if (row.seq !== null) {
      ballot.rows.push({
        seq: row.seq,
        kind: row.kind!,
        electionId: row.election_id,
        ballotId: row.ballot_id,
        payload: row.payload,
        receivedAt: row.received_at!,
      });
    }
  }
  return [...ballots.values()];
}

/** How a claimed ballot's rows ended: forwarded (with how the workflow took them) or not. */
export type ForwardResult =
  | { ballot: ClaimedBallot; forwarded: true; outcome: string }
  | {
      ballot: ClaimedBallot;
      forwarded: false;
      error: string;
      retryInMs: number;
      /** False for outages (Temporal unreachable or overloaded): they never dead-letter a ballot. */
      countsAttempt?: boolean;
    };

/**
 * Records the results of forwarded ballots in two statements: forwarded rows are marked and their
 * ballots made due again (more rows may have arrived meanwhile); failed ballots wait for their retry,
 * or are dead-lettered after `maxAttempts` failures.
 */
export async function settle(sql: Sql, results: readonly ForwardResult[], maxAttempts: number): Promise<void> {
  const done = results.flatMap((r) =>
    r.forwarded
      ? [
          {
            election_id: r.ballot.electionId,
            ballot_id: r.ballot.ballotId,
            seqs: r.ballot.rows.map((row) => row.seq),
            outcome: r.outcome,
          },
        ]
      : [],
  );
  const failed = results.flatMap((r) =>
    r.forwarded
      ? []
      : [
          {
            election_id: r.ballot.electionId,
            ballot_id: r.ballot.ballotId,
            error: r.error.slice(0, 500),
            delay_ms: r.retryInMs,
            counts: r.countsAttempt === false ? 0 : 1,
          },
        ],
  );
  if (done.length > 0) {
    await sql`
      WITH done AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(done)}::text::jsonb)
          AS d(election_id text, ballot_id text, seqs bigint[], outcome text)
      ), marked AS (
        UPDATE workflow_outbox o SET forwarded_at = now(), forward_outcome = d.outcome, last_error = NULL
        FROM done d
        WHERE o.seq = ANY(d.seqs) AND o.forwarded_at IS NULL
        RETURNING o.election_id, o.ballot_id
      ), counted AS (
        SELECT election_id, ballot_id, count(*) AS n FROM marked GROUP BY election_id, ballot_id
      )
      UPDATE outbox_ballots q SET pending = q.pending - coalesce(c.n, 0), attempts = 0, last_error = NULL,
             next_attempt_at = now()
      FROM done d LEFT JOIN counted c USING (election_id, ballot_id)
      WHERE q.election_id = d.election_id AND q.ballot_id = d.ballot_id`;
  }
  if (failed.length > 0) {
    await sql`
      UPDATE outbox_ballots q SET attempts = q.attempts + f.counts, last_error = f.error,
             next_attempt_at = now() + make_interval(secs => f.delay_ms / 1000.0),
             dead_at = CASE WHEN f.counts > 0 AND q.attempts + 1 >= ${maxAttempts} THEN now() ELSE NULL END
      FROM jsonb_to_recordset(${JSON.stringify(failed)}::text::jsonb)
        AS f(election_id text, ballot_id text, error text, delay_ms integer, counts integer)
      WHERE q.election_id = f.election_id AND q.ballot_id = f.ballot_id`;
  }
}

export interface OutboxHealth {
  /** Rows not yet forwarded. */
  pending: number;
  /** Age in seconds of the oldest row not yet forwarded (0 when none). */
  oldestPendingSeconds: number;
  /** Ballots whose rows are dead-lettered. */
  deadBallots: number;
}

export async function outboxHealth(sql: Sql): Promise<OutboxHealth> {
  const [row] = await sql<{ pending: string; oldest: number | null; dead: string }[]>`
    SELECT (SELECT coalesce(sum(pending), 0) FROM outbox_ballots WHERE pending > 0) AS pending,
           (SELECT extract(epoch FROM now() - received_at)::float8 FROM workflow_outbox
              WHERE forwarded_at IS NULL ORDER BY seq LIMIT 1) AS oldest,
           (SELECT count(*) FROM outbox_ballots WHERE dead_at IS NOT NULL) AS dead`;
  return {
    pending: Number(row?.pending ?? 0),
    oldestPendingSeconds: Math.max(0, row?.oldest ?? 0),
    deadBallots: Number(row?.dead ?? 0),
  };
}

export interface DeadLetter {
  electionId: string;
  ballotId: string;
  pending: number;
  attempts: number;
  lastError: string | null;
  deadAt: Date;
}

export async function deadLetters(
  sql: Sql,
  options: { electionId?: string; limit?: number } = {},
): Promise<DeadLetter[]> {
  const rows = await sql<
    {
      election_id: string;
      ballot_id: string;
      pending: number;
      attempts: number;
      last_error: string | null;
      dead_at: Date;
    }[]
  >`
    SELECT election_id, ballot_id, pending, attempts, last_error, dead_at FROM outbox_ballots
    WHERE dead_at IS NOT NULL ${options.electionId ? sql`AND election_id = ${options.electionId}` : sql``}
    ORDER BY dead_at LIMIT ${options.limit ?? 1000}`;
  return rows.map((r) => ({
    electionId: r.election_id,
    ballotId: r.ballot_id,
    pending: r.pending,
    attempts: r.attempts,
    lastError: r.last_error,
    deadAt: r.dead_at,
  }));
}

/** Gives dead-lettered ballots (all, one election's, or one ballot) a fresh set of attempts. Returns how many. */
export async function retryDeadLetters(
  sql: Sql,
  filter: { electionId?: string; ballotId?: string } = {},
): Promise<number> {
  const rows = await sql`
    UPDATE outbox_ballots SET dead_at = NULL, attempts = 0, next_attempt_at = now()
    WHERE dead_at IS NOT NULL
      ${filter.electionId ? sql`AND election_id = ${filter.electionId}` : sql``}
      ${filter.ballotId ? sql`AND ballot_id = ${filter.ballotId}` : sql``}
    RETURNING 1`;
  if (rows.length > 0) await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`;
  return rows.length;
}
