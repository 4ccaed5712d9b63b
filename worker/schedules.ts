import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Logger } from '../lib/logger.js';
import { contactDataPurgeWorkflow } from '../workflows/purge.js';

export const CONTACT_DATA_PURGE_SCHEDULE_ID = 'contact-data-purge';

export interface ContactDataPurgeScheduleOptions {
  taskQueue: string;
  /** CONTACT_DATA_RETENTION_DAYS: passed to every run as the workflow's argument. */
  retentionDays: number;
  /** Tests use their own, so they never touch the deployment's schedule on a shared server. */
  scheduleId?: string;
}

/** Daily at 03:00 UTC, a quiet hour for the database in every US time zone. */
const DAILY_AT_3_UTC: ScheduleSpec = {
  calendars: [{ hour: 3, minute: 0, comment: 'daily 03:00 UTC' }],
  timezone: 'UTC',
};

const POLICIES = {
  // A run still going (a huge county) makes the next one pointless.
  overlap: ScheduleOverlapPolicy.SKIP,
  // After an outage, one catch-up run is enough: every run purges everything due.
  catchupWindow: '1 day' as const,
};

function purgeAction(
  options: ContactDataPurgeScheduleOptions,
): ScheduleOptionsStartWorkflowAction<typeof contactDataPurgeWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: contactDataPurgeWorkflow,
    // The schedule appends the run's timestamp.
    workflowId: options.scheduleId ?? CONTACT_DATA_PURGE_SCHEDULE_ID,
    taskQueue: options.taskQueue,
    args: [{ retentionDays: options.retentionDays }],
  };
}

/**
 * Creates the daily contact-data purge schedule, or brings an existing one up to date (task queue,
 * retention days, time) while keeping its state, so an operator's pause survives a worker restart.
 * Runs at every worker start; several workers starting together are fine: the loser of the create
 * race updates with the same values.
 */
export async function ensureContactDataPurgeSchedule(
  client: Pick<Client, 'schedule'>,
  options: ContactDataPurgeScheduleOptions,
  logger?: Logger,
): Promise<'created' | 'updated'> {
  const scheduleId = options.scheduleId ?? CONTACT_DATA_PURGE_SCHEDULE_ID;
  const action = purgeAction(options);
  try {
    await client.schedule.create({ scheduleId, spec: DAILY_AT_3_UTC, action, policies: POLICIES });
    logger?.info({ scheduleId, retentionDays: options.retentionDays }, 'created the contact-data purge schedule');
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    spec: DAILY_AT_3_UTC,
    action,
    policies: POLICIES,
    state: { paused: previous.state.paused, ...(previous.state.note ? { note: previous.state.note } : {}) },
  }));
  logger?.debug({ scheduleId, retentionDays: options.retentionDays }, 'updated the contact-data purge schedule');
  return 'updated';
}
