/**
 * `npm run bench:faults [-- --ballots 2000 --kills 0.3,0.6 --fault-rate 0.2 --timeout 1200]`: the
 * Delivery fault test at scale. Starts a headless Temporal dev server and embedded PostgreSQL of its
 * own (DATABASE_URL: that server instead) and the provider fakes in this process; runs the
 * production worker as a child process (`bin/worker --import tsx worker/main.ts`), kills it with SIGKILL at
 * the given progress and restarts it; sends every ballot's notices through the workflow while the
 * fakes fail a share of requests (429 with Retry-After, 500, hangs past PROVIDER_TIMEOUT, half of
 * the 500s and hangs accepted first). Prints what was sent, retried, duplicated and missing
 * (test/helpers/fault-harness.ts says how duplicates are told apart). Exits 1 if a notice is missing
 * or one was sent again after the provider answered. The worker's output stays in
 * .data/bench-faults-worker.log.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_DIR } from './tools.js';
import { formatFaultReport, runFaultScenario, tail } from '../test/helpers/fault-harness.js';
import { startServerStack, type ServerStack } from '../test/helpers/history-stack.js';

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '2000' },
    kills: { type: 'string', default: '0.3,0.6' },
    'fault-rate': { type: 'string', default: '0.2' },
    timeout: { type: 'string', default: '1200' },
    seed: { type: 'string', default: '20261126' },
    'max-faults-per-notice': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:faults -- [--ballots N (2000)] [--kills 0.3,0.6] [--fault-rate 0.2] [--timeout SECONDS (1200)] [--seed N]\n' +
      '  [--max-faults-per-notice N (unbounded)]\n',
  );
  process.exit(0);
}

function number(name: string, text: string, check: (value: number) => boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || !check(value)) {
    process.stderr.write(`--${name}: invalid value "${text}"\n`);
    process.exit(2);
  }
  return value;
}
const ballots = number('ballots', args.ballots, (v) => Number.isInteger(v) && v > 0);
const killAt = args.kills
  .split(',')
  .filter((part) => part.trim() !== '')
  .map((part) => number('kills', part, (v) => v > 0 && v < 1));
const faultRate = number('fault-rate', args['fault-rate'], (v) => v >= 0 && v < 0.9);
const timeoutMs = number('timeout', args.timeout, (v) => v > 0) * 1000;
const seed = number('seed', args.seed, Number.isInteger);
const maxFaultsPerNotice = args['max-faults-per-notice']
  ? number('max-faults-per-notice', args['max-faults-per-notice'], (v) => Number.isInteger(v) && v >= 0)
  : undefined;

const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);

let stack: ServerStack | undefined;
let exitCode = 0;
try {
  stack = await startServerStack({ name: 'faults', log });
  // Kept after the run (the stack's temp directory is not): .data/ is ignored by git.
  mkdirSync(DATA_DIR, { recursive: true });
  const workerLogFile = join(DATA_DIR, 'bench-faults-worker.log');
  writeFileSync(workerLogFile, '');
  log(`worker output: ${workerLogFile}`);
  const report = await runFaultScenario({
    ballots,
    temporalAddress: stack.temporalAddress,
    taskQueue: `faults-${process.pid}`,
    databaseUrl: stack.databaseUrl,
    sql: stack.sql,
    client: stack.client,
    faultRate,
    killAt,
    timeoutMs,
    seed,
    ...(maxFaultsPerNotice === undefined ? {} : { maxFaultsPerNotice }),
    workerLogFile,
    log,
  });
  process.stdout.write(`\n${formatFaultReport(report)}\n`);
  if (report.problems.length > 0) {
    process.stderr.write(`\nlast lines of the worker log:\n${tail(workerLogFile)}\n`);
    exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`\nbench:faults failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
