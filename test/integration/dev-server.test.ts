import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { registerSearchAttributes } from '../../lib/temporal.js';
import { workflowSource } from '../../worker/worker.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { finishSignal, smokeTestWorkflow } from '../../workflows/smoke-test.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

describe('the shared Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let delivery: TestDelivery;

  beforeAll(async () => {
    [env, db, delivery] = await Promise.all([devServerEnvironment(), createTestDatabase(), startTestDelivery()]);
  });

  afterAll(async () => {
    await env?.teardown();
    await db?.drop();
    await delivery?.close();
  });

  it('has the four custom search attributes, and registering them again adds nothing', async () => {
    expect(await registerSearchAttributes(env.client.connection, 'default')).toEqual([]);
    const { customAttributes } = await env.client.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    const registered = Object.keys(customAttributes ?? {});
    for (const key of CUSTOM_SEARCH_ATTRIBUTES) expect(registered).toContain(key.name);
  });

  it('runs a workflow through a worker whose activity writes to Postgres', async () => {
    const taskQueue = uniqueTaskQueue('dev-smoke');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      ...workflowSource(),
      activities: createActivities({ sql: db.sql, temporal: env.client, ...delivery }),
    });
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(smokeTestWorkflow, {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: [{ wait: '1 hour' }],
      });
      await handle.signal(finishSignal);
      return handle.result();
    });
    expect(result.finishedBy).toBe('signal');
    const [row] = await db.sql`SELECT note FROM smoke_test_runs WHERE run_id = ${result.runId}`;
    expect(row).toEqual({ note: 'signal' });
  });
});
