/**
 * The broadcast's run workflow on the time-skipping server, with fake activities: partitions run in
 * parallel, a stop signal cancels them at once, and a broadcast that is not running does nothing.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CancelledFailure, Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.js';
import { workflowSource } from '../../worker/worker.js';
import { broadcastProgressQuery, broadcastWorkflow, stopBroadcastSignal } from '../../workflows/broadcast.js';
import { timeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

describe('broadcast run workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('broadcast');
  const finished: number[] = [];
  /** Broadcasts whose partitions hang until cancelled. */
  const hanging = new Set<number>();
  const notRunning = new Set<number>();
  const partitionsCancelled: number[] = [];

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    const activities: Pick<Activities, 'startBroadcastRun' | 'broadcastPartition' | 'finishBroadcastRun'> = {
      startBroadcastRun: ({ broadcastId }) =>
        Promise.resolve(
          notRunning.has(broadcastId)
            ? { running: false, partitions: 0, selected: 0 }
            : { running: true, partitions: 3, selected: 30 },
        ),
      broadcastPartition: async ({ broadcastId, partition }) => {
        if (hanging.has(broadcastId)) {
          const context = Context.current();
          for (;;) {
            context.heartbeat();
            await new Promise((resolve) => setTimeout(resolve, 100));
            if (context.cancellationSignal.aborted) {
              partitionsCancelled.push(partition);
              throw new CancelledFailure('cancelled');
            }
          }
        }
        return { signalled: 10, gone: 0, stopped: false };
      },
      finishBroadcastRun: ({ broadcastId }) => {
        finished.push(broadcastId);
        return Promise.resolve({ state: hanging.has(broadcastId) ? 'stopped' : 'done' });
      },
    };
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('walks every partition and records the end', async () => {
    const result = await env.client.workflow.execute(broadcastWorkflow, {
      taskQueue,
      workflowId: 'broadcast-1',
      args: [{ broadcastId: 1 }],
    });
    expect(result).toEqual({ broadcastId: 1, state: 'done', selected: 30, signalled: 30, gone: 0 });
    expect(finished).toContain(1);
  });

  it('a stop cancels the partitions at once and the run ends stopped', async () => {
    hanging.add(2);
    const handle = await env.client.workflow.start(broadcastWorkflow, {
      taskQueue,
      workflowId: 'broadcast-2',
      args: [{ broadcastId: 2 }],
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await handle.query(broadcastProgressQuery)).state).toBe('running');
    await handle.signal(stopBroadcastSignal);
    const result = await handle.result();
    expect(result.state).toBe('stopped');
    expect(partitionsCancelled.sort()).toEqual([0, 1, 2]);
    expect(finished).toContain(2);
  });

  it('a broadcast that is not running (stopped before its run began) does nothing', async () => {
    notRunning.add(3);
    const result = await env.client.workflow.execute(broadcastWorkflow, {
      taskQueue,
      workflowId: 'broadcast-3',
      args: [{ broadcastId: 3 }],
    });
    expect(result.state).toBe('not-running');
    expect(finished).not.toContain(3);
  });
});
