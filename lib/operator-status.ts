/**
 * What an operator needs to see at a glance, gathered from PostgreSQL and Temporal: how far the
 * outbox forwarder is behind, each election's sweeps, notices by state and channel with their error
 * classes, paused delivery, and the SMS queue. The API's /metrics (`api/operator-metrics.ts`) and the
 * CLI's `status` print the same snapshot.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Sql } from '../db/client.js';
import { activePauses, type DeliveryPause } from '../db/delivery-pauses.js';
import { finishedNoticeCounts, openNoticeCounts, type NoticeCount } from '../db/operator-stats.js';
import { outboxHealth, type OutboxHealth } from '../db/outbox.js';
import { sweepProgress, type SweepProgress } from '../db/sweeps.js';
import { smsTaskQueueFor } from '../workflows/task-queues.js';

export interface QueueStatus {
  /** Activity tasks waiting for a worker (Temporal's approximate backlog). */
  backlog: number;
  /** How long the oldest waiting task has waited, in seconds. */
  oldestSeconds: number;
}

export interface OperatorStatus {
  outbox: OutboxHealth;
  sweeps: SweepProgress[];
  /** Sending, retrying and failed notices (always), sent and skipped ones (when asked for). */
  notices: NoticeCount[];
  pauses: DeliveryPause[];
  /** The SMS task queue; `error` when Temporal did not answer. */
  smsQueue: QueueStatus | { error: string };
}

export interface OperatorStatusSource {
  sql: Sql;
  /** Without a client the SMS queue reads as unavailable. */
  temporal?: Client;
  namespace: string;
  /** The ballot task queue (TEMPORAL_TASK_QUEUE); the SMS queue derives from it. */
  taskQueue: string;
}

const TEMPORAL_DEADLINE_MS = 2_000;

/** The SMS queue's backlog, as the matching service estimates it (`describeTaskQueue` with stats). */
export async function smsQueueStatus(source: Pick<OperatorStatusSource, 'temporal' | 'namespace' | 'taskQueue'>) {
  const { temporal } = source;
  if (!temporal) return { error: 'no Temporal client' };
  try {
    const response = await temporal.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      temporal.workflowService.describeTaskQueue({
        namespace: source.namespace,
        taskQueue: { name: smsTaskQueueFor(source.taskQueue) },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        reportStats: true,
      }),
    );
    const stats = response.stats;
    const age = stats?.approximateBacklogAge;
    return {
      backlog: Number(stats?.approximateBacklogCount ?? 0),
      oldestSeconds: age ? Number(age.seconds ?? 0) + (age.nanos ?? 0) / 1e9 : 0,
    } satisfies QueueStatus;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Runs the statements in parallel; `finished` adds the sent and skipped counts (a ledger scan). */
export async function collectOperatorStatus(
  source: OperatorStatusSource,
  options: { finished?: boolean } = {},
): Promise<OperatorStatus> {
  const { sql } = source;
  const [outbox, sweeps, open, finished, pauses, smsQueue] = await Promise.all([
    outboxHealth(sql),
    sweepProgress(sql),
    openNoticeCounts(sql),
    options.finished ? finishedNoticeCounts(sql) : Promise.resolve([]),
    activePauses(sql),
    smsQueueStatus(source),
  ]);
  return {
    outbox,
    sweeps,
    notices: [...open, ...finished],
    pauses,
    smsQueue,
  };
}
