/**
 * The election sweeps' reads and writes: pages of the ballots a moment concerns, listed by keyset
 * within each of the election's 64 buckets (a partition walks the buckets `b` with
 * `b % partitions = partition`), the closing's own status change, and each run's progress.
 */
import { FINAL_STATUSES } from '../domain/ballot-status.js';
import type { ElectionMomentKind } from '../domain/election-moments.js';
import type { Sql } from './client.js';

export const SWEEP_BUCKETS = 64;

/** Where a partition is: the next ballots come after `ballotId` in `bucket`. */
export interface SweepCursor {
  bucket: number;
  ballotId: string;
}

const FINAL = FINAL_STATUSES as readonly string[] as string[];

/**
 * The next page of ballots one moment concerns in a bucket: for the return reminder, ballots still
 * outbound whose voter has a working, confirmed contact (a reminder to nobody costs an action for
 * nothing); for the closing, every ballot not yet final.
 */
export async function sweepPage(
  sql: Sql,
  input: { electionId: string; moment: ElectionMomentKind; bucket: number; after: string; limit: number },
): Promise<string[]> {
  const rows =
    input.moment === 'close'
      ? await sql<{ ballot_id: string }[]>`
          SELECT ballot_id FROM ballots
          WHERE election_id = ${input.electionId} AND sweep_bucket = ${input.bucket} AND ballot_id > ${input.after}
            AND status <> ALL(${FINAL})
          ORDER BY ballot_id LIMIT ${input.limit}`
      : await sql<{ ballot_id: string }[]>`
          SELECT b.ballot_id FROM ballots b
          WHERE b.election_id = ${input.electionId} AND b.sweep_bucket = ${input.bucket} AND b.ballot_id > ${input.after}
            AND b.status = 'outbound'
            AND EXISTS (SELECT 1 FROM subscriptions s
                        JOIN contacts c ON c.subscription_id = s.subscription_id
                        WHERE s.voter_id = b.voter_id AND s.status = 'active' AND c.verified_at IS NOT NULL
                          AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL)
          ORDER BY b.ballot_id LIMIT ${input.limit}`;
  return rows.map((row) => row.ballot_id);
}

/** The closing's record: the ballots become `closed` (those still not final). */
export async function closeBallots(sql: Sql, electionId: string, ballotIds: readonly string[]): Promise<number> {
  if (ballotIds.length === 0) return 0;
  const rows = await sql`
    UPDATE ballots SET status = 'closed', status_changed_at = now()
    WHERE election_id = ${electionId} AND ballot_id = ANY(${ballotIds as string[]}) AND status <> ALL(${FINAL})
    RETURNING 1`;
  return rows.length;
}

/** Ballots of the election not yet final: zero after a complete closing. */
export async function countOpenBallots(sql: Sql, electionId: string): Promise<number> {
  const [row] = await sql<{ n: string }[]>`
    SELECT count(*) AS n FROM ballots WHERE election_id = ${electionId} AND status <> ALL(${FINAL})`;
  return Number(row?.n ?? 0);
}

export async function recordSweepStart(
  sql: Sql,
  input: { electionId: string; moment: ElectionMomentKind; run: number; partitions: number },
): Promise<void> {
  await sql`
    INSERT INTO election_sweeps (election_id, moment, run, partitions, state)
    VALUES (${input.electionId}, ${input.moment}, ${input.run}, ${input.partitions}, 'running')
    ON CONFLICT (election_id, moment, run) DO UPDATE SET partitions = EXCLUDED.partitions, state = 'running'`;
}

export async function recordPartitionProgress(
  sql: Sql,
  input: {
    electionId: string;
    moment: ElectionMomentKind;
    run: number;
    partition: number;
    signalled: number;
    cursor: SweepCursor | null;
    finished?: boolean;
  },
): Promise<void> {
  await sql`
    INSERT INTO election_sweep_partitions (election_id, moment, run, partition, signalled, cursor, finished_at)
    VALUES (${input.electionId}, ${input.moment}, ${input.run}, ${input.partition}, ${input.signalled},
            ${input.cursor ? sql.json(input.cursor as never) : null}, ${input.finished ? sql`now()` : null})
    ON CONFLICT (election_id, moment, run, partition) DO UPDATE SET
      signalled = EXCLUDED.signalled, cursor = EXCLUDED.cursor, finished_at = EXCLUDED.finished_at, updated_at = now()`;
}

export async function recordSweepEnd(
  sql: Sql,
  input: {
    electionId: string;
    moment: ElectionMomentKind;
    run: number;
    state: 'done' | 'incomplete' | 'cancelled';
    signalled: number;
    openAfter?: number;
  },
): Promise<void> {
  await sql`
    UPDATE election_sweeps SET state = ${input.state}, signalled = ${input.signalled},
           open_after = ${input.openAfter ?? null}, finished_at = now()
    WHERE election_id = ${input.electionId} AND moment = ${input.moment} AND run = ${input.run}`;
}

export interface SweepProgress {
  electionId: string;
  moment: ElectionMomentKind;
  run: number;
  state: string;
  partitions: number;
  /** Partitions that finished their walk in this run. */
  partitionsDone: number;
  /** Signals sent so far (running) or in all (finished). */
  signalled: number;
  openAfter: number | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** The latest run of each moment of each election (or one election), for the CLI and metrics. */
export async function sweepProgress(sql: Sql, electionId?: string): Promise<SweepProgress[]> {
  const rows = await sql<
    {
      election_id: string;
      moment: ElectionMomentKind;
      run: number;
      state: string;
      partitions: number;
      partitions_done: string;
      signalled: string;
      open_after: string | null;
      started_at: Date;
      finished_at: Date | null;
    }[]
  >`
    SELECT DISTINCT ON (s.election_id, s.moment) s.election_id, s.moment, s.run, s.state, s.partitions,
           greatest(s.signalled, coalesce((SELECT sum(p.signalled) FROM election_sweep_partitions p
              WHERE p.election_id = s.election_id AND p.moment = s.moment AND p.run = s.run), 0)) AS signalled,
           (SELECT count(*) FROM election_sweep_partitions p
              WHERE p.election_id = s.election_id AND p.moment = s.moment AND p.run = s.run
                AND p.finished_at IS NOT NULL) AS partitions_done,
           s.open_after, s.started_at, s.finished_at
    FROM election_sweeps s
    ${electionId ? sql`WHERE s.election_id = ${electionId}` : sql``}
    ORDER BY s.election_id, s.moment, s.run DESC`;
  return rows.map((r) => ({
    electionId: r.election_id,
    moment: r.moment,
    run: r.run,
    state: r.state,
    partitions: r.partitions,
    partitionsDone: Number(r.partitions_done),
    signalled: Number(r.signalled),
    openAfter: r.open_after === null ? null : Number(r.open_after),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
}
