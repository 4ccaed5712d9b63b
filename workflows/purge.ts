import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PurgeContactDataInput, PurgeContactDataResult } from '../activities/purge.js';

/** A big county takes a while: the activity heartbeats after every batch of subscriptions. */
const { purgeContactData } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '1 minute', maximumInterval: '15 minutes', maximumAttempts: 10 },
});

export type ContactDataPurgeInput = PurgeContactDataInput;
export type ContactDataPurgeResult = PurgeContactDataResult;

/**
 * Started daily by the `contact-data-purge` Schedule (worker/schedules.ts): purges contact data and
 * consent records of elections closed at least `retentionDays` days ago. Only a number goes in and
 * only counts come out, so the history holds nothing personal. Safe to run at any time: the purge is
 * idempotent.
 */
export async function contactDataPurgeWorkflow(input: ContactDataPurgeInput): Promise<ContactDataPurgeResult> {
  return purgeContactData({ retentionDays: input.retentionDays });
}
