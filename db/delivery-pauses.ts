/**
 * Delivery paused by a configuration failure: a county without contact details stops that county's
 * notices, a provider account problem stops that channel everywhere. Notices wait (nothing is
 * dropped and nothing retries hourly) until an operator resumes delivery; resuming queues a `resume`
 * outbox row for every ballot holding a notice the pause stopped.
 */
import type postgres from 'postgres';
import type { Channel } from '../domain/notices.js';
import type { Sql } from './client.js';
import { enqueue } from './outbox.js';

type Db = Sql | postgres.TransactionSql;

export interface DeliveryPause {
  pauseId: string;
  /** null: every county. */
  county: string | null;
  /** null: every channel. */
  channel: Channel | null;
  reason: string;
  detail: string | null;
  pausedAt: Date;
}

/** Pauses a county's or a channel's delivery (idempotent: an active pause of the same scope stays). */
export async function pauseDelivery(
  db: Db,
  scope: { county: string | null; channel: Channel | null },
  reason: string,
  detail?: string,
): Promise<void> {
  await db`
    INSERT INTO delivery_pauses (county, channel, reason, detail)
    VALUES (${scope.county}, ${scope.channel}, ${reason}, ${detail ?? null})
    ON CONFLICT (coalesce(county, '*'), coalesce(channel, '*')) WHERE resumed_at IS NULL DO NOTHING`;
}

/** The active pause that stops a notice of this county on this channel, if any. */
export async function pauseCovering(db: Db, county: string, channel: Channel): Promise<DeliveryPause | undefined> {
  const [row] = await activePauses(db, { county, channel, covering: true });
  return row;
}

export async function activePauses(
  db: Db,
  filter: { county?: string; channel?: Channel; covering?: boolean } = {},
): Promise<DeliveryPause[]> {
  const rows = await db<
    {
      pause_id: string;
      county: string | null;
      channel: Channel | null;
      reason: string;
      detail: string | null;
      paused_at: Date;
    }[]
  >`
    SELECT pause_id, county, channel, reason, detail, paused_at FROM delivery_pauses
    WHERE resumed_at IS NULL
      ${filter.county !== undefined ? (filter.covering ? db`AND (county IS NULL OR county = ${filter.county})` : db`AND county = ${filter.county}`) : db``}
      ${filter.channel !== undefined ? (filter.covering ? db`AND (channel IS NULL OR channel = ${filter.channel})` : db`AND channel = ${filter.channel}`) : db``}
    ORDER BY paused_at`;
  return rows.map((r) => ({
    pauseId: r.pause_id,
    county: r.county,
    channel: r.channel,
    reason: r.reason,
    detail: r.detail,
    pausedAt: r.paused_at,
  }));
}

/**
 * Resumes the pauses matching the scope (every pause, one county's, one channel's) and queues a
 * `resume` row for each open ballot with a notice waiting on such a pause. Returns both counts.
 */
export async function resumeDelivery(
  sql: Sql,
  scope: { county?: string; channel?: Channel },
): Promise<{ pauses: number; ballots: number }> {
  return sql.begin(async (tx) => {
    const resumed = await tx`
      UPDATE delivery_pauses SET resumed_at = now()
      WHERE resumed_at IS NULL
        ${scope.county !== undefined ? tx`AND (county = ${scope.county} OR county IS NULL)` : tx``}
        ${scope.channel !== undefined ? tx`AND (channel = ${scope.channel} OR channel IS NULL)` : tx``}
      RETURNING 1`;
    const waiting = await tx<{ election_id: string; ballot_id: string }[]>`
      SELECT DISTINCT n.election_id, n.ballot_id
      FROM notice_deliveries n JOIN ballots b USING (election_id, ballot_id)
      WHERE n.state = 'pending' AND n.error_code IS NOT NULL
        AND b.status <> 'closed'
        ${scope.county !== undefined ? tx`AND b.county = ${scope.county}` : tx``}
        ${scope.channel !== undefined ? tx`AND n.channel = ${scope.channel}` : tx``}`;
    await enqueue(
      tx,
      waiting.map((row) => ({ kind: 'resume' as const, electionId: row.election_id, ballotId: row.ballot_id })),
    );
    return { pauses: resumed.length, ballots: waiting.length };
  });
}
