import { CancelledFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ActionBudget } from '../db/action-budget.js';
import {
  broadcastPage,
  broadcastState,
  countSelection,
  findBroadcast,
  markBroadcastDone,
  noteSelected,
  recordBroadcastPartition,
} from '../db/broadcasts.js';
import type { Sql } from '../db/client.js';
import { SWEEP_BUCKETS, type SweepCursor } from '../db/sweeps.js';
import type { BroadcastDue } from '../domain/ballot-records.js';
import type { BallotStatus } from '../domain/ballot-status.js';
import { requestIdFor, signalOnce } from '../lib/workflow-client.js';
import { broadcastDueSignal, workflowIdFor } from '../workflows/ballot.js';

export interface BroadcastPlan {
  /** False: the broadcast is not running (stopped before the run began, or unknown). */
  running: boolean;
  partitions: number;
  selected: number;
}

export interface BroadcastPartitionInput {
  broadcastId: number;
  partition: number;
  partitions: number;
}

export interface BroadcastPartitionResult {
  signalled: number;
  gone: number;
  /** The broadcast was stopped while this partition walked: it signalled no ballot after that. */
  stopped: boolean;
}

interface Checkpoint extends SweepCursor {
  signalled: number;
  gone: number;
}

const PAGE = 500;

export interface BroadcastDeps {
  sql: Sql;
  temporal: Client;
  partitions: number;
  signalsInFlight?: number;
  /** The namespace's action budget, shared with the forwarders and the election sweeps. */
  budget?: ActionBudget;
}

/**
 * A broadcast's run, the election sweep's way: `broadcastPartition` walks its buckets of the
 * selection by keyset, signals each ballot `broadcastDue` with a request ID per (ballot, broadcast)
 * (the server ignores a repeat; the workflow and the ledger dedupe too), takes its actions from the
 * shared budget, checkpoints its cursor in heartbeats, and reads the broadcast's state from
 * PostgreSQL before every slice: once a stop is committed it signals no further ballot.
 */
export function createBroadcastActivities(deps: BroadcastDeps) {
  const inFlight = deps.signalsInFlight ?? 50;

  return {
    async startBroadcastRun(input: { broadcastId: number }): Promise<BroadcastPlan> {
      const broadcast = await findBroadcast(deps.sql, input.broadcastId);
      if (!broadcast || broadcast.state !== 'running') {
        return { running: false, partitions: 0, selected: 0 };
      }
      const selected = broadcast.selected ?? (await countSelection(deps.sql, broadcast));
      await noteSelected(deps.sql, input.broadcastId, selected);
      return { running: true, partitions: deps.partitions, selected };
    },

    async broadcastPartition(input: BroadcastPartitionInput): Promise<BroadcastPartitionResult> {
      const context = Context.current();
      const broadcast = await findBroadcast(deps.sql, input.broadcastId);
      if (!broadcast) throw new Error(`broadcast ${input.broadcastId} is not in the record`);
      const resumed = context.info.heartbeatDetails as Checkpoint | undefined;
      const checkpoint: Checkpoint = resumed ?? { bucket: input.partition, ballotId: '', signalled: 0, gone: 0 };
      if (resumed) log.info('broadcast partition resumes from its checkpoint', { ...input, ...resumed });
      const due: BroadcastDue = {
        broadcastId: broadcast.broadcastId,
        statuses: broadcast.statuses as BallotStatus[],
        ...(broadcast.expiresAt ? { expiresAt: broadcast.expiresAt.getTime() } : {}),
      };
      const progress = (cursor: SweepCursor | null, finished = false) =>
        recordBroadcastPartition(deps.sql, {
          broadcastId: input.broadcastId,
          partition: input.partition,
          signalled: checkpoint.signalled,
          gone: checkpoint.gone,
          cursor,
          finished,
        });
      const stopped = async () => (await broadcastState(deps.sql, input.broadcastId)) !== 'running';

      for (let bucket = checkpoint.bucket; bucket < SWEEP_BUCKETS; bucket += input.partitions) {
        let after = bucket === checkpoint.bucket ? checkpoint.ballotId : '';
        for (;;) {
          if (context.cancellationSignal.aborted) throw new CancelledFailure('broadcast cancelled');
          const page = await broadcastPage(deps.sql, broadcast, { bucket, after, limit: PAGE });
          if (page.length === 0) break;
          for (let from = 0; from < page.length; from += inFlight) {
            context.heartbeat({ ...checkpoint });
            if (context.cancellationSignal.aborted) throw new CancelledFailure('broadcast cancelled');
            const slice = page.slice(from, from + inFlight);
            await deps.budget?.take(slice.length);
            // After the budget's wait: a stop committed meanwhile is heard before any signal.
            if (await stopped()) {
              await progress({ bucket, ballotId: after });
              return { signalled: checkpoint.signalled, gone: checkpoint.gone, stopped: true };
            }
            const outcomes = await Promise.all(
              slice.map((ballotId) => {
                const workflowId = workflowIdFor(broadcast.electionId, ballotId);
                return signalOnce(
                  deps.temporal,
                  workflowId,
                  broadcastDueSignal.name,
                  [due],
                  requestIdFor(workflowId, `broadcast-${broadcast.broadcastId}`),
                );
              }),
            );
            checkpoint.signalled += outcomes.filter((outcome) => outcome === 'signalled').length;
            checkpoint.gone += outcomes.filter((outcome) => outcome === 'gone').length;
            after = slice.at(-1)!;
            Object.assign(checkpoint, { bucket, ballotId: after });
            context.heartbeat({ ...checkpoint });
          }
          await progress({ bucket, ballotId: after });
        }
      }
      await progress(null, true);
      return { signalled: checkpoint.signalled, gone: checkpoint.gone, stopped: false };
    },

    /** Records the run's end: a running broadcast is done; a stopped one stays stopped. */
    async finishBroadcastRun(input: { broadcastId: number }): Promise<{ state: string }> {
      return { state: (await markBroadcastDone(deps.sql, input.broadcastId)) ?? 'unknown' };
    },
  };
}
