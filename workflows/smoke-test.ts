import { defineSignal, proxyActivities, setHandler, condition, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities/index.js';

const { recordSmokeTest } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});

export interface SmokeTestInput {
  /** How long to wait (durably) before recording; cut short by the `finish` signal. */
  wait: Duration;
}

export interface SmokeTestResult {
  runId: string;
  finishedBy: 'timer' | 'signal';
  ranAt: string;
}

export const finishSignal = defineSignal('finish');

/**
 * A tiny workflow that exercises the platform end to end: a durable timer (time-skipping tests, and
 * surviving a dev-server restart), a signal, and an activity that writes to Postgres. Run it from the
 * CLI or the Web UI to check a deployment.
 */
export async function smokeTestWorkflow(input: SmokeTestInput): Promise<SmokeTestResult> {
  let finished = false;
  setHandler(finishSignal, () => {
    finished = true;
  });
  const signalled = await condition(() => finished, input.wait);
  const { runId } = workflowInfo();
  const { ranAt } = await recordSmokeTest({ runId, note: signalled ? 'signal' : 'timer' });
  return { runId, finishedBy: signalled ? 'signal' : 'timer', ranAt };
}
