/**
 * Scan feeds deliver events out of order (a later file carries earlier scans; the county's "received"
 * can beat USPS's inbound scan). This file proves that, for every arrival order of realistic event
 * sets, a ballot reaches the same final status and its voter is told the same things:
 *
 * (a) the voter's window is closed while the events arrive: when it opens, each channel gets exactly
 *     one notice, for the final status;
 * (b) every event is already waiting when the ballot's first workflow task runs (the worker is stopped
 *     while they are delivered): the final status and the notices sent are the same for every order.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BallotStatus, EventType } from '../../domain/ballot-status.js';
import type { Channel } from '../../domain/notices.js';
import type { BallotEventRecord } from '../../domain/ballot-records.js';
import {
  electionClosedSignal,
  statusQuery,
  type BallotStatusView,
  type ballotLifecycle,
} from '../../workflows/ballot.js';
import { BallotHarness, plan, scan } from '../helpers/ballot-harness.js';

const HOUR = 3_600_000;
const CHANNELS_USED: Channel[] = ['sms', 'email'];
/** How many permutations deliver their events at the same time. */
const CONCURRENCY = 40;

type SentPair = [channel: Channel, noticeKey: string];

interface Scenario {
  name: string;
  events: EventType[];
  status: BallotStatus;
  /** The workflow completes on its own once the status is told. */
  completes: boolean;
  /** Every notice sent, as [channel, noticeKey], sorted. */
  sent: SentPair[];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'happy path',
    events: ['outbound', 'inbound', 'received', 'accepted'],
    status: 'accepted',
    completes: true,
    sent: [
      ['email', 'accepted#0'],
      ['sms', 'accepted#0'],
    ],
  },
  {
    name: 'challenged, cured, accepted',
    events: ['outbound', 'received', 'challenged', 'cured', 'accepted'],
    status: 'accepted',
    completes: true,
    sent: [
      ['email', 'accepted#0'],
      ['sms', 'accepted#0'],
    ],
  },
  {
    name: 'undeliverable, replaced',
    events: ['outbound', 'undeliverable', 'superseded'],
    status: 'superseded',
    completes: true,
    sent: [
      ['email', 'superseded#0'],
      ['sms', 'superseded#0'],
    ],
  },
  {
    name: 'undeliverable, but returned by the voter',
    events: ['outbound', 'undeliverable', 'inbound', 'received'],
    status: 'received',
    completes: false,
    sent: [
      ['email', 'received#0'],
      ['sms', 'received#0'],
    ],
  },
  {
    name: 'challenged, rejected',
    events: ['outbound', 'received', 'challenged', 'rejected'],
    status: 'rejected',
    completes: true,
    sent: [
      ['email', 'rejected#0'],
      ['sms', 'rejected#0'],
    ],
  },
  {
    name: 'voted in person',
    events: ['outbound', 'voted_in_person'],
    status: 'voted_in_person',
    completes: true,
    sent: [
      ['email', 'voted_in_person#0'],
      ['sms', 'voted_in_person#0'],
    ],
  },
];

/** Total number of permutations over all scenarios: 24 + 120 + 6 + 24 + 24 + 2. */
const PERMUTATIONS_PER_REGIME = 200;

/** The event as the forwarder sends it (reasons, sources and facilities stay in PostgreSQL). */
function realisticEvent(type: EventType): BallotEventRecord {
  return type === 'challenged' ? scan(type, { cureDeadline: '2099-11-05' }) : scan(type);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** A UTC window that opens `hours` from `nowMs` (rounded down to the minute) and stays open two hours. */
function windowOpeningIn(nowMs: number, hours: number) {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const start = Math.floor((nowMs + hours * HOUR) / 60_000) * 60_000;
  return { window: { start: hhmm(start), end: hhmm(start + 2 * HOUR) }, opensAt: start };
}

interface Run {
  scenario: Scenario;
  order: EventType[];
  ballotId: string;
  events: BallotEventRecord[];
  handle?: WorkflowHandle<typeof ballotLifecycle>;
}

/** What a permutation did, in the shape the expectations are written in. */
interface Observed {
  status: BallotStatus;
  completedOnItsOwn: boolean;
  eventsReceived: number;
  sent: SentPair[];
  /** Notice records that were not skipped, as [channel, key, state]. */
  records: [string, string, string][];
}

function runsFor(regime: string): Run[] {
  return SCENARIOS.flatMap((scenario, s) =>
    permutations(scenario.events).map((order, p) => ({
      scenario,
      order,
      ballotId: `oi-${regime}-${s}-${p}`,
      events: order.map(realisticEvent),
    })),
  );
}

/** Issues the ballot, then delivers its events in the run's order, each by signalWithStart. */
async function deliver(h: BallotHarness, run: Run): Promise<void> {
  run.handle = await h.issue(run.ballotId);
  for (const event of run.events) await h.scan(run.ballotId, event);
}

/**
 * Reads the outcome of every run. A ballot left at a non-terminal status is still running: its view is
 * queried, then it is closed. Only then is any `result()` awaited, one at a time: the time-skipping
 * client unlocks time skipping around each `result()` call (concurrent calls unbalance the test
 * server's lock count), and while it is unlocked with only idle ballots left the server skips time
 * far ahead (idle ballots were seen ending TIMED_OUT).
 */
async function observeAll(h: BallotHarness, runs: Run[]): Promise<Map<Run, Observed>> {
  const snapshots = await inPool(runs, CONCURRENCY, async (run) => {
    const handle = run.handle!;
    const completedOnItsOwn = (await handle.describe()).status.name === 'COMPLETED';
    const view = completedOnItsOwn ? undefined : await handle.query(statusQuery);
    return { completedOnItsOwn, view };
  });
  await inPool(
    runs.filter((_, i) => !snapshots[i]!.completedOnItsOwn),
    CONCURRENCY,
    (run) => run.handle!.signal(electionClosedSignal),
  );
  const sorted = <T extends string[]>(rows: T[]) => rows.sort((a, b) => a.join('|').localeCompare(b.join('|')));
  const observed = new Map<Run, Observed>();
  for (const [i, run] of runs.entries()) {
    const { completedOnItsOwn, view: queried } = snapshots[i]!;
    const result = await run.handle!.result();
    const view: BallotStatusView = queried ?? result;
    observed.set(run, {
      status: view.status,
      completedOnItsOwn,
      eventsReceived: view.eventsReceived,
      sent: sorted(h.sentFor(run.ballotId).map((notice): SentPair => [notice.channel, notice.noticeKey])),
      records: sorted(
        view.notices
          .filter((notice) => notice.state !== 'skipped')
          .map((notice): [string, string, string] => [notice.channel, notice.key, notice.state]),
      ),
    });
  }
  return observed;
}

function expected(run: Run): Observed {
  const { scenario } = run;
  return {
    status: scenario.status,
    completedOnItsOwn: scenario.completes,
    eventsReceived: run.events.length,
    sent: scenario.sent,
    records: scenario.sent.map(([channel, key]) => [channel, key, 'sent']),
  };
}

/** Asserts every permutation of one scenario, reporting each failing order by name. */
function assertScenario(runs: Run[], observed: Map<Run, Observed>, scenario: Scenario): void {
  const mine = runs.filter((run) => run.scenario === scenario);
  expect(mine).toHaveLength(permutations(scenario.events).length);
  for (const run of mine) {
    expect.soft(observed.get(run), `arrival order ${run.order.join(' > ')}`).toEqual(expected(run));
  }
}

describe('ballot outcome does not depend on event arrival order (time-skipping)', () => {
  let h: BallotHarness;

  beforeAll(async () => {
    h = await BallotHarness.create();
  });

  afterAll(async () => {
    await h?.teardown();
  });

  it('covers every permutation of every scenario', () => {
    expect(runsFor('x')).toHaveLength(PERMUTATIONS_PER_REGIME);
    expect(SCENARIOS.map((scenario) => permutations(scenario.events).length)).toEqual([24, 120, 6, 24, 24, 2]);
  });

  describe('(a) events arrive while the voter window is closed', () => {
    const runs = runsFor('a');
    let observed = new Map<Run, Observed>();
    let opensAt = 0;
    const sentBeforeOpening = new Map<Run, number>();
    const sentOutsideWindow = new Map<Run, number>();

    beforeAll(async () => {
      const now = await h.env.currentTimeMs();
      const opening = windowOpeningIn(now, 3);
      opensAt = opening.opensAt;
      for (const run of runs) {
        h.plans.set(`voter-${run.ballotId}`, plan({ channels: CHANNELS_USED, window: opening.window }));
      }
      // Time is not skipped while nobody waits on the server, so the window stays closed meanwhile.
      await inPool(runs, CONCURRENCY, (run) => deliver(h, run));
      await h.settle();
      for (const run of runs) sentBeforeOpening.set(run, h.sentFor(run.ballotId).length);

      await h.env.sleep(opensAt + 30 * 60_000 - (await h.env.currentTimeMs()));
      for (const run of runs) {
        const outside = h.sentFor(run.ballotId).filter((n) => n.at < opensAt || n.at >= opensAt + 2 * HOUR);
        sentOutsideWindow.set(run, outside.length);
      }
      observed = await observeAll(h, runs);
    });

    it('sends nothing before the window opens, and everything inside it', () => {
      expect(runs).toHaveLength(PERMUTATIONS_PER_REGIME);
      expect(runs.filter((run) => sentBeforeOpening.get(run) !== 0).map((run) => run.ballotId)).toEqual([]);
      expect(runs.filter((run) => sentOutsideWindow.get(run) !== 0).map((run) => run.ballotId)).toEqual([]);
    });

    it.each(SCENARIOS.map((scenario) => ({ name: scenario.name, scenario })))(
      '$name: one notice per channel, for the final status, in every order',
      ({ scenario }) => assertScenario(runs, observed, scenario),
    );
  });

  describe('(b) every event is waiting before the first workflow task', () => {
    const runs = runsFor('b');
    let observed = new Map<Run, Observed>();
    const signalsBeforeFirstTask = new Map<Run, number>();

    beforeAll(async () => {
      for (const run of runs) h.plans.set(`voter-${run.ballotId}`, plan({ channels: CHANNELS_USED }));
      await h.stopWorker();
      try {
        await inPool(runs, CONCURRENCY, (run) => deliver(h, run));
      } finally {
        await h.startWorker();
      }
      // Time skips only once every workflow and activity task is done: afterwards all has been told.
      await h.env.sleep(HOUR);
      await inPool(runs, CONCURRENCY, async (run) => {
        const events = (await run.handle!.fetchHistory()).events ?? [];
        const firstTask = events.findIndex((event) => event.workflowTaskStartedEventAttributes);
        signalsBeforeFirstTask.set(
          run,
          events.slice(0, firstTask).filter((event) => event.workflowExecutionSignaledEventAttributes).length,
        );
      });
      observed = await observeAll(h, runs);
    });

    it('the issuance and every event were delivered before the first workflow task started', () => {
      expect(runs).toHaveLength(PERMUTATIONS_PER_REGIME);
      const late = runs.filter((run) => signalsBeforeFirstTask.get(run) !== 1 + run.events.length);
      expect(late.map((run) => run.ballotId)).toEqual([]);
    });

    it.each(SCENARIOS.map((scenario) => ({ name: scenario.name, scenario })))(
      '$name: same final status and same notices in every order',
      ({ scenario }) => assertScenario(runs, observed, scenario),
    );
  });
});
