import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.js';
import type { ElectionMomentKind } from '../../domain/election-moments.js';
import type { ElectionSettings } from '../../domain/notices.js';
import { workflowSource } from '../../worker/worker.js';
import { electionSettingsChangedSignal, electionWorkflow } from '../../workflows/election.js';
import { timeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const DAY = 86_400_000;

describe('election clock workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('election');
  const settings = new Map<string, ElectionSettings>();
  const sweeps: { electionId: string; kind: ElectionMomentKind; at: number }[] = [];

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    const activities: Pick<Activities, 'loadElectionSettings' | 'sweepElectionBallots'> = {
      loadElectionSettings: ({ electionId }) => Promise.resolve(settings.get(electionId) ?? null),
      sweepElectionBallots: async ({ electionId, kind }) => {
        sweeps.push({ electionId, kind, at: await env.currentTimeMs() });
        return 7;
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
    expect(mine.map((sweep) => sweep.kind)).toEqual(['return-reminder', 'close']);
    const reminderDay = new Date(Date.parse(`${electionDay}T00:00:00Z`) - 5 * DAY).toISOString().slice(0, 10);
    // 09:00 in Phoenix (UTC-7 all year) is 16:00 UTC.
    expect(new Date(mine[0]!.at).toISOString().slice(0, 16)).toBe(`${reminderDay}T16:00`);
    expect(mine[1]!.at).toBeGreaterThanOrEqual(Date.parse(closesAt));
    expect(progress.done.close?.ballotsSignalled).toBe(7);
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
    expect(closing?.kind).toBe('close');
    expect(closing!.at).toBeGreaterThanOrEqual(Date.parse(earlier));
    expect(closing!.at).toBeLessThan(Date.parse(earlier) + DAY);
  });
});
