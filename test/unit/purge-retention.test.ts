import { describe, expect, it } from 'vitest';
import {
  CLOSED_DAYS_AFTER_ELECTION_DAY,
  electionClosedAt,
  electionRetention,
  subscriptionPurgeReason,
  type ElectionClosing,
  type ElectionRetention,
  type RetentionPolicy,
  type SubscriptionFacts,
} from '../../privacy/retention.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

const primary: ElectionClosing = {
  electionId: 'primary',
  electionDay: '2026-06-02',
  timezone: 'America/Los_Angeles',
  closesAt: at('2026-07-01T07:00:00Z'),
};

describe('when an election closes', () => {
  it('is its closing date when it has one', () => {
    expect(electionClosedAt(primary)).toBe(at('2026-07-01T07:00:00Z'));
  });

  it('without a closing date, is local midnight 90 days after Election Day (when the manage links expire)', () => {
    expect(CLOSED_DAYS_AFTER_ELECTION_DAY).toBe(90);
    // 2026-06-02 + 90 days = 2026-08-31, midnight in Los Angeles (PDT, UTC-7).
    expect(electionClosedAt({ ...primary, closesAt: null })).toBe(at('2026-08-31T07:00:00Z'));
  });

  it('without a closing date and with an unknown time zone, cannot be computed', () => {
    expect(electionClosedAt({ ...primary, closesAt: null, timezone: 'Mars/Olympus_Mons' })).toBeNull();
  });
});

describe('an election is purge-due', () => {
  const closedAt = at('2026-07-01T07:00:00Z');

  it('exactly retention days after it closed', () => {
    expect(electionRetention(primary, { retentionDays: 30, now: closedAt + 30 * DAY }).due).toBe(true);
  });

  it('not a millisecond before', () => {
    expect(electionRetention(primary, { retentionDays: 30, now: closedAt + 30 * DAY - 1 }).due).toBe(false);
  });

  it('not while it is still open', () => {
    expect(electionRetention(primary, { retentionDays: 0, now: closedAt - DAY }).due).toBe(false);
  });

  it('at once after closing when the retention is 0 days', () => {
    expect(electionRetention(primary, { retentionDays: 0, now: closedAt }).due).toBe(true);
  });

  it('never when its closing moment cannot be computed', () => {
    const unknownZone = { ...primary, closesAt: null, timezone: 'Mars/Olympus_Mons' };
    expect(electionRetention(unknownZone, { retentionDays: 0, now: at('2099-01-01T00:00:00Z') })).toEqual({
      electionId: 'primary',
      closedAt: null,
      due: false,
    });
  });
});

describe('whose contact data is purged', () => {
  const policy: RetentionPolicy = { retentionDays: 30, now: at('2026-12-15T00:00:00Z') };
  const closedLongAgo: ElectionRetention = { electionId: 'primary', closedAt: at('2026-07-01T07:00:00Z'), due: true };
  const stillOpen: ElectionRetention = { electionId: 'general', closedAt: at('2026-12-01T08:00:00Z'), due: false };
  const elections = new Map([closedLongAgo, stillOpen].map((election) => [election.electionId, election]));
  const signedUp = (facts: Partial<SubscriptionFacts>): SubscriptionFacts => ({
    status: 'active',
    createdAt: at('2026-05-10T12:00:00Z'),
    updatedAt: at('2026-05-10T12:00:00Z'),
    ballotElectionIds: ['primary'],
    ...facts,
  });

  it('a voter whose only ballot is in an election closed long enough ago loses their contact data', () => {
    expect(subscriptionPurgeReason(signedUp({}), elections, policy)).toBe('elections-closed');
  });

  it('an unsubscribed voter of that election too', () => {
    expect(subscriptionPurgeReason(signedUp({ status: 'unsubscribed' }), elections, policy)).toBe('elections-closed');
  });

  it('a voter with a ballot in an election not yet due keeps everything', () => {
    expect(subscriptionPurgeReason(signedUp({ ballotElectionIds: ['primary', 'general'] }), elections, policy)).toBe(
      null,
    );
  });

  it('a voter with a ballot in an election that is not stored keeps everything', () => {
    expect(subscriptionPurgeReason(signedUp({ ballotElectionIds: ['primary', 'unknown'] }), elections, policy)).toBe(
      null,
    );
  });

  it('a sign-up made after the voter’s last election closed waits for the next ballot', () => {
    const later = signedUp({ createdAt: at('2026-09-01T00:00:00Z'), updatedAt: at('2026-09-01T00:00:00Z') });
    expect(subscriptionPurgeReason(later, elections, policy)).toBe(null);
  });

  it('an active sign-up without any ballot is kept, however old', () => {
    const waiting = signedUp({ ballotElectionIds: [], createdAt: 0, updatedAt: 0 });
    expect(subscriptionPurgeReason(waiting, elections, policy)).toBe(null);
  });

  it('a sign-up without any ballot is purged retention days after the voter unsubscribed', () => {
    const unsubscribedAt = policy.now - 30 * DAY;
    const gone = signedUp({ ballotElectionIds: [], status: 'unsubscribed', updatedAt: unsubscribedAt });
    expect(subscriptionPurgeReason(gone, elections, policy)).toBe('unsubscribed');
    expect(subscriptionPurgeReason({ ...gone, updatedAt: unsubscribedAt + 1 }, elections, policy)).toBe(null);
  });

  it('an unsubscribed voter with a ballot in an election not yet due keeps everything', () => {
    const unsubscribed = signedUp({ ballotElectionIds: ['general'], status: 'unsubscribed', updatedAt: 0 });
    expect(subscriptionPurgeReason(unsubscribed, elections, policy)).toBe(null);
  });
});
