/**
 * Ballot statuses and the one transition rule. The status only moves forward through a fixed rank,
 * so the status reached from a set of events does not depend on the order they arrive in; a terminal
 * status absorbs everything after it. Pure: imported by workflows and the API alike.
 */

export const EVENT_TYPES = [
  'outbound',
  'undeliverable',
  'inbound',
  'collected',
  'received',
  'challenged',
  'cured',
  'accepted',
  'rejected',
  'voted_in_person',
  'superseded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const BALLOT_STATUSES = ['issued', ...EVENT_TYPES, 'closed'] as const;
export type BallotStatus = (typeof BALLOT_STATUSES)[number];

export const TERMINAL_STATUSES = ['accepted', 'rejected', 'voted_in_person', 'superseded'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/**
 * Forward order. `undeliverable` sits below `inbound` so a returned ballot can still be followed by
 * the voter's own return (they got it anyway); `collected` (county staff emptied the drop box the
 * voter used: drop-box returns skip `inbound`) sits between `inbound` and `received`, so a ballot
 * the county collected gets no return reminder; `challenged` < `cured` < `accepted`/`rejected`; the
 * terminal statuses share the top rank and are absorbing.
 */
export const STATUS_RANK: Readonly<Record<BallotStatus, number>> = {
  issued: 0,
  outbound: 1,
  undeliverable: 2,
  inbound: 3,
  collected: 4,
  received: 5,
  challenged: 6,
  cured: 7,
  accepted: 8,
  rejected: 8,
  voted_in_person: 8,
  superseded: 8,
  closed: 9,
};

/** Statuses nothing changes any more: terminal ones, and `closed` (the election closed first). */
export const FINAL_STATUSES = [...TERMINAL_STATUSES, 'closed'] as const;

export function isTerminal(status: BallotStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** True once nothing can change the status any more (terminal, or the election closed). */
export function isFinal(status: BallotStatus): boolean {
  return isTerminal(status) || status === 'closed';
}

/**
 * The status after an event, or `undefined` when the event is stale: it ranks at or below the
 * current status, or the ballot is already final. Stale events are logged but change nothing.
 */
export function nextStatus(current: BallotStatus, event: EventType): BallotStatus | undefined {
  if (isFinal(current)) return undefined;
  return STATUS_RANK[event] > STATUS_RANK[current] ? event : undefined;
}

/** Statuses an operator should look at: shown as the `NeedsAttention` search attribute. */
export function needsAttention(status: BallotStatus): boolean {
  return status === 'challenged' || status === 'undeliverable';
}

/** Statuses a voter is told about (everything a vendor can report; not `issued` or `closed`). */
export function isNotifiable(status: BallotStatus): status is EventType {
  return (EVENT_TYPES as readonly string[]).includes(status);
}

/**
 * Events one ballot keeps applying. Forwarded events only ever raise the rank, so a real ballot sees
 * a handful; beyond this many stored events the ballot is flagged (`event_cap`) and later ones are
 * kept as `capped` without effect, in PostgreSQL and in the workflow alike.
 */
export const MAX_EVENTS_PER_BALLOT = 200;

/** What an accepted event did: see `foldEvents`. */
export type EventOutcome = 'applied' | 'stale' | 'pending' | 'capped';

export interface BallotProgress {
  /** `undefined`: no issuance record yet (events wait for it). */
  status: BallotStatus | undefined;
  /** Events stored for the ballot so far (all outcomes). */
  eventCount: number;
}

/**
 * Folds new events, in arrival order, into a ballot's status: the accepting transaction's rule, the
 * same `nextStatus` the workflow applies. Before the issuance record every event is `pending`; at or
 * beyond `MAX_EVENTS_PER_BALLOT` stored events, `capped`.
 */
export function foldEvents(
  start: BallotProgress,
  types: readonly EventType[],
): { outcomes: EventOutcome[]; end: BallotProgress } {
  let { status, eventCount } = start;
  const outcomes = types.map((type): EventOutcome => {
    eventCount += 1;
    if (eventCount > MAX_EVENTS_PER_BALLOT) return 'capped';
    if (status === undefined) return 'pending';
    const next = nextStatus(status, type);
    if (!next) return 'stale';
    status = next;
    return 'applied';
  });
  return { outcomes, end: { status, eventCount } };
}
