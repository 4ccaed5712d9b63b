/**
 * Operator gauges on the API's /metrics: forwarder lag and dead letters, sweep progress per
 * election and moment, notices by state and channel with their error classes, paused delivery and
 * the SMS queue. They are read from PostgreSQL and Temporal when Prometheus scrapes (not counted in
 * this process), so every API process reports the same values; a snapshot is reused for `cacheMs`
 * and the ledger scan behind the sent and skipped counts for `finishedCacheMs`.
 * The numbers are the ones `npm run cli -- status` prints (`lib/operator-status.ts`).
 */
import { Gauge, type Registry } from 'prom-client';
import { collectOperatorStatus, type OperatorStatus, type OperatorStatusSource } from '../lib/operator-status.js';
import type { NoticeCount } from '../db/operator-stats.js';

export interface OperatorMetricsOptions {
  /** How long one snapshot serves scrapes (default 5 s). */
  cacheMs?: number;
  /** How long the sent and skipped counts (a scan of the ledger) are reused (default 60 s). */
  finishedCacheMs?: number;
  now?: () => number;
}

/** The gauge names, for the dashboard and the tests. */
export const OPERATOR_METRICS = {
  up: 'ballot_tracker_operator_metrics_up',
  outboxOldest: 'ballot_tracker_outbox_oldest_pending_seconds',
  outboxDead: 'ballot_tracker_outbox_dead_lettered_ballots',
  sweepSignalled: 'ballot_tracker_sweep_ballots_signalled',
  sweepPartitions: 'ballot_tracker_sweep_partitions',
  sweepPartitionsDone: 'ballot_tracker_sweep_partitions_done',
  sweepState: 'ballot_tracker_sweep_state',
  sweepOpenAfterClose: 'ballot_tracker_sweep_open_after_close',
  notices: 'ballot_tracker_notices',
  noticeErrors: 'ballot_tracker_notice_errors',
  paused: 'ballot_tracker_delivery_paused',
  smsBacklog: 'ballot_tracker_sms_queue_backlog',
  smsOldest: 'ballot_tracker_sms_queue_oldest_seconds',
} as const;

/** Registers the operator gauges into `registry`; they collect on scrape. */
export function registerOperatorMetrics(
  registry: Registry,
  source: OperatorStatusSource,
  options: OperatorMetricsOptions = {},
): void {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 5_000;
  const finishedCacheMs = options.finishedCacheMs ?? 60_000;
  let snapshot: { at: number; value: Promise<OperatorStatus | undefined> } | undefined;
  let finished: { at: number; counts: NoticeCount[] } | undefined;

  /** One collection per `cacheMs`, shared by every gauge of a scrape (and by concurrent scrapes). */
  function current(): Promise<OperatorStatus | undefined> {
    const at = now();
    if (snapshot && at - snapshot.at < cacheMs) return snapshot.value;
    const wantFinished = !finished || at - finished.at >= finishedCacheMs;
    const value = collectOperatorStatus(source, { finished: wantFinished }).then(
      (status) => {
        if (wantFinished) {
          finished = { at, counts: status.notices.filter((n) => n.state === 'sent' || n.state === 'skipped') };
          return status;
        }
        return { ...status, notices: [...status.notices, ...(finished?.counts ?? [])] };
      },
      () => undefined,
    );
    snapshot = { at, value };
    return value;
  }

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (gauge: Gauge<L>, status: OperatorStatus) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const status = await current();
        this.reset();
        if (status) fill(this, status);
      },
    });

  new Gauge({
    name: OPERATOR_METRICS.up,
    help: 'whether the operator gauges could be read on the last scrape (1) or not (0), by source: postgres, temporal (the SMS queue)',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      const status = await current();
      this.set({ source: 'postgres' }, status ? 1 : 0);
      this.set({ source: 'temporal' }, status && !('error' in status.smsQueue) ? 1 : 0);
    },
  });
  gauge(
    OPERATOR_METRICS.outboxOldest,
    'age of the oldest outbox row not yet forwarded to its workflow (forwarder lag), seconds',
    [],
    (g, s) => g.set(s.outbox.oldestPendingSeconds),
  );
  gauge(
    OPERATOR_METRICS.outboxDead,
    'ballots whose outbox rows are dead-lettered (npm run cli -- outbox dead-letters)',
    [],
    (g, s) => g.set(s.outbox.deadBallots),
  );
  gauge(
    OPERATOR_METRICS.sweepSignalled,
    "ballots signalled by the latest sweep run of each election's moment",
    ['election', 'moment'],
    (g, s) => s.sweeps.forEach((w) => g.set({ election: w.electionId, moment: w.moment }, w.signalled)),
  );
  gauge(OPERATOR_METRICS.sweepPartitions, 'partitions of the latest sweep run', ['election', 'moment'], (g, s) =>
    s.sweeps.forEach((w) => g.set({ election: w.electionId, moment: w.moment }, w.partitions)),
  );
  gauge(
    OPERATOR_METRICS.sweepPartitionsDone,
    'partitions of the latest sweep run that finished their walk',
    ['election', 'moment'],
    (g, s) => s.sweeps.forEach((w) => g.set({ election: w.electionId, moment: w.moment }, w.partitionsDone)),
  );
  gauge(
    OPERATOR_METRICS.sweepState,
    'state of the latest sweep run (1 for its state: running, done, incomplete, cancelled, skipped)',
    ['election', 'moment', 'state'],
    (g, s) => s.sweeps.forEach((w) => g.set({ election: w.electionId, moment: w.moment, state: w.state }, 1)),
  );
  gauge(
    OPERATOR_METRICS.sweepOpenAfterClose,
    'ballots still open after the closing sweep (not zero: npm run cli -- election rerun <e> close)',
    ['election'],
    (g, s) =>
      s.sweeps
        .filter((w) => w.moment === 'close' && w.openAfter !== null)
        .forEach((w) => g.set({ election: w.electionId }, w.openAfter!)),
  );
  gauge(
    OPERATOR_METRICS.notices,
    'notices in the ledger by state (sending, retrying, failed, sent, skipped) and channel',
    ['state', 'channel'],
    (g, s) => s.notices.forEach((n) => g.inc({ state: n.state, channel: n.channel }, n.count)),
  );
  gauge(
    OPERATOR_METRICS.noticeErrors,
    'retrying (or paused) and failed notices by the error class of their last attempt',
    ['state', 'channel', 'error_class'],
    (g, s) =>
      s.notices
        .filter((n) => n.errorClass !== null)
        .forEach((n) => g.inc({ state: n.state, channel: n.channel, error_class: n.errorClass! }, n.count)),
  );
  gauge(
    OPERATOR_METRICS.paused,
    'active delivery pauses (1 each) by county and channel ("all" for every one) and reason',
    ['county', 'channel', 'reason'],
    (g, s) =>
      s.pauses.forEach((p) => g.set({ county: p.county ?? 'all', channel: p.channel ?? 'all', reason: p.reason }, 1)),
  );
  gauge(
    OPERATOR_METRICS.smsBacklog,
    'SMS sends waiting on their rate-limited task queue (Temporal approximate backlog)',
    [],
    (g, s) => {
      if (!('error' in s.smsQueue)) g.set(s.smsQueue.backlog);
    },
  );
  gauge(
    OPERATOR_METRICS.smsOldest,
    'how long the oldest SMS send has waited on its task queue, seconds',
    [],
    (g, s) => {
      if (!('error' in s.smsQueue)) g.set(s.smsQueue.oldestSeconds);
    },
  );
}
