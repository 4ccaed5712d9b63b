import { CancelledFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ActionBudget } from '../db/action-budget.js';
import type { Sql } from '../db/client.js';
import { findElectionSettings } from '../db/elections.js';
import {
  SWEEP_BUCKETS,
  closeBallots,
  countOpenBallots,
  recordPartitionProgress,
  recordSweepEnd,
  recordSweepStart,
  sweepPage,
  type SweepCursor,
} from '../db/sweeps.js';
import type { ElectionMomentKind } from '../domain/election-moments.js';
import { zonedTimeToInstant } from '../domain/zoned-time.js';
import { requestIdFor, signalOnce } from '../lib/workflow-client.js';
import { electionClosedSignal, returnReminderDueSignal, workflowIdFor } from '../workflows/ballot.js';

export interface SweepPartitionInput {
  electionId: string;
  moment: ElectionMomentKind;
  partition: number;
  partitions: number;
  run?: number;
  /** Return reminder: refused by ballots from this instant (the start of Election Day). */
  expiresAt?: number;
}

export interface SweepPartitionResult {
  signalled: number;
  /** Ballots whose workflow had already completed (or never started). */
  gone: number;
}

/** Heartbeat details: where to resume, and what was done before. */
interface Checkpoint extends SweepCursor {
  signalled: number;
  gone: number;
}

const PAGE = 500;

export interface SweepDeps {
  sql: Sql;
  temporal: Client;
  /** Partitions per sweep (SWEEP_PARTITIONS). */
  partitions: number;
  /** Signals in flight per partition. */
  signalsInFlight?: number;
  /** The namespace's action budget, shared with the forwarders. */
  budget?: ActionBudget;
}

/**
 * The election sweeps' activities. `sweepPartition` walks its buckets page by page, signals each
 * ballot with a request ID per (ballot, moment) (the server ignores a repeat), records the closing
 * in PostgreSQL, and heartbeats its cursor: a retry after a timeout or a worker crash resumes there.
 */
export function createSweepActivities(deps: SweepDeps) {
  const inFlight = deps.signalsInFlight ?? 50;

  return {
    async startSweep(input: { electionId: string; moment: ElectionMomentKind; run: number }) {
      await recordSweepStart(deps.sql, { ...input, partitions: deps.partitions });
      const settings = await findElectionSettings(deps.sql, input.electionId);
      const expiresAt =
        input.moment === 'return-reminder' && settings
          ? zonedTimeToInstant(settings.electionDay, '00:00', settings.timezone)
          : undefined;
      return {
        partitions: deps.partitions,
        signal: { run: input.run, ...(expiresAt !== undefined ? { expiresAt } : {}) },
      };
    },

    async sweepPartition(input: SweepPartitionInput): Promise<SweepPartitionResult> {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as Checkpoint | undefined;
      const checkpoint: Checkpoint = resumed ?? { bucket: input.partition, ballotId: '', signalled: 0, gone: 0 };
      if (resumed) log.info('sweep partition resumes from its checkpoint', { ...input, ...resumed });
      const signal = input.moment === 'close' ? electionClosedSignal : returnReminderDueSignal;
      const args =
        input.moment === 'close' ? [] : [{ ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}) }];

      for (let bucket = checkpoint.bucket; bucket < SWEEP_BUCKETS; bucket += input.partitions) {
        let after = bucket === checkpoint.bucket ? checkpoint.ballotId : '';
        for (;;) {
          if (context.cancellationSignal.aborted) throw new CancelledFailure('sweep cancelled');
          const page = await sweepPage(deps.sql, {
            electionId: input.electionId,
            moment: input.moment,
            bucket,
            after,
            limit: PAGE,
          });
          if (page.length === 0) break;
          const outcomes: ('signalled' | 'gone')[] = [];
          for (let from = 0; from < page.length; from += inFlight) {
            // A heartbeat per slice keeps the activity alive (and hears a cancellation) while it waits
            // for the action budget; the checkpoint moves only once the whole page is done.
            context.heartbeat({ ...checkpoint });
            if (context.cancellationSignal.aborted) throw new CancelledFailure('sweep cancelled');
            const slice = page.slice(from, from + inFlight);
            await deps.budget?.take(slice.length);
            outcomes.push(
              ...(await Promise.all(
                slice.map((ballotId) => {
                  const workflowId = workflowIdFor(input.electionId, ballotId);
                  return signalOnce(
                    deps.temporal,
                    workflowId,
                    signal.name,
                    args,
                    requestIdFor(workflowId, input.moment),
                  );
                }),
              )),
            );
          }
          if (input.moment === 'close') await closeBallots(deps.sql, input.electionId, page);
          checkpoint.signalled += outcomes.filter((outcome) => outcome === 'signalled').length;
          checkpoint.gone += outcomes.filter((outcome) => outcome === 'gone').length;
          after = page.at(-1)!;
          Object.assign(checkpoint, { bucket, ballotId: after });
          context.heartbeat({ ...checkpoint });
          await recordPartitionProgress(deps.sql, {
            electionId: input.electionId,
            moment: input.moment,
            run: input.run ?? 1,
            partition: input.partition,
            signalled: checkpoint.signalled,
            cursor: { bucket, ballotId: after },
          });
        }
      }
      await recordPartitionProgress(deps.sql, {
        electionId: input.electionId,
        moment: input.moment,
        run: input.run ?? 1,
        partition: input.partition,
        signalled: checkpoint.signalled,
        cursor: null,
        finished: true,
      });
      return { signalled: checkpoint.signalled, gone: checkpoint.gone };
    },

    /** Records the run's end; for the closing, counts the ballots still open (zero when complete). */
    async finishSweep(input: {
      electionId: string;
      moment: ElectionMomentKind;
      run: number;
      signalled: number;
      cancelled?: boolean;
    }): Promise<{ openAfter?: number }> {
      const openAfter =
        input.moment === 'close' && !input.cancelled ? await countOpenBallots(deps.sql, input.electionId) : undefined;
      const state = input.cancelled ? 'cancelled' : openAfter ? 'incomplete' : 'done';
      await recordSweepEnd(deps.sql, { ...input, state, ...(openAfter !== undefined ? { openAfter } : {}) });
      if (openAfter) log.error('the closing left ballots open', { electionId: input.electionId, openAfter });
      return openAfter !== undefined ? { openAfter } : {};
    },
  };
}
