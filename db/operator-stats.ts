/**
 * Counts operators watch, straight from the record: notices by state and channel, and the error
 * classes of the notices that are retrying, paused or failed. The open and failed rows are counted
 * through a partial index (cheap on every scrape); the finished ones (`sent`, `skipped`) need a scan
 * of the ledger, so callers ask for them less often.
 */
import type { Sql } from './client.js';

/** A ledger row's state as the status API words it (`pending` with an error class is `retrying`). */
export type LedgerNoticeState = 'sending' | 'retrying' | 'failed' | 'sent' | 'skipped';

export interface NoticeCount {
  state: LedgerNoticeState;
  channel: string;
  /** The last attempt's error class (retrying, failed); null otherwise. */
  errorClass: string | null;
  count: number;
}

/** Rows being sent, retrying (or paused) and failed, by channel and error class. */
export async function openNoticeCounts(sql: Sql): Promise<NoticeCount[]> {
  const rows = await sql<{ state: string; channel: string; error_code: string | null; n: string }[]>`
    SELECT state, channel, error_code, count(*) AS n FROM notice_deliveries
    WHERE state IN ('sending', 'pending', 'failed')
    GROUP BY state, channel, error_code`;
  const counts = new Map<string, NoticeCount>();
  for (const row of rows) {
    const state: LedgerNoticeState =
      row.state === 'failed' ? 'failed' : row.state === 'pending' && row.error_code ? 'retrying' : 'sending';
    const errorClass = state === 'sending' ? null : row.error_code;
    const key = `${state}\u0000${row.channel}\u0000${errorClass ?? ''}`;
    const entry = counts.get(key) ?? { state, channel: row.channel, errorClass, count: 0 };
    entry.count += Number(row.n);
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** Sent and skipped rows by channel: a scan of the whole ledger. */
export async function finishedNoticeCounts(sql: Sql): Promise<NoticeCount[]> {
  const rows = await sql<{ state: 'sent' | 'skipped'; channel: string; n: string }[]>`
    SELECT state, channel, count(*) AS n FROM notice_deliveries
    WHERE state IN ('sent', 'skipped')
    GROUP BY state, channel`;
  return rows.map((row) => ({ state: row.state, channel: row.channel, errorClass: null, count: Number(row.n) }));
}
