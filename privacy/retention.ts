/**
 * When a voter's contact data and consent records may be purged: pure decisions, no I/O. The voter
 * roll (`voters`) is public record imported from the county and is never purged here; what the voter
 * gave us (subscriptions, contact addresses, verification codes, consent records) is.
 */
import { addDays, isValidTimeZone, zonedTimeToInstant } from '../domain/zoned-time.js';

const MS_PER_DAY = 86_400_000;

/**
 * An election without a closing date counts as closed this many days after Election Day (local
 * midnight), the same lifetime the manage links in every notice get (LINK_LIFETIME_AFTER_ELECTION_MS
 * in activities/notices.ts): while a voter can still open their preferences page, their data stays.
 */
export const CLOSED_DAYS_AFTER_ELECTION_DAY = 90;

export interface ElectionClosing {
  electionId: string;
  /** YYYY-MM-DD */
  electionDay: string;
  timezone: string;
  /** `elections.closes_at` in epoch milliseconds, or null when the election sets none. */
  closesAt: number | null;
}

export interface RetentionPolicy {
  /** Days after an election closes before its voters' contact data is purged (CONTACT_DATA_RETENTION_DAYS). */
  retentionDays: number;
  now: number;
}

export interface ElectionRetention {
  electionId: string;
  /** Null when the closing moment cannot be computed (an unknown time zone): never due. */
  closedAt: number | null;
  due: boolean;
}

/** The moment the election closes: its closing date, else local midnight 90 days after Election Day. */
export function electionClosedAt(election: ElectionClosing): number | null {
  if (election.closesAt !== null) return election.closesAt;
  if (!isValidTimeZone(election.timezone)) return null;
  try {
    return zonedTimeToInstant(
      addDays(election.electionDay, CLOSED_DAYS_AFTER_ELECTION_DAY),
      '00:00',
      election.timezone,
    );
  } catch {
    return null;
  }
}

/** An election is purge-due once it closed `retentionDays` days ago or longer. */
export function electionRetention(election: ElectionClosing, policy: RetentionPolicy): ElectionRetention {
  const closedAt = electionClosedAt(election);
  const due = closedAt !== null && closedAt + policy.retentionDays * MS_PER_DAY <= policy.now;
  return { electionId: election.electionId, closedAt, due };
}

export interface SubscriptionFacts {
  status: 'active' | 'unsubscribed';
  createdAt: number;
  updatedAt: number;
  /** Every election the subscription's voter has a ballot in (stored or not). */
  ballotElectionIds: readonly string[];
}

/**
 * Why a subscription's contact data is purged:
 * - `elections-closed`: every election the voter has a ballot in is purge-due, and the sign-up was
 *   made before the last of them closed (it served those elections).
 * - `unsubscribed`: the voter unsubscribed at least `retentionDays` days ago and has no ballot in an
 *   election that is not purge-due yet (covers sign-ups that never got a ballot).
 */
export type PurgeReason = 'elections-closed' | 'unsubscribed';

/**
 * Deliberately conservative: when in doubt, keep. A ballot in an election that is not purge-due (or
 * not stored, or with an unusable time zone) keeps everything. An ACTIVE sign-up made after the
 * voter's last election closed, or by a voter with no ballot at all, is kept: it is waiting for the
 * next election's ballot (the roll keeps old ballots, so most voters signing up for a general election
 * have one from an earlier, long-closed election). It goes once the election of its next ballot is
 * purge-due, or `retentionDays` after the voter unsubscribes (`updated_at`, which unsubscribing sets).
 * Returns null to keep.
 */
export function subscriptionPurgeReason(
  subscription: SubscriptionFacts,
  elections: ReadonlyMap<string, ElectionRetention>,
  policy: RetentionPolicy,
): PurgeReason | null {
  const ballots = [...new Set(subscription.ballotElectionIds)].map((id) => elections.get(id));
  if (ballots.some((election) => !election?.due)) return null;
  // Every ballot's election is due, so each is stored and has a closing moment.
  const closings = (ballots as ElectionRetention[]).map((election) => election.closedAt as number);
  if (closings.length > 0 && subscription.createdAt <= Math.max(...closings)) return 'elections-closed';
  const unsubscribedLongAgo =
    subscription.status === 'unsubscribed' && subscription.updatedAt + policy.retentionDays * MS_PER_DAY <= policy.now;
  return unsubscribedLongAgo ? 'unsubscribed' : null;
}
