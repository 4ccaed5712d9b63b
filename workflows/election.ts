/**
 * The election's clock. Instead of a timer in every ballot (millions firing at the same instant,
 * each a billed action), one workflow per election wakes at its moments and sweeps the ballots
 * concerned, listed from PostgreSQL (not visibility) in partitions that run in parallel:
 *
 * - the return reminder, N days before Election Day at 09:00 election time, to subscribed ballots
 *   still outbound (skipped from Election Day on);
 * - the closing, at `closesAt`: every ballot not yet final becomes `closed` in PostgreSQL and its
 *   workflow is told; then the open ballots are counted, and a count above zero is a loud failure
 *   (`incomplete`, retried, then left for an operator's `election rerun`).
 *
 * Each moment runs in its own lane, so a reminder sweep still running never delays the closing (the
 * closing cancels it). Each partition is one activity that checkpoints its cursor in heartbeats and
 * resumes from it after a retry or a worker crash; signals carry a request ID per ballot and moment,
 * so a resumed or re-run sweep never signals a ballot twice. The history holds a few events per
 * partition and moment, whatever the number of ballots.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  electionMoments,
  returnReminderExpired,
  type ElectionMoment,
  type ElectionMomentKind,
} from '../domain/election-moments.js';
import type { ElectionSettings } from '../domain/notices.js';
import { electionWorkflowV1 } from './election-v1.js';

export interface ElectionWorkflowInput {
  electionId: string;
}

export type MomentState = 'waiting' | 'running' | 'done' | 'incomplete' | 'cancelled' | 'skipped';

export interface MomentProgress {
  state: MomentState;
  /** Runs so far (retries of an incomplete closing and operator re-runs count). */
  run: number;
  signalled: number;
  /** Closing only: ballots still open after the run. */
  openAfter?: number;
  at: string;
}

export interface ElectionProgress {
  electionId: string;
  moments: Partial<Record<ElectionMomentKind, MomentProgress>>;
}

export const electionWorkflowId = (electionId: string) => `election-${electionId}`;

/** The election's settings were stored again: reload them and re-plan. */
export const electionSettingsChangedSignal = defineSignal('settingsChanged');
/** An operator asks for a moment to run again now (`npm run cli -- election rerun`). */
export const rerunMomentSignal = defineSignal<[{ moment: ElectionMomentKind }]>('rerunMoment');
export const electionProgressQuery = defineQuery<ElectionProgress>('progress');

export const ELECTION_SWEEPS_PATCH = 'election-sweeps';
/** An incomplete closing is run again after this long, this many times, before it waits for an operator. */
const CLOSING_RETRY_DELAY = '10 minutes';
const CLOSING_RETRIES = 3;

const { loadElectionSettings, startSweep, finishSweep } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});

const { sweepPartition } = proxyActivities<Activities>({
  // A partition of a statewide election takes hours; it heartbeats every slice of signals, so a lost
  // worker is noticed (and a cancellation heard) within seconds.
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export async function electionWorkflow(input: ElectionWorkflowInput): Promise<ElectionProgress> {
  if (!patched(ELECTION_SWEEPS_PATCH)) return (await electionWorkflowV1(input)) as unknown as ElectionProgress;
  const { electionId } = input;
  let settings: ElectionSettings | null = null;
  let version = 0;
  let reload = false;
  const reruns = new Set<ElectionMomentKind>();
  const progress: ElectionProgress = { electionId, moments: {} };
  const now = () => Date.now();

  setHandler(electionSettingsChangedSignal, () => {
    reload = true;
    version += 1;
  });
  setHandler(rerunMomentSignal, ({ moment }) => {
    if (moment === 'return-reminder' || moment === 'close') reruns.add(moment);
    version += 1;
  });
  setHandler(electionProgressQuery, () => progress);

  const note = (kind: ElectionMomentKind, update: Partial<MomentProgress>) => {
    const previous = progress.moments[kind] ?? { state: 'waiting', run: 0, signalled: 0, at: '' };
    progress.moments[kind] = { ...previous, ...update, at: new Date(now()).toISOString() };
  };

  /** One run of a moment: partitions in parallel, then the closing's count of open ballots. */
  async function sweep(kind: ElectionMomentKind): Promise<void> {
    const run = (progress.moments[kind]?.run ?? 0) + 1;
    if (kind === 'return-reminder' && settings && returnReminderExpired(settings, now())) {
      note(kind, { state: 'skipped', run });
      return;
    }
    note(kind, { state: 'running', run, signalled: 0 });
    const plan = await startSweep({ electionId, moment: kind, run });
    try {
      const results = await Promise.all(
        Array.from({ length: plan.partitions }, (_, partition) =>
          sweepPartition({ electionId, moment: kind, partition, partitions: plan.partitions, ...plan.signal }),
        ),
      );
      const signalled = results.reduce((sum, result) => sum + result.signalled, 0);
      const finished = await finishSweep({ electionId, moment: kind, run, signalled });
      const complete = kind !== 'close' || finished.openAfter === 0;
      note(kind, {
        state: complete ? 'done' : 'incomplete',
        signalled,
        ...(finished.openAfter !== undefined ? { openAfter: finished.openAfter } : {}),
      });
      if (!complete) log.error('closing left ballots open', { electionId, run, openAfter: finished.openAfter });
    } catch (error) {
      if (!isCancellation(error)) throw error;
      note(kind, { state: 'cancelled' });
      await CancellationScope.nonCancellable(() =>
        finishSweep({ electionId, moment: kind, run, signalled: 0, cancelled: true }),
      );
    }
  }

  function momentOf(kind: ElectionMomentKind): ElectionMoment | undefined {
    return settings ? electionMoments(settings).find((moment) => moment.kind === kind) : undefined;
  }

  function finished(kind: ElectionMomentKind): boolean {
    const state = progress.moments[kind]?.state;
    return state === 'done' || state === 'skipped' || state === 'cancelled';
  }

  const reminderScope = new CancellationScope();

  /** Waits for the moment's instant (re-planning when the settings change), runs it, and again on request. */
  async function lane(kind: ElectionMomentKind): Promise<void> {
    let retries = 0;
    for (;;) {
      const seen = version;
      const state = progress.moments[kind]?.state;
      const moment = momentOf(kind);
      let due = reruns.delete(kind);
      if (!due && moment && state === undefined) {
        due = moment.at <= now() || (await condition(() => version !== seen, moment.at - now())) === false;
      } else if (!due && kind === 'close' && state === 'incomplete' && retries < CLOSING_RETRIES) {
        retries += 1;
        due = (await condition(() => version !== seen, CLOSING_RETRY_DELAY)) === false;
      } else if (!due) {
        if (kind === 'close' && finished('close')) return;
        await condition(() => version !== seen);
        continue;
      }
      if (!due) continue;
      // The closing makes a reminder pointless: a reminder sweep still running stops.
      if (kind === 'close') reminderScope.cancel();
      await sweep(kind);
      if (kind === 'close' && finished('close')) return;
    }
  }

  settings = await loadElectionSettings({ electionId });
  reload = false;
  void (async () => {
    for (;;) {
      await condition(() => reload);
      reload = false;
      settings = await loadElectionSettings({ electionId });
      version += 1;
    }
  })();
  const reminderLane = reminderScope
    .run(() => lane('return-reminder'))
    .catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
    });
  await lane('close');
  reminderScope.cancel();
  await reminderLane;
  return progress;
}
