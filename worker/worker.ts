import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/env.js';
import { temporalConnectionOptions } from '../lib/temporal.js';
import type { Activities } from '../activities/index.js';
import { smsTaskQueueFor } from '../workflows/task-queues.js';
import { workflowSource } from './workflow-bundle.js';

type WorkerConfig = Pick<
  Config,
  'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'WORKER_SHUTDOWN_GRACE_TIME' | 'WORKER_MAX_CACHED_WORKFLOWS'
>;

/** Where workflow code comes from (a prebuilt or cached bundle); re-exported for the tests' workers. */
export { workflowSource };

export async function connectWorker(
  config: Parameters<typeof temporalConnectionOptions>[0],
): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config));
}

export async function createWorker(
  config: WorkerConfig,
  connection: NativeConnection,
  activities: Activities,
  overrides: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowSource(),
    activities,
    shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_TIME,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    ...overrides,
  });
}

/**
 * The worker of the SMS task queue: only the send activity, paced by the server to the sender's
 * messages per second across every worker process (`maxTaskQueueActivitiesPerSecond`).
 */
export async function createSmsWorker(
  options: { taskQueue: string; namespace?: string; messagesPerSecond: number; shutdownGraceTime?: number },
  connection: NativeConnection,
  activities: Pick<Activities, 'deliverNotice'> & Partial<Pick<Activities, 'sendNotice'>>,
): Promise<Worker> {
  return Worker.create({
    connection,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    taskQueue: smsTaskQueueFor(options.taskQueue),
    // deliverNotice for v2 ballots, sendNotice for ballots still running the v1 code.
    activities: {
      deliverNotice: activities.deliverNotice,
      ...(activities.sendNotice ? { sendNotice: activities.sendNotice } : {}),
    },
    maxTaskQueueActivitiesPerSecond: options.messagesPerSecond,
    ...(options.shutdownGraceTime !== undefined ? { shutdownGraceTime: options.shutdownGraceTime } : {}),
  });
}
