/**
 * A ballot whose county has no `counties` row (a single-county deployment, a demo, a vendor that
 * only posts voters and ballots): with a fallback (DEFAULT_COUNTY_* or the development defaults) the
 * notice goes out naming it; without one it fails as CountyNotConfigured, as before.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNoticeActivities, type SendNoticeInput } from '../../activities/notices.js';
import { countyFallback, type CountyFallback } from '../../delivery/county.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestDelivery, TEST_PUBLIC_BASE_URL, type TestDelivery } from '../helpers/delivery.js';
import { FIXTURE_PEOPLE, type FixturePerson } from '../helpers/history-pii-fixtures.js';

const [THADDEUS, XIOMARA, EVANGELINA] = FIXTURE_PEOPLE as [FixturePerson, FixturePerson, FixturePerson];
const E = 'e-county-fallback';
let counter = 0;

describe('a notice for a ballot whose county has no county record', () => {
  let db: TestDatabase;
  let delivery: TestDelivery;
  const env = new MockActivityEnvironment();
  const fallback = { name: 'Lassen County Elections', phone: '(530) 555-0123', url: 'https://vote.lassen.example' };

  async function voterWith(person: FixturePerson, county: string, channel: 'sms' | 'email') {
    counter += 1;
    const voterId = `cf-voter-${counter}`;
    await db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
                 VALUES (${voterId}, ${county}, ${person.firstName}, ${person.lastName}, ${person.dateOfBirth}, ${person.zip})`;
    const [subscription] = await db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, timezone) VALUES (${voterId}, 'en', 'America/Los_Angeles')
      RETURNING subscription_id`;
    await db.sql`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${subscription!.subscription_id}, ${channel}, ${channel === 'sms' ? person.phone : person.email}, now())`;
    return voterId;
  }

  function notice(voterId: string, channel: 'sms' | 'email'): SendNoticeInput {
    counter += 1;
    return {
      electionId: E,
      ballotId: `b-cf-${counter}`,
      voterId,
      channel,
      noticeKey: 'received#0',
      sequence: 0,
      messageKey: 'status.received',
      language: 'en',
      windowClosesAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
    };
  }

  function sendNoticeWith(countyFallback: CountyFallback | undefined) {
    return createNoticeActivities({ sql: db.sql, senders: delivery.senders, links: delivery.links, countyFallback })
      .sendNotice;
  }

  /** The fallback `countyFallback(config)` derives with every DEFAULT_COUNTY_* unset. */
  function fallbackWithoutDefaults(NODE_ENV: 'development' | 'production', PUBLIC_BASE_URL: string) {
    return countyFallback({
      NODE_ENV,
      PUBLIC_BASE_URL,
      DEFAULT_COUNTY_NAME: undefined,
      DEFAULT_COUNTY_PHONE: undefined,
      DEFAULT_COUNTY_URL: undefined,
    });
  }

  async function ledger(input: SendNoticeInput) {
    const [row] = await db.sql<{ state: string; error_code: string | null }[]>`
      SELECT state, error_code FROM notice_deliveries WHERE election_id = ${input.electionId} AND ballot_id = ${input.ballotId}`;
    return row;
  }

  beforeAll(async () => {
    [db, delivery] = await Promise.all([createTestDatabase(), startTestDelivery()]);
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone) VALUES (${E}, 'General', '2099-11-03', 'America/Los_Angeles')`;
    // A partial record: the CLI was run with a name only.
    await db.sql`INSERT INTO counties (county, name) VALUES ('plumas', 'Plumas County Clerk')`;
  });

  beforeEach(() => {
    delivery.sandbox.twilio.reset();
    delivery.sandbox.sendgrid.reset();
  });

  afterAll(async () => {
    await delivery?.close();
    await db?.drop();
  });

  it('with a fallback, sends the SMS naming the fallback county and records it sent', async () => {
    const sendNotice = sendNoticeWith(fallback);
    const input = notice(await voterWith(THADDEUS, 'lassen', 'sms'), 'sms');

    expect(await env.run(sendNotice, input)).toEqual({ outcome: 'sent' });
    const [message] = delivery.sandbox.twilio.messages;
    expect(message?.to).toBe(THADDEUS.phone);
    expect(message?.body).toContain('Lassen County Elections');
    expect(await ledger(input)).toMatchObject({ state: 'sent', error_code: null });
  });

  it('with the development defaults, sends an email naming "Elections Office" with links to PUBLIC_BASE_URL', async () => {
    const development = fallbackWithoutDefaults('development', TEST_PUBLIC_BASE_URL);
    const sendNotice = sendNoticeWith(development);
    const input = notice(await voterWith(XIOMARA, 'lassen', 'email'), 'email');

    expect(await env.run(sendNotice, input)).toEqual({ outcome: 'sent' });
    const [email] = delivery.sandbox.sendgrid.messages;
    expect(email?.to).toContain(XIOMARA.email);
    expect(email?.text).toContain('Elections Office');
    expect(email?.text).toContain('(555) 010-0100');
    expect(email?.text).toContain(TEST_PUBLIC_BASE_URL);
  });

  it('falls back per field for a partial record: the record name, the fallback phone', async () => {
    const sendNotice = sendNoticeWith(fallback);
    const input = notice(await voterWith(EVANGELINA, 'plumas', 'sms'), 'sms');

    expect(await env.run(sendNotice, input)).toEqual({ outcome: 'sent' });
    const body = delivery.sandbox.twilio.messages[0]?.body ?? '';
    expect(body).toContain('Plumas County Clerk');
    expect(body).not.toContain('Lassen County Elections');
  });

  it('without a fallback (production with DEFAULT_COUNTY_* unset), fails as CountyNotConfigured and sends nothing', async () => {
    const production = fallbackWithoutDefaults('production', 'https://vote.example.gov');
    const sendNotice = sendNoticeWith(production);
    const input = notice(await voterWith(THADDEUS, 'modoc', 'sms'), 'sms');

    await expect(env.run(sendNotice, input)).rejects.toMatchObject({
      type: 'CountyNotConfigured',
      nonRetryable: true,
    });
    expect(delivery.sandbox.twilio.messages).toHaveLength(0);
    expect(await ledger(input)).toMatchObject({ state: 'pending', error_code: 'CountyNotConfigured' });
  });
});
