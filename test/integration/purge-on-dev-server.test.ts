/**
 * The contact-data purge on the shared Temporal dev server: the workflow through a real worker, and
 * the daily Schedule the worker creates at start-up (under a test's own schedule ID).
 */
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPurgeActivities } from '../../activities/purge.js';
import { ensureContactDataPurgeSchedule } from '../../worker/schedules.js';
import { workflowSource } from '../../worker/worker.js';
import { contactDataPurgeWorkflow } from '../../workflows/purge.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { findPersonalData } from '../helpers/history-pii.js';
import { FIXTURE_PEOPLE, seedFixtureVoter } from '../helpers/history-pii-fixtures.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

describe('the contact-data purge on the dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('purge');
  const scheduleId = `contact-data-purge-test-${randomUUID()}`;

  /** A voter whose only ballot is in an election that closed 40 days ago, signed up before it. */
  async function seedVoterOfLongClosedElection(person: (typeof FIXTURE_PEOPLE)[number]): Promise<string> {
    const suffix = randomUUID().slice(0, 8);
    const voterId = `v-purge-${suffix}`;
    const electionId = `e-purge-${suffix}`;
    await db.sql`
      INSERT INTO elections (election_id, name, election_day, timezone, closes_at)
      VALUES (${electionId}, 'Primary', current_date - 60, 'UTC', now() - interval '40 days')`;
    await db.sql`INSERT INTO ballots (election_id, ballot_id, voter_id, county) VALUES (${electionId}, 'b1', ${voterId}, 'sacramento')`;
    await seedFixtureVoter(db.sql, { voterId, person, channels: ['sms', 'email'] });
    await db.sql`UPDATE subscriptions SET created_at = now() - interval '90 days' WHERE voter_id = ${voterId}`;
    await db.sql`
      INSERT INTO consents (subscription_id, channel, address, source, consent_text_version, language)
      SELECT subscription_id, 'sms', ${person.phone}, 'POST /', 'v1', 'en' FROM subscriptions WHERE voter_id = ${voterId}`;
    return voterId;
  }

  async function subscriptionsOf(voterId: string): Promise<number> {
    const [row] = await db.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM subscriptions WHERE voter_id = ${voterId}`;
    return row!.n;
  }

  beforeAll(async () => {
    [env, db] = await Promise.all([devServerEnvironment(), createTestDatabase()]);
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      ...workflowSource(),
      activities: createPurgeActivities({ sql: db.sql }),
    });
    running = worker.run();
  });

  afterAll(async () => {
    await env?.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    await db?.drop();
  });

  it('the workflow purges the contacts and consents of a long-closed election and returns only counts', async () => {
    const voterId = await seedVoterOfLongClosedElection(FIXTURE_PEOPLE[0]!);

    const handle = await env.client.workflow.start(contactDataPurgeWorkflow, {
      taskQueue,
      workflowId: `contact-data-purge-${randomUUID()}`,
      args: [{ retentionDays: 30 }],
    });
    const result = await handle.result();

    expect(result).toEqual({ subscriptions: 1, contacts: 2, consents: 1, electionsDue: 1, electionsNotDue: 0 });
    expect(await subscriptionsOf(voterId)).toBe(0);
    const [voter] = await db.sql`SELECT first_name FROM voters WHERE voter_id = ${voterId}`;
    expect(voter).toEqual({ first_name: FIXTURE_PEOPLE[0]!.firstName });
    expect(findPersonalData(await handle.fetchHistory())).toEqual([]);
  });

  it('the worker creates a daily 03:00 UTC schedule that skips overlapping runs, and updates it keeping a pause', async () => {
    expect(await ensureContactDataPurgeSchedule(env.client, { scheduleId, taskQueue, retentionDays: 7 })).toBe(
      'created',
    );
    const schedule = env.client.schedule.getHandle(scheduleId);
    const created = await schedule.describe();
    expect(created.spec.timezone).toBe('UTC');
    expect(created.spec.calendars).toHaveLength(1);
    expect(created.spec.calendars![0]).toMatchObject({
      hour: [{ start: 3, end: 3, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
      dayOfMonth: [{ start: 1, end: 31, step: 1 }],
    });
    expect(created.info.nextActionTimes[0]?.toISOString()).toMatch(/T03:00:00\.000Z$/);
    expect(created.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(created.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'contactDataPurgeWorkflow',
      taskQueue,
      args: [{ retentionDays: 7 }],
    });

    await schedule.pause('maintenance');
    expect(await ensureContactDataPurgeSchedule(env.client, { scheduleId, taskQueue, retentionDays: 30 })).toBe(
      'updated',
    );
    const updated = await schedule.describe();
    expect(updated.action).toMatchObject({ args: [{ retentionDays: 30 }] });
    expect(updated.state).toMatchObject({ paused: true, note: 'maintenance' });
  });

  it('a run the schedule starts purges through the worker', async () => {
    const voterId = await seedVoterOfLongClosedElection(FIXTURE_PEOPLE[1]!);
    await ensureContactDataPurgeSchedule(env.client, { scheduleId, taskQueue, retentionDays: 30 });
    const schedule = env.client.schedule.getHandle(scheduleId);
    await schedule.unpause();

    await schedule.trigger();
    const started = await eventually(async () => {
      const [action] = (await schedule.describe()).info.recentActions;
      expect(action).toBeDefined();
      return action!.action.workflow;
    });
    const result = await env.client.workflow
      .getHandle<typeof contactDataPurgeWorkflow>(started.workflowId, started.firstExecutionRunId)
      .result();

    expect(result).toMatchObject({ subscriptions: 1, contacts: 2, consents: 1 });
    expect(await subscriptionsOf(voterId)).toBe(0);
  });
});
