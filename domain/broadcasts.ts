/**
 * Broadcasts: one message to the subscribed voters of a selection of ballots (an election, some of
 * its counties, some statuses), for example an Election-Day reminder to voters whose ballot is
 * still outbound. Pure rules shared by the API, the sweep that signals ballots and the sender.
 *
 * A broadcast reaches a ballot as a reminder of its own (`reminder: 'broadcast'`) whose notice key
 * is `<status>#<BROADCAST_SEQUENCE_BASE + broadcastId>`: unique per broadcast and ballot, so the
 * workflow's dedupe and the notice ledger's unique key make each broadcast go out at most once per
 * ballot and channel, however often it is signalled or re-run.
 */
import type { BallotStatus } from './ballot-status.js';

/** Broadcast notices' sequence numbers start here (status notices are 0, reminders count from 1). */
export const BROADCAST_SEQUENCE_BASE = 1_000_000;

export function broadcastSequence(broadcastId: number): number {
  return BROADCAST_SEQUENCE_BASE + broadcastId;
}

/** The broadcast a notice sequence belongs to, or undefined for a status notice or another reminder. */
export function broadcastOfSequence(sequence: number): number | undefined {
  return sequence > BROADCAST_SEQUENCE_BASE ? sequence - BROADCAST_SEQUENCE_BASE : undefined;
}

/**
 * The messages a broadcast may carry, each with the statuses whose voters it makes sense for: only
 * catalog messages that exist, and are worded, in every language and on every channel. The return
 * reminder says "we have not received your ballot yet", so it may go only to ballots still outbound:
 * a broadcast can never tell a voter whose ballot came back to send it (a targeting error a deployed
 * tracker once made).
 */
export const BROADCAST_MESSAGES = {
  'reminder.return': ['outbound'],
} as const satisfies Record<string, readonly BallotStatus[]>;

export type BroadcastMessageKey = keyof typeof BROADCAST_MESSAGES;

export function isBroadcastMessage(key: string): key is BroadcastMessageKey {
  return Object.hasOwn(BROADCAST_MESSAGES, key);
}

/** Statuses the message may not go to (empty: the selection fits the message). */
export function statusesOutsideMessage(key: BroadcastMessageKey, statuses: readonly string[]): string[] {
  const allowed: readonly string[] = BROADCAST_MESSAGES[key];
  return statuses.filter((status) => !allowed.includes(status));
}

/**
 * The lifecycle (each step one conditional UPDATE in `db/broadcasts.ts`): draft → approved (a second
 * key) → running → done; stopped from any of them, also from done, whose notices may still wait for
 * voters' windows in the ballot workflows.
 */
export const BROADCAST_STATES = ['draft', 'approved', 'running', 'done', 'stopped'] as const;
export type BroadcastState = (typeof BROADCAST_STATES)[number];

/** The notice skip reason of a broadcast stopped before its notice went out. */
export const BROADCAST_STOPPED = 'broadcast_stopped';
