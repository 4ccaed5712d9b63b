/**
 * `npx tsx scripts/bench-ingest.ts [-- --ballots 1000 --scans 20000 --batch 500 --concurrency 8]`:
 * scan ingestion through the API against the same load sent straight to Temporal.
 *
 * Starts its own stack (a headless in-memory Temporal dev server on a free port, embedded PostgreSQL
 * in a temp directory, or TEMPORAL_ADDRESS / DATABASE_URL when set), a worker with the real
 * activities, and the API with its outbox forwarder in this process. For each path it issues the
 * ballots, then sends the scans and waits until every one is recorded in its workflow:
 *
 * - api: POST /v1/scans in batches of --batch, --concurrency requests in flight; the forwarder
 *   delivers from the outbox (FORWARDER_CONCURRENCY signalWithStart calls in flight);
 * - raw: `forwardScan` (one signalWithStart per scan) with FORWARDER_CONCURRENCY calls in flight.
 *
 * Scans per second count from the first request to the last event recorded in a workflow; latency
 * is from the moment the scan's request was sent to the workflow's `receivedAt` for it (read with
 * the status query afterwards). Prints both, their ratio and p50/p99.
 */
import { parseArgs } from 'node:util';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createApp } from '../api/app.js';
import { createApiKey, createKeyVerifier } from '../lib/api-keys.js';
import { OutboxForwarder } from '../api/outbox-forwarder.js';
import { startServer } from '../api/server.js';
import { ALL_SCOPES } from '../domain/principal.js';
import { createLogger } from '../lib/logger.js';
import { forwardIssuance, forwardScan } from '../lib/workflow-client.js';
import { workflowSource } from '../worker/worker.js';
import { statusQuery, workflowIdFor } from '../workflows/ballot.js';
import { inPool, startServerStack } from '../test/helpers/history-stack.js';

/** These voters have no subscriptions, so no notice is ever sent: no senders needed. */
const NO_DELIVERY = { senders: {}, links: { manageUrl: () => '', unsubscribeUrl: () => '' } };

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '1000' },
    scans: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    'forwarder-concurrency': { type: 'string', default: '64' },
    'forwarder-batch': { type: 'string', default: '2000' },
    'api-first': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: bench-ingest [--ballots N (1000)] [--scans M (20000)] [--batch B (500)] [--concurrency C (8)]\n' +
      "                    [--forwarder-concurrency F (64), also the raw path's calls in flight]\n" +
      '                    [--forwarder-batch R (2000), rows per forwarder pass] [--api-first]\n',
  );
  process.exit(0);
}
const int = (name: string, text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const N = int('ballots', args.ballots);
const M = int('scans', args.scans);
const BATCH = Math.min(1000, int('batch', args.batch));
const CONCURRENCY = int('concurrency', args.concurrency);
const FORWARD_CONCURRENCY = int('forwarder-concurrency', args['forwarder-concurrency']);
const FORWARD_BATCH = int('forwarder-batch', args['forwarder-batch']);
const TYPES = ['outbound', 'undeliverable', 'inbound', 'received'] as const;
const log = (line: string) => process.stderr.write(`${line}\n`);

Runtime.install({ logger: new DefaultLogger('ERROR') });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main() {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const stack = await startServerStack({ name: 'bench-ingest', log, temporalAddress: process.env.TEMPORAL_ADDRESS });
    cleanups.push(() => stack.stop());
    const { sql, client: temporal, temporalAddress: address } = stack;
    const taskQueue = `bench-ingest-${Date.now().toString(36)}`;

    const native = await NativeConnection.connect({ address });
    cleanups.unshift(() => native.close());
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      ...workflowSource(),
      activities: createActivities({ sql, temporal, ...NO_DELIVERY }),
      maxCachedWorkflows: Math.max(500, N * 2),
    });
    const running = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await running;
    });

    const logger = createLogger({ LOG_LEVEL: 'error' }, 'bench');
    const forwarder = new OutboxForwarder({
      sql,
      temporal,
      taskQueue,
      logger,
      concurrency: FORWARD_CONCURRENCY,
      batchSize: FORWARD_BATCH,
      pollIntervalMs: 100,
    });
    forwarder.start();
    cleanups.unshift(() => forwarder.stop());
    const server = await startServer(
      createApp({
        logger,
        readiness: {},
        v1: {
          sql,
          temporal,
          verifyKey: createKeyVerifier(sql),
          backlog: () => forwarder.backlog(),
          outboxWritten: () => forwarder.kick(),
          rateLimitPerMinute: 1_000_000,
          maxBodyBytes: 5 * 1024 * 1024,
          maxBacklog: 10_000_000,
        },
      }),
      '127.0.0.1',
      0,
    );
    cleanups.unshift(() => server.stop());
    const { key } = await createApiKey(sql, { name: 'bench', scopes: [...ALL_SCOPES], counties: null });
    const post = async (path: string, body: unknown, method = 'POST') => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };

    const scansFor = (electionId: string) =>
      Array.from({ length: M }, (_, i) => ({
        electionId,
        ballotId: `B-${i % N}`,
        eventId: `${electionId}-ev-${i}`,
        type: TYPES[Math.floor(i / N) % TYPES.length]!,
        occurredAt: new Date(Date.UTC(2026, 9, 6) + i * 1000).toISOString(),
      }));

    /** Waits until every ballot holds its scans; returns each event's receivedAt. */
    async function collect(electionId: string, perBallot: Map<string, number>): Promise<Map<string, number>> {
      const receivedAt = new Map<string, number>();
      const ballots = [...perBallot.keys()];
      // Queries are workflow tasks too: poll gently so observing does not slow what is observed
      // (the times measured come from the workflows' own receivedAt, not from when we look).
      await inPool(ballots, 4, async (ballotId) => {
        for (;;) {
          const view = await temporal.workflow
            .getHandle(workflowIdFor(electionId, ballotId))
            .query(statusQuery)
            .catch(() => undefined);
          if (view && view.events.length >= perBallot.get(ballotId)!) {
            for (const event of view.events) receivedAt.set(event.eventId, Date.parse(event.receivedAt));
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      });
      return receivedAt;
    }

    async function measure(
      label: string,
      electionId: string,
      send: (scans: ReturnType<typeof scansFor>, sentAt: Map<string, number>) => Promise<void>,
    ) {
      const scans = scansFor(electionId);
      const perBallot = new Map<string, number>();
      for (const scan of scans) perBallot.set(scan.ballotId, (perBallot.get(scan.ballotId) ?? 0) + 1);
      const sentAt = new Map<string, number>();
      log(`${label}: sending ${M} scans for ${N} ballots ...`);
      const start = Date.now();
      await send(scans, sentAt);
      const sentMs = Date.now() - start;
      while ((await forwarder.backlog()) > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      const receivedAt = await collect(electionId, perBallot);
      const last = Math.max(...receivedAt.values());
      const latencies = scans
        .map((scan) => receivedAt.get(scan.eventId)! - sentAt.get(scan.eventId)!)
        .sort((a, b) => a - b);
      const seconds = (last - start) / 1000;
      const [outbox] = await sql<{ ms: number | null }[]>`
        SELECT (extract(epoch FROM max(forwarded_at)) * 1000 - ${start})::float8 AS ms
        FROM workflow_outbox WHERE election_id = ${electionId} AND kind = 'scan'`;
      if (outbox?.ms) log(`${label}: outbox drained ${(outbox.ms / 1000).toFixed(1)} s after the first request`);
      return {
        label,
        rate: M / seconds,
        seconds,
        sentMs,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
    }

    // Issue the ballots of both elections first (not measured), so both paths signal running workflows.
    for (const electionId of ['bench-api', 'bench-raw']) {
      await post(
        `/v1/elections/${electionId}`,
        { name: electionId, electionDay: '2099-11-03', timezone: 'America/Los_Angeles' },
        'PUT',
      );
    }
    const ballots = (electionId: string) =>
      Array.from({ length: N }, (_, i) => ({ electionId, ballotId: `B-${i}`, voterId: `V-${i}`, county: 'ALA' }));
    log(`issuing ${N} ballots through the API and ${N} straight to Temporal ...`);
    const apiBallots = ballots('bench-api');
    for (let i = 0; i < N; i += 1000) await post('/v1/ballots', { ballots: apiBallots.slice(i, i + 1000) });
    await inPool(ballots('bench-raw'), FORWARD_CONCURRENCY, async (b) => {
      await forwardIssuance(temporal, taskQueue, b, { voterId: b.voterId, county: b.county });
    });
    while ((await forwarder.backlog()) > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    // Each new ballot loads its context (an activity) and upserts search attributes: let all of that
    // finish, or the first path measured would compete with it.
    log('waiting for the ballots to settle ...');
    const everyBallot = ['bench-api', 'bench-raw'].flatMap((electionId) => ballots(electionId));
    for (let settled = false; !settled;) {
      settled = true;
      await inPool(everyBallot, 8, async (b) => {
        const { raw: description } = await temporal.workflow
          .getHandle(workflowIdFor(b.electionId, b.ballotId))
          .describe();
        if (description.pendingWorkflowTask || (description.pendingActivities?.length ?? 0) > 0) settled = false;
      });
    }

    const measureRaw = () =>
      measure('raw signalWithStart', 'bench-raw', async (scans, sentAt) => {
        await inPool(scans, FORWARD_CONCURRENCY, async ({ electionId, ballotId, ...event }) => {
          sentAt.set(event.eventId, Date.now());
          await forwardScan(temporal, taskQueue, { electionId, ballotId }, event);
        });
      });
    const measureApi = () =>
      measure('api /v1/scans', 'bench-api', async (scans, sentAt) => {
        const batches: (typeof scans)[] = [];
        for (let i = 0; i < scans.length; i += BATCH) batches.push(scans.slice(i, i + BATCH));
        await inPool(batches, CONCURRENCY, async (batch) => {
          const now = Date.now();
          for (const scan of batch) sentAt.set(scan.eventId, now);
          const answer = (await post('/v1/scans', { events: batch })) as { summary: { accepted: number } };
          if (answer.summary.accepted !== batch.length)
            throw new Error(`not all accepted: ${JSON.stringify(answer.summary)}`);
        });
      });

    // The path measured second finds a warmer worker; --api-first swaps the order.
    const [raw, api] = args['api-first']
      ? await measureApi().then(async (a) => [await measureRaw(), a] as const)
      : await measureRaw().then(async (r) => [r, await measureApi()] as const);
    const row = (r: typeof api) =>
      `${r.label.padEnd(22)} ${r.rate.toFixed(0).padStart(8)} scans/s   p50 ${String(r.p50).padStart(6)} ms   p99 ${String(r.p99).padStart(6)} ms   (all sent in ${(r.sentMs / 1000).toFixed(1)} s, all applied in ${r.seconds.toFixed(1)} s)`;
    process.stdout.write(
      [
        `bench-ingest: ${N} ballots, ${M} scans, API batches of ${BATCH} x ${CONCURRENCY} in flight, ${FORWARD_CONCURRENCY} signalWithStart in flight, forwarder passes of ${FORWARD_BATCH} rows`,
        row(raw),
        row(api),
        `ratio api/raw: ${(api.rate / raw.rate).toFixed(2)} (goal >= 0.90)`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

await main();
