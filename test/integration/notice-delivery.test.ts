import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNoticeActivities, type SendNoticeInput } from '../../activities/notices.js';
import { verifyManageToken } from '../../lib/manage-token.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedCounty, startTestDelivery, TEST_MANAGE_SECRET, type TestDelivery } from '../helpers/delivery.js';

let counter = 0;

describe('sending a notice through the real provider SDKs (sandbox fakes) with the ledger', () => {
  let db: TestDatabase;
  let delivery: TestDelivery;
  let sendNotice: ReturnType<typeof createNoticeActivities>['sendNotice'];
  const env = new MockActivityEnvironment();
  const run = (input: SendNoticeInput) => env.run(sendNotice, input);

  async function voterWith(channel: 'sms' | 'email' | 'voice', address: string, language = 'es') {
    counter += 1;
    const voterId = `nd-voter-${counter}`;
    await db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
                 VALUES (${voterId}, 'sacramento', 'Marisol', 'Quintanilla-Reyes', '1961-04-17', '95814')`;
    const [subscription] = await db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, timezone) VALUES (${voterId}, ${language}, 'America/Los_Angeles')
      RETURNING subscription_id`;
    const [contact] = await db.sql<{ contact_id: string }[]>`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${subscription!.subscription_id}, ${channel}, ${address}, now()) RETURNING contact_id`;
    return { voterId, contactId: contact!.contact_id, subscriptionId: subscription!.subscription_id };
  }

  function notice(
    voterId: string,
    channel: SendNoticeInput['channel'],
    extra: Partial<SendNoticeInput> = {},
  ): SendNoticeInput {
    counter += 1;
    return {
      electionId: 'e-delivery',
      ballotId: `b-${counter}`,
      voterId,
      channel,
      noticeKey: 'received#0',
      sequence: 0,
      messageKey: 'status.received',
      language: 'es',
      windowClosesAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
      ...extra,
    };
  }

  async function ledger(input: SendNoticeInput) {
    const [row] = await db.sql<
      {
        state: string;
        provider_message_id: string | null;
        attempts: number;
        unknown_outcomes: number;
        error_code: string | null;
      }[]
    >`SELECT state, provider_message_id, attempts, unknown_outcomes, error_code FROM notice_deliveries
      WHERE election_id = ${input.electionId} AND ballot_id = ${input.ballotId}`;
    return row;
  }

  beforeAll(async () => {
    [db, delivery] = await Promise.all([
      createTestDatabase(),
      startTestDelivery({ twilio: { faults: { hangMs: 8_000 } } }),
    ]);
    await seedCounty(db.sql, 'sacramento');
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone) VALUES ('e-delivery', 'General', '2099-11-03', 'America/Los_Angeles')`;
    sendNotice = createNoticeActivities({ sql: db.sql, senders: delivery.senders, links: delivery.links }).sendNotice;
  });

  beforeEach(() => {
    delivery.sandbox.twilio.reset();
  });

  afterAll(async () => {
    await delivery?.close();
    await db?.drop();
  });

  it('sends an SMS in the voter language with the county name, a validity period inside the window, and records it', async () => {
    const { voterId } = await voterWith('sms', '+19165550142');
    const input = notice(voterId, 'sms');
    expect(await run(input)).toEqual({ outcome: 'sent' });
    const [message] = delivery.sandbox.twilio.messages;
    expect(message?.to).toBe('+19165550142');
    expect(message?.body).toContain('Sacramento County Elections');
    expect(message?.validityPeriod).toBeGreaterThan(7_000);
    expect(message?.validityPeriod).toBeLessThanOrEqual(7_200);
    expect(message?.statusCallback).toMatch(/\/webhooks\/twilio\/status\?.*delivery=/);
    expect(await ledger(input)).toMatchObject({ state: 'sent', provider_message_id: message!.sid, attempts: 1 });
  });

  it.each(['sms', 'email', 'voice'] as const)(
    'words a challenged ballot on %s with the reason, the cure deadline and the county cure form',
    async (channel) => {
      const address = channel === 'email' ? 'cure.check@example.org' : `+1916555016${channel === 'sms' ? 1 : 2}`;
      const { voterId } = await voterWith(channel, address, 'en');
      const input = notice(voterId, channel, {
        language: 'en',
        noticeKey: 'challenged#0',
        messageKey: 'status.challenged',
        details: { reason: 'signature_mismatch', cureDeadline: '2099-11-06T01:00:00.000Z' },
      });
      expect(await run(input)).toEqual({ outcome: 'sent' });
      const text =
        channel === 'email'
          ? delivery.sandbox.sendgrid.messages.at(-1)!.text!
          : channel === 'sms'
            ? delivery.sandbox.twilio.messages.at(-1)!.body!
            : delivery.sandbox.twilio.messages.at(-1)!.twiml!;
      expect(text).toMatch(/November 5/);
      if (channel !== 'voice') expect(text).toContain(`elections.sacramento.example/cure?ballot=${input.ballotId}`);
    },
  );

  it('does not send again when a retried attempt finds the notice already sent', async () => {
    const { voterId } = await voterWith('sms', '+19165550143');
    const input = notice(voterId, 'sms');
    await run(input);
    expect(await run(input)).toEqual({ outcome: 'sent' });
    expect(delivery.sandbox.twilio.messages).toHaveLength(1);
  });

  it('after an unknown outcome, sends again unless a status callback already named the message', async () => {
    const { voterId } = await voterWith('sms', '+19165550144');
    const input = notice(voterId, 'sms');
    delivery.sandbox.twilio.failNext({ kind: 'server_error', status: 500 });
    await expect(run(input)).rejects.toMatchObject({ type: 'UnknownOutcome', nonRetryable: false });
    expect(await ledger(input)).toMatchObject({ state: 'sending' });
    expect(await run(input)).toEqual({ outcome: 'sent' });
    expect(await ledger(input)).toMatchObject({ state: 'sent', attempts: 2, unknown_outcomes: 1 });

    const reconciled = notice(voterId, 'sms');
    delivery.sandbox.twilio.failNext({ kind: 'server_error', status: 500 });
    await expect(run(reconciled)).rejects.toMatchObject({ type: 'UnknownOutcome' });
    await db.sql`UPDATE notice_deliveries SET provider_status = 'delivered' WHERE ballot_id = ${reconciled.ballotId}`;
    const before = delivery.sandbox.twilio.messages.length;
    expect(await run(reconciled)).toEqual({ outcome: 'sent' });
    expect(delivery.sandbox.twilio.messages).toHaveLength(before);
  });

  it('does not send again when a callback names the message after an unknown outcome and a rate limit', async () => {
    const { voterId } = await voterWith('sms', '+19165550149');
    const input = notice(voterId, 'sms');
    delivery.sandbox.twilio.failNext(
      { kind: 'server_error', status: 500 },
      { kind: 'rate_limit', retryAfterSeconds: 1 },
    );
    await expect(run(input)).rejects.toMatchObject({ type: 'UnknownOutcome' });
    await expect(run(input)).rejects.toMatchObject({ nextRetryDelay: 1_000 });
    await db.sql`UPDATE notice_deliveries SET provider_status = 'sent' WHERE ballot_id = ${input.ballotId}`;
    const before = delivery.sandbox.twilio.messages.length;
    expect(await run(input)).toEqual({ outcome: 'sent' });
    expect(delivery.sandbox.twilio.messages).toHaveLength(before);
    expect(await ledger(input)).toMatchObject({ state: 'sent', error_code: null });
  });

  it.each([
    ['+15005550001', 'InvalidRecipient', 'disabled_reason'],
    ['+15005550004', 'RecipientOptedOut', 'opted_out_at'],
    ['+15005550009', 'NotMobileNumber', 'disabled_reason'],
    ['+15005550010', 'LandlineNumber', 'disabled_reason'],
  ] as const)(
    'a permanent refusal for %s fails without retry as %s and marks the contact',
    async (phone, type, column) => {
      const { voterId, contactId } = await voterWith('sms', phone);
      const input = notice(voterId, 'sms');
      const error = await run(input).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({ type, nonRetryable: true });
      expect(JSON.stringify(error)).not.toContain(phone);
      expect(await ledger(input)).toMatchObject({ state: 'failed', error_code: type });
      const [contact] =
        await db.sql`SELECT opted_out_at, disabled_reason FROM contacts WHERE contact_id = ${contactId}`;
      expect(contact![column]).not.toBeNull();
    },
  );

  it('a rate limit is retried after the provider-given delay', async () => {
    const { voterId } = await voterWith('sms', '+19165550145');
    const input = notice(voterId, 'sms');
    delivery.sandbox.twilio.failNext({ kind: 'rate_limit', retryAfterSeconds: 3 });
    await expect(run(input)).rejects.toMatchObject({ nonRetryable: false, nextRetryDelay: 3_000 });
    expect(await ledger(input)).toMatchObject({ state: 'pending' });
    expect(await run(input)).toEqual({ outcome: 'sent' });
  });

  it('does not start an SMS when the voter window is about to close', async () => {
    const { voterId } = await voterWith('sms', '+19165550146');
    const input = notice(voterId, 'sms', { windowClosesAt: new Date(Date.now() + 20_000).toISOString() });
    await expect(run(input)).rejects.toMatchObject({ type: 'WindowClosing' });
    expect(delivery.sandbox.twilio.messages).toHaveLength(0);
  });

  it('sends an email with both parts and a signed one-click unsubscribe link', async () => {
    const { voterId, subscriptionId } = await voterWith('email', 'marisol.qr@example.org', 'ko');
    const input = notice(voterId, 'email', {
      language: 'ko',
      messageKey: 'status.accepted.will_be_counted',
      noticeKey: 'accepted#0',
    });
    expect(await run(input)).toEqual({ outcome: 'sent' });
    const email = delivery.sandbox.sendgrid.messages.at(-1)!;
    expect(email.to).toEqual(['marisol.qr@example.org']);
    expect(email.subject).toContain('Sacramento County Elections');
    expect(email.html).toContain('Sacramento County Elections');
    expect(email.text).toBeTruthy();
    const unsubscribe = /<([^>]+)>/.exec(email.headers['List-Unsubscribe'] ?? '')?.[1];
    const token = new URL(unsubscribe!).searchParams.get('token')!;
    // Scoped to the contact it was sent to, at the subscription's token version (issue 13).
    const [contact] = await db.sql<{ contact_id: string }[]>`
      SELECT contact_id FROM contacts WHERE subscription_id = ${subscriptionId} AND channel = 'email'`;
    expect(verifyManageToken(TEST_MANAGE_SECRET, token)).toEqual({
      ok: true,
      subscriptionId,
      version: 0,
      contactId: contact!.contact_id,
    });
    expect(email.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(JSON.stringify(email.customArgs)).not.toContain('marisol');
  });

  it('calls with TwiML that says the message twice in the voter language', async () => {
    const { voterId } = await voterWith('voice', '+19165550147');
    const input = notice(voterId, 'voice');
    expect(await run(input)).toEqual({ outcome: 'sent' });
    const call = delivery.sandbox.twilio.messages.at(-1)!;
    expect(call.channel).toBe('voice');
    expect(call.twiml?.match(/<Say[^>]*language="es-/g)).toHaveLength(2);
  });

  it('skips a notice whose channel has no verified contact any more', async () => {
    const { voterId, contactId } = await voterWith('sms', '+19165550148');
    await db.sql`UPDATE contacts SET opted_out_at = now() WHERE contact_id = ${contactId}`;
    const input = notice(voterId, 'sms');
    expect(await run(input)).toEqual({ outcome: 'skipped', reason: 'no verified contact for this channel' });
    expect(delivery.sandbox.twilio.messages).toHaveLength(0);
  });
});
