/**
 * `npm run bench:sweep -- [--ballots 100000] [--subscribed 0.25] [--kill-worker-at 0.5] [--json]`:
 * the election sweeps at scale, on a stack of its own (headless dev server, embedded PostgreSQL, or
 * TEMPORAL_ADDRESS / DATABASE_URL), with the production worker as a child process.
 *
 * 1. Seeds an election and N ballots straight in SQL (70% outbound, 20% received, 10% accepted, one
 *    applied event each), a share of voters subscribed with a confirmed email whose window is closed
 *    for the whole run (so the notices wait and the measurement is the sweep's), and forwards every
 *    issuance through the outbox forwarder: N running ballot workflows.
 * 2. Measures plain signals from this one process to the reminder's targets (`rawSignalsPerSecond`).
 * 3. Starts the election workflow: its return-reminder sweep signals the subscribed outbound ballots
 *    (`signalsPerSecond` over the sweep's own start and end); with `--kill-worker-at F` the worker is
 *    SIGKILLed when a fraction F is signalled, and restarted.
 * 4. Closes the election (its sweep signals every open ballot and counts those left: `openAfterClosing`).
 * 5. Checks every reminder target's history: exactly one reminder signal each.
 *
 * Prints the figures (one JSON line with --json). The action budget is raised for the run so the
 * sweep is compared with unpaced raw signals; exits non-zero only on errors.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { OutboxForwarder } from '../ingest/forwarder.js';
import { ensureElectionWorkflow } from '../lib/workflow-client.js';
import { recordsSignal, workflowIdFor } from '../workflows/ballot.js';
import { electionWorkflowId } from '../workflows/election.js';
import { inPool, startServerStack, waitFor, type ServerStack } from '../test/helpers/history-stack.js';
import { WorkerProcess, buildForProduction } from '../test/helpers/worker-process.js';

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '10000' },
    subscribed: { type: 'string', default: '0.25' },
    partitions: { type: 'string', default: '4' },
    'kill-worker-at': { type: 'string' },
    'raw-concurrency': { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
    // The production build (bin/worker dist/worker/main.js) unless --source: the sources through tsx.
    source: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:sweep -- [--ballots N (10000)] [--subscribed S (0.25)] [--partitions P (4)]\n' +
      '                             [--kill-worker-at F] [--raw-concurrency C (200)] [--source] [--json]\n',
  );
  process.exit(0);
}
const N = Number(args.ballots);
const subscribedShare = Number(args.subscribed);
const partitions = Number(args.partitions);
const killAt = args['kill-worker-at'] === undefined ? undefined : Number(args['kill-worker-at']);
const rawConcurrency = Number(args['raw-concurrency']);
if (
  !Number.isInteger(N) ||
  N < 1 ||
  !(subscribedShare >= 0 && subscribedShare <= 1) ||
  (killAt !== undefined && !(killAt > 0 && killAt < 1))
) {
  process.stderr.write('--ballots must be a positive integer, --subscribed and --kill-worker-at between 0 and 1\n');
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`[bench:sweep] ${line}\n`);
const ELECTION = 'bench-sweep';
const BUDGET = '1000000';

async function seed(stack: ServerStack): Promise<number> {
  const { sql } = stack;
  const electionDay = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await sql`INSERT INTO elections (election_id, name, election_day, timezone) VALUES (${ELECTION}, 'Sweep bench', ${electionDay}, 'UTC')`;
  await sql`INSERT INTO counties (county, name, phone, url) VALUES ('bench', 'Bench County Elections', '(555) 010-0100', 'https://bench.example')`;
  // A window of one minute, twelve hours away: notices wait through the whole run.
  const opens = new Date(Date.now() + 12 * 3_600_000).toISOString().slice(11, 16);
  const closes = new Date(Date.now() + 12 * 3_600_000 + 60_000).toISOString().slice(11, 16);
  await sql`
    INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
    SELECT 'v' || i, 'bench', 'Bench', 'Voter', '1970-01-01', '95814' FROM generate_series(1, ${N}) i`;
  await sql`
    INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
    SELECT 'v' || i, 'en', ${opens}, ${closes}, 'UTC' FROM generate_series(1, ${N}) i
    WHERE (i * 7919) % 1000 < ${Math.round(subscribedShare * 1000)}`;
  await sql`
    INSERT INTO contacts (subscription_id, channel, address, verified_at)
    SELECT subscription_id, 'email', voter_id || '@bench.example', now() FROM subscriptions`;
  // 70% outbound, 20% received, 10% accepted (final: not closed, not reminded).
  await sql`
    INSERT INTO ballots (election_id, ballot_id, voter_id, county, status, status_changed_at, event_count)
    SELECT ${ELECTION}, 'b' || i, 'v' || i, 'bench',
           CASE WHEN i % 10 < 7 THEN 'outbound' WHEN i % 10 < 9 THEN 'received' ELSE 'accepted' END, now(), 1
    FROM generate_series(1, ${N}) i`;
  await sql`
    INSERT INTO ballot_events (election_id, ballot_id, event_id, type, occurred_at, outcome)
    SELECT election_id, ballot_id, 'e-' || ballot_id, status, now(), 'applied' FROM ballots WHERE election_id = ${ELECTION}`;
  await sql`
    WITH rows AS (
      INSERT INTO workflow_outbox (kind, election_id, ballot_id, payload)
      SELECT 'issuance', election_id, ballot_id, '{}'::jsonb FROM ballots WHERE election_id = ${ELECTION}
      RETURNING election_id, ballot_id)
    INSERT INTO outbox_ballots (election_id, ballot_id, pending) SELECT election_id, ballot_id, count(*) FROM rows GROUP BY 1, 2`;
  const [{ targets }] = await sql<[{ targets: number }]>`
    SELECT count(*)::int AS targets FROM ballots b JOIN subscriptions s USING (voter_id)
    WHERE b.election_id = ${ELECTION} AND b.status = 'outbound'`;
  return targets;
}

async function reminderTargets(stack: ServerStack): Promise<string[]> {
  const rows = await stack.sql<{ ballot_id: string }[]>`
    SELECT b.ballot_id FROM ballots b JOIN subscriptions s USING (voter_id)
    WHERE b.election_id = ${ELECTION} AND b.status = 'outbound' ORDER BY b.ballot_id`;
  return rows.map((row) => row.ballot_id);
}

async function sweepRow(stack: ServerStack, moment: string) {
  const [row] = await stack.sql<
    { state: string; signalled: string; open_after: string | null; started_at: Date; finished_at: Date | null }[]
  >`SELECT state, signalled, open_after, started_at, finished_at FROM election_sweeps
    WHERE election_id = ${ELECTION} AND moment = ${moment} ORDER BY run DESC LIMIT 1`;
  return row;
}

async function partitionsSignalled(stack: ServerStack, moment: string): Promise<number> {
  const [row] = await stack.sql<[{ n: string | null }]>`
    SELECT sum(signalled) AS n FROM election_sweep_partitions WHERE election_id = ${ELECTION} AND moment = ${moment}`;
  return Number(row.n ?? 0);
}

let stack: ServerStack | undefined;
let worker: WorkerProcess | undefined;
let exitCode = 0;
try {
  const started = performance.now();
  stack = await startServerStack({ name: 'sweep', log });
  const taskQueue = `sweep-${process.pid}`;
  const targets = await seed(stack);
  log(`seeded ${N} ballots, ${targets} subscribed and outbound (the reminder's targets)`);

  const logFile = join(mkdtempSync(join(tmpdir(), 'bench-sweep-')), 'worker.log');
  if (!args.source) buildForProduction(log);
  worker = new WorkerProcess(
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TZ: 'UTC',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: stack.databaseUrl,
      DATABASE_POOL_SIZE: '20',
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_PORT: '0',
      WORKER_SHUTDOWN_GRACE_TIME: '5s',
      TEMPORAL_ACTIONS_PER_SECOND: BUDGET,
      SWEEP_PARTITIONS: String(partitions),
      DEFAULT_COUNTY_NAME: 'Bench County Elections',
    },
    logFile,
    { compiled: !args.source },
  );
  worker.start();

  // Every ballot's workflow, started by the forwarder from the outbox.
  const forwarder = new OutboxForwarder({
    sql: stack.sql,
    temporal: stack.client,
    taskQueue,
    logger: pino({ level: 'warn' }),
    concurrency: 200,
    claimSize: 500,
    listen: false,
  });
  let phase = performance.now();
  const left = await forwarder.drain(3_600_000);
  if (left > 0) throw new Error(`${left} issuance rows were not forwarded`);
  log(
    `started ${N} ballot workflows in ${((performance.now() - phase) / 1000).toFixed(1)}s; waiting for the worker to take them`,
  );
  await waitFor(
    'the worker to finish the first workflow tasks',
    async () => {
      const { raw } = await stack!.client.workflow.getHandle(workflowIdFor(ELECTION, `b${N}`)).describe();
      const backlog = await stack!.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        reportStats: true,
      });
      const pending = Number(
        (backlog as { stats?: { approximateBacklogCount?: unknown } }).stats?.approximateBacklogCount ?? 0,
      );
      return !raw.pendingWorkflowTask && pending === 0 ? true : undefined;
    },
    { timeoutMs: 3_600_000, intervalMs: 1_000 },
  );

  // Raw: plain signals from this process to the same ballots, as fast as they are accepted.
  const ids = await reminderTargets(stack);
  phase = performance.now();
  await inPool(ids, rawConcurrency, async (ballotId) => {
    await stack!.client.workflow.getHandle(workflowIdFor(ELECTION, ballotId)).signal(recordsSignal, {});
  });
  const rawSeconds = (performance.now() - phase) / 1000;
  const rawSignalsPerSecond = ids.length / rawSeconds;
  log(`raw: ${ids.length} signals in ${rawSeconds.toFixed(1)}s (${rawSignalsPerSecond.toFixed(0)}/s)`);

  // The return reminder, with the worker killed part-way if asked.
  await ensureElectionWorkflow(stack.client, taskQueue, ELECTION);
  let killed: { at: number; signalled: number } | undefined;
  const reminder = await waitFor(
    'the return-reminder sweep',
    async () => {
      worker!.samplePeakRss();
      const signalled = await partitionsSignalled(stack!, 'return-reminder');
      if (killAt !== undefined && !killed && signalled >= killAt * targets) {
        killed = { at: (performance.now() - started) / 1000, signalled };
        log(`SIGKILL the worker at ${signalled}/${targets} signalled; restarting it`);
        await worker!.kill();
        worker!.start();
      }
      const row = await sweepRow(stack!, 'return-reminder');
      return row?.state === 'done' ? row : undefined;
    },
    { timeoutMs: 3_600_000, intervalMs: 100 },
  );
  const sweepSeconds = (reminder.finished_at!.getTime() - reminder.started_at.getTime()) / 1000;
  const signalled = Number(reminder.signalled);
  log(`reminder: ${signalled} signalled in ${sweepSeconds.toFixed(1)}s (${(signalled / sweepSeconds).toFixed(0)}/s)`);

  // The closing.
  await stack.sql`UPDATE elections SET closes_at = now() WHERE election_id = ${ELECTION}`;
  await ensureElectionWorkflow(stack.client, taskQueue, ELECTION);
  const closing = await waitFor(
    'the closing sweep',
    async () => {
      worker!.samplePeakRss();
      const row = await sweepRow(stack!, 'close');
      return row && row.state !== 'running' ? row : undefined;
    },
    { timeoutMs: 3_600_000, intervalMs: 200 },
  );
  const election = await stack.client.workflow.getHandle(electionWorkflowId(ELECTION)).fetchHistory();
  log(`closing: ${closing.signalled} signalled, ${closing.open_after} open after`);

  // Exactly once per moment: each target's history holds one reminder signal.
  const counts = new Map<number, number>();
  await inPool(ids, 50, async (ballotId) => {
    const history = await stack!.client.workflow.getHandle(workflowIdFor(ELECTION, ballotId)).fetchHistory();
    const reminders = (history.events ?? []).filter(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'returnReminderDue',
    ).length;
    counts.set(reminders, (counts.get(reminders) ?? 0) + 1);
  });
  const result = {
    ballots: N,
    reminderTargets: targets,
    signalled,
    wallSeconds: Number(sweepSeconds.toFixed(2)),
    signalsPerSecond: Number((signalled / sweepSeconds).toFixed(1)),
    rawSignalsPerSecond: Number(rawSignalsPerSecond.toFixed(1)),
    ratioToRaw: Number((signalled / sweepSeconds / rawSignalsPerSecond).toFixed(3)),
    partitions,
    closingSignalled: Number(closing.signalled),
    openAfterClosing: Number(closing.open_after ?? -1),
    electionHistoryEvents: election.events?.length ?? 0,
    reminderSignalsPerTarget: Object.fromEntries([...counts].sort()),
    signalledExactlyOnce: counts.size === 1 && counts.get(1) === targets,
    workerKilledAt: killed ?? null,
    workerPeakRssMb: Number((worker.samplePeakRss() / 1048576).toFixed(1)),
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    for (const [key, value] of Object.entries(result))
      process.stdout.write(`${key.padEnd(26)} ${JSON.stringify(value)}\n`);
} catch (error) {
  process.stderr.write(`\nbench:sweep failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
} finally {
  await worker?.stop();
  await stack?.stop();
}
process.exit(exitCode);
