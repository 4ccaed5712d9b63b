/**
 * Ballots on the dev server with the real activities and PostgreSQL, fed the way production feeds
 * them: records accepted into PostgreSQL (the status of record), forwarded by the outbox forwarder.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { Sql } from '../../db/client.js';
import { resumeDelivery } from '../../db/delivery-pauses.js';
import { enqueuePlanChange } from '../../db/outbox.js';
import { readBallotStatus } from '../../ingest/ballot-status.js';
import { ensureElectionWorkflow } from '../../lib/workflow-client.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { statusQuery, workflowIdFor, type ballotLifecycle } from '../../workflows/ballot.js';
import { electionProgressQuery, electionWorkflowId, type electionWorkflow } from '../../workflows/election.js';
import { DeliveryProblem } from '../../workflows/search-attributes.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { Feed, scanEvent } from '../helpers/feed.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const ELECTION = `e-${randomUUID().slice(0, 8)}`;

async function seedVoter(
  sql: Sql,
  voterId: string,
  options: { window?: { start: string; end: string }; county?: string; subscribed?: boolean } = {},
): Promise<void> {
  const window = options.window ?? { start: '00:00', end: '00:00' };
  await sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
            VALUES (${voterId}, ${options.county ?? 'sacramento'}, 'Marisol', 'Quintanilla-Reyes', '1961-04-17', '95814')`;
  if (options.subscribed === false) return;
  const [subscription] = await sql<{ subscription_id: string }[]>`
    INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
    VALUES (${voterId}, 'es', ${window.start}, ${window.end}, 'UTC') RETURNING subscription_id`;
  await sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
            VALUES (${subscription!.subscription_id}, 'sms', '+19165550142', now())`;
}

async function sentKeys(sql: Sql, electionId: string, ballotId: string): Promise<string[]> {
  const rows = await sql<{ notice_key: string }[]>`
    SELECT notice_key FROM notice_deliveries
    WHERE election_id = ${electionId} AND ballot_id = ${ballotId} AND state = 'sent' ORDER BY sent_at`;
  return rows.map((row) => row.notice_key);
}

describe('ballot workflows on the dev server with real activities and PostgreSQL', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let delivery: TestDelivery;
  let client: Client;
  let feed: Feed;
  let worker: Worker | undefined;
  let smsWorker: Worker | undefined;
  let running: Promise<void> = Promise.resolve();
  const taskQueue = uniqueTaskQueue('ballots');

  async function startWorker() {
    const activities = createActivities({ sql: db.sql, temporal: client, ...delivery, sweeps: { partitions: 2 } });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities });
    smsWorker = await createSmsWorker({ taskQueue, messagesPerSecond: 100 }, env.nativeConnection, activities);
    running = Promise.all([worker.run(), smsWorker.run()]).then(() => undefined);
  }

  function stopWorker() {
    for (const each of [worker, smsWorker]) if (each?.getState() === 'RUNNING') each.shutdown();
    return running;
  }

  const sent = (ballotId: string, electionId = ELECTION) =>
    eventually(async () => {
      const keys = await sentKeys(db.sql, electionId, ballotId);
      return keys.length > 0 ? keys : undefined;
    });

  beforeAll(async () => {
    [env, db, delivery] = await Promise.all([devServerEnvironment(), createTestDatabase(), startTestDelivery()]);
    client = env.client;
    feed = new Feed(db.sql, client, taskQueue);
    const electionDay = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone)
                 VALUES (${ELECTION}, 'Test General', ${electionDay}, 'UTC')`;
    await seedCounty(db.sql, 'sacramento');
    await seedCounty(db.sql, 'yolo');
    await startWorker();
  });

  afterAll(async () => {
    await stopWorker();
    await env?.teardown();
    await db?.drop();
    await delivery?.close();
  });

  it('starts from the issuance record or from a scan, whichever arrives first', async () => {
    await seedVoter(db.sql, 'v-issue-first');
    await seedVoter(db.sql, 'v-scan-first');
    await feed.issue(ELECTION, 'issue-first', 'v-issue-first');
    await feed.scan(ELECTION, 'issue-first', 'outbound');
    const waiting = await feed.scan(ELECTION, 'scan-first', 'outbound', 'inbound');
    expect(waiting.map((result) => result.effect)).toEqual(['pending', 'pending']);
    await feed.issue(ELECTION, 'scan-first', 'v-scan-first');

    expect(await sent('issue-first')).toEqual(['outbound#0']);
    expect(await sent('scan-first')).toEqual(['inbound#0']);
    const view = await client.workflow.getHandle(workflowIdFor(ELECTION, 'scan-first')).query(statusQuery);
    expect(view).toMatchObject({ status: 'inbound', voterId: 'v-scan-first', awaitingIssuance: false });
    const record = await readBallotStatus(db.sql, ELECTION, 'scan-first');
    expect(record?.events.map((event) => [event.type, event.outcome])).toEqual([
      ['outbound', 'applied'],
      ['inbound', 'applied'],
    ]);
  });

  it('finds ballots by search attributes with a list query', async () => {
    await seedVoter(db.sql, 'v-listed', { county: 'yolo' });
    await feed.issue(ELECTION, 'listed', 'v-listed', 'yolo');
    await feed.scan(ELECTION, 'listed', 'undeliverable');
    const query = `ElectionId = '${ELECTION}' AND County = 'yolo' AND BallotStatus = 'undeliverable' AND NeedsAttention = true`;
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([workflowIdFor(ELECTION, 'listed')]);
  });

  it('answers the status from PostgreSQL with the worker stopped', async () => {
    await seedVoter(db.sql, 'v-offline', { subscribed: false });
    await feed.issue(ELECTION, 'offline', 'v-offline');
    await stopWorker();
    try {
      await feed.scan(ELECTION, 'offline', 'outbound', 'received');
      const record = await readBallotStatus(db.sql, ELECTION, 'offline');
      expect(record).toMatchObject({ status: 'received', awaitingIssuance: false, county: 'sacramento' });
    } finally {
      await startWorker();
    }
  });

  it('keeps a notice that is waiting for the voter window across a worker restart, and sends it once', async () => {
    const opensAt = new Date(Math.ceil((Date.now() + 3_000) / 60_000) * 60_000);
    const hhmm = (date: Date) => date.toISOString().slice(11, 16);
    await seedVoter(db.sql, 'v-restart', {
      window: { start: hhmm(opensAt), end: hhmm(new Date(opensAt.getTime() + 3_600_000)) },
    });
    await feed.issue(ELECTION, 'restart', 'v-restart');
    await feed.scan(ELECTION, 'restart', 'received');
    const handle = client.workflow.getHandle(workflowIdFor(ELECTION, 'restart'));
    await eventually(async () =>
      (await handle.query(statusQuery)).notices[0]?.state === 'scheduled' ? true : undefined,
    );
    expect((await readBallotStatus(db.sql, ELECTION, 'restart'))?.notices).toMatchObject([
      { status: 'received', channel: 'sms', state: 'scheduled', at: opensAt.toISOString() },
    ]);

    await stopWorker();
    expect(await sentKeys(db.sql, ELECTION, 'restart')).toEqual([]);
    await startWorker();

    expect(
      await eventually(
        async () =>
          (await sentKeys(db.sql, ELECTION, 'restart')).length > 0 ? sentKeys(db.sql, ELECTION, 'restart') : undefined,
        90_000,
      ),
    ).toEqual(['received#0']);
    const [row] = await db.sql<{ sent_at: Date; attempts: number }[]>`
      SELECT sent_at, attempts FROM notice_deliveries WHERE election_id = ${ELECTION} AND ballot_id = 'restart'`;
    expect(row!.sent_at.getTime()).toBeGreaterThanOrEqual(opensAt.getTime());
    expect(row!.attempts).toBe(1);
  }, 120_000);

  it('a ballot fed 1,000 events keeps a small history, flags the flood and still tells a new subscriber', async () => {
    await seedVoter(db.sql, 'v-flood', { subscribed: false });
    await feed.issue(ELECTION, 'flood', 'v-flood');
    const types = ['outbound', 'inbound', 'received', 'outbound', 'inbound'] as const;
    for (let batch = 0; batch < 10; batch += 1) {
      await feed.scan(
        ELECTION,
        'flood',
        ...Array.from({ length: 100 }, (_, i) => scanEvent(types[(batch + i) % types.length]!)),
      );
    }
    const record = await readBallotStatus(db.sql, ELECTION, 'flood');
    expect(record?.events).toHaveLength(1_000);
    expect(record).toMatchObject({ status: 'received', attention: 'event_cap', needsAttention: true });
    expect(record?.events.filter((event) => event.outcome === 'capped')).toHaveLength(800);
    const handle = client.workflow.getHandle(workflowIdFor(ELECTION, 'flood'));
    const described = await handle.describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.historyLength).toBeLessThan(100);

    const [subscription] = await db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, timezone) VALUES ('v-flood', 'en', 'UTC') RETURNING subscription_id`;
    await db.sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
                 VALUES (${subscription!.subscription_id}, 'email', 'flood@example.org', now())`;
    await db.sql`UPDATE subscriptions SET window_start = '00:00', window_end = '00:00' WHERE voter_id = 'v-flood'`;
    await enqueuePlanChange(db.sql, 'v-flood');
    await feed.forward();
    expect(await sent('flood')).toEqual(['received#0']);
  }, 60_000);

  it('a county without contact details pauses its delivery until an operator resumes it', async () => {
    await seedVoter(db.sql, 'v-unconfigured', { county: 'modoc' });
    await feed.issue(ELECTION, 'unconfigured', 'v-unconfigured', 'modoc');
    await feed.scan(ELECTION, 'unconfigured', 'received');
    const handle = client.workflow.getHandle(workflowIdFor(ELECTION, 'unconfigured'));
    await eventually(async () =>
      (await handle.describe()).typedSearchAttributes.get(DeliveryProblem) === 'paused' ? true : undefined,
    );
    const [pause] = await db.sql<{ county: string; reason: string }[]>`
      SELECT county, reason FROM delivery_pauses WHERE resumed_at IS NULL`;
    expect(pause).toEqual({ county: 'modoc', reason: 'CountyNotConfigured' });
    expect((await readBallotStatus(db.sql, ELECTION, 'unconfigured'))?.notices).toMatchObject([
      { status: 'received', state: 'retrying', lastError: 'CountyNotConfigured' },
    ]);

    await seedCounty(db.sql, 'modoc');
    expect(await resumeDelivery(db.sql, { county: 'modoc' })).toEqual({ pauses: 1, ballots: 1 });
    await feed.forward();
    expect(await sent('unconfigured')).toEqual(['received#0']);
    await eventually(async () =>
      (await handle.describe()).typedSearchAttributes.get(DeliveryProblem) === undefined ? true : undefined,
    );
  }, 60_000);

  it('lets the election workflow remind subscribed outbound ballots and close the rest; later scans start nothing', async () => {
    const election = `${ELECTION}-clock`;
    const electionDay = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    // The reminder day (5 days before) has passed but Election Day has not: the reminder goes at once.
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone, closes_at)
                 VALUES (${election}, 'Clock test', ${electionDay}, 'UTC', ${new Date(Date.now() + 10_000)})`;
    await seedVoter(db.sql, 'v-clock-out');
    await seedVoter(db.sql, 'v-clock-in');
    await seedVoter(db.sql, 'v-clock-nobody', { subscribed: false });
    for (const [ballotId, voterId] of [
      ['out', 'v-clock-out'],
      ['in', 'v-clock-in'],
      ['nobody', 'v-clock-nobody'],
    ] as const) {
      await feed.issue(election, ballotId, voterId);
    }
    await feed.scan(election, 'out', 'outbound');
    await feed.scan(election, 'in', 'inbound');
    await feed.scan(election, 'nobody', 'outbound');
    expect(await sent('out', election)).toEqual(['outbound#0']);

    await ensureElectionWorkflow(client, taskQueue, election);
    const clock = client.workflow.getHandle<typeof electionWorkflow>(electionWorkflowId(election));
    const progress = await clock.result();
    expect(progress.moments['return-reminder']).toMatchObject({ state: 'done', signalled: 1 });
    expect(progress.moments.close).toMatchObject({ state: 'done', signalled: 3, openAfter: 0 });
    await expect(clock.query(electionProgressQuery)).resolves.toMatchObject({ electionId: election });

    for (const ballotId of ['out', 'in', 'nobody']) {
      const result = await client.workflow
        .getHandle<typeof ballotLifecycle>(workflowIdFor(election, ballotId))
        .result();
      expect(result.status).toBe('closed');
      expect((await readBallotStatus(db.sql, election, ballotId))?.status).toBe('closed');
    }
    expect(await sentKeys(db.sql, election, 'out')).toEqual(['outbound#0', 'outbound#1']);
    expect(await sentKeys(db.sql, election, 'in')).toEqual(['inbound#0']);

    // The story is over: a late scan is recorded, answered and wakes no workflow, even once the
    // workflow is gone (namespace retention).
    await client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: workflowIdFor(election, 'out') },
    });
    // The server deletes in the background (slowly on a busy dev server).
    await eventually(async () => {
      try {
        await client.workflow.getHandle(workflowIdFor(election, 'out')).describe();
        return undefined;
      } catch (error) {
        return error instanceof WorkflowNotFoundError ? true : undefined;
      }
    }, 90_000);
    const [late] = await feed.scan(election, 'out', 'received');
    expect(late).toMatchObject({ outcome: 'accepted', effect: 'stale' });
    expect(
      await db.sql`SELECT 1 FROM workflow_outbox WHERE election_id = ${election} AND ballot_id = 'out' AND forwarded_at IS NULL`,
    ).toHaveLength(0);
    await expect(client.workflow.getHandle(workflowIdFor(election, 'out')).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  }, 180_000);
});
