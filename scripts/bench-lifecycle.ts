/**
 * `npm run bench:lifecycle [-- --ballots 20 --population --json]`: what one ballot costs in Temporal
 * actions and history events, counted from real histories (test/helpers/history-actions.ts, the cost
 * model of shared/temporal.md) on a stack of its own (headless dev server, embedded PostgreSQL, the
 * production worker with the real activities and sandbox providers). Ballots are fed as production
 * feeds them: each record accepted into PostgreSQL and forwarded by the outbox forwarder, one scan at
 * a time once the ballot is idle again (scans arrive days apart in reality), windows always open.
 *
 * Without `--population`: the subscribed one-channel happy path (target: at most 14 actions) and the
 * quiet-hours path (the window opens a minute later; statuses coalesce into one notice).
 *
 * With `--population`: every path of a realistic election, each for a voter with one SMS channel and
 * for a voter nobody subscribed (the election workflow sends the return reminder and closes what is
 * still open), weighted by a California-like mix: 75% of voters unsubscribed; returned 80%, never
 * returned 11%, challenged and cured 2%, undeliverable 3%, superseded by a replacement 4%. Prints
 * actions and events per path and the weighted mean per ballot. Targets: an unsubscribed returned
 * ballot runs no activity, the weighted mean is at most 10 actions, the subscribed happy path at most 14.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ensureElectionWorkflow } from '../lib/workflow-client.js';
import type { EventType } from '../domain/ballot-status.js';
import { workflowIdFor } from '../workflows/ballot.js';
import { electionWorkflowId } from '../workflows/election.js';
import { Feed, scanEvent } from '../test/helpers/feed.js';
import { countActions, spread, type ActionCount } from '../test/helpers/history-actions.js';
import { FIXTURE_PEOPLE, seedFixtureVoter } from '../test/helpers/history-pii-fixtures.js';
import {
  inPool,
  seedElection,
  startHistoryStack,
  waitForNotice,
  waitIdle,
  windowOpeningSoon,
  type HistoryStack,
} from '../test/helpers/history-stack.js';

const TARGET = { happyActions: 14, weightedMeanActions: 10 };

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '10' },
    population: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:lifecycle -- [--ballots N per path (10)] [--concurrency C (10)] [--population] [--json]\n',
  );
  process.exit(0);
}
const ballots = positiveInteger('ballots', args.ballots);
const concurrency = positiveInteger('concurrency', args.concurrency);

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface PathSpec {
  name: string;
  /** Share of ballots that take this path. */
  weight: number;
  /** The scans, in order, each forwarded once the ballot is idle. */
  events: EventType[];
  /** Left open for the election's sweeps (return reminder, closing). */
  open: boolean;
}

const POPULATION: PathSpec[] = [
  { name: 'returned', weight: 0.8, events: ['outbound', 'inbound', 'received', 'accepted'], open: false },
  { name: 'never returned', weight: 0.11, events: ['outbound'], open: true },
  {
    name: 'challenged, cured',
    weight: 0.02,
    events: ['outbound', 'inbound', 'received', 'challenged', 'cured', 'accepted'],
    open: false,
  },
  { name: 'undeliverable', weight: 0.03, events: ['outbound', 'undeliverable'], open: true },
  { name: 'superseded', weight: 0.04, events: ['outbound', 'undeliverable', 'superseded'], open: false },
];
const SUBSCRIBED_SHARE = 0.25;

interface Measured {
  path: string;
  subscribed: boolean;
  count: ActionCount;
  activityTasks: number;
}

async function runPath(
  stack: HistoryStack,
  feed: Feed,
  electionId: string,
  path: PathSpec,
  subscribed: boolean,
): Promise<string[]> {
  const tag = `${path.name.replace(/[^a-z]+/g, '-')}-${subscribed ? 'sub' : 'nosub'}`;
  const voterId = `v-${tag}`;
  await seedFixtureVoter(stack.sql, {
    voterId,
    person: FIXTURE_PEOPLE[0],
    channels: subscribed ? ['sms'] : [],
  });
  const ids = Array.from({ length: ballots }, (_, i) => `${tag}-${i + 1}`);
  await inPool(ids, concurrency, async (ballotId) => {
    const handle = stack.client.workflow.getHandle(workflowIdFor(electionId, ballotId));
    await feed.issue(electionId, ballotId, voterId);
    await waitIdle(handle);
    for (const type of path.events) {
      await feed.scan(
        electionId,
        ballotId,
        scanEvent(type, type === 'challenged' ? { cureDeadline: '2099-11-01' } : {}),
      );
      if (subscribed) await waitForNotice(stack.sql, { electionId, ballotId }, `${type}#0`);
      await waitIdle(handle);
    }
  });
  return ids;
}

async function measure(stack: HistoryStack, electionId: string, ids: string[], path: string, subscribed: boolean) {
  const measured: Measured[] = [];
  await inPool(ids, concurrency, async (ballotId) => {
    const handle = stack.client.workflow.getHandle(workflowIdFor(electionId, ballotId));
    await handle.result();
    const history = await handle.fetchHistory();
    measured.push({
      path,
      subscribed,
      count: countActions(history),
      activityTasks: (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes).length,
    });
  });
  return measured;
}

async function population(stack: HistoryStack) {
  const electionId = `bench-pop-${randomUUID().slice(0, 8)}`;
  // The return reminder's day has passed, Election Day has not: the reminder sweep runs at start.
  await seedElection(stack.sql, electionId, {
    electionDay: new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10),
  });
  const feed = new Feed(stack.sql, stack.client, stack.taskQueue);
  const runs: { path: PathSpec; subscribed: boolean; ids: string[] }[] = [];
  for (const path of POPULATION) {
    for (const subscribed of [true, false]) {
      const started = performance.now();
      runs.push({ path, subscribed, ids: await runPath(stack, feed, electionId, path, subscribed) });
      log(
        `${path.name} (${subscribed ? 'subscribed' : 'nobody subscribed'}): fed in ${((performance.now() - started) / 1000).toFixed(1)}s`,
      );
    }
  }
  // The election's sweeps: reminder now, closing a few seconds later.
  await stack.sql`UPDATE elections SET closes_at = now() + interval '5 seconds' WHERE election_id = ${electionId}`;
  await ensureElectionWorkflow(stack.client, stack.taskQueue, electionId);
  await stack.client.workflow.getHandle(electionWorkflowId(electionId)).result();
  const reminded = runs.find((run) => run.path.name === 'never returned' && run.subscribed)!;
  await inPool(reminded.ids, concurrency, (ballotId) =>
    waitForNotice(stack.sql, { electionId, ballotId }, 'outbound#1'),
  );
  const results: Measured[] = [];
  for (const run of runs) results.push(...(await measure(stack, electionId, run.ids, run.path.name, run.subscribed)));
  const electionHistory = await stack.client.workflow.getHandle(electionWorkflowId(electionId)).fetchHistory();

  const rows = POPULATION.flatMap((path) =>
    [true, false].map((subscribed) => {
      const mine = results.filter((r) => r.path === path.name && r.subscribed === subscribed);
      return {
        path: path.name,
        subscribed,
        weight: path.weight * (subscribed ? SUBSCRIBED_SHARE : 1 - SUBSCRIBED_SHARE),
        ballots: mine.length,
        actions: spread(mine.map((r) => r.count.actions)),
        events: spread(mine.map((r) => r.count.events)),
        activityTasks: spread(mine.map((r) => r.activityTasks)),
        breakdown: mine[0]?.count.breakdown,
      };
    }),
  );
  const weighted = (pick: (row: (typeof rows)[number]) => number) =>
    rows.reduce((sum, row) => sum + row.weight * pick(row), 0);
  const meanActions = weighted((row) => row.actions.median);
  const meanEvents = weighted((row) => row.events.median);
  const unsubscribedReturned = rows.find((row) => row.path === 'returned' && !row.subscribed)!;
  const subscribedReturned = rows.find((row) => row.path === 'returned' && row.subscribed)!;
  return {
    mode: 'population' as const,
    ballotsPerPath: ballots,
    subscribedShare: SUBSCRIBED_SHARE,
    paths: rows,
    weightedMeanActions: Number(meanActions.toFixed(2)),
    weightedMeanEvents: Number(meanEvents.toFixed(2)),
    electionWorkflow: { ...countActions(electionHistory), ballots: results.length },
    targets: {
      unsubscribedReturnedNoActivity: unsubscribedReturned.activityTasks.max === 0,
      weightedMeanAtMost10: meanActions <= TARGET.weightedMeanActions,
      subscribedHappyAtMost14: subscribedReturned.actions.max <= TARGET.happyActions,
    },
  };
}

async function happyAndQuiet(stack: HistoryStack) {
  const electionId = `bench-${randomUUID().slice(0, 8)}`;
  await seedElection(stack.sql, electionId);
  const feed = new Feed(stack.sql, stack.client, stack.taskQueue);
  const happyIds = await runPath(stack, feed, electionId, POPULATION[0]!, true);

  const { window, opensAt } = windowOpeningSoon(30_000 + ballots * 500);
  await seedFixtureVoter(stack.sql, { voterId: 'v-quiet', person: FIXTURE_PEOPLE[1], window });
  const quietIds = Array.from({ length: ballots }, (_, i) => `quiet-${i + 1}`);
  await inPool(quietIds, concurrency, async (ballotId) => {
    const handle = stack.client.workflow.getHandle(workflowIdFor(electionId, ballotId));
    await feed.issue(electionId, ballotId, 'v-quiet');
    for (const type of ['outbound', 'inbound', 'received'] as const) {
      await feed.scan(electionId, ballotId, type);
      await waitIdle(handle);
    }
  });
  if (Date.now() >= opensAt) throw new Error('the quiet-hours window opened before every scan was in');
  log(`quiet hours: waiting ${Math.round((opensAt - Date.now()) / 1000)}s for the window`);
  await inPool(quietIds, concurrency, async (ballotId) => {
    await waitForNotice(stack.sql, { electionId, ballotId }, 'received#0', {
      timeoutMs: opensAt - Date.now() + 60_000,
    });
    await waitIdle(stack.client.workflow.getHandle(workflowIdFor(electionId, ballotId)));
    await feed.scan(electionId, ballotId, 'accepted');
  });
  const happy = await measure(stack, electionId, happyIds, 'happy', true);
  const quiet = await measure(stack, electionId, quietIds, 'quiet hours', true);
  const summary = (rows: Measured[]) => ({
    ballots: rows.length,
    actions: spread(rows.map((r) => r.count.actions)),
    events: spread(rows.map((r) => r.count.events)),
    breakdown: rows[0]?.count.breakdown,
  });
  return {
    mode: 'paths' as const,
    happy: summary(happy),
    quietHours: summary(quiet),
    targets: { subscribedHappyAtMost14: Math.max(...happy.map((r) => r.count.actions)) <= TARGET.happyActions },
  };
}

function print(result: Awaited<ReturnType<typeof population>> | Awaited<ReturnType<typeof happyAndQuiet>>) {
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const fmt = (s: { min: number; median: number; max: number }) => `${s.min}/${s.median}/${s.max}`;
  const lines: string[] = [];
  if (result.mode === 'population') {
    lines.push(
      `${'path'.padEnd(20)} ${'subscriber'.padEnd(10)} ${'weight'.padStart(7)} ${'actions'.padStart(9)} ${'events'.padStart(9)} ${'activities'.padStart(10)}`,
    );
    for (const row of result.paths) {
      lines.push(
        `${row.path.padEnd(20)} ${(row.subscribed ? 'sms' : 'none').padEnd(10)} ${(row.weight * 100).toFixed(1).padStart(6)}% ${fmt(row.actions).padStart(9)} ${fmt(row.events).padStart(9)} ${fmt(row.activityTasks).padStart(10)}`,
      );
    }
    lines.push(
      '',
      `weighted mean per ballot: ${result.weightedMeanActions} actions, ${result.weightedMeanEvents} history events (min/median/max above)`,
      `election workflow: ${result.electionWorkflow.actions} actions, ${result.electionWorkflow.events} events for ${result.electionWorkflow.ballots} ballots`,
      `targets: ${Object.entries(result.targets)
        .map(([name, met]) => `${name} ${met ? 'MET' : 'NOT MET'}`)
        .join(', ')}`,
    );
  } else {
    lines.push(
      `happy path (sms): actions ${fmt(result.happy.actions)}, events ${fmt(result.happy.events)}`,
      `quiet hours (sms): actions ${fmt(result.quietHours.actions)}, events ${fmt(result.quietHours.events)}`,
      `happy-path breakdown: ${JSON.stringify(result.happy.breakdown)}`,
      `target (happy path at most ${TARGET.happyActions} actions): ${result.targets.subscribedHappyAtMost14 ? 'MET' : 'NOT MET'}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

let stack: HistoryStack | undefined;
let exitCode = 0;
try {
  stack = await startHistoryStack({ name: 'bench', log });
  print(args.population ? await population(stack) : await happyAndQuiet(stack));
} catch (error) {
  process.stderr.write(`\nbench:lifecycle failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
