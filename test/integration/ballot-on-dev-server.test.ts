import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { Sql } from '../../db/client.js';
import type { ScanEvent } from '../../domain/scan-event.js';
import { ensureElectionWorkflow, forwardIssuance, forwardScan } from '../../lib/workflow-client.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { statusQuery, workflowIdFor, type ballotWorkflow } from '../../workflows/ballot.js';
import { electionProgressQuery, electionWorkflowId, type electionWorkflow } from '../../workflows/election.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const ELECTION = `e-${randomUUID().slice(0, 8)}`;

let eventCounter = 0;
function scan(type: ScanEvent['type']): ScanEvent {
  eventCounter += 1;
  return { eventId: `dev-${eventCounter}-${randomUUID().slice(0, 6)}`, type, occurredAt: new Date().toISOString() };
}

async function seedVoter(sql: Sql, voterId: string, window = { start: '00:00', end: '00:00' }): Promise<void> {
  await sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
            VALUES (${voterId}, 'sacramento', 'Marisol', 'Quintanilla-Reyes', '1961-04-17', '95814')`;
  const [subscription] = await sql<{ subscription_id: string }[]>`
    INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
    VALUES (${voterId}, 'es', ${window.start}, ${window.end}, 'UTC') RETURNING subscription_id`;
  await sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
            VALUES (${subscription!.subscription_id}, 'sms', '+19165550142', now())`;
}

async function sentKeys(sql: Sql, ballotId: string): Promise<string[]> {
  const rows = await sql<{ notice_key: string }[]>`
    SELECT notice_key FROM notice_deliveries WHERE election_id = ${ELECTION} AND ballot_id = ${ballotId} ORDER BY sent_at`;
  return rows.map((row) => row.notice_key);
}

describe('ballot workflows on the dev server with real activities and PostgreSQL', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let delivery: TestDelivery;
  let client: Client;
  let worker: Worker;
  let smsWorker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('ballots');

  async function startWorker() {
    const activities = createActivities({ sql: db.sql, temporal: client, ...delivery });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities });
    smsWorker = await createSmsWorker({ taskQueue, messagesPerSecond: 100 }, env.nativeConnection, activities);
    running = Promise.all([worker.run(), smsWorker.run()]).then(() => undefined);
  }

  function stopWorker() {
    for (const each of [worker, smsWorker]) if (each?.getState() === 'RUNNING') each.shutdown();
    return running;
  }

  beforeAll(async () => {
    [env, db, delivery] = await Promise.all([devServerEnvironment(), createTestDatabase(), startTestDelivery()]);
    client = env.client;
    const electionDay = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone)
                 VALUES (${ELECTION}, 'Test General', ${electionDay}, 'UTC')`;
    await seedCounty(db.sql, 'sacramento');
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
    const issueFirst = { electionId: ELECTION, ballotId: 'issue-first' };
    const scanFirst = { electionId: ELECTION, ballotId: 'scan-first' };

    expect(
      await forwardIssuance(client, taskQueue, issueFirst, { voterId: 'v-issue-first', county: 'sacramento' }),
    ).toBe('delivered');
    await forwardScan(client, taskQueue, issueFirst, scan('outbound'));
    await forwardScan(client, taskQueue, scanFirst, scan('outbound'));
    await forwardScan(client, taskQueue, scanFirst, scan('inbound'));
    await forwardIssuance(client, taskQueue, scanFirst, { voterId: 'v-scan-first', county: 'sacramento' });

    expect(
      await eventually(async () =>
        (await sentKeys(db.sql, 'issue-first')).length > 0 ? sentKeys(db.sql, 'issue-first') : undefined,
      ),
    ).toEqual(['outbound#0']);
    expect(
      await eventually(async () =>
        (await sentKeys(db.sql, 'scan-first')).length > 0 ? sentKeys(db.sql, 'scan-first') : undefined,
      ),
    ).toEqual(['inbound#0']);
    const view = await client.workflow.getHandle(workflowIdFor(ELECTION, 'scan-first')).query(statusQuery);
    expect(view).toMatchObject({ status: 'inbound', voterId: 'v-scan-first', awaitingIssuance: false });
  });

  it('finds ballots by search attributes with a list query', async () => {
    await seedVoter(db.sql, 'v-listed');
    const target = { electionId: ELECTION, ballotId: 'listed' };
    await forwardIssuance(client, taskQueue, target, { voterId: 'v-listed', county: 'yolo' });
    await forwardScan(client, taskQueue, target, scan('undeliverable'));
    const query = `ElectionId = '${ELECTION}' AND County = 'yolo' AND BallotStatus = 'undeliverable' AND NeedsAttention = true`;
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([workflowIdFor(ELECTION, 'listed')]);
  });

  it('keeps a notice that is waiting for the voter window across a worker restart, and sends it once', async () => {
    const opensAt = new Date(Math.ceil((Date.now() + 3_000) / 60_000) * 60_000);
    const hhmm = (date: Date) => date.toISOString().slice(11, 16);
    await seedVoter(db.sql, 'v-restart', { start: hhmm(opensAt), end: hhmm(new Date(opensAt.getTime() + 3_600_000)) });
    const target = { electionId: ELECTION, ballotId: 'restart' };
    await forwardIssuance(client, taskQueue, target, { voterId: 'v-restart', county: 'sacramento' });
    await forwardScan(client, taskQueue, target, scan('received'));
    const handle = client.workflow.getHandle(workflowIdFor(ELECTION, 'restart'));
    await eventually(async () =>
      (await handle.query(statusQuery)).notices[0]?.state === 'scheduled' ? true : undefined,
    );

    await stopWorker();
    expect(await sentKeys(db.sql, 'restart')).toEqual([]);
    await startWorker();

    expect(
      await eventually(
        async () => ((await sentKeys(db.sql, 'restart')).length > 0 ? sentKeys(db.sql, 'restart') : undefined),
        90_000,
      ),
    ).toEqual(['received#0']);
    const [row] = await db.sql<{ sent_at: Date; attempts: number }[]>`
      SELECT sent_at, attempts FROM notice_deliveries WHERE election_id = ${ELECTION} AND ballot_id = 'restart'`;
    expect(row!.sent_at.getTime()).toBeGreaterThanOrEqual(opensAt.getTime());
    expect(row!.attempts).toBe(1);
  }, 120_000);

  it('lets the election workflow send return reminders to outbound ballots and close the rest', async () => {
    const election = `${ELECTION}-clock`;
    const electionDay = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    // The reminder day (5 days before) has passed but Election Day has not: the reminder goes at once.
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone, closes_at)
                 VALUES (${election}, 'Clock test', ${electionDay}, 'UTC', ${new Date(Date.now() + 8_000)})`;
    await seedVoter(db.sql, 'v-clock-out');
    await seedVoter(db.sql, 'v-clock-in');
    const outbound = { electionId: election, ballotId: 'out' };
    const inbound = { electionId: election, ballotId: 'in' };
    await forwardIssuance(client, taskQueue, outbound, { voterId: 'v-clock-out', county: 'sacramento' });
    await forwardIssuance(client, taskQueue, inbound, { voterId: 'v-clock-in', county: 'sacramento' });
    await forwardScan(client, taskQueue, outbound, scan('outbound'));
    await forwardScan(client, taskQueue, inbound, scan('inbound'));
    const listed = `ElectionId = '${election}' AND ExecutionStatus = 'Running' AND WorkflowType = 'ballotWorkflow'`;
    await eventually(async () =>
      (await client.workflow.count(`${listed} AND BallotStatus = 'outbound'`)).count === 1 ? true : undefined,
    );

    await ensureElectionWorkflow(client, taskQueue, election);
    const clock = client.workflow.getHandle<typeof electionWorkflow>(electionWorkflowId(election));
    const progress = await clock.result();
    expect(progress.done['return-reminder']?.ballotsSignalled).toBe(1);
    expect(progress.done.close?.ballotsSignalled).toBeGreaterThanOrEqual(2);
    await expect(clock.query(electionProgressQuery)).resolves.toMatchObject({ electionId: election });

    const outView = await client.workflow.getHandle<typeof ballotWorkflow>(workflowIdFor(election, 'out')).result();
    const inView = await client.workflow.getHandle<typeof ballotWorkflow>(workflowIdFor(election, 'in')).result();
    expect([outView.status, inView.status]).toEqual(['closed', 'closed']);
    const rows = await db.sql<{ ballot_id: string; notice_key: string }[]>`
      SELECT ballot_id, notice_key FROM notice_deliveries WHERE election_id = ${election} ORDER BY ballot_id, notice_key`;
    expect(rows.map((row) => `${row.ballot_id}:${row.notice_key}`)).toEqual([
      'in:inbound#0',
      'out:outbound#0',
      'out:outbound#1',
    ]);

    // The story is over: a late scan reaches no new workflow.
    expect(await forwardScan(client, taskQueue, outbound, scan('received'))).toBe('ballot-closed');
  }, 60_000);
});
