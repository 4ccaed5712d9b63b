/**
 * When a voter's contact data and consent records may be purged: pure decisions, no I/O. The voter
 * roll (`voters`) is public record imported from the county and is never purged here; what the voter
 * gave us (subscriptions, contact addresses, verification codes, consent records) is.
 *
 * Two kinds of rule, both counted in days of `retentionDays` (CONTACT_DATA_RETENTION_DAYS):
 * - a whole subscription goes once the elections it served closed long enough ago, or once it was
 *   unsubscribed long enough ago (`subscriptionPurgeReason`);
 * - whatever the elections and the subscription's status, an address nobody confirmed does not stay:
 *   a contact never verified goes (with its code and the unconfirmed consent records of its address)
 *   once it was created and its last code expired `retentionDays` days ago or longer; an abandoned
 *   code goes that long after it expired even when its contact stays; and a subscription this leaves
 *   without any contact and without any confirmed consent goes too (`abandonedContactPurge`). Such an
 *   address may be a stranger's, typed by someone else, and it was never used.
 */
import { addDays, isValidTimeZone, zonedTimeToInstant } from '../domain/zoned-time.js';
import { LINK_LIFETIME_DAYS } from '../domain/manage-links.js';

const MS_PER_DAY = 86_400_000;

/**
 * An election without a closing date counts as closed this many days after Election Day (local
 * midnight), the same lifetime the manage links get (domain/manage-links.ts): while a voter can still open
 * their preferences page, their data stays.
 */
export const CLOSED_DAYS_AFTER_ELECTION_DAY = LINK_LIFETIME_DAYS;

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

/** `retentionDays` days before now: whatever happened at this moment or earlier happened long enough ago. */
export function retentionCutoff(policy: RetentionPolicy): number {
  return policy.now - policy.retentionDays * MS_PER_DAY;
}

export interface ContactFacts {
  contactId: string;
  channel: string;
  address: string;
  createdAt: number;
  /** Null while the address was never confirmed (or a manage change replaced it and the new one is not). */
  verifiedAt: number | null;
  /** The contact's open verification code (`contact_verifications`), if any. */
  code: { address: string; expiresAt: number } | null;
}

export interface ConsentFacts {
  consentId: string;
  channel: string;
  address: string;
  /** Null when the address was never confirmed. */
  confirmedAt: number | null;
}

/** A subscription that `subscriptionPurgeReason` keeps, with what hangs off it. */
export interface SignUpFacts {
  createdAt: number;
  updatedAt: number;
  contacts: readonly ContactFacts[];
  consents: readonly ConsentFacts[];
}

export interface AbandonedContactPurge {
  /** Contacts never verified: they go with their code. */
  unverifiedContactIds: string[];
  /** Contacts that stay but whose open code expired long ago: only the code goes. */
  expiredCodeContactIds: string[];
  /** Unconfirmed consent records of the addresses of those contacts, and every consent of an emptied subscription. */
  consentIds: string[];
  /** The subscription is left without any contact and any confirmed consent: it goes too. */
  subscription: boolean;
}

/**
 * What of a kept subscription goes because nobody confirmed it, whatever the elections and the status:
 * - a contact with `verifiedAt` null, created `retentionDays` days ago or longer, whose open code (if
 *   any) expired that long ago too: a code sent recently (a sign-up repeated, a resend, a manage change
 *   of the address) or still valid (even when `retentionDays` is 0) keeps it. Its unconfirmed consent
 *   records for the same channel and its address (or its code's address) go with it; confirmed ones stay;
 * - an open code that expired `retentionDays` days ago or longer, of a contact that stays;
 * - the subscription itself once it has no contact left and no confirmed consent, and was created and
 *   last updated `retentionDays` days ago or longer (so a sign-up in progress is never caught).
 */
export function abandonedContactPurge(signUp: SignUpFacts, policy: RetentionPolicy): AbandonedContactPurge {
  const longAgo = (at: number) => at <= retentionCutoff(policy);
  const unverified = signUp.contacts.filter(
    (contact) =>
      contact.verifiedAt === null &&
      longAgo(contact.createdAt) &&
      (contact.code === null || longAgo(contact.code.expiresAt)),
  );
  const expiredCodes = signUp.contacts.filter(
    (contact) => !unverified.includes(contact) && contact.code !== null && longAgo(contact.code.expiresAt),
  );
  const unconfirmedOfPurged = (consent: ConsentFacts) =>
    consent.confirmedAt === null &&
    unverified.some(
      (contact) =>
        contact.channel === consent.channel &&
        (contact.address === consent.address || contact.code?.address === consent.address),
    );
  const subscription =
    unverified.length === signUp.contacts.length &&
    signUp.consents.every((consent) => consent.confirmedAt === null) &&
    longAgo(Math.max(signUp.createdAt, signUp.updatedAt));
  return {
    unverifiedContactIds: unverified.map((contact) => contact.contactId),
    expiredCodeContactIds: expiredCodes.map((contact) => contact.contactId),
    consentIds: signUp.consents
      .filter((consent) => subscription || unconfirmedOfPurged(consent))
      .map((consent) => consent.consentId),
    subscription,
  };
}
