import { heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { findElectionSettings } from '../db/elections.js';
import type { ElectionMomentKind } from '../domain/election-moments.js';
import { ID_PATTERN } from '../domain/scan-event.js';
import { electionClosedSignal, returnReminderDueSignal } from '../workflows/ballot.js';

/** Visibility is eventually consistent: the closing sweep repeats until no open ballot is listed. */
const CLOSING_PASSES = 5;
const SIGNALS_IN_FLIGHT = 20;

export function createElectionActivities({ sql, temporal }: { sql: Sql; temporal: Client }) {
  async function signalAll(query: string, kind: ElectionMomentKind): Promise<number> {
    const signal = kind === 'close' ? electionClosedSignal : returnReminderDueSignal;
    let count = 0;
    const inFlight = new Set<Promise<void>>();
    // Kept here rather than as a rejection: a settled promise leaves the set at once, so a rejection
    // nobody awaited yet would go unhandled (and the activity would still succeed).
    let failure: { error: unknown } | undefined;
    for await (const execution of temporal.workflow.list({ query })) {
      const sent = temporal.workflow
        .getHandle(execution.workflowId)
        .signal(signal)
        .catch((error: unknown) => {
          // The ballot finished between the listing and the signal: nothing to tell it.
          if ((error as { name?: string }).name !== 'WorkflowNotFoundError') failure ??= { error };
        })
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      count += 1;
      if (inFlight.size >= SIGNALS_IN_FLIGHT) await Promise.race(inFlight);
      if (failure) break;
      heartbeat({ signalled: count });
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    return count;
  }

  return {
    loadElectionSettings: (input: { electionId: string }) => findElectionSettings(sql, input.electionId),

    /**
     * Signals the election's open ballots: every one at closing, only those still outbound for the
     * return reminder. Signals are idempotent in the ballot workflow, so a retried sweep is harmless.
     */
    async sweepElectionBallots(input: { electionId: string; kind: ElectionMomentKind }): Promise<number> {
      if (!ID_PATTERN.test(input.electionId)) throw new Error('invalid election ID');
      const base = `WorkflowType = 'ballotWorkflow' AND ElectionId = '${input.electionId}' AND ExecutionStatus = 'Running'`;
      if (input.kind === 'return-reminder') return signalAll(`${base} AND BallotStatus = 'outbound'`, input.kind);
      let total = 0;
      for (let pass = 1; pass <= CLOSING_PASSES; pass += 1) {
        const signalled = await signalAll(base, input.kind);
        total += signalled;
        if (signalled === 0) break;
        log.info('closing sweep pass', { electionId: input.electionId, pass, signalled });
        await new Promise((resolve) => setTimeout(resolve, 2_000 * pass));
      }
      return total;
    },
  };
}
