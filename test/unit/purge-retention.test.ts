import { describe, expect, it } from 'vitest';
import {
  abandonedContactPurge,
  CLOSED_DAYS_AFTER_ELECTION_DAY,
  electionClosedAt,
  electionRetention,
  subscriptionPurgeReason,
  type ElectionClosing,
  type ConsentFacts,
  type ContactFacts,
  type ElectionRetention,
  type RetentionPolicy,
  type SignUpFacts,
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

describe('addresses nobody confirmed, whatever the elections', () => {
  const policy: RetentionPolicy = { retentionDays: 30, now: at('2026-12-15T00:00:00Z') };
  const daysAgo = (days: number) => policy.now - days * DAY;
  const MINUTES_10 = 600_000;
  const contact = (facts: Partial<ContactFacts> & { contactId: string }): ContactFacts => ({
    channel: 'sms',
    address: '+19165550100',
    createdAt: daysAgo(40),
    verifiedAt: null,
    code: { address: facts.address ?? '+19165550100', expiresAt: daysAgo(40) + MINUTES_10 },
    ...facts,
  });
  const consent = (facts: Partial<ConsentFacts> & { consentId: string }): ConsentFacts => ({
    channel: 'sms',
    address: '+19165550100',
    confirmedAt: null,
    ...facts,
  });
  const signUp = (facts: Partial<SignUpFacts>): SignUpFacts => ({
    createdAt: daysAgo(40),
    updatedAt: daysAgo(40),
    contacts: [],
    consents: [],
    ...facts,
  });

  it('a contact never verified goes with its unconfirmed consent once created and its code expired retention days ago', () => {
    const decision = abandonedContactPurge(
      signUp({
        contacts: [contact({ contactId: 'sms' })],
        consents: [consent({ consentId: 'sms-consent' })],
      }),
      policy,
    );
    expect(decision).toEqual({
      unverifiedContactIds: ['sms'],
      expiredCodeContactIds: [],
      consentIds: ['sms-consent'],
      subscription: true,
    });
  });

  it('exactly retention days after its code expired, not a millisecond before', () => {
    const expiresAt = daysAgo(30);
    const due = signUp({ contacts: [contact({ contactId: 'sms', code: { address: 'x', expiresAt } })] });
    expect(abandonedContactPurge(due, policy).unverifiedContactIds).toEqual(['sms']);
    const notYet = signUp({
      contacts: [contact({ contactId: 'sms', code: { address: 'x', expiresAt: expiresAt + 1 } })],
    });
    expect(abandonedContactPurge(notYet, policy)).toMatchObject({ unverifiedContactIds: [], subscription: false });
  });

  it('a contact never verified and without a code goes by its creation date', () => {
    const old = signUp({ contacts: [contact({ contactId: 'sms', code: null, createdAt: daysAgo(30) })] });
    expect(abandonedContactPurge(old, policy).unverifiedContactIds).toEqual(['sms']);
    const recent = signUp({ contacts: [contact({ contactId: 'sms', code: null, createdAt: daysAgo(29) })] });
    expect(abandonedContactPurge(recent, policy).unverifiedContactIds).toEqual([]);
  });

  it('an old contact whose code was sent again recently (a repeated sign-up, a resend, a manage change) stays', () => {
    const resent = contact({
      contactId: 'sms',
      createdAt: daysAgo(400),
      code: { address: 'x', expiresAt: daysAgo(2) },
    });
    expect(abandonedContactPurge(signUp({ createdAt: daysAgo(400), contacts: [resent] }), policy)).toEqual({
      unverifiedContactIds: [],
      expiredCodeContactIds: [],
      consentIds: [],
      subscription: false,
    });
  });

  it('with a retention of 0 days, a sign-up whose code is still valid stays; once it expired, it goes', () => {
    const now = policy.now;
    const pending = signUp({
      createdAt: now - 60_000,
      updatedAt: now - 60_000,
      contacts: [contact({ contactId: 'sms', createdAt: now - 60_000, code: { address: 'x', expiresAt: now + 1 } })],
    });
    expect(abandonedContactPurge(pending, { retentionDays: 0, now })).toMatchObject({
      unverifiedContactIds: [],
      subscription: false,
    });
    expect(abandonedContactPurge(pending, { retentionDays: 0, now: now + 1 })).toMatchObject({
      unverifiedContactIds: ['sms'],
      subscription: true,
    });
  });

  it('a verified contact of the same subscription stays, and so does the subscription and its confirmed consent', () => {
    const decision = abandonedContactPurge(
      signUp({
        contacts: [
          contact({ contactId: 'sms' }),
          contact({
            contactId: 'email',
            channel: 'email',
            address: 'voter@example.org',
            verifiedAt: daysAgo(40),
            code: null,
          }),
        ],
        consents: [
          consent({ consentId: 'sms-consent' }),
          consent({
            consentId: 'email-consent',
            channel: 'email',
            address: 'voter@example.org',
            confirmedAt: daysAgo(40),
          }),
        ],
      }),
      policy,
    );
    expect(decision).toEqual({
      unverifiedContactIds: ['sms'],
      expiredCodeContactIds: [],
      consentIds: ['sms-consent'],
      subscription: false,
    });
  });

  it('only the unconfirmed consent records of the purged address go: another channel’s, a confirmed one, another address’s stay', () => {
    const decision = abandonedContactPurge(
      signUp({
        contacts: [
          contact({ contactId: 'sms', code: { address: '+19165550111', expiresAt: daysAgo(35) } }),
          contact({ contactId: 'voice', channel: 'voice', verifiedAt: daysAgo(100), code: null }),
        ],
        consents: [
          consent({ consentId: 'typed' }),
          consent({ consentId: 'pending', address: '+19165550111' }),
          consent({ consentId: 'confirmed-earlier', confirmedAt: daysAgo(100) }),
          consent({ consentId: 'another-address', address: '+19165550199' }),
          consent({ consentId: 'voice', channel: 'voice' }),
        ],
      }),
      policy,
    );
    expect(decision.consentIds).toEqual(['typed', 'pending']);
    expect(decision.subscription).toBe(false);
  });

  it('a subscription left without contacts but with a confirmed consent stays', () => {
    const decision = abandonedContactPurge(
      signUp({
        contacts: [contact({ contactId: 'sms' })],
        consents: [consent({ consentId: 'old', address: '+19165550199', confirmedAt: daysAgo(200) })],
      }),
      policy,
    );
    expect(decision).toMatchObject({ unverifiedContactIds: ['sms'], consentIds: [], subscription: false });
  });

  it('an emptied subscription goes with every consent it still has, all unconfirmed', () => {
    const decision = abandonedContactPurge(
      signUp({
        contacts: [contact({ contactId: 'sms' })],
        consents: [consent({ consentId: 'sms' }), consent({ consentId: 'withdrawn', address: '+19165550199' })],
      }),
      policy,
    );
    expect(decision).toMatchObject({ consentIds: ['sms', 'withdrawn'], subscription: true });
  });

  it('a subscription without any contact goes once created and last updated retention days ago', () => {
    expect(abandonedContactPurge(signUp({}), policy).subscription).toBe(true);
    expect(abandonedContactPurge(signUp({ updatedAt: daysAgo(29) }), policy).subscription).toBe(false);
  });

  it('a verified contact’s code that expired retention days ago goes; the contact stays', () => {
    const verified = contact({
      contactId: 'email',
      verifiedAt: daysAgo(100),
      createdAt: daysAgo(100),
      code: { address: 'new@example.org', expiresAt: daysAgo(30) },
    });
    expect(abandonedContactPurge(signUp({ contacts: [verified] }), policy)).toEqual({
      unverifiedContactIds: [],
      expiredCodeContactIds: ['email'],
      consentIds: [],
      subscription: false,
    });
    const recent = { ...verified, code: { address: 'new@example.org', expiresAt: daysAgo(29) } };
    expect(abandonedContactPurge(signUp({ contacts: [recent] }), policy).expiredCodeContactIds).toEqual([]);
  });
});
