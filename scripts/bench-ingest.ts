/**
 * `npm run bench:ingest -- [--open-loop] [--rates 25,50,100,200] [--duration 60] [--ballots 2000] [--json]`:
 * latency from a vendor's request to the event applied in its ballot's workflow, under an offered
 * load that does not wait for the system (open loop), the way a county's feed arrives.
 *
 * Starts its own stack (a headless dev server and embedded PostgreSQL, or TEMPORAL_ADDRESS /
 * DATABASE_URL), the API with its outbox forwarder in this process, and the production worker as a
 * child process with the default settings (WORKER_MAX_CACHED_WORKFLOWS and the rest), so its memory
 * is measured on its own. For each offered rate: a fresh election with --ballots issued ballots
 * (nobody subscribed) whose workflows are started first (not measured); then, for --duration
 * seconds, a batch of rate/4 events is POSTed to /v1/scans every 250 ms, spread over all the
 * ballots (each ballot's events rise in rank, so every one is applied), without waiting for earlier
 * requests. Latency is the request's send time to the completion of the workflow task that applied
 * the event, read from the workflow histories afterwards. Prints p50/p90/p99/max per rate, the
 * highest rate whose p99 is under one second, and the worker's resident memory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ActionBudget } from '../db/action-budget.js';
import type { EventType } from '../domain/ballot-status.js';
import { OutboxForwarder } from '../ingest/forwarder.js';
import { workflowIdFor } from '../workflows/ballot.js';
import { inPool, startServerStack, waitFor, type ServerStack } from '../test/helpers/history-stack.js';
import { WorkerProcess, buildForProduction, workerSettingsFromEnvironment } from '../test/helpers/worker-process.js';
import { startBenchApi } from './bench-api.js';
import type { RunningServer } from '../api/server.js';

const { values: args } = parseArgs({
  options: {
    'open-loop': { type: 'boolean', default: true },
    rates: { type: 'string', default: '25,50,100,200' },
    duration: { type: 'string', default: '60' },
    ballots: { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
    // The production build (bin/worker dist/worker/main.js) unless --source: the sources through tsx.
    source: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:ingest -- [--open-loop] [--rates 25,50,100,200] [--duration SECONDS (60)] [--ballots N (2000)] [--source] [--json]\n',
  );
  process.exit(0);
}
const RATES = args.rates.split(',').map(Number);
const DURATION_S = Number(args.duration);
const BALLOTS = Number(args.ballots);
if (RATES.some((rate) => !(rate > 0)) || !(DURATION_S > 0) || !Number.isInteger(BALLOTS) || BALLOTS < 1) {
  process.stderr.write('--rates must be positive numbers, --duration positive, --ballots a positive integer\n');
  process.exit(2);
}
/** Rank-rising event types: each ballot's n-th event is the n-th of these, so every event is applied. */
const TYPES: EventType[] = ['outbound', 'undeliverable', 'inbound', 'received', 'challenged', 'cured', 'accepted'];
const TICK_MS = 250;
const log = (line: string) => process.stderr.write(`[bench:ingest] ${line}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const decoder = new TextDecoder();

interface Applied {
  /** When the server recorded the signal that first carried the event. */
  signalledAt: number;
  /** When the workflow task that handled that signal completed: the event is applied. */
  appliedAt: number;
}

/** When each event ID was signalled and applied (the first workflow task completed after the signal carrying it). */
async function appliedTimes(stack: ServerStack, electionId: string, ballotId: string): Promise<Map<string, Applied>> {
  const history = await stack.client.workflow.getHandle(workflowIdFor(electionId, ballotId)).fetchHistory();
  const applied = new Map<string, Applied>();
  const waiting = new Map<string, number>();
  const timeOf = (event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
    Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'records') {
      const data = signal.input?.payloads?.[0]?.data;
      const records = data ? (JSON.parse(decoder.decode(data)) as { events?: { eventId: string }[] }) : {};
      for (const { eventId } of records.events ?? []) {
        if (!applied.has(eventId) && !waiting.has(eventId)) waiting.set(eventId, timeOf(event));
      }
    }
    if (event.workflowTaskCompletedEventAttributes && waiting.size > 0) {
      for (const [eventId, signalledAt] of waiting) applied.set(eventId, { signalledAt, appliedAt: timeOf(event) });
      waiting.clear();
    }
  }
  return applied;
}

async function main() {
  const stack = await startServerStack({ name: 'bench-ingest', log, temporalAddress: process.env.TEMPORAL_ADDRESS });
  const taskQueue = `bench-ingest-${Date.now().toString(36)}`;
  const logFile = join(mkdtempSync(join(tmpdir(), 'bench-ingest-')), 'worker.log');
  if (!args.source) buildForProduction(log);
  const worker = new WorkerProcess(
    {
      ...workerSettingsFromEnvironment(),
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TZ: 'UTC',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_PORT: '0',
      DEFAULT_COUNTY_NAME: 'Bench County Elections',
    },
    logFile,
    { compiled: !args.source },
  );
  const logger = pino({ level: 'warn' });
  const forwarder = new OutboxForwarder({
    sql: stack.sql,
    temporal: stack.client,
    taskQueue,
    logger,
    budget: new ActionBudget(stack.sql, { perSecond: 100_000 }),
  });
  let server: RunningServer | undefined;
  try {
    worker.start();
    await forwarder.start();
    const api = await startBenchApi(logger, stack.sql, forwarder, 10_000_000);
    server = api.server;
    const { call } = api;

    const results = [];
    for (const rate of RATES) {
      const electionId = `bench-${rate}-${Date.now().toString(36)}`;
      await call('PUT', `/v1/elections/${electionId}`, {
        name: electionId,
        electionDay: '2099-11-03',
        timezone: 'America/Los_Angeles',
      });
      const ballots = Array.from({ length: BALLOTS }, (_, i) => ({
        electionId,
        ballotId: `B-${i}`,
        voterId: `V-${i}`,
        county: 'ALA',
      }));
      for (let i = 0; i < BALLOTS; i += 1000)
        await call('POST', '/v1/ballots', { ballots: ballots.slice(i, i + 1000) });
      await waitFor(
        'the issuance to be forwarded',
        async () => ((await forwarder.backlog()) === 0 ? true : undefined),
        {
          timeoutMs: 600_000,
          intervalMs: 500,
        },
      );
      await waitFor(
        'the ballots to start',
        async () => {
          const { raw } = await stack.client.workflow
            .getHandle(workflowIdFor(electionId, `B-${BALLOTS - 1}`))
            .describe();
          return raw.pendingWorkflowTask ? undefined : true;
        },
        { timeoutMs: 600_000, intervalMs: 500 },
      );
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      log(`rate ${rate}/s: ${BALLOTS} ballots started; offering ${rate} events/s for ${DURATION_S}s`);

      const sentAt = new Map<string, number>();
      const perBallot = new Map<string, string[]>();
      const requests: Promise<unknown>[] = [];
      const rss: number[] = [];
      let counter = 0;
      let carry = 0;
      const started = Date.now();
      for (let tick = 0; tick * TICK_MS < DURATION_S * 1000; tick += 1) {
        const due = started + tick * TICK_MS;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        carry += (rate * TICK_MS) / 1000;
        const size = Math.floor(carry);
        carry -= size;
        if (size === 0) continue;
        const events = Array.from({ length: size }, () => {
          const i = counter++;
          const ballotId = `B-${i % BALLOTS}`;
          const eventId = `${electionId}-${i}`;
          perBallot.set(ballotId, [...(perBallot.get(ballotId) ?? []), eventId]);
          return {
            electionId,
            ballotId,
            eventId,
            type: TYPES[Math.floor(i / BALLOTS) % TYPES.length]!,
            occurredAt: new Date().toISOString(),
          };
        });
        const sent = Date.now();
        for (const event of events) sentAt.set(event.eventId, sent);
        requests.push(
          call('POST', '/v1/scans', { events }).then((answer) => {
            if (answer.summary?.accepted !== events.length)
              throw new Error(`not all accepted: ${JSON.stringify(answer.summary)}`);
          }),
        );
        if (tick % 4 === 0) rss.push(worker.sampleRss());
      }
      await Promise.all(requests);
      log(`rate ${rate}/s: ${counter} events sent; waiting for every one to be applied`);

      const applied = new Map<string, Applied>();
      await waitFor(
        'every event to be applied',
        async () => {
          rss.push(worker.sampleRss());
          const missing = [...perBallot].filter(([, ids]) => ids.some((id) => !applied.has(id)));
          await inPool(missing, 16, async ([ballotId]) => {
            for (const [eventId, at] of await appliedTimes(stack, electionId, ballotId)) applied.set(eventId, at);
          });
          return applied.size >= counter ? true : undefined;
        },
        { timeoutMs: 900_000, intervalMs: 2_000 },
      );
      const latencies = [...sentAt].map(([eventId, at]) => applied.get(eventId)!.appliedAt - at).sort((a, b) => a - b);
      // Where the time goes: accepted (PostgreSQL), forwarded (outbox), signalled (server), applied (worker).
      const rows = await stack.sql<{ event_id: string; received: number; forwarded: number }[]>`
        SELECT e.event_id, extract(epoch FROM e.received_at) * 1000 AS received, extract(epoch FROM o.forwarded_at) * 1000 AS forwarded
        FROM ballot_events e JOIN workflow_outbox o ON o.election_id = e.election_id AND o.event_id = e.event_id
        WHERE e.election_id = ${electionId}`;
      const stage = (pick: (eventId: string, received: number, forwarded: number) => number) => {
        const values = rows.map((r) => pick(r.event_id, Number(r.received), Number(r.forwarded))).sort((a, b) => a - b);
        return { p50: Math.round(percentile(values, 50)), p99: Math.round(percentile(values, 99)) };
      };
      const stages = {
        requestToAccepted: stage((id, received) => received - sentAt.get(id)!),
        acceptedToForwarded: stage((_id, received, forwarded) => forwarded - received),
        forwardedToSignalled: stage((id, _r, forwarded) => applied.get(id)!.signalledAt - forwarded),
        signalledToApplied: stage((id) => applied.get(id)!.appliedAt - applied.get(id)!.signalledAt),
      };
      const row = {
        offeredPerSecond: rate,
        events: counter,
        applied: latencies.filter((l) => Number.isFinite(l)).length,
        p50Ms: percentile(latencies, 50),
        p90Ms: percentile(latencies, 90),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.at(-1) ?? NaN,
        workerRssMb: Number((Math.max(...rss) / 1048576).toFixed(0)),
        stagesMs: stages,
      };
      log(
        `rate ${rate}/s: p50 ${row.p50Ms} ms, p90 ${row.p90Ms} ms, p99 ${row.p99Ms} ms, max ${row.maxMs} ms; worker RSS ${row.workerRssMb} MB`,
      );
      log(`rate ${rate}/s: stages p50/p99 ms ${JSON.stringify(stages)}`);
      results.push(row);
    }
    const underOneSecond = results.filter((r) => r.p99Ms < 1_000).map((r) => r.offeredPerSecond);
    const summary = {
      ballots: BALLOTS,
      durationSeconds: DURATION_S,
      rates: results,
      highestRateP99UnderOneSecond: underOneSecond.length > 0 ? Math.max(...underOneSecond) : null,
      workerPeakRssMb: Number((worker.samplePeakRss() / 1048576).toFixed(0)),
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write('| offered | p50 | p90 | p99 | max | worker RSS |\n|---|---|---|---|---|---|\n');
      for (const r of results) {
        process.stdout.write(
          `| ${r.offeredPerSecond} events/s | ${(r.p50Ms / 1000).toFixed(2)} s | ${(r.p90Ms / 1000).toFixed(2)} s | ${(r.p99Ms / 1000).toFixed(2)} s | ${(r.maxMs / 1000).toFixed(2)} s | ${r.workerRssMb} MB |\n`,
        );
      }
      process.stdout.write(
        `highest rate with p99 under 1 s: ${summary.highestRateP99UnderOneSecond ?? 'none'} events/s; worker peak RSS ${summary.workerPeakRssMb} MB\n`,
      );
    }
  } finally {
    await server?.stop();
    await forwarder.stop();
    await worker.stop();
    await stack.stop();
  }
}

await main();
