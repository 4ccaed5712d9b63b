/** Shared set-up of the API integration tests and the browser tests (not a test file itself). */
import { createHmac } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { createApiKey, createKeyVerifier } from '../../lib/api-keys.js';
import { OutboxForwarder } from '../../ingest/forwarder.js';
import { startServer, type RunningServer } from '../../api/server.js';
import type { ErrorBody } from '../../api/errors.js';
import type { V1Deps } from '../../api/v1.js';
import type { Channel } from '../../domain/notices.js';
import type { ItemResult } from '../../ingest/schemas.js';
import type { BallotStatusResponse } from '../../ingest/ballot-status.js';
import type { Scope } from '../../domain/principal.js';
import { ALL_COUNTY_SCOPES, ALL_SCOPES } from '../../domain/principal.js';
import { createLogger } from '../../lib/logger.js';
import type { ContactView, FieldProblems, PreferencesView, VoterService } from '../../voters/contract.js';
import { createVoterService } from '../../voters/service.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { TEST_MANAGE_SECRET, TEST_PUBLIC_BASE_URL, type TestDelivery } from '../helpers/delivery.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';

/** These voters have no subscriptions, so no notice is ever sent: no senders needed. */
const NO_DELIVERY = { senders: {}, links: { manageUrl: () => '', unsubscribeUrl: () => '' } };

export const logger = createLogger(
  { LOG_LEVEL: (process.env.TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent' },
  'test',
);

/** A batch item's answer, with the IDs of its kind. */
export type AnsweredItem = ItemResult & {
  voterId?: string;
  electionId?: string;
  ballotId?: string;
  eventId?: string;
  effect?: string;
};

/** An OpenAPI schema object, as far as the tests look into it. */
interface SchemaObject {
  properties: Record<string, { enum?: string[] } & Record<string, unknown>>;
  required?: string[];
}

/**
 * Every JSON answer of the API, as the tests read it: each member is there only in its kind of
 * answer (a test checks the status first). Error answers (`error`), batch answers (`results`,
 * `summary`), a ballot (GET /v1/ballots), the voter API (subscriptions, preferences) and the OpenAPI
 * document. A body that is not JSON parses to undefined.
 */
export interface ApiBody {
  error: ErrorBody['error'] & { fields?: FieldProblems; attemptsRemaining?: number };
  results: AnsweredItem[];
  summary: { accepted: number; duplicate: number; invalid: number };
  // GET /v1/ballots/{electionId}/{ballotId}
  electionId: string;
  ballotId: string;
  county: string | null;
  status: string;
  awaitingIssuance: boolean;
  events: BallotStatusResponse['events'];
  notices: BallotStatusResponse['notices'];
  needsAttention: boolean;
  attention: string | null;
  // /v1/subscriptions
  subscriptionId: string;
  manageToken: string;
  pendingVerification: Channel[];
  quietHours: PreferencesView['quietHours'];
  contacts: ContactView[];
  // /v1/openapi.json
  openapi: string;
  paths: Record<string, unknown>;
  components: { schemas: Record<string, SchemaObject> };
}

export interface ApiHarness {
  db: TestDatabase;
  temporal: Client;
  taskQueue: string;
  forwarder: OutboxForwarder;
  server: RunningServer;
  url: string;
  /** A key with every scope and county. */
  adminKey: string;
  key(options?: { scopes?: Scope[]; counties?: string[] | null; rateLimitPerMinute?: number }): Promise<string>;
  call(
    method: string,
    path: string,
    options?: {
      key?: string | null;
      body?: unknown;
      raw?: string | Uint8Array;
      contentType?: string;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; headers: Headers; body: ApiBody; text: string }>;
  /** The voter service behind /v1/subscriptions, when started with `voters`. */
  voters?: VoterService;
  stop(): Promise<void>;
}

/** Options of the voter API: real senders (the sandbox), a movable clock, changeable rate limits. */
export interface HarnessVoterOptions {
  delivery: TestDelivery;
  now?: () => number;
  /** Read on every request, so a test may change it; default: high enough never to matter. */
  rateLimits?: { perAddress: number; perIdentity: number; codesPerDestination?: number };
  voiceCodeHours?: { start: string; end: string };
  /** Also mounts the voter pages and the development outbox (`delivery`'s sandbox), as `npm run dev` does. */
  pages?: boolean;
}

export async function startApiHarness(options: {
  temporalAddress: string;
  /** Without a worker the API still records; workflows just do not run. */
  worker?: boolean;
  v1?: Partial<V1Deps>;
  forwarder?: { pollIntervalMs?: number; callTimeoutMs?: number; maxBackoffMs?: number };
  /** Mounts the voter API with the real service; the worker then sends notices through `delivery`. */
  voters?: HarnessVoterOptions;
}): Promise<ApiHarness> {
  const db = await createTestDatabase();
  const connection = await Connection.connect({ address: options.temporalAddress });
  const temporal = new Client({ connection });
  const taskQueue = uniqueTaskQueue('api');
  const workers: Worker[] = [];
  let workerRun: Promise<unknown> | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (options.worker ?? true) {
    nativeConnection = await NativeConnection.connect({ address: options.temporalAddress });
    const delivery = options.voters
      ? { senders: options.voters.delivery.senders, links: options.voters.delivery.links }
      : NO_DELIVERY;
    const activities = createActivities({ sql: db.sql, temporal, ...delivery });
    workers.push(await Worker.create({ connection: nativeConnection, taskQueue, ...workflowSource(), activities }));
    if (options.voters) {
      workers.push(await createSmsWorker({ taskQueue, messagesPerSecond: 100 }, nativeConnection, activities));
    }
    workerRun = Promise.all(workers.map((worker) => worker.run()));
  }
  const voters = options.voters
    ? createVoterService({
        sql: db.sql,
        senders: options.voters.delivery.senders,
        links: options.voters.delivery.links,
        publicBaseUrl: TEST_PUBLIC_BASE_URL,
        manageTokenSecret: TEST_MANAGE_SECRET,
        rateLimits: options.voters.rateLimits ?? {
          perAddress: 100_000,
          perIdentity: 100_000,
          codesPerDestination: 100_000,
        },
        logger,
        ...(options.voters.now ? { now: options.voters.now } : {}),
        // Code calls at any hour unless a test is about the daytime rule.
        voiceCodeHours: options.voters.voiceCodeHours ?? { start: '00:00', end: '00:00' },
      })
    : undefined;
  const forwarder = new OutboxForwarder({
    sql: db.sql,
    temporal,
    taskQueue,
    logger,
    pollIntervalMs: options.forwarder?.pollIntervalMs ?? 200,
    callTimeoutMs: options.forwarder?.callTimeoutMs ?? 3_000,
    maxBackoffMs: options.forwarder?.maxBackoffMs ?? 2_000,
  });
  await forwarder.start();
  const server = await startServer(
    createApp({
      logger,
      readiness: {},
      operations: { open: true },
      ...(voters ? { voters } : {}),
      ...(voters && options.voters?.pages
        ? {
            devOutbox: options.voters.delivery.sandbox,
            web: {
              voters,
              csrfSecret: createHmac('sha256', TEST_MANAGE_SECRET).update('csrf').digest('base64url'),
              secureCookies: false,
              logger,
            },
          }
        : {}),
      v1: {
        sql: db.sql,
        verifyKey: createKeyVerifier(db.sql),
        backlog: () => forwarder.backlog(),
        outboxWritten: () => forwarder.kick(),
        rateLimitPerMinute: 10_000,
        maxBodyBytes: 1024 * 1024,
        maxBacklog: 1_000_000,
        broadcasts: { temporal, taskQueue },
        ...options.v1,
      },
    }),
    '127.0.0.1',
    0,
  );
  const key: ApiHarness['key'] = async (keyOptions = {}) =>
    (
      await createApiKey(db.sql, {
        name: 'test',
        // A county key cannot hold election-wide scopes (elections:write).
        scopes:
          keyOptions.scopes ??
          (keyOptions.counties ? ALL_SCOPES.filter((scope) => !ALL_COUNTY_SCOPES.includes(scope)) : [...ALL_SCOPES]),
        counties: keyOptions.counties === undefined ? null : keyOptions.counties,
        rateLimitPerMinute: keyOptions.rateLimitPerMinute ?? null,
      })
    ).key;
  const adminKey = await key();

  const call: ApiHarness['call'] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    const bearer = callOptions.key === undefined ? adminKey : callOptions.key;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    let body: string | Uint8Array | undefined = callOptions.raw;
    if (callOptions.body !== undefined) body = JSON.stringify(callOptions.body);
    if (body !== undefined) headers['content-type'] = callOptions.contentType ?? 'application/json';
    const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: ApiBody;
    try {
      parsed = JSON.parse(text) as ApiBody;
    } catch {
      parsed = undefined as unknown as ApiBody;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };

  return {
    db,
    temporal,
    taskQueue,
    forwarder,
    server,
    url: server.url,
    adminKey,
    key,
    call,
    ...(voters ? { voters } : {}),
    async stop() {
      await server.stop().catch(() => {});
      await forwarder.stop();
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun?.catch(() => {});
      await nativeConnection?.close().catch(() => {});
      await connection.close();
      await db.drop();
    },
  };
}

export { eventually } from '../helpers/eventually.js';

export const election = (overrides: Record<string, unknown> = {}) => ({
  name: 'General Election',
  electionDay: '2099-11-03',
  timezone: 'America/Los_Angeles',
  ...overrides,
});

let counter = 0;
export function scanItem(electionId: string, ballotId: string, type: string, extra: Record<string, unknown> = {}) {
  counter += 1;
  return {
    eventId: `ev-${Date.now().toString(36)}-${counter}`,
    electionId,
    ballotId,
    type,
    occurredAt: '2026-10-06T10:00:00-07:00',
    ...extra,
  };
}
