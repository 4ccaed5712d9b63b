/**
 * Version 1 of the ballot workflow (workflow type `ballotWorkflow`), frozen: ballots started before
 * the state machine (type `ballotLifecycle`, in `ballot.ts`) run this code to their end, and the
 * recorded v1 histories replay against it. Do not change what it does; delete it once no v1 ballot
 * runs any more (every election it served has closed).
 *
 * The one addition since its release is a handler for the `records` signal the v2 forwarder sends,
 * mapped onto the v1 issuance, scan and plan-reload handlers: a signal no v1 history contains, so
 * replay is unaffected, and running v1 ballots keep hearing their scans after an upgrade.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { checkBallotRecords } from '../domain/ballot-records.js';
import type { BallotContext } from '../activities/ballot-context.js';
import { isFinal, isTerminal, needsAttention, nextStatus, type BallotStatus } from '../domain/ballot-status.js';
import {
  CHANNELS,
  cureDeadlineInstant,
  cureReminderSchedule,
  messageKeyFor,
  nextNotice,
  type Channel,
  type DueReminder,
  type Notice,
} from '../domain/notices.js';
import { nextAllowedInstant, windowEndAfter } from '../domain/quiet-hours.js';
import { ID_PATTERN } from '../domain/ids.js';
import type { Issuance, ScanEvent } from '../domain/scan-event.js';
import { checkIssuance, checkScanEvent } from './ballot-v1-checks.js';
import { BallotStatus as BallotStatusKey, County, ElectionId, NeedsAttention } from './search-attributes.js';
import { PERMANENT_SEND_FAILURES, recordsSignal } from './ballot-contract.js';
import { smsTaskQueueFor } from './task-queues.js';

// ---- contract -------------------------------------------------------------------------------------

export interface BallotWorkflowInput {
  electionId: string;
  ballotId: string;
}

export type RecordEventOutcome = 'accepted' | 'duplicate' | 'stale';

export interface EventLogEntry extends ScanEvent {
  receivedAt: string;
  /** `applied` moved the status; `stale` was recorded only; `pending` waits for the issuance record. */
  outcome: 'applied' | 'stale' | 'pending';
}

export type NoticeState = 'scheduled' | 'sent' | 'failed' | 'skipped';

export interface NoticeRecord {
  key: string;
  status: BallotStatus;
  sequence: number;
  /** Type only: v1 never gets a broadcast (it has no handler for one). */
  reminder?: 'return' | 'cure' | 'broadcast';
  channel: Channel;
  state: NoticeState;
  /** When it is due (`scheduled`) or when it reached its state. */
  at: string;
  reason?: string;
  messageKey?: string;
}

export interface BallotView {
  electionId: string;
  ballotId: string;
  voterId?: string;
  county?: string;
  status: BallotStatus;
  awaitingIssuance: boolean;
  events: EventLogEntry[];
  notices: NoticeRecord[];
}

/** The ballot's issuance record (voter ID, county, optional barcode); the first one wins. */
export const issueSignal = defineSignal<[Issuance]>('issue');
/** A scan event, for bulk forwarding; the same rules as `recordEvent`, without an answer. */
export const scanEventSignal = defineSignal<[ScanEvent]>('scanEvent');
/** A scan event with an answer; malformed events are rejected before they enter history. */
export const recordEventUpdate = defineUpdate<RecordEventOutcome, [ScanEvent]>('recordEvent');
/** The voter's channels, language, window or time zone changed (or they unsubscribed). */
export const preferencesChangedSignal = defineSignal('preferencesChanged');
/** A channel was verified after the ballot's story began: tell it the current status once. */
export const subscriberAddedSignal = defineSignal('subscriberAdded');
/** Sent by the election's workflow N days before Election Day to ballots still only outbound. */
export const returnReminderDueSignal = defineSignal('returnReminderDue');
/** Sent by the election's workflow at its closing date. */
export const electionClosedSignal = defineSignal('electionClosed');
export const statusQuery = defineQuery<BallotView>('status');

// ---- activity options -----------------------------------------------------------------------------

const { loadBallotContext } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const HOUR = 3_600_000;
/** A notice that cannot go out inside one window keeps retrying at most this long per attempt. */
const MAX_SEND_SPAN = 12 * HOUR;

/** Sends retry with backoff until the voter's window closes; then the workflow waits for the next. */
function senderUntil(deadline: number, channel: Channel) {
  return proxyActivities<Activities>({
    ...(channel === 'sms' ? { taskQueue: smsTaskQueueFor(workflowInfo().taskQueue) } : {}),
    // Above PROVIDER_TIMEOUT (at most 25 s) plus the ledger writes, and short enough that a send
    // lost with a killed worker is retried soon.
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: Math.max(60_000, Math.min(deadline - Date.now(), MAX_SEND_SPAN)),
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
  }).sendNotice;
}

// ---- workflow -------------------------------------------------------------------------------------

/**
 * One ballot's whole story. Holds IDs only; learns the voter's delivery plan from an activity; tells
 * each channel the ballot's current status inside the voter's window; completes when a terminal
 * status has been told (or the election closes).
 */
export async function ballotWorkflow(input: BallotWorkflowInput): Promise<BallotView> {
  if (!ID_PATTERN.test(input.electionId) || !ID_PATTERN.test(input.ballotId)) {
    throw ApplicationFailure.nonRetryable('electionId and ballotId must match [A-Za-z0-9._-]{1,64}', 'InvalidBallotId');
  }

  let issuance: Issuance | undefined;
  let status: BallotStatus = 'issued';
  let context: BallotContext | undefined;
  /** Plan reloads asked for (issuance, preference signals) and completed; equal when the plan is fresh. */
  let reloadsRequested = 0;
  let reloadsDone = 0;
  const contextStale = () => reloadsRequested > reloadsDone;
  let planVersion = 0;
  let closed = false;
  let stopping = false;
  const seen = new Set<string>();
  const events: EventLogEntry[] = [];
  const pending: ScanEvent[] = [];
  const reminders: DueReminder[] = [];
  const told = Object.fromEntries(CHANNELS.map((channel) => [channel, new Set<string>()])) as Record<
    Channel,
    Set<string>
  >;
  const disabled: Partial<Record<Channel, string>> = {};
  const inFlight: Partial<Record<Channel, Notice>> = {};
  const notices = new Map<string, NoticeRecord>();

  const now = () => Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  function latestEventOf(type: string): EventLogEntry | undefined {
    return [...events].reverse().find((event) => event.type === type && event.outcome === 'applied');
  }

  function cureDeadline(): number | undefined {
    const electionTz = context?.election?.timezone ?? 'UTC';
    return cureDeadlineInstant(
      latestEventOf('challenged')?.cureDeadline ?? context?.election?.cureDeadline,
      electionTz,
    );
  }

  function apply(event: ScanEvent, entry: EventLogEntry): void {
    const next = nextStatus(status, event.type);
    entry.outcome = next ? 'applied' : 'stale';
    if (next) status = next;
  }

  /** Records a new event; answers as the `recordEvent` update does. */
  function receive(event: ScanEvent): RecordEventOutcome {
    if (seen.has(event.eventId)) return 'duplicate';
    seen.add(event.eventId);
    const entry: EventLogEntry = { ...event, receivedAt: iso(now()), outcome: 'pending' };
    events.push(entry);
    if (!issuance || closed) {
      if (!closed) pending.push(event);
      else entry.outcome = 'stale';
      return closed ? 'stale' : 'accepted';
    }
    apply(event, entry);
    return entry.outcome === 'applied' ? 'accepted' : 'stale';
  }

  function applyPending(): void {
    for (const event of pending.splice(0)) {
      const entry = events.find((candidate) => candidate.eventId === event.eventId)!;
      apply(event, entry);
    }
  }

  function close(): void {
    if (closed) return;
    closed = true;
    if (!isTerminal(status)) status = 'closed';
  }

  function closesAt(): number | undefined {
    const value = context?.election?.closesAt;
    return value ? Date.parse(value) : undefined;
  }

  function record(channel: Channel, notice: Notice, state: NoticeState, at: number, extra: Partial<NoticeRecord> = {}) {
    const id = `${channel}|${notice.key}`;
    const { key, status: noticeStatus, sequence, reminder } = notice;
    notices.set(id, {
      key,
      status: noticeStatus,
      sequence,
      ...(reminder ? { reminder } : {}),
      channel,
      state,
      at: iso(at),
      ...extra,
    });
  }

  /** Scheduled notices of a channel that a newer one replaced are marked skipped, with the reason. */
  function skipScheduled(channel: Channel, reason: string, except?: string): void {
    for (const entry of notices.values()) {
      if (entry.channel === channel && entry.state === 'scheduled' && entry.key !== except) {
        entry.state = 'skipped';
        entry.reason = reason;
        entry.at = iso(now());
      }
    }
  }

  function dueFor(channel: Channel): Notice | undefined {
    // While a changed plan is being loaded, nothing goes out on the old one.
    if (
      !context ||
      contextStale() ||
      !issuance ||
      closed ||
      disabled[channel] ||
      !context.plan.channels.includes(channel)
    ) {
      return undefined;
    }
    return nextNotice({ status, told: told[channel], reminders, now: now(), cureDeadline: cureDeadline() });
  }

  function view(): BallotView {
    return {
      electionId: input.electionId,
      ballotId: input.ballotId,
      ...(issuance ? { voterId: issuance.voterId, county: issuance.county } : {}),
      status,
      awaitingIssuance: !issuance,
      events: events.map((event) => ({ ...event })),
      notices: [...notices.values()].map((notice) => ({ ...notice })),
    };
  }

  // ---- handlers -----------------------------------------------------------------------------------

  setHandler(issueSignal, (record) => {
    const parsed = checkIssuance(record);
    if (!parsed.ok) {
      log.warn('ignored a malformed issuance record', { problems: parsed.problem });
      return;
    }
    if (issuance) return;
    issuance = parsed.value;
    reloadsRequested += 1;
  });

  setHandler(scanEventSignal, (event) => {
    const parsed = checkScanEvent(event);
    if (!parsed.ok) {
      log.warn('ignored a malformed scan event', { problems: parsed.problem });
      return;
    }
    receive(parsed.value);
  });

  const validEvent = (event: unknown): ScanEvent => {
    const parsed = checkScanEvent(event);
    if (!parsed.ok) throw new Error(`invalid event: ${parsed.problem}`);
    return parsed.value;
  };
  setHandler(recordEventUpdate, (event) => receive(validEvent(event)), { validator: validEvent });

  const reloadPlan = () => {
    reloadsRequested += 1;
  };
  setHandler(preferencesChangedSignal, reloadPlan);
  setHandler(subscriberAddedSignal, reloadPlan);

  setHandler(returnReminderDueSignal, () => {
    const reminder: DueReminder = { kind: 'return', sequence: 1, dueAt: now() };
    if (status === 'outbound' && !reminders.some((existing) => existing.kind === 'return')) reminders.push(reminder);
  });

  setHandler(recordsSignal, (records) => {
    const parsed = checkBallotRecords(records);
    if (!parsed.ok) {
      log.warn('ignored malformed ballot records', { problems: parsed.problem });
      return;
    }
    const { issuance: issued, events: scans = [], plan } = parsed.value;
    if (issued && !issuance) {
      issuance = issued;
      reloadsRequested += 1;
    }
    for (const event of scans) receive(event);
    if (plan !== undefined) reloadPlan();
  });

  setHandler(electionClosedSignal, close);
  setHandler(statusQuery, view);

  // ---- channel senders ----------------------------------------------------------------------------

  async function channelLoop(channel: Channel): Promise<void> {
    for (;;) {
      await condition(() => stopping || dueFor(channel) !== undefined);
      if (stopping) return;
      const plan = context!.plan;
      const version = planVersion;
      const at = nextAllowedInstant(now(), plan.window, plan.timeZone);
      if (at > now()) {
        const notice = dueFor(channel)!;
        skipScheduled(channel, 'replaced by a newer notice', notice.key);
        record(channel, notice, 'scheduled', at);
        await condition(() => stopping || planVersion !== version, at - now());
        continue;
      }

      const notice = dueFor(channel);
      if (!notice) continue;
      skipScheduled(channel, 'replaced by a newer notice', notice.key);
      const election = context!.election;
      const expectedDeliveryDate = latestEventOf('outbound')?.expectedDeliveryDate;
      const messageKey = messageKeyFor(notice, {
        sendAt: now(),
        electionDay: election?.electionDay ?? '9999-12-31',
        electionTimeZone: election?.timezone ?? plan.timeZone,
        ...(expectedDeliveryDate ? { expectedDeliveryDate } : {}),
      });
      inFlight[channel] = notice;
      try {
        const windowEnd = windowEndAfter(now(), plan.window, plan.timeZone);
        const send = senderUntil(windowEnd, channel);
        // Reason codes only travel with the notice they explain.
        const reason =
          notice.status === 'rejected' || notice.status === 'challenged'
            ? latestEventOf(notice.status)?.reason
            : undefined;
        const deadline = cureDeadline();
        const details = {
          ...(reason ? { reason } : {}),
          ...(deadline !== undefined ? { cureDeadline: iso(deadline) } : {}),
          ...(expectedDeliveryDate ? { expectedDeliveryDate } : {}),
          ...(election?.electionDay ? { electionDay: election.electionDay } : {}),
        };
        const result = await send({
          electionId: input.electionId,
          ballotId: input.ballotId,
          voterId: issuance!.voterId,
          channel,
          noticeKey: notice.key,
          sequence: notice.sequence,
          messageKey,
          language: plan.language,
          details,
          ...(Number.isFinite(windowEnd) ? { windowClosesAt: iso(windowEnd) } : {}),
        });
        told[channel].add(notice.key);
        record(channel, notice, result.outcome === 'sent' ? 'sent' : 'skipped', now(), {
          messageKey,
          ...(result.reason ? { reason: result.reason } : {}),
        });
      } catch (error) {
        const cause = error instanceof ActivityFailure ? error.cause : error;
        if (
          cause instanceof ApplicationFailure &&
          (PERMANENT_SEND_FAILURES as readonly string[]).includes(cause.type ?? '')
        ) {
          disabled[channel] = cause.type!;
          record(channel, notice, 'failed', now(), { messageKey, reason: cause.type! });
        } else if (cause instanceof TimeoutFailure) {
          // Retried until the window closed: the loop waits for the next window.
          record(channel, notice, 'scheduled', now(), { reason: 'retrying in the next window' });
        } else {
          // Non-retryable but not about the recipient (e.g. provider configuration): try again later.
          const reason = cause instanceof ApplicationFailure ? (cause.type ?? cause.message) : String(cause);
          record(channel, notice, 'failed', now(), { messageKey, reason });
          await condition(() => stopping || planVersion !== version, HOUR);
        }
      } finally {
        delete inFlight[channel];
      }
    }
  }

  async function cureReminderLoop(): Promise<void> {
    for (;;) {
      await condition(() => stopping || (status === 'challenged' && context !== undefined));
      if (stopping) return;
      const deadline = cureDeadline();
      const next = deadline
        ? cureReminderSchedule(deadline, context!.election?.cureReminderDaysBefore ?? [3, 1]).find(
            (reminder) =>
              reminder.dueAt > now() && !reminders.some((r) => r.kind === 'cure' && r.sequence === reminder.sequence),
          )
        : undefined;
      if (!next) {
        await condition(() => stopping || status !== 'challenged');
        continue;
      }
      const moved = await condition(() => stopping || status !== 'challenged', next.dueAt - now());
      if (!moved) reminders.push(next);
    }
  }

  // ---- main loop ----------------------------------------------------------------------------------

  const upserted: { status?: BallotStatus; county?: string } = {};
  function searchAttributeUpdates(): SearchAttributeUpdatePair[] {
    const current = workflowInfo().typedSearchAttributes;
    const wanted: SearchAttributeUpdatePair[] = [
      { key: ElectionId, value: input.electionId },
      ...(issuance ? [{ key: County, value: issuance.county }] : []),
      { key: BallotStatusKey, value: status },
      { key: NeedsAttention, value: needsAttention(status) },
    ];
    return wanted.filter((pair) => current.get(pair.key as never) !== pair.value);
  }

  function allTold(): boolean {
    return CHANNELS.every((channel) => dueFor(channel) === undefined && !inFlight[channel]);
  }

  /** A notice owed to a channel the voter opted out of is recorded as skipped, and never sent later. */
  function recordOptedOut(): void {
    for (const channel of context?.plan.optedOut ?? []) {
      if (!issuance || closed || contextStale()) return;
      const notice = nextNotice({ status, told: told[channel], reminders, now: now(), cureDeadline: cureDeadline() });
      if (!notice) continue;
      told[channel].add(notice.key);
      record(channel, notice, 'skipped', now(), { reason: 'opted out' });
    }
  }

  /**
   * While a channel waits for its window, its scheduled entry shows the notice that will go out:
   * when a newer status replaces it, the entry follows at once (same time, no new timer).
   */
  function refreshScheduled(): void {
    for (const channel of CHANNELS) {
      const waiting = [...notices.values()].find((entry) => entry.channel === channel && entry.state === 'scheduled');
      const due = dueFor(channel);
      if (!waiting || !due || waiting.key === due.key) continue;
      const at = Date.parse(waiting.at);
      skipScheduled(channel, 'replaced by a newer notice', due.key);
      record(channel, due, 'scheduled', at);
    }
  }

  function updateDetails(): void {
    const counts = { sent: 0, scheduled: 0, failed: 0, skipped: 0 };
    for (const notice of notices.values()) counts[notice.state] += 1;
    setCurrentDetails(
      `**${status}**${issuance ? '' : ' (awaiting issuance record)'} · ${events.length} events · notices: ` +
        `${counts.sent} sent, ${counts.scheduled} scheduled, ${counts.failed} failed, ${counts.skipped} skipped`,
    );
  }

  const loops = [...CHANNELS.map(channelLoop), cureReminderLoop()];
  let details = '';
  for (;;) {
    await condition(
      () =>
        closed ||
        (issuance !== undefined && contextStale()) ||
        upserted.status !== status ||
        (isFinal(status) && context !== undefined && allTold()) ||
        details !== `${status}|${events.length}|${notices.size}`,
    );
    details = `${status}|${events.length}|${notices.size}`;
    if (issuance && contextStale()) {
      const target = reloadsRequested;
      context = await loadBallotContext({ electionId: input.electionId, voterId: issuance.voterId });
      reloadsDone = target;
      planVersion += 1;
      for (const channel of CHANNELS) {
        if (!context.plan.channels.includes(channel))
          skipScheduled(channel, 'channel no longer chosen or unsubscribed');
      }
      applyPending();
    }
    const closing = closesAt();
    if (closing !== undefined && now() >= closing) close();
    if (upserted.status !== status || upserted.county !== issuance?.county) {
      const updates = searchAttributeUpdates();
      if (updates.length > 0) upsertSearchAttributes(updates);
      upserted.status = status;
      upserted.county = issuance?.county;
    }
    refreshScheduled();
    recordOptedOut();
    updateDetails();
    if (closed || (isFinal(status) && context !== undefined && allTold())) break;
  }

  stopping = true;
  for (const channel of CHANNELS) skipScheduled(channel, closed ? 'election closed' : 'ballot finished');
  await Promise.all(loops);
  updateDetails();
  return view();
}
