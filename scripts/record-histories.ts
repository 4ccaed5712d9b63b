/**
 * `npx tsx scripts/record-histories.ts [--version v1] [--only name,name]`: records the histories of
 * representative ballots (and of the election clock that closes one) into
 * `test/fixtures/histories/<workflow>-<version>-<name>.json`, for the replay test
 * (test/replay/recorded-histories.test.ts), which replays every fixture against the current
 * workflow code and fails on any non-determinism.
 *
 * Runs on a real stack of its own (headless in-memory dev server, embedded PostgreSQL or DATABASE_URL,
 * the production worker and activities), fed the way the API feeds it (`forwardIssuance`,
 * `forwardScan`, one signalWithStart each). Voters are seeded from the PII fixtures; a history that
 * contains any of them is refused. Takes about a minute (real-time waits for a voter window and a
 * cure reminder; the scenarios run side by side).
 *
 * Record new fixtures under a new version name whenever a workflow's behaviour changes on purpose
 * (behind `patched()`), and keep the old ones: they are the running workflows of the old code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { ScanEvent } from '../domain/scan-event.js';
import { enqueuePlanChange } from '../db/outbox.js';
import { ensureElectionWorkflow } from '../lib/workflow-client.js';
import { workflowIdFor, type ballotLifecycle, type BallotStatusView } from '../workflows/ballot.js';
import { electionWorkflowId, type ElectionProgress } from '../workflows/election.js';
import { createBroadcast } from '../db/broadcasts.js';
import { broadcastSequence } from '../domain/broadcasts.js';
import { broadcastWorkflow, broadcastWorkflowId } from '../workflows/broadcast.js';
import { countActions } from '../test/helpers/history-actions.js';
import { Feed } from '../test/helpers/feed.js';
import { historyToJson } from '../test/helpers/history-json.js';
import { findPersonalData } from '../test/helpers/history-pii.js';
import { FIXTURE_PEOPLE, seedFixtureVoter } from '../test/helpers/history-pii-fixtures.js';
import {
  seedElection,
  startHistoryStack,
  waitForNotice,
  waitIdle,
  windowOpeningSoon,
  type HistoryStack,
} from '../test/helpers/history-stack.js';
import { ROOT } from './tools.js';

const HISTORIES_DIR = join(ROOT, 'test', 'fixtures', 'histories');

const { values: args } = parseArgs({
  options: { version: { type: 'string', default: 'v2' }, only: { type: 'string' } },
});
const log = (line: string) => process.stderr.write(`[record] ${line}\n`);

const ELECTION = 'e-fixtures';
const ELECTION_CLOSING = 'e-fixtures-closing';
const DAY = 86_400_000;

interface Recorded {
  /** File name without version: `ballot-happy` becomes `ballot-v1-happy.json`. */
  workflow: 'ballot' | 'election' | 'broadcast';
  name: string;
  workflowId: string;
}

type Scenario = (stack: HistoryStack) => Promise<Recorded[]>;

let eventCounter = 0;
function scan(type: ScanEvent['type'], extra: Partial<ScanEvent> = {}): ScanEvent {
  eventCounter += 1;
  return {
    eventId: `rec-${eventCounter}-${randomUUID().slice(0, 8)}`,
    type,
    occurredAt: new Date().toISOString(),
    facilityZip: '95813',
    ...extra,
  };
}

/** Shorthands for one ballot of the fixtures election, fed as production feeds it; `voterId` is `v-<ballotId>`. */
function ballot(stack: HistoryStack, ballotId: string, electionId = ELECTION) {
  const target = { electionId, ballotId };
  const handle = stack.client.workflow.getHandle<typeof ballotLifecycle>(workflowIdFor(electionId, ballotId));
  const feed = new Feed(stack.sql, stack.client, stack.taskQueue);
  return {
    target,
    handle,
    feed,
    recorded: { workflow: 'ballot', name: ballotId, workflowId: handle.workflowId } as Recorded,
    async issue() {
      await feed.issue(electionId, ballotId, `v-${ballotId}`, 'sacramento', { imb: '00040123456789012345958141234' });
      await waitIdle(handle);
    },
    /** Records and forwards a scan; waits for its notice (unless `notice: false`) and for the workflow to be idle. */
    async scan(
      type: ScanEvent['type'],
      options: { extra?: Partial<ScanEvent>; notice?: string | false; idle?: boolean } = {},
    ) {
      await feed.scan(electionId, ballotId, scan(type, options.extra));
      if (options.notice !== false) await waitForNotice(stack.sql, target, options.notice ?? `${type}#0`);
      if (options.idle !== false) await waitIdle(handle);
    },
    async finished(): Promise<BallotStatusView> {
      return handle.result();
    },
  };
}

const scenarios: Record<string, Scenario> = {
  /** Issuance, then each status told in an always-open window; completes at accepted. */
  async happy(stack) {
    await seedFixtureVoter(stack.sql, { voterId: 'v-happy', person: FIXTURE_PEOPLE[0] });
    const b = ballot(stack, 'happy');
    await b.issue();
    for (const type of ['outbound', 'inbound', 'received', 'accepted'] as const) {
      await b.scan(type, type === 'outbound' ? { extra: { expectedDeliveryDate: '2026-10-09' } } : {});
    }
    await b.finished();
    return [b.recorded];
  },

  /** Outbound, inbound and received arrive while the window is closed: one notice when it opens. */
  async 'quiet-hours'(stack) {
    const { window, opensAt } = windowOpeningSoon(25_000);
    await seedFixtureVoter(stack.sql, { voterId: 'v-quiet-hours', person: FIXTURE_PEOPLE[1], window });
    const b = ballot(stack, 'quiet-hours');
    await b.issue();
    for (const type of ['outbound', 'inbound', 'received'] as const) await b.scan(type, { notice: false });
    if (Date.now() >= opensAt) throw new Error('quiet-hours: the window opened before the scans were in');
    log(`quiet-hours: waiting ${Math.round((opensAt - Date.now()) / 1000)}s for the voter's window`);
    await waitForNotice(stack.sql, b.target, 'received#0', { timeoutMs: opensAt - Date.now() + 60_000 });
    await waitIdle(b.handle);
    await b.scan('accepted');
    const view = await b.finished();
    const sent = view.notices.filter((notice) => notice.state === 'sent').map((notice) => notice.key);
    if (sent.join(',') !== 'received#0,accepted#0') throw new Error(`quiet-hours: sent ${sent.join(', ')}`);
    return [b.recorded];
  },

  /** Challenged with a cure deadline 3 days and 20 s away: the 3-days-before reminder goes out in
   * 20 s, the 1-day-before one is cancelled by the cure; then accepted. */
  async 'challenged-cured'(stack) {
    await seedFixtureVoter(stack.sql, {
      voterId: 'v-challenged-cured',
      person: FIXTURE_PEOPLE[2],
      channels: ['sms', 'email'],
    });
    const b = ballot(stack, 'challenged-cured');
    await b.issue();
    await b.scan('outbound');
    await b.scan('received');
    const cureDeadline = new Date(Date.now() + 3 * DAY + 20_000).toISOString();
    await b.scan('challenged', { extra: { reason: 'signature_mismatch', cureDeadline } });
    log('challenged-cured: waiting about 20s for the cure reminder');
    await waitForNotice(stack.sql, b.target, 'challenged#1', { timeoutMs: 90_000, channel: 'sms' });
    await waitForNotice(stack.sql, b.target, 'challenged#1', { timeoutMs: 30_000, channel: 'email' });
    await waitIdle(b.handle);
    await b.scan('cured');
    await b.scan('accepted');
    await b.finished();
    return [b.recorded];
  },

  /** Scans arrive before the issuance record: kept pending in PostgreSQL (no workflow yet), applied when it arrives. */
  async 'orphan-scan'(stack) {
    await seedFixtureVoter(stack.sql, { voterId: 'v-orphan-scan', person: FIXTURE_PEOPLE[3] });
    const b = ballot(stack, 'orphan-scan');
    await b.scan('outbound', { notice: false, idle: false });
    await b.scan('inbound', { notice: false, idle: false });
    await b.issue();
    await waitForNotice(stack.sql, b.target, 'inbound#0');
    await waitIdle(b.handle);
    await b.scan('accepted');
    await b.finished();
    return [b.recorded];
  },

  /** The election clock sends the return reminder (its day has passed) and closes the ballot. */
  async 'election-closed'(stack) {
    const electionDay = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
    await seedElection(stack.sql, ELECTION_CLOSING, { electionDay, closesAt: new Date(Date.now() + 20_000) });
    await seedFixtureVoter(stack.sql, { voterId: 'v-election-closed', person: FIXTURE_PEOPLE[0] });
    const b = ballot(stack, 'election-closed', ELECTION_CLOSING);
    await b.issue();
    await b.scan('outbound');
    await ensureElectionWorkflow(stack.client, stack.taskQueue, ELECTION_CLOSING);
    await waitForNotice(stack.sql, b.target, 'outbound#1');
    log('election-closed: waiting for the closing date (about 20s after start)');
    const clock = stack.client.workflow.getHandle<() => Promise<ElectionProgress>>(
      electionWorkflowId(ELECTION_CLOSING),
    );
    const progress = await clock.result();
    const view = await b.finished();
    if (view.status !== 'closed' || progress.moments.close?.state !== 'done') {
      throw new Error(`election-closed: ended ${view.status}`);
    }
    return [b.recorded, { workflow: 'election', name: 'reminder-and-close', workflowId: clock.workflowId }];
  },

  /** Returned undeliverable, then a replacement ballot supersedes it: told, and the workflow ends. */
  async superseded(stack) {
    await seedFixtureVoter(stack.sql, { voterId: 'v-superseded', person: FIXTURE_PEOPLE[1] });
    const b = ballot(stack, 'superseded');
    await b.issue();
    await b.scan('outbound');
    await b.scan('undeliverable');
    await b.scan('superseded');
    await b.finished();
    return [b.recorded];
  },

  /** A channel verified late hears the current status once; a voter nobody subscribed gets nothing. */
  async 'late-subscriber'(stack) {
    await seedFixtureVoter(stack.sql, { voterId: 'v-late-subscriber', person: FIXTURE_PEOPLE[2] });
    const b = ballot(stack, 'late-subscriber');
    await b.issue();
    await b.scan('outbound', { notice: 'outbound#0' });
    await stack.sql`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      SELECT subscription_id, 'email', ${FIXTURE_PEOPLE[2]!.email}, now() FROM subscriptions
      WHERE voter_id = 'v-late-subscriber' AND status = 'active'`;
    await enqueuePlanChange(stack.sql, 'v-late-subscriber');
    await b.feed.forward();
    await waitForNotice(stack.sql, b.target, 'outbound#0', { channel: 'email' });
    await waitIdle(b.handle);
    await b.scan('accepted', { notice: 'accepted#0' });
    await b.finished();
    return [b.recorded];
  },

  /**
   * A broadcast (approved and started, as the API does) signals the outbound ballot, which sends the
   * broadcast's notice once; then the ballot is accepted. Records the ballot and the broadcast's run.
   */
  async broadcast(stack) {
    await seedFixtureVoter(stack.sql, { voterId: 'v-broadcast', person: FIXTURE_PEOPLE[0] });
    const b = ballot(stack, 'broadcast');
    await b.issue();
    await b.scan('outbound');
    const created = await createBroadcast(stack.sql, {
      electionId: ELECTION,
      counties: ['sacramento'],
      statuses: ['outbound'],
      messageKey: 'reminder.return',
      createdBy: 'recorder',
    });
    await stack.sql`UPDATE broadcasts SET state = 'running', approved_by = 'approver', approved_at = now(),
                    started_at = now() WHERE broadcast_id = ${created.broadcastId}`;
    const run = await stack.client.workflow.start(broadcastWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: broadcastWorkflowId(created.broadcastId),
      args: [{ broadcastId: created.broadcastId }],
    });
    const progress = await run.result();
    if (progress.state !== 'done' || progress.signalled !== 1)
      throw new Error(`broadcast: ${JSON.stringify(progress)}`);
    await waitForNotice(stack.sql, b.target, `outbound#${broadcastSequence(created.broadcastId)}`);
    await waitIdle(b.handle);
    await b.scan('accepted');
    await b.finished();
    return [b.recorded, { workflow: 'broadcast', name: 'run', workflowId: run.workflowId }];
  },

  /** Nobody subscribed: events and search attributes only, no activity, no timer. */
  async 'no-subscriber'(stack) {
    await seedFixtureVoter(stack.sql, { voterId: 'v-no-subscriber', person: FIXTURE_PEOPLE[3], channels: [] });
    const b = ballot(stack, 'no-subscriber');
    await b.issue();
    for (const type of ['outbound', 'inbound', 'received', 'accepted'] as const) await b.scan(type, { notice: false });
    await b.finished();
    return [b.recorded];
  },
};

async function record(stack: HistoryStack, recorded: Recorded, version: string): Promise<string> {
  const handle: WorkflowHandle = stack.client.workflow.getHandle(recorded.workflowId);
  const history = await handle.fetchHistory();
  const leaks = findPersonalData(history);
  if (leaks.length > 0) {
    throw new Error(
      `${recorded.workflowId}: personal data in history: ${leaks.map((leak) => `${leak.kind} at ${leak.path}`).join('; ')}`,
    );
  }
  const file = join(HISTORIES_DIR, `${recorded.workflow}-${version}-${recorded.name}.json`);
  writeFileSync(file, historyToJson(history));
  const { actions, events } = countActions(history);
  return `${file.slice(ROOT.length + 1)}: ${events} events, ${actions} actions`;
}

let stack: HistoryStack | undefined;
let exitCode = 0;
try {
  const only = args.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !(name in scenarios)) ?? [];
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  const selected = Object.entries(scenarios).filter(([name]) => !only || only.includes(name));

  stack = await startHistoryStack({ name: 'record', log });
  await seedElection(stack.sql, ELECTION);
  const started = performance.now();
  const results = await Promise.all(
    selected.map(async ([name, run]) => {
      const recorded = await run(stack!).catch((error: unknown) => {
        throw new Error(`scenario ${name} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      });
      log(`${name}: done after ${((performance.now() - started) / 1000).toFixed(1)}s`);
      return recorded;
    }),
  );
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const recorded of results.flat()) log(await record(stack, recorded, args.version));
} catch (error) {
  process.stderr.write(`\nrecord-histories failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
