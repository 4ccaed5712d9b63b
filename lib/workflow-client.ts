import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Issuance, ScanEvent } from '../domain/scan-event.js';
import type { subscriberAddedSignal } from '../workflows/ballot.js';
import {
  ballotWorkflow,
  issueSignal,
  preferencesChangedSignal,
  scanEventSignal,
  workflowIdFor,
} from '../workflows/ballot.js';
import { electionSettingsChangedSignal, electionWorkflow, electionWorkflowId } from '../workflows/election.js';
import { BallotStatus, County, ElectionId, NeedsAttention } from '../workflows/search-attributes.js';

/**
 * How the API (and the CLI importer) reach workflows. Every call is one `signalWithStart`: it starts
 * the workflow if none is open and signals it either way, so whichever record arrives first starts
 * the ballot. A closed ballot is never started again (its story is over); the caller treats that
 * as delivered, since the ballot's history already holds its final state.
 */

/** `delivered`: the open ballot has it. `ballot-closed`: the ballot's workflow already completed. */
export type ForwardOutcome = 'delivered' | 'ballot-closed';

async function closedIsFinal(send: () => Promise<unknown>): Promise<ForwardOutcome> {
  try {
    await send();
    return 'delivered';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'ballot-closed';
    throw error;
  }
}

type BallotTarget = { electionId: string; ballotId: string };

/**
 * One signalWithStart into a ballot: a closed ballot is never started again (reuse policy), an open
 * one receives the signal. Search attributes set at start are free; the workflow upserts only what
 * changes later (the county is known only from the issuance record).
 */
async function signalBallot(
  client: Client,
  taskQueue: string,
  target: BallotTarget,
  signal:
    | { signal: typeof issueSignal; signalArgs: [Issuance] }
    | { signal: typeof scanEventSignal; signalArgs: [ScanEvent] },
  county?: string,
): Promise<ForwardOutcome> {
  return closedIsFinal(() =>
    client.workflow.signalWithStart(ballotWorkflow, {
      taskQueue,
      workflowId: workflowIdFor(target.electionId, target.ballotId),
      args: [target],
      ...(signal as { signal: typeof scanEventSignal; signalArgs: [ScanEvent] }),
      typedSearchAttributes: [
        { key: ElectionId, value: target.electionId },
        ...(county ? [{ key: County, value: county }] : []),
        { key: BallotStatus, value: 'issued' },
        { key: NeedsAttention, value: false },
      ],
      staticSummary: `Ballot ${target.ballotId} of election ${target.electionId}`,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    }),
  );
}

export function forwardIssuance(client: Client, taskQueue: string, target: BallotTarget, issuance: Issuance) {
  return signalBallot(client, taskQueue, target, { signal: issueSignal, signalArgs: [issuance] }, issuance.county);
}

export function forwardScan(client: Client, taskQueue: string, target: BallotTarget, event: ScanEvent) {
  return signalBallot(client, taskQueue, target, { signal: scanEventSignal, signalArgs: [event] });
}

/** Starts the election's clock workflow, or tells the running one that its settings changed. */
export async function ensureElectionWorkflow(client: Client, taskQueue: string, electionId: string): Promise<void> {
  await client.workflow.signalWithStart(electionWorkflow, {
    taskQueue,
    workflowId: electionWorkflowId(electionId),
    args: [{ electionId }],
    signal: electionSettingsChangedSignal,
    signalArgs: [],
    typedSearchAttributes: [{ key: ElectionId, value: electionId }],
    staticSummary: `Election ${electionId}: return reminders and closing`,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/**
 * Tells every open ballot of a voter that their contacts or preferences changed (the workflow reloads
 * its delivery plan before it sends again). Closed ballots are skipped.
 */
export async function signalVoterBallots(
  client: Client,
  sql: Sql,
  voterId: string,
  signal: typeof preferencesChangedSignal | typeof subscriberAddedSignal = preferencesChangedSignal,
): Promise<void> {
  const ballots = await sql<{ election_id: string; ballot_id: string }[]>`
    SELECT election_id, ballot_id FROM ballots WHERE voter_id = ${voterId}`;
  await Promise.all(
    ballots.map(({ election_id, ballot_id }) =>
      client.workflow
        .getHandle(workflowIdFor(election_id, ballot_id))
        .signal(signal)
        .catch((error: unknown) => {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }),
    ),
  );
}
