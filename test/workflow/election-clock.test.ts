import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CancelledFailure, Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.js';
import type { ElectionMomentKind } from '../../domain/election-moments.js';
import type { ElectionSettings } from '../../domain/notices.js';
import { workflowSource } from '../../worker/worker.js';
import {
  electionProgressQuery,
  electionSettingsChangedSignal,
  electionWorkflow,
  rerunMomentSignal,
} from '../../workflows/election.js';
import { timeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const DAY = 86_400_000;
const PARTITIONS = 3;

interface Sweep {
  electionId: string;
  moment: ElectionMomentKind;
  partition: number;
  at: number;
  expiresAt?: number;
}

describe('election clock workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('election');
  const settings = new Map<string, ElectionSettings>();
  const sweeps: Sweep[] = [];
  /** Ballots each closing run leaves open, by election (default none). */
  const openAfter = new Map<string, number[]>();
  /** Partitions that hang until cancelled, by election and moment. */
  const hanging = new Set<string>();

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    const activities: Pick<Activities, 'loadElectionSettings' | 'startSweep' | 'sweepPartition' | 'finishSweep'> = {
      loadElectionSettings: ({ electionId }) => Promise.resolve(settings.get(electionId) ?? null),
      startSweep: ({ moment, electionId }) =>
        Promise.resolve({
          partitions: PARTITIONS,
          signal: {
            run: 1,
            ...(moment === 'return-reminder'
              ? { expiresAt: Date.parse(`${settings.get(electionId)!.electionDay}T00:00:00Z`) }
              : {}),
          },
        }),
      sweepPartition: async (input) => {
        sweeps.push({ ...input, at: await env.currentTimeMs() });
        if (hanging.has(`${input.electionId}/${input.moment}`)) {
          const context = Context.current();
          for (;;) {
            context.heartbeat();
            await new Promise((resolve) => setTimeout(resolve, 100));
            if (context.cancellationSignal.aborted) throw new CancelledFailure('cancelled');
          }
        }
        return { signalled: 7, gone: 0 };
      },
      finishSweep: ({ electionId, moment, cancelled }) =>
        Promise.resolve(moment === 'close' && !cancelled ? { openAfter: openAfter.get(electionId)?.shift() ?? 0 } : {}),
    };
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('releases return reminders at 09:00 election time N days before Election Day, then closes the election', async () => {
    const now = await env.currentTimeMs();
    const electionDay = new Date(now + 10 * DAY).toISOString().slice(0, 10);
    const closesAt = new Date(now + 20 * DAY).toISOString();
    settings.set('clock-1', {
      electionDay,
      timezone: 'America/Phoenix',
      closesAt,
      returnReminderDaysBefore: 5,
      cureReminderDaysBefore: [3, 1],
    });
    const progress = await env.client.workflow.execute(electionWorkflow, {
      taskQueue,
      workflowId: 'election-clock-1',
      args: [{ electionId: 'clock-1' }],
    });
    const mine = sweeps.filter((sweep) => sweep.electionId === 'clock-1');
    expect(mine.map((sweep) => `${sweep.moment}/${sweep.partition}`).sort()).toEqual([
      'close/0',
      'close/1',
      'close/2',
      'return-reminder/0',
      'return-reminder/1',
      'return-reminder/2',
    ]);
    const reminderDay = new Date(Date.parse(`${electionDay}T00:00:00Z`) - 5 * DAY).toISOString().slice(0, 10);
    // 09:00 in Phoenix (UTC-7 all year) is 16:00 UTC.
    const reminder = mine.find((sweep) => sweep.moment === 'return-reminder')!;
    expect(new Date(reminder.at).toISOString().slice(0, 16)).toBe(`${reminderDay}T16:00`);
    expect(reminder.expiresAt).toBe(Date.parse(`${electionDay}T00:00:00Z`));
    expect(mine.find((sweep) => sweep.moment === 'close')!.at).toBeGreaterThanOrEqual(Date.parse(closesAt));
    expect(progress.moments['return-reminder']).toMatchObject({ state: 'done', signalled: 21 });
    expect(progress.moments.close).toMatchObject({ state: 'done', signalled: 21, openAfter: 0 });
    const history = (await env.client.workflow.getHandle('election-clock-1').fetchHistory()).events ?? [];
    expect(history.length).toBeLessThan(80);
  });

  it('re-plans when the settings change while it sleeps', async () => {
    const now = await env.currentTimeMs();
    settings.set('clock-2', {
      electionDay: new Date(now + 40 * DAY).toISOString().slice(0, 10),
      timezone: 'UTC',
      returnReminderDaysBefore: 0,
      cureReminderDaysBefore: [],
      closesAt: new Date(now + 60 * DAY).toISOString(),
    });
    const handle = await env.client.workflow.start(electionWorkflow, {
      taskQueue,
      workflowId: 'election-clock-2',
      args: [{ electionId: 'clock-2' }],
    });
    await env.sleep(DAY);
    const earlier = new Date((await env.currentTimeMs()) + 2 * DAY).toISOString();
    settings.set('clock-2', { ...settings.get('clock-2')!, closesAt: earlier });
    await handle.signal(electionSettingsChangedSignal);
    await handle.result();
    const closing = sweeps.find((sweep) => sweep.electionId === 'clock-2');
    expect(closing?.moment).toBe('close');
    expect(closing!.at).toBeGreaterThanOrEqual(Date.parse(earlier));
    expect(closing!.at).toBeLessThan(Date.parse(earlier) + DAY);
  });

  it('closes on time even while a reminder sweep is still running, which it cancels', async () => {
    // Time does not skip while an activity runs: the reminder is due at once, the closing seconds later.
    const now = await env.currentTimeMs();
    settings.set('clock-3', {
      // The reminder's day (two days before tomorrow) has passed whatever the time of day: it fires at once.
      electionDay: new Date(now + DAY).toISOString().slice(0, 10),
      timezone: 'UTC',
      returnReminderDaysBefore: 2,
      cureReminderDaysBefore: [],
      closesAt: new Date(now + 3_000).toISOString(),
    });
    hanging.add('clock-3/return-reminder');
    const progress = await env.client.workflow.execute(electionWorkflow, {
      taskQueue,
      workflowId: 'election-clock-3',
      args: [{ electionId: 'clock-3' }],
    });
    expect(progress.moments.close).toMatchObject({ state: 'done', openAfter: 0 });
    expect(progress.moments['return-reminder']?.state).toBe('cancelled');
  });

  it('a closing that leaves ballots open is a loud, visible state: retried, then re-run by an operator', async () => {
    const now = await env.currentTimeMs();
    settings.set('clock-4', {
      electionDay: new Date(now + DAY).toISOString().slice(0, 10),
      timezone: 'UTC',
      returnReminderDaysBefore: 0,
      cureReminderDaysBefore: [],
      closesAt: new Date(now + 2 * DAY).toISOString(),
    });
    openAfter.set('clock-4', [12, 3, 2, 1]);
    const handle = await env.client.workflow.start(electionWorkflow, {
      taskQueue,
      workflowId: 'election-clock-4',
      args: [{ electionId: 'clock-4' }],
    });
    await env.sleep(3 * DAY);
    const stuck = await handle.query(electionProgressQuery);
    expect(stuck.moments.close).toMatchObject({ state: 'incomplete', run: 4, openAfter: 1 });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.signal(rerunMomentSignal, { moment: 'close' });
    const done = await handle.result();
    expect(done.moments.close).toMatchObject({ state: 'done', run: 5, openAfter: 0 });
  });

  it('skips the return reminder when its day is already Election Day or later', async () => {
    const now = await env.currentTimeMs();
    settings.set('clock-5', {
      electionDay: new Date(now - DAY).toISOString().slice(0, 10),
      timezone: 'UTC',
      returnReminderDaysBefore: 0,
      cureReminderDaysBefore: [],
      closesAt: new Date(now + DAY).toISOString(),
    });
    settings.set('clock-5', { ...settings.get('clock-5')!, returnReminderDaysBefore: 1 });
    const progress = await env.client.workflow.execute(electionWorkflow, {
      taskQueue,
      workflowId: 'election-clock-5',
      args: [{ electionId: 'clock-5' }],
    });
    expect(progress.moments['return-reminder']?.state).toBe('skipped');
    expect(sweeps.filter((sweep) => sweep.electionId === 'clock-5' && sweep.moment === 'return-reminder')).toEqual([]);
  });
});
