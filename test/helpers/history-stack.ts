/**
 * The whole stack in one process, for scripts that produce real workflow histories (the lifecycle
 * benchmark, the replay-fixture recorder): a headless in-memory Temporal dev server on a free port,
 * embedded PostgreSQL in a temp directory (or DATABASE_URL), migrations, and the production worker
 * (`createWorker` with `createActivities`). Plus seeding and polling helpers those scripts share.
 * `startServerStack` is the same servers without the worker (the fault test, bench-ingest, bench-signup).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createSql, type Sql } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { registerSearchAttributes } from '../../lib/temporal.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../../scripts/embedded-postgres.js';
import { startTemporalDevServer, type RunningTemporal } from '../../scripts/temporal-dev-server.js';
import { ensurePostgres, ensureTemporalCli } from '../../scripts/tools.js';
import { createSmsWorker, createWorker } from '../../worker/worker.js';
import { freePort } from '../global-setup.js';
import { seedCounty, startTestDelivery, type TestDelivery } from './delivery.js';

/** The servers alone: Temporal dev server and PostgreSQL, migrated, search attributes registered. */
export interface ServerStack {
  client: Client;
  sql: Sql;
  databaseUrl: string;
  temporalAddress: string;
  /** Where the dev server's log lives until `stop`. */
  workDir: string;
  /** Stops the servers and removes the temp directories. */
  stop(): Promise<void>;
}

export interface HistoryStack extends Omit<ServerStack, 'databaseUrl'> {
  taskQueue: string;
  namespace: string;
  worker: Worker;
  /** Stops the worker and the servers, and removes the temp directories. */
  stop(): Promise<void>;
}

const NAMESPACE = 'default';

/**
 * A headless in-memory Temporal dev server on a free port (or `temporalAddress`) and embedded
 * PostgreSQL in a temp directory (or DATABASE_URL), migrated; no worker (the fault test runs the
 * worker as a process).
 */
export async function startServerStack(options: {
  name: string;
  log: (line: string) => void;
  temporalAddress?: string | undefined;
}): Promise<ServerStack> {
  const { log } = options;
  const workDir = mkdtempSync(join(tmpdir(), `ballot-${options.name}-`));
  // A directory of its own: as root, PostgreSQL runs as `postgres`, which must own it (mkdtemp's 0700
  // parent would lock it out).
  const pgDir = mkdtempSync(join(tmpdir(), `ballot-${options.name}-pg-`));
  let temporal: RunningTemporal | undefined;
  let postgres: RunningPostgres | undefined;
  let sql: Sql | undefined;
  let connection: Connection | undefined;

  const stop = async () => {
    await connection?.close().catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
    await Promise.allSettled([temporal?.stop(), postgres?.stop()]);
    for (const dir of [workDir, pgDir]) rmSync(dir, { recursive: true, force: true });
  };

  try {
    let temporalAddress = options.temporalAddress;
    if (!temporalAddress) {
      const cliPath = await ensureTemporalCli();
      const started = performance.now();
      temporal = await startTemporalDevServer({
        cliPath,
        port: await freePort(),
        logFile: join(workDir, 'temporal-dev-server.log'),
      });
      temporalAddress = temporal.address;
      log(`Temporal dev server (headless, in memory) on ${temporalAddress} in ${ms(started)}`);
    }

    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      await ensurePostgres();
      const pgStarted = performance.now();
      postgres = await startEmbeddedPostgres({
        dataDir: pgDir,
        port: await freePort(),
        database: 'ballot_tracker',
        persistent: false,
      });
      databaseUrl = postgres.url;
      log(`embedded PostgreSQL on ${new URL(databaseUrl).host} in ${ms(pgStarted)}`);
    } else {
      log('PostgreSQL from DATABASE_URL');
    }
    sql = createSql({ DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: 20 });
    const applied = await migrate(sql);
    log(`migrations: ${applied.length > 0 ? applied.join(', ') : 'up to date'}`);

    connection = await Connection.connect({ address: temporalAddress });
    await registerSearchAttributes(connection, NAMESPACE);
    const client = new Client({ connection, namespace: NAMESPACE });
    return { client, sql, databaseUrl, temporalAddress, workDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The servers plus the production worker (`createWorker` with `createActivities`) and the SMS worker. */
export async function startHistoryStack(options: { name: string; log: (line: string) => void }): Promise<HistoryStack> {
  const { log } = options;
  const taskQueue = `${options.name}-${process.pid}`;
  // Once per process; the SDK's own INFO lines (webpack, worker state) are noise here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const servers = await startServerStack(options);
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let smsWorker: Worker | undefined;
  let running: Promise<void> | undefined;
  let delivery: TestDelivery | undefined;

  const stop = async () => {
    for (const each of [worker, smsWorker]) if (each?.getState() === 'RUNNING') each.shutdown();
    await running?.catch(() => {});
    await nativeConnection?.close().catch(() => {});
    await delivery?.close().catch(() => {});
    await servers.stop();
  };

  try {
    const { client, sql } = servers;
    await seedCounty(sql, 'sacramento');
    delivery = await startTestDelivery();

    nativeConnection = await NativeConnection.connect({ address: servers.temporalAddress });
    const bundled = performance.now();
    const activities = createActivities({ sql, temporal: client, senders: delivery.senders, links: delivery.links });
    const workerConfig = {
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_SHUTDOWN_GRACE_TIME: 5_000,
      WORKER_MAX_CACHED_WORKFLOWS: 500,
    };
    worker = await createWorker(workerConfig, nativeConnection, activities);
    smsWorker = await createSmsWorker(
      { taskQueue, namespace: NAMESPACE, messagesPerSecond: 1_000 },
      nativeConnection,
      activities,
    );
    running = Promise.all([worker.run(), smsWorker.run()]).then(() => undefined);
    log(`worker on task queue ${taskQueue} (workflows bundled in ${ms(bundled)})`);

    return {
      client,
      sql,
      taskQueue,
      namespace: NAMESPACE,
      temporalAddress: servers.temporalAddress,
      worker,
      workDir: servers.workDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function ms(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

/** An election far enough away that no reminder or closing interferes, unless overridden. */
export async function seedElection(
  sql: Sql,
  electionId: string,
  overrides: { electionDay?: string; closesAt?: Date; cureDeadline?: Date; timezone?: string } = {},
): Promise<void> {
  const electionDay = overrides.electionDay ?? new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  await sql`
    INSERT INTO elections (election_id, name, election_day, timezone, closes_at, cure_deadline)
    VALUES (${electionId}, ${`Election ${electionId}`}, ${electionDay}, ${overrides.timezone ?? 'UTC'},
            ${overrides.closesAt ?? null}, ${overrides.cureDeadline ?? null})`;
}

/**
 * Notice keys recorded for a ballot by the recording sender (`notice_deliveries`), oldest first; with
 * `channel`, only that channel's.
 */
export async function recordedNotices(
  sql: Sql,
  electionId: string,
  ballotId: string,
  channel?: string,
): Promise<string[]> {
  const rows = await sql<{ notice_key: string; channel: string }[]>`
    SELECT notice_key, channel FROM notice_deliveries
    WHERE election_id = ${electionId} AND ballot_id = ${ballotId}
    ORDER BY created_at, notice_key`;
  return rows.filter((row) => !channel || row.channel === channel).map((row) => row.notice_key);
}

/** Waits until the ballot's notice `key` is recorded (on `channel`, if given). */
export async function waitForNotice(
  sql: Sql,
  target: { electionId: string; ballotId: string },
  key: string,
  options: { channel?: string; timeoutMs?: number } = {},
): Promise<void> {
  await waitFor(
    `notice ${key}${options.channel ? ` on ${options.channel}` : ''} of ballot ${target.ballotId}`,
    async () =>
      (await recordedNotices(sql, target.electionId, target.ballotId, options.channel)).includes(key)
        ? true
        : undefined,
    { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 50 },
  );
}

/**
 * Waits until the workflow has handled everything sent to it: no workflow task and no activity
 * pending (a signal and the workflow task it schedules are written together, so this cannot pass
 * before a signal that was just sent is handled). A waiting timer does not count.
 */
export async function waitIdle(handle: WorkflowHandle): Promise<void> {
  await waitFor(
    `${handle.workflowId} to be idle`,
    async () => {
      const { raw } = await handle.describe();
      return !raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0 ? true : undefined;
    },
    { intervalMs: 20 },
  );
}

/** Polls until `probe` answers something other than undefined. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/**
 * A daily window (HH:MM in UTC) that is closed now and opens at a whole minute at least `leadMs`
 * from now, open for `openMs` after that. The dev server has no time skipping: this is real time.
 */
export function windowOpeningSoon(leadMs: number, openMs = 2 * 3_600_000) {
  const opensAt = Math.ceil((Date.now() + leadMs) / 60_000) * 60_000;
  const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
  return { window: { start: hhmm(opensAt), end: hhmm(opensAt + openMs) }, opensAt };
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item);
    }
  });
  await Promise.all(lanes);
}
