/**
 * Version 1 of the election clock, frozen: elections whose workflow started before the sweeps of
 * version 2 (`election.ts`) finish on this code, and the recorded v1 history replays against it.
 */
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { electionMoments, returnReminderExpired, type ElectionMomentKind } from '../domain/election-moments.js';
import type { ElectionSettings } from '../domain/notices.js';

import type { ElectionWorkflowInput } from './election.js';

export interface ElectionProgressV1 {
  electionId: string;
  done: Partial<Record<ElectionMomentKind, { at: string; ballotsSignalled: number }>>;
}

const electionSettingsChangedSignal = defineSignal('settingsChanged');
const electionProgressQuery = defineQuery<ElectionProgressV1>('progress');

const { loadElectionSettings } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
});

const { sweepElectionBallots } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumInterval: '5 minutes' },
});

/**
 * The election's clock. Instead of a timer in every ballot (millions firing at the same instant, each
 * a billable action), one workflow per election wakes at the return-reminder day and at the closing
 * date and signals only the ballots concerned, found through the search attributes.
 */
export async function electionWorkflowV1(input: ElectionWorkflowInput): Promise<ElectionProgressV1> {
  let changed = true;
  let settings: ElectionSettings | null = null;
  const progress: ElectionProgressV1 = { electionId: input.electionId, done: {} };
  setHandler(electionSettingsChangedSignal, () => {
    changed = true;
  });
  setHandler(electionProgressQuery, () => progress);

  for (;;) {
    if (changed) {
      changed = false;
      settings = await loadElectionSettings({ electionId: input.electionId });
    }
    const next = settings ? electionMoments(settings).find((moment) => !progress.done[moment.kind]) : undefined;
    if (!settings || !next) {
      if (progress.done.close) return progress;
      await condition(() => changed);
      continue;
    }
    if (next.at > Date.now()) {
      if (await condition(() => changed, next.at - Date.now())) continue;
    }
    const skip = next.kind === 'return-reminder' && returnReminderExpired(settings, Date.now());
    const ballotsSignalled = skip ? 0 : await sweepElectionBallots({ electionId: input.electionId, kind: next.kind });
    progress.done[next.kind] = { at: new Date(Date.now()).toISOString(), ballotsSignalled };
  }
}
