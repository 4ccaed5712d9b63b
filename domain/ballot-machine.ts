/**
 * One ballot's decisions, without Temporal: records and signals go in, decisions come out (the
 * status, the notices to send now, the instant to wake up at, the search attributes, whether the
 * story is over). The ballot workflow is the shell that feeds it and turns its decisions into
 * activities, timers and upserts; tests drive it with tables.
 *
 * Rules, each decided here and nowhere else:
 * - The status only moves forward (`nextStatus`); events are deduplicated by ID; events that arrive
 *   before the issuance record wait for it.
 * - Each channel of the voter's plan is told the *current* status once, at the first instant inside
 *   the voter's window (`nextAllowedInstant`); statuses that pile up while it waits coalesce, and an
 *   action-needed notice goes out only while it is still current. Reminders go out only when no
 *   status notice is owed, and only while they still make sense.
 * - A ballot nobody subscribed to (no plan) sends nothing, sets no timer and needs no activity.
 * - A send is retried for at most an hour, and never past the voter's window: after an hour the
 *   channel is flagged as a delivery problem and retried on; when the window closes it waits for the
 *   next one. A recipient that will never work disables the channel; a configuration failure pauses
 *   it until an operator resumes delivery.
 * - The story ends when a final status has been told on every channel (or the election closed).
 */
import {
  MAX_EVENTS_PER_BALLOT,
  isFinal,
  isTerminal,
  needsAttention,
  nextStatus,
  type BallotStatus,
} from './ballot-status.js';
import type {
  BallotEventRecord,
  BallotIssuance,
  BallotRecords,
  BroadcastDue,
  ElectionFacts,
  ReturnReminderDue,
} from './ballot-records.js';
import { broadcastSequence } from './broadcasts.js';
import {
  CHANNELS,
  cureDeadlineInstant,
  cureReminderSchedule,
  nextNotice,
  type Channel,
  type DeliveryPlan,
  type DueReminder,
  type Notice,
} from './notices.js';
import { nextAllowedInstant, windowEndAfter } from './quiet-hours.js';
import { zonedParts, zonedTimeToInstant } from './zoned-time.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A send retried this long flags the ballot as having a delivery problem (the sender tells: `StillFailing`). */
export const RETRY_SPAN_MS = HOUR;
/** One send activity retries at most this long (an always-open window never closes). */
export const MAX_SEND_SPAN_MS = 12 * HOUR;
/** Less of the window left than this: the notice waits for the next window instead. */
export const MIN_WINDOW_LEFT_MS = MINUTE;

export type NoticeState = 'scheduled' | 'sending' | 'retrying' | 'sent' | 'failed' | 'skipped';

/** What happened to one notice on one channel, for the status query and the Web UI. */
export interface NoticeEntry {
  key: string;
  status: BallotStatus;
  sequence: number;
  reminder?: 'return' | 'cure' | 'broadcast';
  channel: Channel;
  state: NoticeState;
  /** Epoch ms: when it is due (`scheduled`) or when it reached its state. */
  at: number;
  reason?: string;
}

/** Why a send did not succeed, as the shell classifies the activity's failure. */
export type SendFailure =
  /** The recipient will never work on this channel (invalid, opted out, landline): the channel stops. */
  | { kind: 'recipient'; type: string }
  /** The provider refused this one message (its content): it is failed, later notices still go out. */
  | { kind: 'rejected'; type: string }
  /** Configuration (county details, provider account): the channel waits for an operator's resume. */
  | { kind: 'paused'; type: string }
  /** The sender has been retrying for over an hour (after `lastError`): flag the ballot, keep trying slowly. */
  | { kind: 'stillFailing'; lastError?: string }
  /** The retries ran out of time: the voter's window closed. */
  | { kind: 'timeout' };

/** A notice the shell should send now. */
export interface SendOrder {
  channel: Channel;
  notice: Notice;
  language: string;
  /** Keys of notices this one replaced while they waited (recorded as skipped by the sender). */
  replaces: string[];
  /** Epoch ms when the voter's window closes (absent: always open): an SMS must not land after it. */
  windowClosesAt?: number;
  /** Epoch ms: stop retrying at this instant (the window's end, at most `MAX_SEND_SPAN_MS` from now). */
  retryUntil: number;
  /** The channel has been failing for over an hour: retry at the slowest pace from the start. */
  persistent?: true;
}

export interface BallotSearchAttributes {
  status: BallotStatus;
  county?: string;
  needsAttention: boolean;
  /** `retrying` (over an hour), `paused` (waiting for an operator), or undefined. */
  deliveryProblem?: 'retrying' | 'paused';
}

export interface Decision {
  sends: SendOrder[];
  /** Epoch ms of the earliest instant something falls due (a window opens, a cure reminder). */
  wakeAt?: number;
  searchAttributes: BallotSearchAttributes;
  /** The story is over: the workflow may complete. */
  done: boolean;
  /** What the ballot is waiting for, in words (the Web UI's current details). */
  waitingFor: string;
}

interface ChannelState {
  /** Notice keys told (sent or skipped for good). */
  told: string[];
  disabled?: string;
  paused?: string;
  problem?: 'retrying';
  /** The error class of the attempts that made it a problem, when the sender said. */
  problemError?: string;
  inFlight?: SendOrder;
  /** Key of the notice waiting for the window, if any. */
  scheduled?: string;
  /** Notices that waited and were replaced, for the next send to record as skipped. */
  replaced?: string[];
}

/** Everything the machine knows: plain data, so a workflow can continue-as-new with it. */
export interface BallotSnapshot {
  electionId: string;
  ballotId: string;
  issuance?: BallotIssuance;
  status: BallotStatus;
  /** IDs of the events received (applied, stale or waiting). */
  seen: string[];
  /** Events received before the issuance record. */
  pending: BallotEventRecord[];
  /** The latest applied challenge's own deadline, if it named one. */
  challengeDeadline?: string;
  /** When the ballot became challenged (workflow time): cure reminders due before it are not sent. */
  challengedAt?: number;
  /** `null`: nobody subscribed; undefined: not told yet (treated as nobody). */
  plan?: DeliveryPlan | null;
  election?: ElectionFacts;
  reminders: DueReminder[];
  channels: Partial<Record<Channel, ChannelState>>;
  closed: boolean;
  notices: NoticeEntry[];
}

export class BallotMachine {
  private state: BallotSnapshot;
  /** Bumped by every input: the shell wakes when it changes. */
  version = 0;

  private constructor(state: BallotSnapshot) {
    this.state = state;
  }

  static fresh(electionId: string, ballotId: string): BallotMachine {
    return new BallotMachine({
      electionId,
      ballotId,
      status: 'issued',
      seen: [],
      pending: [],
      reminders: [],
      channels: {},
      closed: false,
      notices: [],
    });
  }

  static restore(snapshot: BallotSnapshot): BallotMachine {
    return new BallotMachine(structuredCloneOf(snapshot));
  }

  snapshot(): BallotSnapshot {
    return structuredCloneOf(this.state);
  }

  get status(): BallotStatus {
    return this.state.status;
  }

  get notices(): readonly NoticeEntry[] {
    return this.state.notices;
  }

  /** True while a send is running: the workflow must not complete or continue-as-new. */
  get sending(): boolean {
    return CHANNELS.some((channel) => this.state.channels[channel]?.inFlight);
  }

  // ---- inputs -------------------------------------------------------------------------------------

  /** A delivery from the outbox (or the record the workflow started with). */
  receive(records: BallotRecords, now: number): void {
    const s = this.state;
    if (records.election) s.election = records.election;
    if (records.plan !== undefined) this.changePlan(records.plan, now);
    if (records.resumed) {
      for (const channel of CHANNELS) {
        const state = s.channels[channel];
        if (state) delete state.paused;
      }
    }
    for (const event of records.events ?? []) {
      if (s.seen.includes(event.eventId) || s.seen.length >= MAX_EVENTS_PER_BALLOT) continue;
      s.seen.push(event.eventId);
      if (s.issuance) this.apply(event, now);
      else s.pending.push(event);
    }
    if (records.issuance && !s.issuance) {
      s.issuance = records.issuance;
      for (const event of s.pending.splice(0)) this.apply(event, now);
    }
    this.version += 1;
  }

  /**
   * The election's sweep says the return reminder is due. Refused once the ballot moved on or
   * Election Day began (the sweep's `expiresAt`, else the start of Election Day in the election's zone).
   */
  returnReminderDue(due: Partial<ReturnReminderDue>, now: number): void {
    const s = this.state;
    const expiresAt = due.expiresAt ?? electionDayStart(s.election);
    if (s.status === 'outbound' && now < expiresAt && !s.reminders.some((r) => r.kind === 'return')) {
      s.reminders.push({ kind: 'return', sequence: 1, dueAt: now, expiresAt });
    }
    this.version += 1;
  }

  /**
   * A broadcast selected this ballot: its notice is owed on every channel of the plan (in the voter's
   * window), once per broadcast, and only while the ballot is still in one of its statuses (checked
   * now and again when the window opens) and before it expires. A repeat changes nothing.
   */
  broadcastDue(due: BroadcastDue, now: number): void {
    const s = this.state;
    const sequence = broadcastSequence(due.broadcastId);
    const expired = due.expiresAt !== undefined && now >= due.expiresAt;
    if (
      !s.closed &&
      !expired &&
      s.issuance !== undefined &&
      due.statuses.includes(s.status) &&
      !s.reminders.some((r) => r.kind === 'broadcast' && r.sequence === sequence)
    ) {
      s.reminders.push({
        kind: 'broadcast',
        sequence,
        dueAt: now,
        status: s.status,
        ...(due.expiresAt !== undefined ? { expiresAt: due.expiresAt } : {}),
      });
    }
    this.version += 1;
  }

  /** The election closed: a ballot not yet final becomes `closed`; nothing more is sent. */
  close(now: number): void {
    const s = this.state;
    if (!s.closed) {
      s.closed = true;
      if (!isTerminal(s.status)) s.status = 'closed';
      for (const channel of CHANNELS) this.dropScheduled(channel, 'election closed', now);
    }
    this.version += 1;
  }

  /** The shell started the send it was ordered to. */
  started(order: SendOrder, now: number): void {
    const channel = this.channel(order.channel);
    channel.inFlight = order;
    channel.scheduled = undefined;
    delete channel.replaced;
    this.note(order.channel, order.notice, 'sending', now);
    this.version += 1;
  }

  /** The sender finished: `sent`, or `skipped` with the sender's reason (no contact left, for one). */
  finished(order: SendOrder, result: { outcome: 'sent' | 'skipped'; reason?: string }, now: number): void {
    const channel = this.channel(order.channel);
    channel.inFlight = undefined;
    channel.problem = undefined;
    delete channel.problemError;
    channel.told.push(order.notice.key);
    this.note(order.channel, order.notice, result.outcome, now, result.reason);
    this.version += 1;
  }

  failed(order: SendOrder, failure: SendFailure, now: number): void {
    const channel = this.channel(order.channel);
    channel.inFlight = undefined;
    switch (failure.kind) {
      case 'recipient':
        channel.disabled = failure.type;
        channel.problem = undefined;
        delete channel.problemError;
        this.note(order.channel, order.notice, 'failed', now, failure.type);
        break;
      case 'rejected':
        channel.told.push(order.notice.key);
        this.note(order.channel, order.notice, 'failed', now, failure.type);
        break;
      case 'paused':
        channel.paused = failure.type;
        this.note(order.channel, order.notice, 'retrying', now, `paused: ${failure.type}`);
        break;
      case 'stillFailing':
        channel.problem = 'retrying';
        if (failure.lastError) channel.problemError = failure.lastError;
        this.note(
          order.channel,
          order.notice,
          'retrying',
          now,
          `retrying for over an hour${failure.lastError ? ` after ${failure.lastError}` : ''}`,
        );
        break;
      case 'timeout':
        this.note(order.channel, order.notice, 'retrying', now, 'window closed; retrying in the next window');
        break;
    }
    this.version += 1;
  }

  // ---- decisions ----------------------------------------------------------------------------------

  decide(now: number): Decision {
    const s = this.state;
    if (!s.closed && s.election?.closesAt && now >= Date.parse(s.election.closesAt)) this.close(now);
    this.promoteCureReminders(now);
    const sends: SendOrder[] = [];
    let wakeAt: number | undefined;
    const wake = (at: number | undefined) => {
      if (at !== undefined && at > now) wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
    };
    const waits: string[] = [];

    this.tellOptedOut(now);
    this.noteLeftChannels(now);
    for (const channel of CHANNELS) {
      const state = s.channels[channel];
      if (state?.inFlight) {
        const trouble = state.problem
          ? ` (retrying for over an hour${state.problemError ? ` after ${state.problemError}` : ''})`
          : '';
        waits.push(`${channel}: sending ${state.inFlight.notice.key}${trouble}`);
        continue;
      }
      const notice = this.owed(channel, now);
      if (!notice) {
        this.dropScheduled(channel, 'no longer current', now);
        continue;
      }
      if (state?.paused) {
        waits.push(`${channel}: paused (${state.paused}) until an operator resumes delivery`);
        continue;
      }
      const plan = s.plan!;
      let at = nextAllowedInstant(now, plan.window, plan.timeZone);
      let windowEnd = windowEndAfter(at, plan.window, plan.timeZone);
      if (at <= now && windowEnd - now < MIN_WINDOW_LEFT_MS) {
        at = nextAllowedInstant(windowEnd, plan.window, plan.timeZone);
        windowEnd = windowEndAfter(at, plan.window, plan.timeZone);
      }
      this.replaceScheduled(channel, notice, now);
      if (at > now) {
        this.channel(channel).scheduled = notice.key;
        this.note(channel, notice, 'scheduled', at);
        wake(at);
        waits.push(`${channel}: ${notice.key} when the voter's window opens at ${clock(at, plan.timeZone)}`);
        continue;
      }
      sends.push({
        channel,
        notice,
        language: plan.language,
        replaces: [...(s.channels[channel]?.replaced ?? [])],
        ...(Number.isFinite(windowEnd) ? { windowClosesAt: windowEnd } : {}),
        retryUntil: Math.min(windowEnd, now + MAX_SEND_SPAN_MS),
        ...(state?.problem ? { persistent: true as const } : {}),
      });
    }
    wake(this.nextCureReminder(now));

    const sending = sends.length > 0 || this.sending;
    const owedLater = CHANNELS.some((channel) => s.channels[channel]?.scheduled !== undefined);
    const done =
      s.issuance !== undefined &&
      (s.closed || isFinal(s.status)) &&
      !sending &&
      (s.closed || !owedLater) &&
      !this.pausedOwing(now);
    if (done) wakeAt = undefined;
    return {
      sends,
      ...(wakeAt !== undefined ? { wakeAt } : {}),
      searchAttributes: this.searchAttributes(),
      done,
      waitingFor: this.describe(done, waits),
    };
  }

  /** Everything for the status query: the status, the plan's channels and every notice's state. */
  view() {
    const s = this.state;
    return {
      electionId: s.electionId,
      ballotId: s.ballotId,
      ...(s.issuance ? { voterId: s.issuance.voterId, county: s.issuance.county } : {}),
      status: s.status,
      awaitingIssuance: !s.issuance,
      closed: s.closed,
      subscribed: Boolean(s.plan && s.plan.channels.length > 0),
      eventsReceived: s.seen.length,
      notices: s.notices.map((notice) => ({ ...notice, at: new Date(notice.at).toISOString() })),
    };
  }

  // ---- internals ----------------------------------------------------------------------------------

  private apply(event: BallotEventRecord, now: number): void {
    const s = this.state;
    const next = s.closed ? undefined : nextStatus(s.status, event.type);
    if (!next) return;
    s.status = next;
    if (next === 'challenged') {
      s.challengedAt = now;
      if (event.cureDeadline) s.challengeDeadline = event.cureDeadline;
      else delete s.challengeDeadline;
    }
  }

  private changePlan(plan: DeliveryPlan | null, now: number): void {
    const s = this.state;
    s.plan = plan;
    for (const channel of CHANNELS) {
      if (!plan || !plan.channels.includes(channel)) {
        this.dropScheduled(channel, 'channel no longer chosen or unsubscribed', now);
      }
    }
  }

  private channel(channel: Channel): ChannelState {
    return (this.state.channels[channel] ??= { told: [] });
  }

  /** The notice a channel owes now, if it may be sent to at all. */
  private owed(channel: Channel, now: number): Notice | undefined {
    const s = this.state;
    const state = s.channels[channel];
    if (!s.issuance || s.closed || !s.plan || !s.plan.channels.includes(channel) || state?.disabled) return undefined;
    return nextNotice({
      status: s.status,
      told: new Set(state?.told ?? []),
      reminders: s.reminders,
      now,
      cureDeadline: this.cureDeadline(),
    });
  }

  /** A paused channel that still owes a notice keeps the ballot open until an operator resumes it. */
  private pausedOwing(now: number): boolean {
    return CHANNELS.some((channel) => this.state.channels[channel]?.paused && this.owed(channel, now) !== undefined);
  }

  /** Notices owed to channels the voter stopped (STOP, unsubscribe) are recorded as skipped, once. */
  private tellOptedOut(now: number): void {
    const s = this.state;
    if (!s.issuance || s.closed || !s.plan?.optedOut) return;
    for (const channel of s.plan.optedOut) {
      if (s.plan.channels.includes(channel)) continue;
      const state = this.channel(channel);
      const notice = nextNotice({
        status: s.status,
        told: new Set(state.told),
        reminders: s.reminders,
        now,
        cureDeadline: this.cureDeadline(),
      });
      if (!notice) continue;
      state.told.push(notice.key);
      this.note(channel, notice, 'skipped', now, 'opted out');
    }
  }

  /**
   * A channel that left the plan (removed, unsubscribed) or was disabled is shown as skipping the
   * notice the current status owes it, once. Only shown, not told: a channel chosen again still
   * hears the current status. State only: no command, so recorded histories replay unchanged.
   */
  private noteLeftChannels(now: number): void {
    const s = this.state;
    if (!s.issuance || s.closed) return;
    for (const channel of CHANNELS) {
      const state = s.channels[channel];
      if (!state || state.inFlight) continue;
      const left = !s.plan?.channels.includes(channel) && !s.plan?.optedOut?.includes(channel);
      if (!left && !state.disabled) continue;
      const notice = nextNotice({
        status: s.status,
        told: new Set(state.told),
        reminders: [],
        now,
        cureDeadline: this.cureDeadline(),
      });
      if (!notice || this.entry(channel, notice.key)) continue;
      const reason = state.disabled
        ? `contact disabled (${state.disabled})`
        : s.plan
          ? 'channel no longer chosen'
          : 'unsubscribed';
      this.note(channel, notice, 'skipped', now, reason);
    }
  }

  private cureDeadline(): number | undefined {
    const s = this.state;
    return cureDeadlineInstant(s.challengeDeadline ?? s.election?.cureDeadline, s.election?.timeZone ?? 'UTC');
  }

  /** Cure reminders that fell due while the ballot was challenged join the reminders. */
  private promoteCureReminders(now: number): void {
    const s = this.state;
    if (s.status !== 'challenged' || !this.subscribed()) return;
    for (const reminder of this.cureSchedule()) {
      if (reminder.dueAt <= now && reminder.dueAt > (s.challengedAt ?? 0)) {
        if (!s.reminders.some((r) => r.kind === 'cure' && r.sequence === reminder.sequence)) s.reminders.push(reminder);
      }
    }
  }

  private nextCureReminder(now: number): number | undefined {
    const s = this.state;
    if (s.status !== 'challenged' || s.closed || !this.subscribed()) return undefined;
    return this.cureSchedule().find((reminder) => reminder.dueAt > now)?.dueAt;
  }

  private cureSchedule(): DueReminder[] {
    const deadline = this.cureDeadline();
    if (deadline === undefined) return [];
    return cureReminderSchedule(deadline, this.state.election?.cureReminderDaysBefore ?? [3, 1]);
  }

  private subscribed(): boolean {
    const plan = this.state.plan;
    return Boolean(plan && plan.channels.some((channel) => !this.state.channels[channel]?.disabled));
  }

  /** A newer notice replaces the one waiting for the window: that one is skipped, and the next send says so. */
  private replaceScheduled(channel: Channel, notice: Notice, now: number): void {
    const state = this.channel(channel);
    if (!state.scheduled || state.scheduled === notice.key) return;
    (state.replaced ??= []).push(state.scheduled);
    this.dropScheduled(channel, 'replaced by a newer notice', now);
  }

  private dropScheduled(channel: Channel, reason: string, now: number): void {
    const state = this.state.channels[channel];
    if (!state?.scheduled) return;
    const entry = this.entry(channel, state.scheduled);
    if (entry && entry.state === 'scheduled') {
      entry.state = 'skipped';
      entry.reason = reason;
      entry.at = now;
    }
    state.scheduled = undefined;
  }

  private entry(channel: Channel, key: string): NoticeEntry | undefined {
    return this.state.notices.find((notice) => notice.channel === channel && notice.key === key);
  }

  private note(channel: Channel, notice: Notice, state: NoticeState, at: number, reason?: string): void {
    const existing = this.entry(channel, notice.key);
    const entry: NoticeEntry = {
      key: notice.key,
      status: notice.status,
      sequence: notice.sequence,
      ...(notice.reminder ? { reminder: notice.reminder } : {}),
      channel,
      state,
      at,
      ...(reason ? { reason } : {}),
    };
    if (!existing) {
      this.state.notices.push(entry);
      return;
    }
    Object.assign(existing, entry);
    if (!reason) delete existing.reason;
  }

  private searchAttributes(): BallotSearchAttributes {
    const s = this.state;
    const channels = CHANNELS.map((channel) => s.channels[channel]).filter((state) => state !== undefined);
    const deliveryProblem = channels.some((state) => state.paused)
      ? 'paused'
      : channels.some((state) => state.problem)
        ? 'retrying'
        : undefined;
    return {
      status: s.status,
      ...(s.issuance ? { county: s.issuance.county } : {}),
      needsAttention: needsAttention(s.status),
      ...(deliveryProblem ? { deliveryProblem } : {}),
    };
  }

  private describe(done: boolean, waits: string[]): string {
    const s = this.state;
    const head = `**${s.status}**`;
    if (!s.issuance) return `${head} · waiting for the issuance record (${s.pending.length} scans kept)`;
    if (done) return `${head} · finished${s.closed ? ' (election closed)' : ''}`;
    const subscribed = s.plan && s.plan.channels.length > 0;
    const waiting = waits.length > 0 ? waits.join('; ') : 'waiting for the next scan';
    return `${head} · ${subscribed ? s.plan!.channels.join('+') : 'no subscriber'} · ${waiting}`;
  }
}

/** Return reminders expire when Election Day begins in the election's zone (never, if unknown). */
function electionDayStart(election: ElectionFacts | undefined): number {
  return election ? zonedTimeToInstant(election.electionDay, '00:00', election.timeZone) : Number.POSITIVE_INFINITY;
}

/** 'HH:MM zone' of an instant, for people reading the Web UI. */
function clock(at: number, timeZone: string): string {
  const { hour, minute } = zonedParts(at, timeZone);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} ${timeZone}`;
}

/** JSON round trip: snapshots are plain data (no Sets, Maps or Dates) by construction. */
function structuredCloneOf<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
