/**
 * `npm run bench:issuance -- [--ballots 100000] [--modes direct,api,cli] [--json]`: how close does
 * issuing ballots through the record (PostgreSQL, the outbox, the forwarder) come to starting their
 * workflows straight with the Temporal client? Issuance day is the largest burst of starts an
 * election has (a county mails hundreds of thousands of ballots within days).
 *
 * Starts its own stack (a headless dev server and embedded PostgreSQL, or TEMPORAL_ADDRESS /
 * DATABASE_URL) and the API with its outbox forwarder in this process, as bench:ingest does. Each
 * mode issues --ballots ballots of a fresh election (nobody subscribed) and is timed until every
 * ballot's workflow is started:
 *
 * - `direct`: `signalWithStart` straight from the client (`deliverRecords`, the forwarder's own call,
 *   with records built in memory), --concurrency calls in flight: the ceiling;
 * - `api`: `POST /v1/ballots` in batches of --batch, --in-flight requests at a time, until the
 *   forwarder (FORWARDER_CONCURRENCY = --concurrency) has emptied the outbox;
 * - `cli`: `npm run cli -- import ballots FILE` (NDJSON) as a child process, with its own drain of the
 *   outbox (the API's forwarder is stopped for this mode), until the CLI exits with the outbox empty.
 *
 * No worker runs: each mode measures the path to a started workflow, not the workflow's first task,
 * and no mode competes with a worker for the two cores. The modes run in the order given, direct
 * first by default (the server then holds the fewest workflows: a conservative ratio). The Temporal
 * action budget (TEMPORAL_ACTIONS_PER_SECOND, 400 by default in production) is lifted to
 * --actions-per-second (unlimited by default) so the mechanism, not the budget, is measured. Prints
 * ballots per second per mode and each mode's ratio to direct; --json prints one line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { RunningServer } from '../api/server.js';
import { ActionBudget } from '../db/action-budget.js';
import { outboxHealth } from '../db/outbox.js';
import { OutboxForwarder } from '../ingest/forwarder.js';
import { deliverRecords } from '../lib/workflow-client.js';
import { workflowIdFor } from '../workflows/ballot.js';
import { inPool, startServerStack, waitFor, type ServerStack } from '../test/helpers/history-stack.js';
import { startBenchApi } from './bench-api.js';

const MODES = ['direct', 'api', 'cli'] as const;
type Mode = (typeof MODES)[number];

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '100000' },
    modes: { type: 'string', default: MODES.join(',') },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '4' },
    'actions-per-second': { type: 'string', default: '1000000000' },
    warmup: { type: 'string', default: '500' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:issuance -- [--ballots N (100000)] [--modes direct,api,cli] [--concurrency C (64)] ' +
      '[--batch B (1000)] [--in-flight R (4)] [--actions-per-second A (unlimited)] [--warmup W (500)] [--json]\n',
  );
  process.exit(0);
}
function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}\n`);
    process.exit(2);
  }
  return value;
}
const BALLOTS = integer('ballots', args.ballots, 1);
const CONCURRENCY = integer('concurrency', args.concurrency, 1);
const BATCH = Math.min(1000, integer('batch', args.batch, 1));
const IN_FLIGHT = integer('in-flight', args['in-flight'], 1);
const ACTIONS_PER_SECOND = integer('actions-per-second', args['actions-per-second'], 1);
const WARMUP = integer('warmup', args.warmup, 0);
const modes = args.modes.split(',').map((m) => m.trim()) as Mode[];
if (modes.length === 0 || modes.some((m) => !MODES.includes(m))) {
  process.stderr.write(`--modes: a list of ${MODES.join(', ')}\n`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`[bench:issuance] ${line}\n`);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ELECTION_DAY = '2099-11-03';
const COUNTIES = ['sacramento', 'placer', 'yolo', 'el-dorado', 'sutter'];
const tag = Date.now().toString(36);

const ballotsOf = (electionId: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    electionId,
    ballotId: `B-${i}`,
    voterId: `V-${electionId}-${i}`,
    county: COUNTIES[i % COUNTIES.length]!,
  }));

interface ModeResult {
  mode: Mode;
  ballots: number;
  seconds: number;
  perSecond: number;
  ratioToDirect?: number;
}

async function waitForEmptyOutbox(stack: ServerStack, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const health = await outboxHealth(stack.sql);
      if (health.deadBallots > 0) throw new Error(`${health.deadBallots} ballots dead-lettered`);
      return health.pending === 0 ? true : undefined;
    },
    { timeoutMs: 4 * 3_600_000, intervalMs: 100 },
  );
}

async function main() {
  const stack = await startServerStack({ name: 'bench-issuance', log, temporalAddress: process.env.TEMPORAL_ADDRESS });
  const taskQueue = `bench-issuance-${tag}`;
  const logger = pino({ level: 'warn' });
  const workDir = mkdtempSync(join(tmpdir(), 'bench-issuance-'));
  const newForwarder = () =>
    new OutboxForwarder({
      sql: stack.sql,
      temporal: stack.client,
      taskQueue,
      logger,
      concurrency: CONCURRENCY,
      budget: new ActionBudget(stack.sql, { perSecond: ACTIONS_PER_SECOND }),
    });
  let forwarder = newForwarder();
  let server: RunningServer | undefined;
  try {
    await forwarder.start();
    const api = await startBenchApi(logger, stack.sql, forwarder, 100_000_000);
    server = api.server;
    const { call } = api;
    const putElection = (electionId: string) =>
      call('PUT', `/v1/elections/${electionId}`, {
        name: electionId,
        electionDay: ELECTION_DAY,
        timezone: 'America/Los_Angeles',
      });

    const runDirect = async (electionId: string, count: number) => {
      const election = { electionDay: ELECTION_DAY, timeZone: 'America/Los_Angeles', cureReminderDaysBefore: [3, 1] };
      await inPool(ballotsOf(electionId, count), CONCURRENCY, async (ballot) => {
        await deliverRecords(
          stack.client,
          taskQueue,
          { ...ballot, status: 'issued', electionDay: ELECTION_DAY },
          { issuance: { voterId: ballot.voterId, county: ballot.county }, events: [], plan: null, election },
        );
      });
    };
    const runApi = async (electionId: string, count: number) => {
      const all = ballotsOf(electionId, count);
      const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, i) => all.slice(i * BATCH, (i + 1) * BATCH));
      await inPool(batches, IN_FLIGHT, async (ballots) => {
        const answer = await call('POST', '/v1/ballots', { ballots });
        if (answer.summary?.accepted !== ballots.length)
          throw new Error(`not all accepted: ${JSON.stringify(answer.summary)}`);
      });
      await waitForEmptyOutbox(stack, 'the forwarder to start every ballot');
    };
    const runCli = async (electionId: string, count: number) => {
      const file = join(workDir, `${electionId}.ndjson`);
      writeFileSync(
        file,
        `${ballotsOf(electionId, count)
          .map((b) => JSON.stringify(b))
          .join('\n')}\n`,
      );
      // The CLI's own drain forwards: no API forwarder competes with it.
      await forwarder.stop();
      try {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'cli/main.ts', 'import', 'ballots', file, '--no-progress', '--forward-timeout', '4h'],
          {
            cwd: REPO_ROOT,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              TZ: 'UTC',
              NODE_ENV: 'test',
              LOG_LEVEL: 'warn',
              DATABASE_URL: stack.databaseUrl,
              TEMPORAL_ADDRESS: stack.temporalAddress,
              TEMPORAL_TASK_QUEUE: taskQueue,
              FORWARDER_CONCURRENCY: String(CONCURRENCY),
              TEMPORAL_ACTIONS_PER_SECOND: String(ACTIONS_PER_SECOND),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        if (code !== 0 || !/accepted\s+(\d+)/.test(output) || Number(/accepted\s+(\d+)/.exec(output)![1]) !== count) {
          throw new Error(`the CLI import failed (exit ${code}):\n${output}`);
        }
        await waitForEmptyOutbox(stack, 'the CLI to forward every ballot');
      } finally {
        forwarder = newForwarder();
        await forwarder.start();
      }
    };
    const runners: Record<Mode, (electionId: string, count: number) => Promise<void>> = {
      direct: runDirect,
      api: runApi,
      cli: runCli,
    };

    if (WARMUP > 0) {
      log(`warm-up: ${WARMUP} ballots through each of ${modes.join(', ')} (not measured)`);
      for (const mode of modes) {
        const electionId = `warm-${mode}-${tag}`;
        await putElection(electionId);
        await runners[mode](electionId, WARMUP);
      }
    }

    const results: ModeResult[] = [];
    for (const mode of modes) {
      const electionId = `iss-${mode}-${tag}`;
      await putElection(electionId);
      await waitForEmptyOutbox(stack, 'the election to be forwarded');
      log(`${mode}: issuing ${BALLOTS} ballots ...`);
      const started = performance.now();
      await runners[mode](electionId, BALLOTS);
      const seconds = (performance.now() - started) / 1000;
      // Sample: the first and the last ballot have their workflow.
      for (const ballotId of ['B-0', `B-${BALLOTS - 1}`]) {
        await stack.client.workflow.getHandle(workflowIdFor(electionId, ballotId)).describe();
      }
      const result: ModeResult = {
        mode,
        ballots: BALLOTS,
        seconds: Number(seconds.toFixed(2)),
        perSecond: Math.round(BALLOTS / seconds),
      };
      log(`${mode}: ${result.perSecond} ballots/s (${result.seconds} s)`);
      results.push(result);
    }
    const direct = results.find((r) => r.mode === 'direct');
    for (const result of results) {
      if (direct && result !== direct) result.ratioToDirect = Number((result.perSecond / direct.perSecond).toFixed(3));
    }
    const summary = {
      ballots: BALLOTS,
      concurrency: CONCURRENCY,
      batch: BATCH,
      inFlight: IN_FLIGHT,
      actionsPerSecond: ACTIONS_PER_SECOND >= 1_000_000_000 ? 'unlimited' : ACTIONS_PER_SECOND,
      modes: results,
      apiRatio: results.find((r) => r.mode === 'api')?.ratioToDirect ?? null,
      cliRatio: results.find((r) => r.mode === 'cli')?.ratioToDirect ?? null,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write('| mode | ballots | seconds | ballots/s | ratio to direct |\n|---|---|---|---|---|\n');
      for (const r of results) {
        process.stdout.write(
          `| ${r.mode} | ${r.ballots} | ${r.seconds} | ${r.perSecond} | ${r.ratioToDirect ?? '—'} |\n`,
        );
      }
    }
  } finally {
    await server?.stop();
    await forwarder.stop();
    await stack.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
