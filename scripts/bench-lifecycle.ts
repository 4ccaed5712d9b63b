/**
 * `npm run bench:lifecycle [-- --ballots 50 --concurrency 10 --quiet-lead 30]`: what one ballot costs
 * in Temporal actions and history events, measured on a real stack of its own (a headless in-memory
 * Temporal dev server on a free port, embedded PostgreSQL in a temp directory or DATABASE_URL, the
 * production worker with the real activities). Ballots are fed exactly as the API feeds them
 * (`forwardIssuance` / `forwardScan`, one signalWithStart each), through two paths:
 *
 * - happy: issuance, then outbound, inbound, received, accepted, each after the previous notice is
 *   recorded and the workflow is idle again (scans arrive days apart in reality), window always open;
 * - quiet hours: the voter's window is closed while issuance, outbound, inbound and received arrive;
 *   it opens a minute or so later (real time: the dev server cannot skip time), the one coalesced
 *   notice goes out, then accepted arrives and is told.
 *
 * Then it counts actions per ballot from each history (test/helpers/history-actions.ts, the cost
 * model of shared/temporal.md) and prints min/median/max per path and whether the happy path meets
 * the target. Exits non-zero only on errors, never for missing the target.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ScanEvent } from '../domain/scan-event.js';
import { forwardIssuance, forwardScan } from '../lib/workflow-client.js';
import { workflowIdFor, type ballotWorkflow } from '../workflows/ballot.js';
import { countActions, spread, type ActionBreakdown, type ActionCount } from '../test/helpers/history-actions.js';
import { FIXTURE_PEOPLE, seedFixtureVoter } from '../test/helpers/history-pii-fixtures.js';
import {
  inPool,
  recordedNotices,
  seedElection,
  startHistoryStack,
  waitForNotice,
  waitIdle,
  windowOpeningSoon,
  type HistoryStack,
} from '../test/helpers/history-stack.js';

const TARGET = { actions: 14, events: 60 };
const ALWAYS_OPEN = { start: '00:00', end: '00:00' };

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '10' },
    'quiet-lead': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:lifecycle -- [--ballots N (50)] [--concurrency C (10)] [--quiet-lead SECONDS]\n' +
      '  --quiet-lead: how long the quiet-hours window stays closed at least (default 30 s + 0.25 s per ballot)\n',
  );
  process.exit(0);
}
const ballots = positiveInteger('ballots', args.ballots);
const concurrency = positiveInteger('concurrency', args.concurrency);
const quietLeadMs = (args['quiet-lead'] ? positiveInteger('quiet-lead', args['quiet-lead']) : 30 + ballots / 4) * 1000;

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

type Path = 'happy' | 'quiet';
interface Measured {
  path: Path;
  ballotId: string;
  count: ActionCount;
  notices: string[];
}

let eventCounter = 0;
function scan(type: ScanEvent['type']): ScanEvent {
  eventCounter += 1;
  return { eventId: `bench-${eventCounter}-${randomUUID().slice(0, 8)}`, type, occurredAt: new Date().toISOString() };
}

async function runHappyPath(stack: HistoryStack, electionId: string, ids: string[]): Promise<void> {
  const { client, taskQueue } = stack;
  await seedFixtureVoter(stack.sql, { voterId: 'bench-happy', person: FIXTURE_PEOPLE[0], window: ALWAYS_OPEN });
  await inPool(ids, concurrency, async (ballotId) => {
    const target = { electionId, ballotId };
    const handle = client.workflow.getHandle<typeof ballotWorkflow>(workflowIdFor(electionId, ballotId));
    await forwardIssuance(client, taskQueue, target, { voterId: 'bench-happy', county: 'sacramento' });
    await waitIdle(handle);
    for (const type of ['outbound', 'inbound', 'received', 'accepted'] as const) {
      await forwardScan(client, taskQueue, target, scan(type));
      await waitForNotice(stack.sql, target, `${type}#0`);
      if (type !== 'accepted') await waitIdle(handle);
    }
    await handle.result();
  });
}

async function runQuietPath(stack: HistoryStack, electionId: string, ids: string[]): Promise<void> {
  const { client, taskQueue } = stack;
  const { window, opensAt } = windowOpeningSoon(quietLeadMs);
  await seedFixtureVoter(stack.sql, { voterId: 'bench-quiet', person: FIXTURE_PEOPLE[1], window });
  log(`quiet hours: window ${window.start}-${window.end} UTC opens in ${Math.round((opensAt - Date.now()) / 1000)}s`);

  const handles = new Map<string, WorkflowHandle<typeof ballotWorkflow>>();
  await inPool(ids, concurrency, async (ballotId) => {
    const target = { electionId, ballotId };
    const handle = client.workflow.getHandle<typeof ballotWorkflow>(workflowIdFor(electionId, ballotId));
    handles.set(ballotId, handle);
    await forwardIssuance(client, taskQueue, target, { voterId: 'bench-quiet', county: 'sacramento' });
    await waitIdle(handle);
    for (const type of ['outbound', 'inbound', 'received'] as const) {
      await forwardScan(client, taskQueue, target, scan(type));
      await waitIdle(handle);
    }
  });
  if (Date.now() >= opensAt) {
    throw new Error(
      `the quiet-hours window opened before all scans were in: raise --quiet-lead above ${quietLeadMs / 1000}`,
    );
  }
  const [{ early }] = await stack.sql<[{ early: number }]>`
    SELECT count(*)::int AS early FROM notice_deliveries WHERE election_id = ${electionId} AND ballot_id LIKE 'quiet-%'`;
  if (early > 0) throw new Error(`${early} notices went out while the voter's window was closed`);
  log(`quiet hours: ${ids.length} ballots at "received", nothing sent; waiting for the window to open`);

  const lateBy = opensAt - Date.now() + 60_000;
  await inPool(ids, concurrency, async (ballotId) => {
    const handle = handles.get(ballotId)!;
    await waitForNotice(stack.sql, { electionId, ballotId }, 'received#0', { timeoutMs: lateBy });
    await waitIdle(handle);
    await forwardScan(client, taskQueue, { electionId, ballotId }, scan('accepted'));
    await waitForNotice(stack.sql, { electionId, ballotId }, 'accepted#0');
    await handle.result();
  });
}

async function measure(stack: HistoryStack, electionId: string, path: Path, ids: string[]): Promise<Measured[]> {
  const measured: Measured[] = [];
  await inPool(ids, concurrency, async (ballotId) => {
    const history = await fetchHistory(stack.client, workflowIdFor(electionId, ballotId));
    measured.push({
      path,
      ballotId,
      count: countActions(history),
      notices: await recordedNotices(stack.sql, electionId, ballotId),
    });
  });
  return measured;
}

function fetchHistory(client: Client, workflowId: string) {
  return client.workflow.getHandle(workflowId).fetchHistory();
}

const BREAKDOWN_LABELS: Record<keyof ActionBreakdown, string> = {
  workflowStarted: 'workflow started',
  signals: 'signals (signalWithStart once)',
  updates: 'updates',
  activityAttempts: 'activity attempts',
  localActivityTasks: 'local-activity workflow tasks',
  timers: 'timers',
  searchAttributeUpserts: 'search-attribute upserts',
  continueAsNew: 'continue-as-new',
};

function report(results: Measured[]): string {
  const paths: { path: Path; label: string; expected: string[] }[] = [
    { path: 'happy', label: 'happy path', expected: ['outbound#0', 'inbound#0', 'received#0', 'accepted#0'] },
    { path: 'quiet', label: 'quiet hours', expected: ['received#0', 'accepted#0'] },
  ];
  const fmt = (s: { min: number; median: number; max: number }) => `${s.min} / ${s.median} / ${s.max}`;
  const range = (values: number[]) => {
    const s = spread(values);
    return s.min === s.max ? `${s.min}` : `${s.min}-${s.max}`;
  };
  const lines: string[] = [];
  lines.push(
    `${'path'.padEnd(12)} ${'ballots'.padStart(7)}  ${'actions min/median/max'.padStart(24)}  ${'events min/median/max'.padStart(23)}`,
  );
  for (const { path, label } of paths) {
    const rows = results.filter((result) => result.path === path);
    lines.push(
      `${label.padEnd(12)} ${String(rows.length).padStart(7)}  ${fmt(spread(rows.map((r) => r.count.actions))).padStart(24)}  ${fmt(spread(rows.map((r) => r.count.events))).padStart(23)}`,
    );
  }
  lines.push('', `${'actions per ballot by kind'.padEnd(34)} ${'happy'.padStart(7)} ${'quiet'.padStart(7)}`);
  for (const key of Object.keys(BREAKDOWN_LABELS) as (keyof ActionBreakdown)[]) {
    const cells = paths.map(({ path }) =>
      range(results.filter((result) => result.path === path).map((result) => result.count.breakdown[key])),
    );
    lines.push(`  ${BREAKDOWN_LABELS[key].padEnd(32)} ${cells.map((cell) => cell.padStart(7)).join(' ')}`);
  }
  lines.push('', 'notices recorded per ballot:');
  for (const { path, label, expected } of paths) {
    const rows = results.filter((result) => result.path === path);
    const unexpected = rows.filter((row) => row.notices.join(',') !== expected.join(','));
    lines.push(
      `  ${label}: ${expected.join(', ')}${unexpected.length === 0 ? ' (every ballot)' : ` expected, but ${unexpected.length} differ, e.g. ${unexpected[0]!.ballotId}: ${unexpected[0]!.notices.join(', ')}`}`,
    );
  }
  const happy = results.filter((result) => result.path === 'happy');
  const maxActions = Math.max(...happy.map((row) => row.count.actions));
  const maxEvents = Math.max(...happy.map((row) => row.count.events));
  const met = maxActions <= TARGET.actions && maxEvents <= TARGET.events;
  lines.push(
    '',
    `happy-path target (at most ${TARGET.actions} actions and ${TARGET.events} events per ballot): ${met ? 'MET' : 'NOT MET'} ` +
      `(worst ballot: ${maxActions} actions, ${maxEvents} events)`,
  );
  return lines.join('\n');
}

let stack: HistoryStack | undefined;
let exitCode = 0;
try {
  const started = performance.now();
  stack = await startHistoryStack({ name: 'bench', log });
  const electionId = `bench-${randomUUID().slice(0, 8)}`;
  await seedElection(stack.sql, electionId);
  const happyIds = Array.from({ length: ballots }, (_, index) => `happy-${String(index + 1).padStart(4, '0')}`);
  const quietIds = Array.from({ length: ballots }, (_, index) => `quiet-${String(index + 1).padStart(4, '0')}`);

  let phase = performance.now();
  await runHappyPath(stack, electionId, happyIds);
  log(`happy path: ${ballots} ballots completed in ${((performance.now() - phase) / 1000).toFixed(1)}s`);
  phase = performance.now();
  await runQuietPath(stack, electionId, quietIds);
  log(`quiet hours: ${ballots} ballots completed in ${((performance.now() - phase) / 1000).toFixed(1)}s`);

  const results = [
    ...(await measure(stack, electionId, 'happy', happyIds)),
    ...(await measure(stack, electionId, 'quiet', quietIds)),
  ];
  process.stdout.write(`\n${report(results)}\n`);
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
} catch (error) {
  process.stderr.write(`\nbench:lifecycle failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
