/**
 * The contact-data purge against a real database: exactly the contacts and consent records of voters
 * whose elections closed long enough ago go, and, whatever the elections, addresses nobody confirmed
 * (with the subscriptions this leaves empty) and codes abandoned long ago; the voter roll, ballots and
 * the notice ledger stay.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../db/client.js';
import { createPurgeActivities } from '../../activities/purge.js';
import { purgeContactData } from '../../privacy/purge.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { FIXTURE_PEOPLE, type FixturePerson } from '../helpers/history-pii-fixtures.js';
import { runCliProcess } from '../helpers/cli-process.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-15T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

interface SeedSubscription {
  voterId: string;
  status?: 'active' | 'unsubscribed';
  createdDaysAgo: number;
  updatedDaysAgo?: number;
  person?: FixturePerson;
}

/** A subscription with verified sms and email contacts, one consent per channel and an open code. */
async function seedSubscription(sql: Sql, seed: SeedSubscription): Promise<string> {
  const person = seed.person ?? FIXTURE_PEOPLE[0]!;
  const [row] = await sql<{ subscription_id: string }[]>`
    INSERT INTO subscriptions (voter_id, timezone, status, created_at, updated_at)
    VALUES (${seed.voterId}, 'America/Los_Angeles', ${seed.status ?? 'active'}, ${daysAgo(seed.createdDaysAgo)},
            ${daysAgo(seed.updatedDaysAgo ?? seed.createdDaysAgo)})
    RETURNING subscription_id`;
  const subscriptionId = row!.subscription_id;
  for (const [channel, address] of [
    ['sms', person.phone],
    ['email', person.email],
  ] as const) {
    const [contact] = await sql<{ contact_id: string }[]>`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${subscriptionId}, ${channel}, ${address}, ${daysAgo(seed.createdDaysAgo)})
      RETURNING contact_id`;
    await sql`
      INSERT INTO consents (subscription_id, channel, address, source, consent_text_version, language, consented_at)
      VALUES (${subscriptionId}, ${channel}, ${address}, 'POST /', 'v1', 'en', ${daysAgo(seed.createdDaysAgo)})`;
    if (channel === 'email') {
      await sql`
        INSERT INTO contact_verifications (contact_id, address, code_hash, expires_at)
        VALUES (${contact!.contact_id}, ${person.email}, 'hash', ${daysAgo(seed.createdDaysAgo)})`;
    }
  }
  return subscriptionId;
}

async function seedVoter(sql: Sql, voterId: string, person: FixturePerson, elections: string[]): Promise<void> {
  await sql`
    INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
    VALUES (${voterId}, 'sacramento', ${person.firstName}, ${person.lastName}, ${person.dateOfBirth}, ${person.zip})`;
  for (const electionId of elections) {
    await sql`
      INSERT INTO ballots (election_id, ballot_id, voter_id, county)
      VALUES (${electionId}, ${`b-${voterId}`}, ${voterId}, 'sacramento')`;
  }
}

describe('purging contact data after elections close', () => {
  let db: TestDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  beforeEach(async () => {
    const { sql } = db;
    await sql`TRUNCATE elections, voters, ballots, subscriptions, notice_deliveries CASCADE`;
    // 'closed' closed 40 days ago, 'recent' 10 days ago, 'open' closes in 20 days; 'undated' has no
    // closing date: Election Day 100 days ago, so it counts as closed 10 days ago (90 days after).
    await sql`
      INSERT INTO elections (election_id, name, election_day, timezone, closes_at) VALUES
        ('closed', 'Primary', ${daysAgo(70).toISOString().slice(0, 10)}, 'UTC', ${daysAgo(40)}),
        ('recent', 'Special', ${daysAgo(40).toISOString().slice(0, 10)}, 'UTC', ${daysAgo(10)}),
        ('open', 'General', ${daysAgo(-5).toISOString().slice(0, 10)}, 'UTC', ${daysAgo(-20)}),
        ('undated', 'Recall', ${daysAgo(100).toISOString().slice(0, 10)}, 'UTC', NULL)`;
    const [thaddeus, xiomara, evangelina, marisol] = FIXTURE_PEOPLE as [
      FixturePerson,
      FixturePerson,
      FixturePerson,
      FixturePerson,
    ];
    await seedVoter(sql, 'v-closed', thaddeus, ['closed']);
    await seedVoter(sql, 'v-closed-and-open', xiomara, ['closed', 'open']);
    await seedVoter(sql, 'v-recent', evangelina, ['recent']);
    await seedVoter(sql, 'v-undated', marisol, ['undated']);
    await seedVoter(sql, 'v-signed-up-since', thaddeus, ['closed']);
    await seedVoter(sql, 'v-no-ballot', xiomara, []);
    await seedVoter(sql, 'v-no-ballot-gone', evangelina, []);

    ids.closed = await seedSubscription(sql, { voterId: 'v-closed', createdDaysAgo: 80 });
    ids.closedOldUnsubscribed = await seedSubscription(sql, {
      voterId: 'v-closed',
      status: 'unsubscribed',
      createdDaysAgo: 90,
      updatedDaysAgo: 85,
    });
    ids.closedAndOpen = await seedSubscription(sql, {
      voterId: 'v-closed-and-open',
      createdDaysAgo: 80,
      person: xiomara,
    });
    ids.recent = await seedSubscription(sql, { voterId: 'v-recent', createdDaysAgo: 60, person: evangelina });
    ids.undated = await seedSubscription(sql, { voterId: 'v-undated', createdDaysAgo: 120, person: marisol });
    ids.signedUpSince = await seedSubscription(sql, { voterId: 'v-signed-up-since', createdDaysAgo: 5 });
    ids.noBallot = await seedSubscription(sql, { voterId: 'v-no-ballot', createdDaysAgo: 400, person: xiomara });
    ids.noBallotGone = await seedSubscription(sql, {
      voterId: 'v-no-ballot-gone',
      status: 'unsubscribed',
      createdDaysAgo: 400,
      updatedDaysAgo: 31,
      person: evangelina,
    });
    const [contact] = await sql<{ contact_id: string }[]>`
      SELECT contact_id FROM contacts WHERE subscription_id = ${ids.closed} AND channel = 'sms'`;
    await sql`
      INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, message_key, language, contact_id, voter_id)
      VALUES ('closed', 'b-v-closed', 'received', 'sms', 'received', 'en', ${contact!.contact_id}, 'v-closed')`;
  });

  async function remainingSubscriptions(): Promise<string[]> {
    const rows = await db.sql<{ subscription_id: string }[]>`SELECT subscription_id FROM subscriptions`;
    return rows.map((row) => row.subscription_id).sort();
  }

  async function personalRowsOf(subscriptionIds: string[]) {
    const [row] = await db.sql<{ contacts: number; consents: number; verifications: number }[]>`
      SELECT (SELECT count(*)::int FROM contacts WHERE subscription_id = ANY(${subscriptionIds}::uuid[])) AS contacts,
             (SELECT count(*)::int FROM consents WHERE subscription_id = ANY(${subscriptionIds}::uuid[])) AS consents,
             (SELECT count(*)::int FROM contact_verifications v JOIN contacts c USING (contact_id)
               WHERE c.subscription_id = ANY(${subscriptionIds}::uuid[])) AS verifications`;
    return row!;
  }

  /** The activity and the CLI purge as of the real time: move the seeded dates from NOW to it. */
  async function shiftSeedToRealTime(): Promise<void> {
    const shiftMs = Date.now() - NOW.getTime();
    await db.sql`UPDATE elections SET closes_at = closes_at + ${shiftMs} * interval '1 millisecond'`;
    await db.sql`UPDATE elections SET election_day = current_date - 100 WHERE election_id = 'undated'`;
    await db.sql`
      UPDATE subscriptions SET created_at = created_at + ${shiftMs} * interval '1 millisecond',
                               updated_at = updated_at + ${shiftMs} * interval '1 millisecond'`;
  }

  async function rollAndLedger() {
    return {
      voters: await db.sql`SELECT * FROM voters ORDER BY voter_id`,
      ballots: await db.sql`SELECT * FROM ballots ORDER BY voter_id`,
      ledger: await db.sql`SELECT * FROM notice_deliveries`,
    };
  }

  it('after 30 days, removes the contacts and consents of voters whose every election closed that long ago, and nothing else', async () => {
    const before = await rollAndLedger();

    const report = await purgeContactData(db.sql, { retentionDays: 30, now: NOW, batchSize: 3 });

    const purged = [ids.closed!, ids.closedOldUnsubscribed!, ids.noBallotGone!];
    const kept = [ids.closedAndOpen!, ids.recent!, ids.undated!, ids.signedUpSince!, ids.noBallot!];
    expect(await remainingSubscriptions()).toEqual(kept.sort());
    expect(await personalRowsOf(purged)).toEqual({ contacts: 0, consents: 0, verifications: 0 });
    // The kept verified contacts' codes that expired 30+ days ago go; the one of 5 days ago stays.
    expect(await personalRowsOf(kept)).toEqual({ contacts: 10, consents: 10, verifications: 1 });
    expect(await personalRowsOf([ids.signedUpSince!])).toEqual({ contacts: 2, consents: 2, verifications: 1 });
    expect(report).toEqual({
      dryRun: false,
      retentionDays: 30,
      subscriptions: 3,
      contacts: 6,
      consents: 6,
      unverifiedContacts: 0,
      emptiedSubscriptions: 0,
      expiredCodes: 4,
      elections: { due: ['closed'], notDue: ['open', 'recent', 'undated'] },
    });
    expect(await rollAndLedger()).toEqual(before);
  });

  it('with fewer days, also purges the elections that closed more recently, including one without a closing date', async () => {
    const report = await purgeContactData(db.sql, { retentionDays: 10, now: NOW });

    expect(report.elections).toEqual({ due: ['closed', 'recent', 'undated'], notDue: ['open'] });
    expect(await remainingSubscriptions()).toEqual([ids.closedAndOpen!, ids.signedUpSince!, ids.noBallot!].sort());
  });

  it('a dry run counts what a real run deletes, and deletes nothing', async () => {
    const dry = await purgeContactData(db.sql, { retentionDays: 30, now: NOW, dryRun: true });

    expect(await remainingSubscriptions()).toHaveLength(8);
    const real = await purgeContactData(db.sql, { retentionDays: 30, now: NOW });
    expect(dry).toEqual({ ...real, dryRun: true });
    expect(dry.subscriptions).toBe(3);
  });

  it('a second run deletes nothing more', async () => {
    await purgeContactData(db.sql, { retentionDays: 30, now: NOW });
    const remaining = await remainingSubscriptions();

    const again = await purgeContactData(db.sql, { retentionDays: 30, now: NOW, batchSize: 2 });

    expect(again).toMatchObject({
      subscriptions: 0,
      contacts: 0,
      consents: 0,
      unverifiedContacts: 0,
      emptiedSubscriptions: 0,
      expiredCodes: 0,
    });
    expect(await remainingSubscriptions()).toEqual(remaining);
  });

  describe('addresses nobody confirmed, whatever the elections', () => {
    const STRANGER = '+19165550100';
    const subscriptionIds: Record<string, string> = {};
    const contactIds: Record<string, string> = {};

    async function seedBareSubscription(voterId: string, createdDaysAgo: number): Promise<string> {
      const [row] = await db.sql<{ subscription_id: string }[]>`
        INSERT INTO subscriptions (voter_id, timezone, created_at, updated_at)
        VALUES (${voterId}, 'America/Los_Angeles', ${daysAgo(createdDaysAgo)}, ${daysAgo(createdDaysAgo)})
        RETURNING subscription_id`;
      return row!.subscription_id;
    }

    /** A contact with its consent; `codeSentDaysAgo` leaves an open code that expired 10 minutes later. */
    async function seedContact(
      subscriptionId: string,
      seed: {
        channel: 'sms' | 'email' | 'voice';
        address: string;
        createdDaysAgo: number;
        verified: boolean;
        codeSentDaysAgo?: number;
      },
    ): Promise<string> {
      const createdAt = daysAgo(seed.createdDaysAgo);
      const [contact] = await db.sql<{ contact_id: string }[]>`
        INSERT INTO contacts (subscription_id, channel, address, verified_at, created_at)
        VALUES (${subscriptionId}, ${seed.channel}, ${seed.address}, ${seed.verified ? createdAt : null}, ${createdAt})
        RETURNING contact_id`;
      await db.sql`
        INSERT INTO consents (subscription_id, channel, address, source, consent_text_version, language, consented_at,
                              confirmed_at)
        VALUES (${subscriptionId}, ${seed.channel}, ${seed.address}, 'POST /', 'v1', 'en', ${createdAt},
                ${seed.verified ? createdAt : null})`;
      if (seed.codeSentDaysAgo !== undefined) {
        const sentAt = daysAgo(seed.codeSentDaysAgo);
        await db.sql`
          INSERT INTO contact_verifications (contact_id, address, code_hash, expires_at, sent_at)
          VALUES (${contact!.contact_id}, ${seed.address}, 'hash', ${new Date(sentAt.getTime() + 600_000)}, ${sentAt})`;
      }
      return contact!.contact_id;
    }

    beforeEach(async () => {
      const { sql } = db;
      const [, xiomara, evangelina] = FIXTURE_PEOPLE as [FixturePerson, FixturePerson, FixturePerson];
      // Ballots in an election still open: the election rule keeps everything of these voters.
      await seedVoter(sql, 'v-half-verified', xiomara, ['open']);
      await seedVoter(sql, 'v-stranger', evangelina, ['open']);
      await seedVoter(sql, 'v-pending', evangelina, []);
      await seedVoter(sql, 'v-resent', xiomara, []);

      // The voter confirmed their email; the phone someone typed 60 days ago never was.
      subscriptionIds.halfVerified = await seedBareSubscription('v-half-verified', 60);
      contactIds.abandonedSms = await seedContact(subscriptionIds.halfVerified, {
        channel: 'sms',
        address: STRANGER,
        createdDaysAgo: 60,
        verified: false,
        codeSentDaysAgo: 60,
      });
      contactIds.verifiedEmail = await seedContact(subscriptionIds.halfVerified, {
        channel: 'email',
        address: xiomara.email,
        createdDaysAgo: 60,
        verified: true,
      });
      // Nothing was ever confirmed: the subscription goes with its only contact.
      subscriptionIds.stranger = await seedBareSubscription('v-stranger', 45);
      contactIds.strangerSms = await seedContact(subscriptionIds.stranger, {
        channel: 'sms',
        address: evangelina.phone,
        createdDaysAgo: 45,
        verified: false,
        codeSentDaysAgo: 45,
      });
      // Recent: the voter may still confirm.
      subscriptionIds.pending = await seedBareSubscription('v-pending', 10);
      contactIds.pendingSms = await seedContact(subscriptionIds.pending, {
        channel: 'sms',
        address: evangelina.phone,
        createdDaysAgo: 10,
        verified: false,
        codeSentDaysAgo: 10,
      });
      // Old, but the code was sent again two days ago.
      subscriptionIds.resent = await seedBareSubscription('v-resent', 200);
      contactIds.resentEmail = await seedContact(subscriptionIds.resent, {
        channel: 'email',
        address: xiomara.email,
        createdDaysAgo: 200,
        verified: false,
        codeSentDaysAgo: 2,
      });
    });

    async function contactsLeft(): Promise<string[]> {
      const rows = await db.sql<{ contact_id: string }[]>`
        SELECT contact_id FROM contacts WHERE contact_id = ANY(${Object.values(contactIds)}::uuid[])`;
      return rows.map((row) => row.contact_id).sort();
    }

    async function consentsAt(address: string) {
      return db.sql<{ subscription_id: string; confirmed: boolean }[]>`
        SELECT subscription_id, confirmed_at IS NOT NULL AS confirmed FROM consents WHERE address = ${address}
        ORDER BY subscription_id`;
    }

    it('after 30 days, an unverified contact goes with its unconfirmed consent, and so does a subscription left empty', async () => {
      const report = await purgeContactData(db.sql, { retentionDays: 30, now: NOW, batchSize: 3 });

      expect(await contactsLeft()).toEqual(
        [contactIds.verifiedEmail!, contactIds.pendingSms!, contactIds.resentEmail!].sort(),
      );
      expect(await consentsAt(STRANGER)).toEqual([]);
      expect(await personalRowsOf([subscriptionIds.halfVerified!])).toEqual({
        contacts: 1,
        consents: 1,
        verifications: 0,
      });
      expect(await personalRowsOf([subscriptionIds.stranger!])).toEqual({ contacts: 0, consents: 0, verifications: 0 });
      expect(await personalRowsOf([subscriptionIds.pending!, subscriptionIds.resent!])).toEqual({
        contacts: 2,
        consents: 2,
        verifications: 2,
      });
      const remaining = await remainingSubscriptions();
      expect(remaining).not.toContain(subscriptionIds.stranger);
      expect(remaining).toEqual(
        expect.arrayContaining([subscriptionIds.halfVerified!, subscriptionIds.pending!, subscriptionIds.resent!]),
      );
      // On top of the election rule's 3 subscriptions, 6 contacts and 6 consents.
      expect(report).toMatchObject({
        subscriptions: 3 + 1,
        contacts: 6 + 2,
        consents: 6 + 2,
        unverifiedContacts: 2,
        emptiedSubscriptions: 1,
        expiredCodes: 4,
      });
    });

    it('a dry run counts them and deletes nothing; a second run deletes nothing more', async () => {
      const dry = await purgeContactData(db.sql, { retentionDays: 30, now: NOW, dryRun: true, batchSize: 2 });

      expect(dry).toMatchObject({ dryRun: true, unverifiedContacts: 2, emptiedSubscriptions: 1, expiredCodes: 4 });
      expect(await contactsLeft()).toHaveLength(5);
      expect(await consentsAt(STRANGER)).toEqual([
        { subscription_id: subscriptionIds.halfVerified!, confirmed: false },
      ]);
      expect(await remainingSubscriptions()).toHaveLength(12);

      const real = await purgeContactData(db.sql, { retentionDays: 30, now: NOW });
      expect(dry).toEqual({ ...real, dryRun: true });

      const again = await purgeContactData(db.sql, { retentionDays: 30, now: NOW });
      expect(again).toMatchObject({
        subscriptions: 0,
        contacts: 0,
        consents: 0,
        unverifiedContacts: 0,
        emptiedSubscriptions: 0,
        expiredCodes: 0,
      });
      expect(await contactsLeft()).toHaveLength(3);
    });

    it('with fewer days, the recent sign-up goes too, but not the one whose code was just sent again', async () => {
      await purgeContactData(db.sql, { retentionDays: 5, now: NOW });

      expect(await contactsLeft()).toEqual([contactIds.verifiedEmail!, contactIds.resentEmail!].sort());
      expect(await remainingSubscriptions()).not.toContain(subscriptionIds.pending);
    });
  });

  it('the activity returns counts only, and refuses a negative retention', async () => {
    await shiftSeedToRealTime();
    const { purgeContactData: activity } = createPurgeActivities({ sql: db.sql });

    const result = await activity({ retentionDays: 30 });

    expect(result).toEqual({ subscriptions: 3, contacts: 6, consents: 6, electionsDue: 1, electionsNotDue: 3 });
    expect(Object.values(result).every((value) => typeof value === 'number')).toBe(true);
    await expect(activity({ retentionDays: -1 })).rejects.toThrow(/non-negative integer/);
  });

  describe('the operator command', () => {
    const cli = (...args: string[]) => runCliProcess(args, { DATABASE_URL: db.url });

    it('purge-contacts --dry-run prints what would go and deletes nothing; without it, deletes', async () => {
      await shiftSeedToRealTime();

      const dry = await cli('purge-contacts', '--days', '30', '--dry-run');
      expect(dry).toMatchObject({ code: 0 });
      expect(dry.stdout).toContain('elections closed 30+ days ago: closed\n');
      expect(dry.stdout).toContain('would delete: 3 subscriptions, 6 contacts, 6 consent records');
      expect(dry.stdout).toMatch(
        /of which never confirmed: \d+ contacts, \d+ emptied subscriptions; \d+ abandoned codes/,
      );
      expect(await remainingSubscriptions()).toHaveLength(8);

      const real = await cli('purge-contacts', '--days', '30', '--json');
      expect(real).toMatchObject({ code: 0 });
      expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, subscriptions: 3, contacts: 6, consents: 6 });
      expect(await remainingSubscriptions()).toHaveLength(5);
    });

    it('purge-contacts refuses a retention that is not a whole number of days', async () => {
      const refused = await cli('purge-contacts', '--days', '-3');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/whole number of days/);
      expect(await remainingSubscriptions()).toHaveLength(8);
    });
  });
});
