import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { workflowSource } from '../../worker/worker.js';
import { finishSignal, smokeTestWorkflow } from '../../workflows/smoke-test.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { timeSkippingEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

describe('smoke-test workflow on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let delivery: TestDelivery;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('smoke');

  beforeAll(async () => {
    [env, db, delivery] = await Promise.all([timeSkippingEnvironment(), createTestDatabase(), startTestDelivery()]);
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      ...workflowSource(),
      activities: createActivities({ sql: db.sql, temporal: env.client, ...delivery }),
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await db?.drop();
    await delivery?.close();
  });

  it('waits a whole day durably, then records its run in Postgres, in seconds of real time', async () => {
    const started = Date.now();
    const serverStart = await env.currentTimeMs();
    const result = await env.client.workflow.execute(smokeTestWorkflow, {
      taskQueue,
      workflowId: `smoke-${randomUUID()}`,
      args: [{ wait: '1 day' }],
    });
    expect(result.finishedBy).toBe('timer');
    expect((await env.currentTimeMs()) - serverStart).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    expect(Date.now() - started).toBeLessThan(30_000);
    const rows = await db.sql`SELECT note FROM smoke_test_runs WHERE run_id = ${result.runId}`;
    expect(rows).toEqual([{ note: 'timer' }]);
  });

  it('finishes early when signalled', async () => {
    const handle = await env.client.workflow.start(smokeTestWorkflow, {
      taskQueue,
      workflowId: `smoke-${randomUUID()}`,
      args: [{ wait: '30 days' }],
    });
    await handle.signal(finishSignal);
    const result = await handle.result();
    expect(result.finishedBy).toBe('signal');
  });
});
