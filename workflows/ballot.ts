/**
 * One ballot's story, as a thin shell around the pure `BallotMachine`: signals go into the machine;
 * its decisions become activities (sends), one timer (the next instant something falls due) and
 * search-attribute upserts (only when a value changes). A ballot nobody subscribed to records its
 * events and keeps its search attributes current, and does nothing else: no activity, no timer.
 *
 * Versions: this is workflow type `ballotLifecycle`; ballots started earlier run the frozen v1 type
 * `ballotWorkflow` (`ballot-v1.ts`) to their end. A new type rather than `patched()`: in this SDK a
 * patch also upserts the `TemporalChangeVersion` search attribute, a billed action in every one of
 * millions of ballots. The history stays small: after `CONTINUE_AS_NEW_AFTER_EVENTS` the ballot
 * continues as new with the machine's snapshot.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import {
  BallotMachine,
  type BallotSearchAttributes,
  type SendFailure,
  type SendOrder,
} from '../domain/ballot-machine.js';
import { checkBallotRecords, checkBroadcastDue } from '../domain/ballot-records.js';
import { ID_PATTERN } from '../domain/ids.js';
import {
  BROADCASTS_PATCH,
  PERMANENT_SEND_FAILURES,
  STILL_FAILING,
  broadcastDueSignal,
  electionClosedSignal,
  recordsSignal,
  returnReminderDueSignal,
  statusQuery,
  type BallotStatusView,
  type BallotWorkflowInput,
} from './ballot-contract.js';
import {
  BallotStatus as BallotStatusKey,
  County,
  DeliveryProblem,
  ElectionId,
  NeedsAttention,
} from './search-attributes.js';
import { smsTaskQueueFor } from './task-queues.js';

export * from './ballot-contract.js';

/** Continue as new beyond this many history events (Temporal's hard limit is 51,200). */
export const CONTINUE_AS_NEW_AFTER_EVENTS = 2_000;

/**
 * The send activity's options for one order: retried with backoff up to 15 minutes apart (from the
 * first retry on, once the channel has been failing for over an hour), never past the voter's window
 * (`order.retryUntil`). After an hour of retries the sender gives up with `StillFailing`, which flags
 * the ballot and starts the slow pace. SMS run on their own task queue, paced to the sender's rate.
 */
function senderFor(order: SendOrder) {
  return proxyActivities<Activities>({
    ...(order.channel === 'sms' ? { taskQueue: smsTaskQueueFor(workflowInfo().taskQueue) } : {}),
    // Above PROVIDER_TIMEOUT (at most 25 s) plus the ledger writes, and short enough that a send
    // lost with a killed worker is retried soon.
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: Math.max(60_000, order.retryUntil - Date.now()),
    retry: {
      initialInterval: order.persistent ? '15 minutes' : '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '15 minutes',
    },
  }).deliverNotice;
}

/** The activity's failure as the machine understands it. */
export function classifySendFailure(error: unknown): SendFailure {
  const failure = error instanceof ActivityFailure ? error : undefined;
  const cause = failure?.cause ?? error;
  if (cause instanceof TimeoutFailure || failure?.retryState === 'TIMEOUT') return { kind: 'timeout' };
  if (cause instanceof ApplicationFailure && cause.type) {
    if ((PERMANENT_SEND_FAILURES as readonly string[]).includes(cause.type))
      return { kind: 'recipient', type: cause.type };
    if (cause.type === 'ProviderRejected') return { kind: 'rejected', type: cause.type };
    if (cause.type === STILL_FAILING) {
      const lastError = (cause.details?.[0] as { lastError?: unknown } | undefined)?.lastError;
      return typeof lastError === 'string' ? { kind: 'stillFailing', lastError } : { kind: 'stillFailing' };
    }
    return { kind: 'paused', type: cause.type };
  }
  // Anything else that stopped the retries is not the voter's fault: an operator has to look.
  return { kind: 'paused', type: cause instanceof Error ? cause.name : 'UnknownFailure' };
}

/** One timer at a time, for the machine's next wake-up instant; moved only when that instant changes. */
class Alarm {
  private target?: number;
  private scope?: CancellationScope;
  rang = false;

  set(at: number | undefined): void {
    if (at === this.target && !this.rang) return;
    this.scope?.cancel();
    this.scope = undefined;
    this.target = at;
    this.rang = false;
    if (at === undefined) return;
    const scope = new CancellationScope();
    this.scope = scope;
    scope
      .run(() => sleep(Math.max(1, at - Date.now())))
      .then(
        () => {
          if (this.scope === scope) this.rang = true;
        },
        () => undefined, // cancelled: a newer alarm replaced it
      );
  }
}

export async function ballotLifecycle(input: BallotWorkflowInput): Promise<BallotStatusView> {
  if (!ID_PATTERN.test(input.electionId) || !ID_PATTERN.test(input.ballotId)) {
    throw ApplicationFailure.nonRetryable('electionId and ballotId must match [A-Za-z0-9._-]{1,64}', 'InvalidBallotId');
  }

  const ballot = input.snapshot
    ? BallotMachine.restore(input.snapshot)
    : BallotMachine.fresh(input.electionId, input.ballotId);
  if (input.record) receiveRecords(input.record);

  function receiveRecords(records: unknown): void {
    const parsed = checkBallotRecords(records);
    if (!parsed.ok) {
      log.warn('ignored malformed ballot records', { problems: parsed.problem });
      return;
    }
    ballot.receive(parsed.value, Date.now());
  }

  setHandler(recordsSignal, receiveRecords);
  setHandler(returnReminderDueSignal, (due) => ballot.returnReminderDue(due ?? {}, Date.now()));
  setHandler(electionClosedSignal, () => ballot.close(Date.now()));
  setHandler(broadcastDueSignal, (due) => {
    if (!patched(BROADCASTS_PATCH)) return;
    const parsed = checkBroadcastDue(due);
    if (!parsed.ok) {
      log.warn('ignored a malformed broadcast signal', { problems: parsed.problem });
      return;
    }
    ballot.broadcastDue(parsed.value, Date.now());
  });
  setHandler(statusQuery, () => ballot.view());

  async function send(order: SendOrder): Promise<void> {
    const { electionId, ballotId } = input;
    try {
      const result = await senderFor(order)({
        electionId,
        ballotId,
        channel: order.channel,
        notice: order.notice,
        language: order.language,
        ...(order.replaces.length > 0 ? { replaces: order.replaces } : {}),
        ...(order.windowClosesAt !== undefined ? { windowClosesAt: new Date(order.windowClosesAt).toISOString() } : {}),
      });
      ballot.finished(order, result, Date.now());
    } catch (error) {
      ballot.failed(order, classifySendFailure(error), Date.now());
    }
  }

  const alarm = new Alarm();
  let details = '';
  for (;;) {
    const decision = ballot.decide(Date.now());
    syncSearchAttributes(input.electionId, decision.searchAttributes);
    if (decision.waitingFor !== details) {
      details = decision.waitingFor;
      setCurrentDetails(details);
    }
    for (const order of decision.sends) {
      ballot.started(order, Date.now());
      void send(order);
    }
    if (decision.done) break;
    if (workflowInfo().historyLength > CONTINUE_AS_NEW_AFTER_EVENTS && !ballot.sending) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof ballotLifecycle>({
        electionId: input.electionId,
        ballotId: input.ballotId,
        snapshot: ballot.snapshot(),
      });
    }
    alarm.set(decision.wakeAt);
    const seen = ballot.version;
    await condition(() => ballot.version !== seen || alarm.rang);
  }
  alarm.set(undefined);
  return ballot.view();
}

/** Upserts only the attributes whose value changed (each upsert is a billed action). */
function syncSearchAttributes(electionId: string, wanted: BallotSearchAttributes): void {
  const current = workflowInfo().typedSearchAttributes;
  const pairs: SearchAttributeUpdatePair[] = [
    { key: ElectionId, value: electionId },
    ...(wanted.county !== undefined ? [{ key: County, value: wanted.county }] : []),
    { key: BallotStatusKey, value: wanted.status },
    { key: NeedsAttention, value: wanted.needsAttention },
    { key: DeliveryProblem, value: wanted.deliveryProblem ?? null },
  ];
  const changed = pairs.filter((pair) => (current.get(pair.key as never) ?? null) !== pair.value);
  if (changed.length > 0) upsertSearchAttributes(changed);
}
