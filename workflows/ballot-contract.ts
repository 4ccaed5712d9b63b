/**
 * The ballot workflow's message contract: its ID, input, signals and query. The outbox forwarder, the
 * election sweep and the tests import these constants; nothing names a signal by string. Re-exported
 * by `ballot.ts`; kept apart so the frozen v1 code can register the v2 `records` handler too.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BallotRecords, BroadcastDue, ReturnReminderDue } from '../domain/ballot-records.js';
import type { BallotMachine, BallotSnapshot } from '../domain/ballot-machine.js';

export const workflowIdFor = (electionId: string, ballotId: string) => `ballot-${electionId}-${ballotId}`;

export interface BallotWorkflowInput {
  electionId: string;
  ballotId: string;
  /**
   * What PostgreSQL holds for the ballot when the forwarder starts it (issuance, applied events,
   * plan, election facts): a run started after an earlier one was terminated, or after the namespace
   * retention removed it, picks up the ballot's story from the record.
   */
  record?: BallotRecords;
  /** The machine's state, carried across continue-as-new. */
  snapshot?: BallotSnapshot;
}

export type BallotStatusView = ReturnType<BallotMachine['view']>;

/** Everything new from PostgreSQL for this ballot, in one signal (see `BallotRecords`). */
export const recordsSignal = defineSignal<[BallotRecords]>('records');
/** From the election's sweep, to subscribed ballots still outbound N days before Election Day. */
export const returnReminderDueSignal = defineSignal<[Partial<ReturnReminderDue>?]>('returnReminderDue');
/** From a broadcast's run (`workflows/broadcast.ts`), to each ballot it selected (see `BroadcastDue`). */
export const broadcastDueSignal = defineSignal<[BroadcastDue]>('broadcastDue');
/**
 * The `broadcastDue` handler is behind this patch: a history in which the signal reached a ballot
 * before the handler existed replays as ignored. Called only when a broadcast arrives, so ballots no
 * broadcast reaches record no marker (and upsert no `TemporalChangeVersion`).
 */
export const BROADCASTS_PATCH = 'broadcasts';
/** From the election's sweep at its closing date. */
export const electionClosedSignal = defineSignal('electionClosed');
/** For operators (the Web UI): the machine's view. The API reads PostgreSQL, never this query. */
export const statusQuery = defineQuery<BallotStatusView>('status');

/** Failure types a sender raises for a recipient that will never work on this channel. */
export const PERMANENT_SEND_FAILURES = [
  'InvalidRecipient',
  'RecipientOptedOut',
  'NotMobileNumber',
  'LandlineNumber',
  'UnroutableRecipient',
  'ContactMissing',
] as const;

/** The sender has retried for over an hour: the ballot is flagged (`DeliveryProblem`) and retries go on. */
export const STILL_FAILING = 'StillFailing';
