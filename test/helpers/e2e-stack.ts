/**
 * The whole stack for the browser tests, in the test process: a fresh database, the sandbox Twilio
 * and SendGrid behind the real provider adapters, the ballot worker and the SMS worker on the suite's
 * Temporal dev server, the outbox forwarder, and the API app with the vendor API, the voter pages and
 * the development outbox. Seeding goes through the vendor API, as a county's systems would.
 */
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import type { OutboxEntry } from '../../api/dev-outbox.js';
import { createApiKey, createKeyVerifier } from '../../api/keys.js';
import { OutboxForwarder } from '../../api/outbox-forwarder.js';
import { startServer, type RunningServer } from '../../api/server.js';
import type { FixturePerson } from './history-pii-fixtures.js';
import { ALL_SCOPES } from '../../ingest/principal.js';
import { createLogger } from '../../lib/logger.js';
import { createVoterService } from '../../voters/service.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import {
  seedCounty,
  startTestDelivery,
  TEST_MANAGE_SECRET,
  TEST_PUBLIC_BASE_URL,
  type TestDelivery,
} from './delivery.js';
import { devServerEnvironment, uniqueTaskQueue } from './temporal.js';

export const COUNTY = 'sacramento';

const logger = createLogger({ LOG_LEVEL: (process.env.TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent' }, 'e2e');

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON answers of every shape
  body: any;
}

export interface E2eStack {
  /** Base URL of the app (pages, /v1, /dev/outbox.json). */
  url: string;
  db: TestDatabase;
  delivery: TestDelivery;
  temporal: Client;
  taskQueue: string;
  /** A vendor API call with a key that has every scope and county. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** What the sandbox providers were asked to send, oldest first (GET /dev/outbox.json). */
  outbox(): Promise<OutboxEntry[]>;
  /** An election whose day is a month away, so manage tokens are valid and nothing closes. */
  putElection(electionId: string): Promise<void>;
  /** A voter on the roll (active, no subscription): the person signs up on the pages. */
  putVoter(voterId: string, person: FixturePerson): Promise<void>;
  issueBallot(electionId: string, ballotId: string, voterId: string): Promise<void>;
  /** Posts one scan through the vendor API (accepted, not a duplicate). */
  scan(electionId: string, ballotId: string, type: string): Promise<void>;
  /** GET /v1/ballots/{electionId}/{ballotId}: the ballot as the vendor API reports it. */
  ballot(electionId: string, ballotId: string): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

function expectStatus(answer: ApiAnswer, expected: number, what: string): void {
  if (answer.status !== expected) {
    throw new Error(`${what}: expected HTTP ${expected}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
}

let scanCounter = 0;

export async function startE2eStack(): Promise<E2eStack> {
  const [env, db, delivery] = await Promise.all([devServerEnvironment(), createTestDatabase(), startTestDelivery()]);
  const stoppers: (() => Promise<unknown>)[] = [() => delivery.close(), () => db.drop(), () => env.teardown()];
  const stopAll = async () => {
    for (const stop of [...stoppers].reverse()) await stop().catch(() => {});
  };
  try {
    const temporal = env.client;
    const taskQueue = uniqueTaskQueue('e2e');
    await seedCounty(db.sql, COUNTY);

    const activities = createActivities({ sql: db.sql, temporal, ...delivery });
    const workers = [
      await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities }),
      await createSmsWorker({ taskQueue, messagesPerSecond: 100 }, env.nativeConnection, activities),
    ];
    const running = Promise.all(workers.map((worker) => worker.run()));
    stoppers.push(async () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    const forwarder = new OutboxForwarder({ sql: db.sql, temporal, taskQueue, logger, pollIntervalMs: 200 });
    forwarder.start();
    stoppers.push(() => forwarder.stop());

    // Wired as api/run.ts wires them; rate limits high enough that the tests' few requests never meet them.
    const voters = createVoterService({
      sql: db.sql,
      temporal,
      senders: delivery.senders,
      links: delivery.links,
      publicBaseUrl: TEST_PUBLIC_BASE_URL,
      manageTokenSecret: TEST_MANAGE_SECRET,
      rateLimits: { perAddress: 10_000, perIdentity: 10_000 },
      logger,
    });
    const server: RunningServer = await startServer(
      createApp({
        logger,
        readiness: {},
        devOutbox: delivery.sandbox,
        voters,
        web: {
          voters,
          csrfSecret: createHmac('sha256', TEST_MANAGE_SECRET).update('csrf').digest('base64url'),
          secureCookies: false,
          logger,
        },
        v1: {
          sql: db.sql,
          temporal,
          verifyKey: createKeyVerifier(db.sql),
          backlog: () => forwarder.backlog(),
          outboxWritten: () => forwarder.kick(),
          rateLimitPerMinute: 10_000,
          maxBodyBytes: 1024 * 1024,
          maxBacklog: 1_000_000,
        },
      }),
      '127.0.0.1',
      0,
    );
    stoppers.push(() => server.stop());

    const { key } = await createApiKey(db.sql, { name: 'e2e', scopes: [...ALL_SCOPES], counties: null });
    const api: E2eStack['api'] = async (method, path, body) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { status: response.status, body: parsed };
    };

    return {
      url: server.url,
      db,
      delivery,
      temporal,
      taskQueue,
      api,
      async outbox() {
        const answer = await api('GET', '/dev/outbox.json');
        expectStatus(answer, 200, 'GET /dev/outbox.json');
        return answer.body as OutboxEntry[];
      },
      async putElection(electionId) {
        const electionDay = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
        const answer = await api('PUT', `/v1/elections/${electionId}`, {
          name: 'General Election',
          electionDay,
          timezone: 'America/Los_Angeles',
        });
        expectStatus(answer, 201, `PUT /v1/elections/${electionId}`);
      },
      async putVoter(voterId, person) {
        const { firstName, lastName, dateOfBirth, zip } = person;
        const answer = await api('POST', '/v1/voters', {
          voters: [{ voterId, county: COUNTY, firstName, lastName, dateOfBirth, zip }],
        });
        expectStatus(answer, 202, 'POST /v1/voters');
        if (answer.body.results[0].outcome !== 'accepted') throw new Error(JSON.stringify(answer.body));
      },
      async issueBallot(electionId, ballotId, voterId) {
        const answer = await api('POST', '/v1/ballots', {
          ballots: [{ electionId, ballotId, voterId, county: COUNTY }],
        });
        expectStatus(answer, 202, 'POST /v1/ballots');
        if (answer.body.results[0].outcome !== 'accepted') throw new Error(JSON.stringify(answer.body));
      },
      async scan(electionId, ballotId, type) {
        scanCounter += 1;
        const answer = await api('POST', '/v1/scans', {
          events: [
            {
              eventId: `e2e-${Date.now().toString(36)}-${scanCounter}`,
              electionId,
              ballotId,
              type,
              occurredAt: new Date().toISOString(),
            },
          ],
        });
        expectStatus(answer, 202, 'POST /v1/scans');
        if (answer.body.results[0].outcome !== 'accepted') throw new Error(JSON.stringify(answer.body));
      },
      ballot: (electionId, ballotId) => api('GET', `/v1/ballots/${electionId}/${ballotId}`),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
