/**
 * One broadcast's run (`broadcast-<id>`), started once an approved broadcast is started through the
 * API: partitions walk the selection in PostgreSQL in parallel (as the election's sweeps do) and
 * signal each ballot `broadcastDue`; each ballot's own workflow then sends the notice inside its
 * voter's window through the exactly-once sender. A stop is committed in PostgreSQL (the partitions
 * and the sender read it) and also cancels the run at once through `stopBroadcastSignal`.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

export interface BroadcastWorkflowInput {
  broadcastId: number;
}

export interface BroadcastRunProgress {
  broadcastId: number;
  state: 'starting' | 'running' | 'done' | 'stopped' | 'not-running';
  selected: number;
  signalled: number;
  gone: number;
}

export const broadcastWorkflowId = (broadcastId: number) => `broadcast-${broadcastId}`;

/** The broadcast was stopped (already committed in PostgreSQL): cancel the partitions now. */
export const stopBroadcastSignal = defineSignal('stopBroadcast');
export const broadcastProgressQuery = defineQuery<BroadcastRunProgress>('progress');

const { startBroadcastRun, finishBroadcastRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});

const { broadcastPartition } = proxyActivities<Activities>({
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export async function broadcastWorkflow(input: BroadcastWorkflowInput): Promise<BroadcastRunProgress> {
  const { broadcastId } = input;
  const progress: BroadcastRunProgress = { broadcastId, state: 'starting', selected: 0, signalled: 0, gone: 0 };
  let stopRequested = false;
  setHandler(broadcastProgressQuery, () => progress);

  const plan = await startBroadcastRun({ broadcastId });
  if (!plan.running) {
    progress.state = 'not-running';
    return progress;
  }
  progress.state = 'running';
  progress.selected = plan.selected;

  const walk = new CancellationScope();
  setHandler(stopBroadcastSignal, () => {
    stopRequested = true;
    walk.cancel();
  });
  let stopped = false;
  try {
    const results = await walk.run(() =>
      Promise.all(
        Array.from({ length: plan.partitions }, (_, partition) =>
          broadcastPartition({ broadcastId, partition, partitions: plan.partitions }),
        ),
      ),
    );
    progress.signalled = results.reduce((sum, result) => sum + result.signalled, 0);
    progress.gone = results.reduce((sum, result) => sum + result.gone, 0);
    stopped = results.some((result) => result.stopped);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    stopped = true;
  }
  const finished = await CancellationScope.nonCancellable(() => finishBroadcastRun({ broadcastId }));
  progress.state = stopped || stopRequested || finished.state === 'stopped' ? 'stopped' : 'done';
  return progress;
}
