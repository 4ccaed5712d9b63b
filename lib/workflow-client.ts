import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { BallotRecords } from '../domain/ballot-records.js';
import { needsAttention, type BallotStatus } from '../domain/ballot-status.js';
import { ballotLifecycle, recordsSignal, workflowIdFor } from '../workflows/ballot.js';
import { electionSettingsChangedSignal, electionWorkflow, electionWorkflowId } from '../workflows/election.js';
import { BallotStatus as BallotStatusKey, County, ElectionId, NeedsAttention } from '../workflows/search-attributes.js';

/**
 * How the forwarder (and the scripts that stand in for it) reach workflows. Every delivery is one
 * `signalWithStart`: it starts the ballot's workflow if none is open and signals it either way.
 */

/**
 * `delivered`: the open ballot (or a new run) has it. `ballot-completed`: the ballot's workflow
 * completed its story, and a completed ballot is never started again. A run that was terminated,
 * timed out or failed is not final: the next delivery starts a new run from the record.
 */
export type ForwardOutcome = 'delivered' | 'ballot-completed';

/** A ballot's workflow ends at the latest this long after Election Day (a backstop; closing ends it first). */
export const BALLOT_BACKSTOP_DAYS = 180;

export interface DeliveryTarget {
  electionId: string;
  ballotId: string;
  county: string;
  /** The status of record: the start's search attribute, so a ballot started late upserts nothing. */
  status: BallotStatus;
  /** Election Day (YYYY-MM-DD), for the run's backstop timeout. */
  electionDay?: string;
}

/**
 * Delivers a ballot's records: the whole story so far (idempotent in the workflow), as the signal
 * of a `signalWithStart`. Search attributes given at start are free; the workflow upserts only what
 * changes later.
 */
export async function deliverRecords(
  client: Client,
  taskQueue: string,
  target: DeliveryTarget,
  records: BallotRecords,
  /**
   * Start a new run even when the ballot's workflow completed: a plan that reaches a finished
   * ballot (a voter who signs up after it was accepted) must be told its final status once.
   */
  reopenCompleted = false,
): Promise<ForwardOutcome> {
  const backstop = target.electionDay
    ? Math.max(Date.parse(target.electionDay) + BALLOT_BACKSTOP_DAYS * 86_400_000 - Date.now(), 30 * 86_400_000)
    : BALLOT_BACKSTOP_DAYS * 86_400_000;
  try {
    await client.workflow.signalWithStart(ballotLifecycle, {
      taskQueue,
      workflowId: workflowIdFor(target.electionId, target.ballotId),
      args: [{ electionId: target.electionId, ballotId: target.ballotId }],
      signal: recordsSignal,
      signalArgs: [records],
      typedSearchAttributes: [
        { key: ElectionId, value: target.electionId },
        { key: County, value: target.county },
        { key: BallotStatusKey, value: target.status },
        { key: NeedsAttention, value: needsAttention(target.status) },
      ],
      staticSummary: `Ballot ${target.ballotId} of election ${target.electionId}`,
      workflowExecutionTimeout: backstop,
      workflowIdReusePolicy: reopenCompleted
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    return 'delivered';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'ballot-completed';
    throw error;
  }
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
 * Signals one workflow with a request ID of our choosing: the server records the request IDs of the
 * signals a run received and ignores a repeat, so a sweep that resumes from an older checkpoint (or
 * is re-run) signals each ballot once per moment. `gone`: the workflow has completed or does not exist.
 */
export async function signalOnce(
  client: Client,
  workflowId: string,
  signalName: string,
  args: unknown[],
  requestId: string,
): Promise<'signalled' | 'gone'> {
  try {
    await client.workflowService.signalWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId },
      signalName,
      input: { payloads: (await encodeToPayloads(client.options.loadedDataConverter, ...args)) ?? [] },
      identity: client.options.identity,
      requestId,
    });
    return 'signalled';
  } catch (error) {
    if ((error as { code?: number }).code === GRPC_NOT_FOUND) return 'gone';
    throw error;
  }
}

/** gRPC status NOT_FOUND: the workflow completed, or never existed. */
const GRPC_NOT_FOUND = 5;

/** A stable UUID-shaped request ID for (workflow, purpose). */
export function requestIdFor(workflowId: string, purpose: string): string {
  const hex = createHash('sha256').update(`${workflowId}\u0000${purpose}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
