/**
 * Broadcasts' reads and writes: the broadcast record and its lifecycle (each step one conditional
 * UPDATE, so two operators racing cannot both win), the selection (ballots of the election, its
 * counties and statuses, whose voter has a working, confirmed contact), the selection's audience for
 * the preview and the dry run, pages of it by keyset within the 64 sweep buckets, and progress.
 */
import { broadcastSequence, BROADCAST_STOPPED, type BroadcastState } from '../domain/broadcasts.js';
import type { Sql } from './client.js';
import type { SweepCursor } from './sweeps.js';

export interface Broadcast {
  broadcastId: number;
  electionId: string;
  /** `null`: every county. */
  counties: string[] | null;
  statuses: string[];
  messageKey: string;
  note: string | null;
  state: BroadcastState;
  createdBy: string;
  createdAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  dryRunAt: Date | null;
  startedBy: string | null;
  startedAt: Date | null;
  selected: number | null;
  expiresAt: Date | null;
  stoppedBy: string | null;
  stoppedAt: Date | null;
  finishedAt: Date | null;
}

interface BroadcastRow {
  broadcast_id: number;
  election_id: string;
  counties: string[] | null;
  statuses: string[];
  message_key: string;
  note: string | null;
  state: BroadcastState;
  created_by: string;
  created_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  dry_run_at: Date | null;
  started_by: string | null;
  started_at: Date | null;
  selected: string | null;
  expires_at: Date | null;
  stopped_by: string | null;
  stopped_at: Date | null;
  finished_at: Date | null;
}

function fromRow(r: BroadcastRow): Broadcast {
  return {
    broadcastId: r.broadcast_id,
    electionId: r.election_id,
    counties: r.counties,
    statuses: r.statuses,
    messageKey: r.message_key,
    note: r.note,
    state: r.state,
    createdBy: r.created_by,
    createdAt: r.created_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    dryRunAt: r.dry_run_at,
    startedBy: r.started_by,
    startedAt: r.started_at,
    selected: r.selected === null ? null : Number(r.selected),
    expiresAt: r.expires_at,
    stoppedBy: r.stopped_by,
    stoppedAt: r.stopped_at,
    finishedAt: r.finished_at,
  };
}

export async function createBroadcast(
  sql: Sql,
  input: {
    electionId: string;
    counties: string[] | null;
    statuses: string[];
    messageKey: string;
    note?: string | undefined;
    createdBy: string;
  },
): Promise<Broadcast> {
  const [row] = await sql<BroadcastRow[]>`
    INSERT INTO broadcasts (election_id, counties, statuses, message_key, note, created_by)
    VALUES (${input.electionId}, ${input.counties}, ${input.statuses}, ${input.messageKey}, ${input.note ?? null},
            ${input.createdBy})
    RETURNING *`;
  return fromRow(row!);
}

export async function findBroadcast(sql: Sql, broadcastId: number): Promise<Broadcast | undefined> {
  const [row] = await sql<BroadcastRow[]>`SELECT * FROM broadcasts WHERE broadcast_id = ${broadcastId}`;
  return row ? fromRow(row) : undefined;
}

/** Broadcasts, newest first; `counties`: only those whose every county is in the list (null: all). */
export async function listBroadcasts(
  sql: Sql,
  filter: { electionId?: string | undefined; counties: readonly string[] | null; limit?: number },
): Promise<Broadcast[]> {
  const rows = await sql<BroadcastRow[]>`
    SELECT * FROM broadcasts
    WHERE true
      ${filter.electionId ? sql`AND election_id = ${filter.electionId}` : sql``}
      ${filter.counties ? sql`AND counties IS NOT NULL AND counties <@ ${filter.counties as string[]}::text[]` : sql``}
    ORDER BY broadcast_id DESC LIMIT ${filter.limit ?? 100}`;
  return rows.map(fromRow);
}

/** A draft becomes approved, by a key other than its creator's; undefined when it was not a draft. */
export async function approveBroadcast(sql: Sql, broadcastId: number, keyId: string): Promise<Broadcast | undefined> {
  const [row] = await sql<BroadcastRow[]>`
    UPDATE broadcasts SET state = 'approved', approved_by = ${keyId}, approved_at = now()
    WHERE broadcast_id = ${broadcastId} AND state = 'draft' AND created_by <> ${keyId}
    RETURNING *`;
  return row ? fromRow(row) : undefined;
}

export async function noteDryRun(sql: Sql, broadcastId: number): Promise<void> {
  await sql`UPDATE broadcasts SET dry_run_at = now() WHERE broadcast_id = ${broadcastId}`;
}

/** An approved broadcast starts running; undefined when it was not approved. */
export async function markBroadcastRunning(
  sql: Sql,
  broadcastId: number,
  input: { keyId: string; expiresAt: Date | null },
): Promise<Broadcast | undefined> {
  const [row] = await sql<BroadcastRow[]>`
    UPDATE broadcasts SET state = 'running', started_by = ${input.keyId}, started_at = now(),
           expires_at = ${input.expiresAt}
    WHERE broadcast_id = ${broadcastId} AND state = 'approved'
    RETURNING *`;
  return row ? fromRow(row) : undefined;
}

/**
 * Stops a broadcast: from this commit on, no signal and no send. A `done` run can be stopped too:
 * its notices may still wait for voters' windows in the ballot workflows.
 */
export async function markBroadcastStopped(
  sql: Sql,
  broadcastId: number,
  keyId: string,
): Promise<Broadcast | undefined> {
  const [row] = await sql<BroadcastRow[]>`
    UPDATE broadcasts SET state = 'stopped', stopped_by = ${keyId}, stopped_at = now()
    WHERE broadcast_id = ${broadcastId} AND state IN ('draft', 'approved', 'running', 'done')
    RETURNING *`;
  return row ? fromRow(row) : undefined;
}

export async function noteSelected(sql: Sql, broadcastId: number, selected: number): Promise<void> {
  await sql`UPDATE broadcasts SET selected = ${selected} WHERE broadcast_id = ${broadcastId} AND selected IS NULL`;
}

/** A running broadcast whose every partition finished is done (a stopped one stays stopped). */
export async function markBroadcastDone(sql: Sql, broadcastId: number): Promise<BroadcastState | undefined> {
  const [row] = await sql<{ state: BroadcastState }[]>`
    UPDATE broadcasts SET state = CASE WHEN state = 'running' THEN 'done' ELSE state END,
           finished_at = coalesce(finished_at, now())
    WHERE broadcast_id = ${broadcastId}
    RETURNING state`;
  return row?.state;
}

export async function broadcastState(sql: Sql, broadcastId: number): Promise<BroadcastState | undefined> {
  const [row] = await sql<{ state: BroadcastState }[]>`
    SELECT state FROM broadcasts WHERE broadcast_id = ${broadcastId}`;
  return row?.state;
}

/** The selection's conditions on ballots `b`: the election, counties, statuses, a subscribed voter. */
function selection(sql: Sql, b: Pick<Broadcast, 'electionId' | 'counties' | 'statuses'>) {
  return sql`
    b.election_id = ${b.electionId}
    AND b.status = ANY(${b.statuses}::text[])
    ${b.counties ? sql`AND b.county = ANY(${b.counties}::text[])` : sql``}
    AND EXISTS (SELECT 1 FROM subscriptions s JOIN contacts c ON c.subscription_id = s.subscription_id
                WHERE s.voter_id = b.voter_id AND s.status = 'active' AND c.verified_at IS NOT NULL
                  AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL)`;
}

/** The next page of the selection in one bucket, by ballot ID. */
export async function broadcastPage(
  sql: Sql,
  b: Pick<Broadcast, 'electionId' | 'counties' | 'statuses'>,
  cursor: { bucket: number; after: string; limit: number },
): Promise<string[]> {
  const rows = await sql<{ ballot_id: string }[]>`
    SELECT b.ballot_id FROM ballots b
    WHERE b.sweep_bucket = ${cursor.bucket} AND b.ballot_id > ${cursor.after} AND ${selection(sql, b)}
    ORDER BY b.ballot_id LIMIT ${cursor.limit}`;
  return rows.map((row) => row.ballot_id);
}

export async function countSelection(
  sql: Sql,
  b: Pick<Broadcast, 'electionId' | 'counties' | 'statuses'>,
): Promise<number> {
  const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM ballots b WHERE ${selection(sql, b)}`;
  return Number(row?.n ?? 0);
}

/** One group of the selection's audience: a county, channel, language and contact window. */
export interface AudienceGroup {
  county: string;
  channel: 'sms' | 'email' | 'voice';
  language: string;
  windowStart: string;
  windowEnd: string;
  timeZone: string;
  ballots: number;
  voters: number;
  contacts: number;
}

/**
 * Who the selection reaches, grouped by county, channel, language and window: the working, confirmed
 * contacts of the selected ballots' voters (the ones their workflows would send to).
 */
export async function selectionAudience(
  sql: Sql,
  b: Pick<Broadcast, 'electionId' | 'counties' | 'statuses'>,
): Promise<AudienceGroup[]> {
  const rows = await sql<
    {
      county: string;
      channel: AudienceGroup['channel'];
      language: string;
      window_start: string;
      window_end: string;
      timezone: string;
      ballots: string;
      voters: string;
      contacts: string;
    }[]
  >`
    SELECT b.county, c.channel, s.language, s.window_start, s.window_end, s.timezone,
           count(DISTINCT b.ballot_id) AS ballots, count(DISTINCT s.voter_id) AS voters,
           count(DISTINCT c.contact_id) AS contacts
    FROM ballots b
    JOIN subscriptions s ON s.voter_id = b.voter_id AND s.status = 'active'
    JOIN contacts c ON c.subscription_id = s.subscription_id AND c.verified_at IS NOT NULL
                   AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL
    WHERE ${selection(sql, b)}
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6`;
  return rows.map((r) => ({
    county: r.county,
    channel: r.channel,
    language: r.language,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    timeZone: r.timezone,
    ballots: Number(r.ballots),
    voters: Number(r.voters),
    contacts: Number(r.contacts),
  }));
}

export async function recordBroadcastPartition(
  sql: Sql,
  input: {
    broadcastId: number;
    partition: number;
    signalled: number;
    gone: number;
    cursor: SweepCursor | null;
    finished?: boolean;
  },
): Promise<void> {
  await sql`
    INSERT INTO broadcast_partitions (broadcast_id, partition, signalled, gone, cursor, finished_at)
    VALUES (${input.broadcastId}, ${input.partition}, ${input.signalled}, ${input.gone},
            ${input.cursor ? sql.json(input.cursor as never) : null}, ${input.finished ? sql`now()` : null})
    ON CONFLICT (broadcast_id, partition) DO UPDATE SET
      signalled = greatest(broadcast_partitions.signalled, EXCLUDED.signalled),
      gone = greatest(broadcast_partitions.gone, EXCLUDED.gone),
      cursor = EXCLUDED.cursor, finished_at = EXCLUDED.finished_at, updated_at = now()`;
}

export interface BroadcastProgress {
  selected: number | null;
  /** Ballots whose workflow was signalled (a ballot whose workflow had ended counts as `gone`). */
  signalled: number;
  gone: number;
  partitions: number;
  partitionsDone: number;
  /** Notices in the ledger by state: sent, skipped (and why), failed, sending or retrying. */
  sent: number;
  skipped: number;
  skippedBecause: Record<string, number>;
  failed: number;
  inFlight: number;
}

/** How far a broadcast got: its partitions' signals and its notices in the ledger. */
export async function broadcastProgress(sql: Sql, b: Pick<Broadcast, 'broadcastId' | 'electionId' | 'selected'>) {
  const [parts] = await sql<{ signalled: string; gone: string; partitions: string; done: string }[]>`
    SELECT coalesce(sum(signalled), 0) AS signalled, coalesce(sum(gone), 0) AS gone, count(*) AS partitions,
           count(*) FILTER (WHERE finished_at IS NOT NULL) AS done
    FROM broadcast_partitions WHERE broadcast_id = ${b.broadcastId}`;
  const notices = await sql<{ state: string; skip_reason: string | null; n: string }[]>`
    SELECT state, skip_reason, count(*) AS n FROM notice_deliveries
    WHERE election_id = ${b.electionId} AND sequence = ${broadcastSequence(b.broadcastId)}
    GROUP BY 1, 2`;
  const count = (state: string) =>
    notices.filter((row) => row.state === state).reduce((sum, row) => sum + Number(row.n), 0);
  const skippedBecause: Record<string, number> = {};
  for (const row of notices.filter((r) => r.state === 'skipped')) {
    const reason = row.skip_reason ?? 'no verified contact for this channel';
    skippedBecause[reason] = (skippedBecause[reason] ?? 0) + Number(row.n);
  }
  return {
    selected: b.selected,
    signalled: Number(parts?.signalled ?? 0),
    gone: Number(parts?.gone ?? 0),
    partitions: Number(parts?.partitions ?? 0),
    partitionsDone: Number(parts?.done ?? 0),
    sent: count('sent'),
    skipped: count('skipped'),
    skippedBecause,
    failed: count('failed'),
    inFlight: count('sending') + count('pending'),
  } satisfies BroadcastProgress;
}

/**
 * The sender's last check: the notice of a stopped broadcast is recorded as skipped
 * (`broadcast_stopped`) instead of sent. Returns the ledger row's state afterwards.
 */
export async function skipStoppedBroadcastNotice(
  sql: Sql,
  ref: { electionId: string; ballotId: string; noticeKey: string; channel: string; sequence: number },
  row: { messageKey: string; language: string },
): Promise<string> {
  const [written] = await sql<{ state: string }[]>`
    INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, sequence, message_key, language,
                                   state, skip_reason)
    VALUES (${ref.electionId}, ${ref.ballotId}, ${ref.noticeKey}, ${ref.channel}, ${ref.sequence}, ${row.messageKey},
            ${row.language}, 'skipped', ${BROADCAST_STOPPED})
    ON CONFLICT (election_id, ballot_id, notice_key, channel, sequence) DO UPDATE SET
      state = 'skipped', skip_reason = ${BROADCAST_STOPPED}, updated_at = now()
      WHERE notice_deliveries.state = 'pending'
    RETURNING state`;
  if (written) return written.state;
  const [existing] = await sql<{ state: string }[]>`
    SELECT state FROM notice_deliveries
    WHERE election_id = ${ref.electionId} AND ballot_id = ${ref.ballotId} AND notice_key = ${ref.noticeKey}
      AND channel = ${ref.channel} AND sequence = ${ref.sequence}`;
  return existing?.state ?? 'skipped';
}
