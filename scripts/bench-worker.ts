/**
 * `npm run bench:worker -- [--active 5000] [--open 10000,50000,100000] [--json]`: what one worker
 * process carries, with the production worker (`worker/main.ts`, default settings unless the
 * environment says otherwise) as a child process on a stack of its own (headless dev server, embedded
 * PostgreSQL, or TEMPORAL_ADDRESS / DATABASE_URL).
 *
 * - Cold-cache throughput: --active ballots (ten times WORKER_MAX_CACHED_WORKFLOWS by default) each
 *   get one signal, round-robin, so nearly every workflow task misses the cache and replays its
 *   history; workflow tasks per second are read from the worker's own Prometheus counter
 *   (`temporal_workflow_task_execution_latency`), from the first signal until the task queue is empty.
 * - Memory: the worker's resident memory (VmRSS) after it has taken the first task of 10,000, 50,000
 *   and 100,000 open ballots (a ballot nobody subscribed to: it waits, without a timer, for its next
 *   scan), to show that memory depends on the cache, not on the number of open ballots.
 *
 * Ballots are started straight with `signalWithStart` (as the forwarder does, without PostgreSQL in
 * between) so the figures are the worker's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/global-setup.js';
import { inPool, startServerStack, waitFor, type ServerStack } from '../test/helpers/history-stack.js';
import { WorkerProcess, buildForProduction, workerSettingsFromEnvironment } from '../test/helpers/worker-process.js';
import { ballotLifecycle, recordsSignal, workflowIdFor } from '../workflows/ballot.js';

const { values: args } = parseArgs({
  options: {
    active: { type: 'string', default: '5000' },
    open: { type: 'string', default: '10000,50000,100000' },
    concurrency: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
    // The production build (bin/worker dist/worker/main.js) unless --source: the sources through tsx.
    source: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:worker -- [--active N (5000)] [--open 10000,50000,100000] [--concurrency C (100)] [--source] [--json]\n',
  );
  process.exit(0);
}
const ACTIVE = Number(args.active);
const OPEN = args.open.split(',').filter(Boolean).map(Number);
const CONCURRENCY = Number(args.concurrency);
const log = (line: string) => process.stderr.write(`[bench:worker] ${line}\n`);
const ELECTION = 'bench-worker';

async function tasksCompleted(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('temporal_workflow_task_execution_latency_count')) total += Number(line.split(' ').at(-1));
  }
  return total;
}

async function backlog(stack: ServerStack, taskQueue: string): Promise<number> {
  const answer = (await stack.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    reportStats: true,
  })) as { stats?: { approximateBacklogCount?: unknown } };
  return Number(answer.stats?.approximateBacklogCount ?? 0);
}

async function startBallots(stack: ServerStack, taskQueue: string, from: number, to: number): Promise<void> {
  const ids = Array.from({ length: to - from }, (_, i) => from + i);
  await inPool(ids, CONCURRENCY, async (i) => {
    await stack.client.workflow.signalWithStart(ballotLifecycle, {
      taskQueue,
      workflowId: workflowIdFor(ELECTION, `b${i}`),
      args: [{ electionId: ELECTION, ballotId: `b${i}` }],
      signal: recordsSignal,
      signalArgs: [
        {
          issuance: { voterId: `v${i}`, county: 'bench' },
          plan: null,
          events: [{ eventId: `out-${i}`, type: 'outbound', occurredAt: new Date().toISOString() }],
        },
      ],
    });
  });
}

async function drained(stack: ServerStack, taskQueue: string, metricsUrl: string, atLeast: number): Promise<void> {
  await waitFor(
    'the worker to take every task',
    async () =>
      (await backlog(stack, taskQueue)) === 0 && (await tasksCompleted(metricsUrl)) >= atLeast ? true : undefined,
    { timeoutMs: 3_600_000, intervalMs: 500 },
  );
}

let stack: ServerStack | undefined;
let worker: WorkerProcess | undefined;
let exitCode = 0;
try {
  stack = await startServerStack({ name: 'bench-worker', log, temporalAddress: process.env.TEMPORAL_ADDRESS });
  const taskQueue = `bench-worker-${process.pid}`;
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  if (!args.source) buildForProduction(log);
  worker = new WorkerProcess(
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
      WORKER_METRICS_PORT: String(metricsPort),
    },
    join(mkdtempSync(join(tmpdir(), 'bench-worker-')), 'worker.log'),
    { compiled: !args.source },
  );
  worker.start();
  await waitFor(
    'the worker metrics',
    () =>
      tasksCompleted(metricsUrl)
        .then(() => true)
        .catch(() => undefined),
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
  const idleRss = worker.sampleRss();

  // Cold cache: ACTIVE ballots, then one signal each, round-robin.
  await startBallots(stack, taskQueue, 0, ACTIVE);
  await drained(stack, taskQueue, metricsUrl, ACTIVE);
  log(`${ACTIVE} ballots started`);
  const before = await tasksCompleted(metricsUrl);
  const started = performance.now();
  await inPool(
    Array.from({ length: ACTIVE }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      await stack!.client.workflow.getHandle(workflowIdFor(ELECTION, `b${i}`)).signal(recordsSignal, {
        events: [{ eventId: `in-${i}`, type: 'inbound', occurredAt: new Date().toISOString() }],
      });
    },
  );
  await drained(stack, taskQueue, metricsUrl, before + ACTIVE);
  const seconds = (performance.now() - started) / 1000;
  const tasks = (await tasksCompleted(metricsUrl)) - before;
  const coldTasksPerSecond = tasks / seconds;
  log(`cold cache: ${tasks} workflow tasks in ${seconds.toFixed(1)}s (${coldTasksPerSecond.toFixed(0)}/s)`);

  // Memory with many open ballots.
  const memory: { openBallots: number; rssMb: number }[] = [];
  let open = ACTIVE;
  for (const target of OPEN) {
    if (target > open) {
      const tasksBefore = await tasksCompleted(metricsUrl);
      await startBallots(stack, taskQueue, open, target);
      await drained(stack, taskQueue, metricsUrl, tasksBefore + (target - open));
      open = target;
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    memory.push({ openBallots: open, rssMb: Number((worker.sampleRss() / 1048576).toFixed(0)) });
    log(`${open} open ballots: worker RSS ${memory.at(-1)!.rssMb} MB`);
  }
  const result = {
    cachedWorkflows: Number(process.env.WORKER_MAX_CACHED_WORKFLOWS ?? 500),
    activeBallots: ACTIVE,
    coldCacheTasksPerSecond: Number(coldTasksPerSecond.toFixed(1)),
    idleRssMb: Number((idleRss / 1048576).toFixed(0)),
    memory,
    peakRssMb: Number((worker.samplePeakRss() / 1048576).toFixed(0)),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    for (const [key, value] of Object.entries(result))
      process.stdout.write(`${key.padEnd(24)} ${JSON.stringify(value)}\n`);
} catch (error) {
  process.stderr.write(`\nbench:worker failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
} finally {
  await worker?.stop();
  await stack?.stop();
}
process.exit(exitCode);
