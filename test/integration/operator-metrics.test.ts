/**
 * The operator gauges on /metrics, each read after a scenario that moves it: a forwarder that fell
 * behind and dead-lettered a ballot, an election's closing sweep part-way and then incomplete,
 * notices in every ledger state with their error classes, a paused county, and SMS sends waiting on
 * their task queue because no SMS worker polls it. `npm run cli -- status` prints the same numbers.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { OPERATOR_METRICS } from '../../api/operator-metrics.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { statusLines } from '../../cli/status.js';
import { pauseDelivery } from '../../db/delivery-pauses.js';
import { enqueue } from '../../db/outbox.js';
import { recordPartitionProgress, recordSweepEnd, recordSweepStart } from '../../db/sweeps.js';
import { collectOperatorStatus } from '../../lib/operator-status.js';
import { ballotLifecycle, recordsSignal, workflowIdFor } from '../../workflows/ballot.js';
import { workflowSource } from '../../worker/worker.js';
import { election, plan, scan } from '../helpers/ballot-harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';
import { logger } from './api-harness.js';

/** One sample of `name` with exactly these labels, from Prometheus text; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]),
    );
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('operator metrics', () => {
  let db: TestDatabase;
  let connection: Connection;
  let temporal: Client;
  let server: RunningServer;
  let cachedServer: RunningServer;
  const taskQueue = uniqueTaskQueue('operator');

  // /metrics is for operators: the scraper sends OPS_TOKEN.
  const operations = { token: 'operator-metrics-test-token' };
  const scrape = async (target: RunningServer = server) =>
    (await fetch(`${target.url}/metrics`, { headers: { authorization: `Bearer ${operations.token}` } })).text();

  beforeAll(async () => {
    db = await createTestDatabase();
    connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = new Client({ connection });
    const source = { sql: db.sql, temporal, namespace: 'default', taskQueue };
    server = await startServer(
      createApp({ logger, readiness: {}, operations, operatorMetrics: { ...source, cacheMs: 0, finishedCacheMs: 0 } }),
      '127.0.0.1',
      0,
    );
    cachedServer = await startServer(
      createApp({ logger, readiness: {}, operations, operatorMetrics: { ...source, cacheMs: 60_000 } }),
      '127.0.0.1',
      0,
    );
  });

  afterAll(async () => {
    await server?.stop();
    await cachedServer?.stop();
    await connection?.close();
    await db?.drop();
  });

  it('report zeros and empty series on an empty system, and that PostgreSQL and Temporal answered', async () => {
    const text = await scrape();
    expect(sample(text, OPERATOR_METRICS.up, { source: 'postgres' })).toBe(1);
    expect(sample(text, OPERATOR_METRICS.up, { source: 'temporal' })).toBe(1);
    expect(sample(text, OPERATOR_METRICS.outboxOldest)).toBe(0);
    expect(sample(text, OPERATOR_METRICS.outboxDead)).toBe(0);
    expect(sample(text, OPERATOR_METRICS.smsBacklog)).toBe(0);
    expect(text).not.toMatch(new RegExp(`^${OPERATOR_METRICS.notices}\\{`, 'm'));
  });

  it('forwarder lag: the age of the oldest pending row; dead letters: the dead-lettered ballots', async () => {
    await enqueue(db.sql, [{ kind: 'scan', electionId: 'e-lag', ballotId: 'b-1', eventId: 'x-1', payload: {} }]);
    await db.sql`UPDATE workflow_outbox SET received_at = now() - interval '5 minutes' WHERE election_id = 'e-lag'`;
    await db.sql`UPDATE outbox_ballots SET dead_at = now() WHERE election_id = 'e-lag'`;
    const text = await scrape();
    expect(sample(text, OPERATOR_METRICS.outboxOldest)).toBeGreaterThanOrEqual(299);
    expect(sample(text, OPERATOR_METRICS.outboxDead)).toBe(1);
  });

  it('sweep progress per election and moment: signalled, partitions done, state, ballots left open', async () => {
    const run = { electionId: 'e-sweep', moment: 'close' as const, run: 1 };
    await recordSweepStart(db.sql, { ...run, partitions: 4 });
    await recordPartitionProgress(db.sql, { ...run, partition: 0, signalled: 120, cursor: null, finished: true });
    await recordPartitionProgress(db.sql, { ...run, partition: 1, signalled: 30, cursor: null });
    const labels = { election: 'e-sweep', moment: 'close' };
    let text = await scrape();
    expect(sample(text, OPERATOR_METRICS.sweepSignalled, labels)).toBe(150);
    expect(sample(text, OPERATOR_METRICS.sweepPartitions, labels)).toBe(4);
    expect(sample(text, OPERATOR_METRICS.sweepPartitionsDone, labels)).toBe(1);
    expect(sample(text, OPERATOR_METRICS.sweepState, { ...labels, state: 'running' })).toBe(1);

    await recordSweepEnd(db.sql, { ...run, state: 'incomplete', signalled: 400, openAfter: 7 });
    text = await scrape();
    expect(sample(text, OPERATOR_METRICS.sweepState, { ...labels, state: 'running' })).toBeUndefined();
    expect(sample(text, OPERATOR_METRICS.sweepState, { ...labels, state: 'incomplete' })).toBe(1);
    expect(sample(text, OPERATOR_METRICS.sweepSignalled, labels)).toBe(400);
    expect(sample(text, OPERATOR_METRICS.sweepOpenAfterClose, { election: 'e-sweep' })).toBe(7);
  });

  it('notices by state and channel, and the error classes of retrying and failed ones', async () => {
    const rows: [string, string, string | null][] = [
      ['sms', 'sending', null],
      ['sms', 'pending', 'TransientProviderError'],
      ['sms', 'pending', 'TransientProviderError'],
      ['email', 'pending', 'CountyNotConfigured'],
      ['sms', 'failed', 'InvalidRecipient'],
      ['sms', 'sent', null],
      ['sms', 'sent', null],
      ['email', 'sent', null],
      ['voice', 'skipped', null],
    ];
    for (const [i, [channel, state, errorCode]] of rows.entries()) {
      await db.sql`
        INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, message_key, language, state, error_code)
        VALUES ('e-n', ${`b-${i}`}, 'received#0', ${channel}, 'received', 'en', ${state}, ${errorCode})`;
    }
    const text = await scrape();
    const notices = (state: string, channel: string) => sample(text, OPERATOR_METRICS.notices, { state, channel });
    expect(notices('sending', 'sms')).toBe(1);
    expect(notices('retrying', 'sms')).toBe(2);
    expect(notices('retrying', 'email')).toBe(1);
    expect(notices('failed', 'sms')).toBe(1);
    expect(notices('sent', 'sms')).toBe(2);
    expect(notices('sent', 'email')).toBe(1);
    expect(notices('skipped', 'voice')).toBe(1);
    const errors = (state: string, channel: string, errorClass: string) =>
      sample(text, OPERATOR_METRICS.noticeErrors, { state, channel, error_class: errorClass });
    expect(errors('retrying', 'sms', 'TransientProviderError')).toBe(2);
    expect(errors('retrying', 'email', 'CountyNotConfigured')).toBe(1);
    expect(errors('failed', 'sms', 'InvalidRecipient')).toBe(1);
  });

  it('paused delivery, by county, channel and reason', async () => {
    await pauseDelivery(db.sql, { county: 'placer', channel: null }, 'CountyNotConfigured');
    const text = await scrape();
    expect(
      sample(text, OPERATOR_METRICS.paused, { county: 'placer', channel: 'all', reason: 'CountyNotConfigured' }),
    ).toBe(1);
  });

  it('the SMS queue: sends waiting for a worker, and how long the oldest has waited', async () => {
    const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    // The ballot worker runs; no SMS worker polls `${taskQueue}-sms`, so the text waits there.
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      ...workflowSource(),
      activities: createActivities({
        sql: db.sql,
        temporal,
        senders: {},
        links: { manageUrl: () => '', unsubscribeUrl: () => '' },
      }),
    });
    const ballotId = `b-${randomUUID().slice(0, 8)}`;
    await worker.runUntil(async () => {
      await temporal.workflow.signalWithStart(ballotLifecycle, {
        taskQueue,
        workflowId: workflowIdFor('e-sms', ballotId),
        args: [{ electionId: 'e-sms', ballotId }],
        signal: recordsSignal,
        signalArgs: [
          {
            issuance: { voterId: 'v-sms', county: 'placer' },
            events: [scan('received')],
            plan: plan({ channels: ['sms'] }),
            election: election(),
          },
        ],
      });
      const text = await eventually(async () => {
        const scraped = await scrape();
        return (sample(scraped, OPERATOR_METRICS.smsBacklog) ?? 0) >= 1 ? scraped : undefined;
      }, 45_000);
      expect(sample(text, OPERATOR_METRICS.smsBacklog)).toBe(1);
      await eventually(async () => ((sample(await scrape(), OPERATOR_METRICS.smsOldest) ?? 0) > 0 ? true : undefined));
      await temporal.workflow.getHandle(workflowIdFor('e-sms', ballotId)).terminate('test over');
    });
    await nativeConnection.close();
  });

  it('one snapshot serves scrapes for the cache time, so many API processes cost PostgreSQL little', async () => {
    const before = sample(await scrape(cachedServer), OPERATOR_METRICS.outboxDead);
    await enqueue(db.sql, [{ kind: 'scan', electionId: 'e-cache', ballotId: 'b-1', eventId: 'x-2', payload: {} }]);
    await db.sql`UPDATE outbox_ballots SET dead_at = now() WHERE election_id = 'e-cache'`;
    expect(sample(await scrape(cachedServer), OPERATOR_METRICS.outboxDead)).toBe(before);
    expect(sample(await scrape(server), OPERATOR_METRICS.outboxDead)).toBe((before ?? 0) + 1);
  });

  it('`status` prints the same numbers in a terminal', async () => {
    const status = await collectOperatorStatus(
      { sql: db.sql, temporal, namespace: 'default', taskQueue },
      { finished: true },
    );
    const text = statusLines(status, { database: 'test', temporal: 'test' }).join('\n');
    expect(text).toMatch(/dead-lettered ballots +2/);
    expect(text).toMatch(/sms +1 +2 +1 +2 +0/);
    expect(text).toMatch(/retrying +sms +TransientProviderError +2/);
    expect(text).toMatch(/county=placer +channel=all +CountyNotConfigured/);
    expect(text).toMatch(/e-sweep +close +run 1 +incomplete +partitions 1\/4 +signalled 400 +open after 7/);
  });
});
