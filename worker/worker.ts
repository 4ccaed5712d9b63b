import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/env.js';
import { temporalConnectionOptions } from '../lib/temporal.js';
import type { Activities } from '../activities/index.js';

type WorkerConfig = Pick<
  Config,
  'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'WORKER_SHUTDOWN_GRACE_TIME' | 'WORKER_MAX_CACHED_WORKFLOWS'
>;

/** A prebundled `workflow-bundle.js` (production image) wins; otherwise bundle from source at start. */
export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  return { workflowsPath: existsSync(compiled) ? compiled : compiled.replace(/\.js$/, '.ts') };
}

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
