import { Client } from '@temporalio/client';
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Config } from '../config/env.js';
import { createActivities } from '../activities/index.js';
import { countyFallback } from '../delivery/county.js';
import {
  createNoticeLinks,
  createSenders,
  deliverySettingsFromConfig,
  manageTokenSecret,
} from '../delivery/senders.js';
import { ActionBudget } from '../db/action-budget.js';
import { createSql } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import type { Logger } from '../lib/logger.js';
import { connectClient, registerSearchAttributes } from '../lib/temporal.js';
import { ensureContactDataPurgeSchedule } from './schedules.js';
import { connectWorker, createSmsWorker, createWorker } from './worker.js';

export interface RunningWorker {
  /** Stops polling, lets in-flight activities finish within the grace time, closes connections. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped (rejects if it failed). */
  done: Promise<void>;
}

/** Temporal's own log lines go through pino, at the same level and with the same redaction. */
export function temporalLogger(logger: Logger): DefaultLogger {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  // The SDK's INFO lines (worker state changes, webpack output) are noise at the default level.
  const threshold: LogLevel = logger.isLevelEnabled('debug') ? 'DEBUG' : 'WARN';
  return new DefaultLogger(threshold, ({ level, message, meta }) => logger[levels[level]](meta ?? {}, message));
}

/** Everything a worker process does, shared by `worker/main.ts` and the dev runner. */
export async function runWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const sql = createSql(config);
  const applied = await migrate(sql);
  if (applied.length > 0) logger.info({ applied }, 'applied migrations');

  const clientConnection = await connectClient(config);
  await registerSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE, logger);
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  // The daily purge is housekeeping: a schedule that cannot be created must not stop ballot notices.
  await ensureContactDataPurgeSchedule(
    temporal,
    { taskQueue: config.TEMPORAL_TASK_QUEUE, retentionDays: config.CONTACT_DATA_RETENTION_DAYS },
    logger,
  ).catch((error: unknown) =>
    logger.error({ err: error }, 'cannot create or update the contact-data purge schedule; purge with the CLI'),
  );

  const connection = await connectWorker(config);
  const activities = createActivities({
    sql,
    temporal,
    senders: createSenders(deliverySettingsFromConfig(config)),
    links: createNoticeLinks(config.PUBLIC_BASE_URL, manageTokenSecret(config)),
    countyFallback: countyFallback(config),
    sweeps: {
      partitions: config.SWEEP_PARTITIONS,
      budget: new ActionBudget(sql, { perSecond: config.TEMPORAL_ACTIONS_PER_SECOND }),
    },
    defaultTimeZone: config.DEFAULT_TIME_ZONE,
  });
  const workers = [
    await createWorker(config, connection, activities),
    await createSmsWorker(
      {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        namespace: config.TEMPORAL_NAMESPACE,
        messagesPerSecond: config.SMS_MESSAGES_PER_SECOND,
        shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_TIME,
      },
      connection,
      activities,
    ),
  ];
  const done = Promise.all(workers.map((worker) => worker.run()))
    .then(() => undefined)
    .finally(async () => {
      await connection.close();
      await clientConnection.close();
      await sql.end({ timeout: 5 });
    });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
  return {
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
    done,
  };
}
