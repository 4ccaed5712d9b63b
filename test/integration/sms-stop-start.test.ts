import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { startServer, type RunningServer } from '../../api/server.js';
import type { ScanEvent } from '../../domain/scan-event.js';
import { createLogger } from '../../lib/logger.js';
import { enqueuePlanChange } from '../../db/outbox.js';
import { readBallotStatus } from '../../ingest/ballot-status.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { statusQuery, workflowIdFor } from '../../workflows/ballot.js';
import { freePort } from '../global-setup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { Feed } from '../helpers/feed.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const ELECTION = `e-stop-${randomUUID().slice(0, 6)}`;
const PHONE = '+19165550177';

describe('STOP and START by SMS, end to end through the signed inbound webhook and the ballot workflow', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let delivery: TestDelivery;
  let api: RunningServer;
  let workers: Worker[];
  let running: Promise<unknown>;
  let feed: Feed;
  const taskQueue = uniqueTaskQueue('stop');
  let counter = 0;
  const scan = (type: ScanEvent['type']): ScanEvent => ({
    eventId: `stop-${(counter += 1)}`,
    type,
    occurredAt: new Date().toISOString(),
  });
  const smsTo = () =>
    delivery.sandbox.twilio.messages.filter((message) => message.channel === 'sms' && message.to === PHONE);

  beforeAll(async () => {
    [env, db, delivery] = await Promise.all([devServerEnvironment(), createTestDatabase(), startTestDelivery()]);
    await seedCounty(db.sql, 'sacramento');
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone) VALUES (${ELECTION}, 'General', '2099-11-03', 'UTC')`;
    await db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, language)
                 VALUES ('v-stop', 'sacramento', 'Marisol', 'Quintanilla-Reyes', '1961-04-17', '95814', 'es')`;
    const [subscription] = await db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
      VALUES ('v-stop', 'es', '00:00', '00:00', 'UTC') RETURNING subscription_id`;
    await db.sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
                 VALUES (${subscription!.subscription_id}, 'sms', ${PHONE}, now())`;
    feed = new Feed(db.sql, env.client, taskQueue);

    const activities = createActivities({ sql: db.sql, temporal: env.client, ...delivery });
    workers = [
      await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities }),
      await createSmsWorker({ taskQueue, messagesPerSecond: 100 }, env.nativeConnection, activities),
    ];
    running = Promise.all(workers.map((worker) => worker.run()));

    const port = await freePort();
    const publicBaseUrl = `http://127.0.0.1:${port}`;
    const logger = createLogger({ LOG_LEVEL: 'silent' }, 'test');
    api = await startServer(
      createApp({
        logger,
        readiness: {},
        twilioWebhooks: {
          sql: db.sql,
          logger,
          signalVoterBallots: async (voterId) => {
            await enqueuePlanChange(db.sql, voterId);
          },
          config: { publicBaseUrl, twilioAuthToken: delivery.sandbox.env.TWILIO_AUTH_TOKEN },
        },
      }),
      '127.0.0.1',
      port,
    );
    delivery.sandbox.twilio.inboundSmsUrl = `${publicBaseUrl}/webhooks/twilio/inbound`;
  });

  afterAll(async () => {
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await api?.stop();
    await env?.teardown();
    await delivery?.close();
    await db?.drop();
  });

  it('after STOP (in Spanish) a notice is not sent by SMS; after START the next one is', async () => {
    await feed.issue(ELECTION, 'b1', 'v-stop');
    await feed.scan(ELECTION, 'b1', scan('outbound'));
    await eventually(() => Promise.resolve(smsTo().length === 1 ? true : undefined));

    await delivery.sandbox.twilio.simulateInboundSms({ from: PHONE, to: '+15005550006', body: ' Alto ' });
    const [contact] = await db.sql<
      { opted_out_at: Date | null }[]
    >`SELECT opted_out_at FROM contacts WHERE address = ${PHONE}`;
    expect(contact?.opted_out_at).toBeInstanceOf(Date);

    const handle = env.client.workflow.getHandle(workflowIdFor(ELECTION, 'b1'));
    await feed.scan(ELECTION, 'b1', scan('inbound'));
    // The workflow records the skip in the same decision in which it would otherwise have sent: once
    // it is recorded, nothing was sent for this notice, and nothing will be.
    const skipped = await eventually(async () =>
      (await handle.query(statusQuery)).notices.find(
        (notice) => notice.channel === 'sms' && notice.status === 'inbound' && notice.state === 'skipped',
      ),
    );
    expect(skipped).toMatchObject({ state: 'skipped', reason: 'opted out' });
    expect(smsTo()).toHaveLength(1);
    const ledger =
      await db.sql`SELECT notice_key, state FROM notice_deliveries WHERE ballot_id = 'b1' AND notice_key = 'inbound#0'`;
    expect(ledger).toEqual([]);
    // The status API, from PostgreSQL alone, says the same.
    const record = await readBallotStatus(db.sql, ELECTION, 'b1');
    expect(record?.notices.find((n) => n.channel === 'sms' && n.status === 'inbound')).toMatchObject({
      state: 'skipped',
      reason: 'opted out',
    });

    await delivery.sandbox.twilio.simulateInboundSms({ from: PHONE, to: '+15005550006', body: 'START' });
    await feed.scan(ELECTION, 'b1', scan('received'));
    const sent = await eventually(() => Promise.resolve(smsTo().length === 2 ? smsTo() : undefined));
    expect(sent[1]?.body).toContain('Sacramento County Elections');
    const notices = (await handle.query(statusQuery)).notices.filter((notice) => notice.channel === 'sms');
    expect(notices.map((notice) => [notice.status, notice.state])).toEqual(
      expect.arrayContaining([
        ['outbound', 'sent'],
        ['received', 'sent'],
      ]),
    );
  });
});
