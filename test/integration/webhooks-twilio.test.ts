/**
 * Twilio status callbacks and inbound texts against the real routers on port 0, a real database
 * and the fake Twilio, which signs every request exactly as Twilio does.
 */
import express from 'express';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorMiddleware } from '../../api/errors.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { createTwilioWebhookRouter, type TwilioWebhookConfig } from '../../api/webhooks/index.js';
import {
  createTwilioClient,
  createTwilioSmsSender,
  createTwilioVoiceSender,
  type SmsSender,
  type VoiceSender,
} from '../../delivery/providers/index.js';
import { renderSms } from '../../delivery/templates/index.js';
import { createLogger } from '../../lib/logger.js';
import { FakeTwilio, type StatusStep } from '../../sandbox/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const logger = createLogger({ LOG_LEVEL: 'silent' }, 'test');
const COUNTY = { county: 'SC', name: 'Santa Clara & Co', phone: '408-299-8683', url: 'https://vote.example.gov' };
const OUR_NUMBER = '+14085550100';

describe('Twilio webhooks', () => {
  let db: TestDatabase;
  let fake: FakeTwilio;
  let server: RunningServer;
  let sms: SmsSender;
  let voice: VoiceSender;
  const signalled: string[] = [];
  const config: TwilioWebhookConfig = { publicBaseUrl: '', twilioAuthToken: '' };

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeTwilio.start({ callbacks: { enabled: false } });
    config.twilioAuthToken = fake.authToken;
    const app = express();
    app.use(
      '/webhooks/twilio',
      createTwilioWebhookRouter({
        sql: db.sql,
        logger,
        config,
        signalVoterBallots: (voterId) => {
          signalled.push(voterId);
          return Promise.resolve();
        },
      }),
    );
    app.use(errorMiddleware(logger));
    server = await startServer(app, '127.0.0.1', 0);
    // What Twilio is told and signs; the router reads it per request.
    config.publicBaseUrl = server.url;
    fake.inboundSmsUrl = `${server.url}/webhooks/twilio/inbound`;
    const client = createTwilioClient({ accountSid: fake.accountSid, authToken: fake.authToken, apiBaseUrl: fake.url });
    sms = createTwilioSmsSender(client, {
      from: OUR_NUMBER,
      statusCallbackUrl: `${server.url}/webhooks/twilio/status`,
    });
    voice = createTwilioVoiceSender(client, {
      from: OUR_NUMBER,
      statusCallbackUrl: `${server.url}/webhooks/twilio/call-status`,
    });
    await db.sql`INSERT INTO counties (county, name, phone, url) VALUES (${COUNTY.county}, ${COUNTY.name}, ${COUNTY.phone}, ${COUNTY.url})`;
  });

  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await db?.drop();
  });

  beforeEach(() => {
    signalled.length = 0;
  });

  let seq = 0;
  /** A voter with an active, verified subscription and one contact; returns the IDs. */
  async function voterWith(channel: 'sms' | 'voice' | 'email', address: string, language = 'en') {
    const voterId = `V${++seq}`;
    await db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, language)
                 VALUES (${voterId}, ${COUNTY.county}, 'Ana', 'Test', '1980-01-01', '95110', ${language})`;
    const [sub] = await db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, timezone) VALUES (${voterId}, ${language}, 'America/Los_Angeles')
      RETURNING subscription_id`;
    const [contact] = await db.sql<{ contact_id: string }[]>`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${sub!.subscription_id}, ${channel}, ${address}, now()) RETURNING contact_id`;
    return { voterId, contactId: contact!.contact_id };
  }

  /** A ledger row claimed for sending, as the sender writes it before calling the provider. */
  async function delivery(voterId: string, contactId: string, channel: 'sms' | 'voice') {
    const [row] = await db.sql<{ delivery_id: string }[]>`
      INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, message_key, language, contact_id, voter_id, state)
      VALUES ('E1', ${`B-${voterId}-${channel}`}, 'received', ${channel}, 'status.received', 'en', ${contactId}, ${voterId}, 'sending')
      RETURNING delivery_id`;
    return row!.delivery_id;
  }

  async function row(deliveryId: string) {
    const [r] = await db.sql<
      { provider_status: string | null; provider_message_id: string | null; provider_error_code: string | null }[]
    >`SELECT provider_status, provider_message_id, provider_error_code FROM notice_deliveries WHERE delivery_id = ${deliveryId}`;
    return r!;
  }

  async function eventCount(): Promise<number> {
    const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM provider_webhook_events`;
    return r!.n;
  }

  /** Sends a real SMS through the adapter and stores the sid as the sender does. */
  async function sentSms(to: string, options: { storeSid?: boolean } = {}) {
    const { voterId, contactId } = await voterWith('sms', to);
    const deliveryId = await delivery(voterId, contactId, 'sms');
    const { providerMessageId } = await sms.send({
      to,
      body: 'Your ballot was received.',
      validityPeriodSeconds: 3600,
      correlation: { delivery: deliveryId, lang: 'en' },
    });
    if (options.storeSid ?? true) {
      await db.sql`UPDATE notice_deliveries SET state = 'sent', provider = 'twilio', provider_message_id = ${providerMessageId}
                   WHERE delivery_id = ${deliveryId}`;
    }
    return { voterId, contactId, deliveryId, sid: providerMessageId };
  }

  async function callback(sid: string, step: StatusStep) {
    const sent = await fake.sendStatusCallback(sid, step);
    expect(sent.status).toBe(204);
    return sent;
  }

  describe('status callbacks', () => {
    it('moves the delivery forward on signed callbacks', async () => {
      const { deliveryId, sid } = await sentSms('+14085551001');
      await callback(sid, 'sent');
      expect(await row(deliveryId)).toMatchObject({ provider_status: 'sent', provider_message_id: sid });
      await callback(sid, 'delivered');
      expect((await row(deliveryId)).provider_status).toBe('delivered');
    });

    it('rejects a forged or unsigned callback with 403 and changes nothing', async () => {
      const { deliveryId, sid } = await sentSms('+14085551002');
      const before = await eventCount();
      const url = `${server.url}/webhooks/twilio/status?delivery=${deliveryId}`;
      const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: fake.accountSid };
      const forged = twilioSignatureWith('not-the-token', url, params);
      for (const headers of [{ 'X-Twilio-Signature': forged }, {}] as Array<Record<string, string>>) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(params),
        });
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ error: { code: 'invalid_signature' } });
      }
      // Signed for another URL: the delivery ID in the query is covered by the signature.
      const other = await fetch(url.replace(deliveryId, crypto.randomUUID()), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': fake.sign(url, params) },
        body: new URLSearchParams(params),
      });
      expect(other.status).toBe(403);
      expect((await row(deliveryId)).provider_status).toBeNull();
      expect(await eventCount()).toBe(before);
    });

    it('finds the delivery by the correlated delivery ID when the sender never stored the sid', async () => {
      const { deliveryId, sid } = await sentSms('+14085551003', { storeSid: false });
      expect((await row(deliveryId)).provider_message_id).toBeNull();
      await callback(sid, 'sent');
      expect(await row(deliveryId)).toMatchObject({ provider_status: 'sent', provider_message_id: sid });
    });

    it('ends at the furthest status whatever the order, and repeats change nothing', async () => {
      const orders: StatusStep[][] = [
        ['delivered', 'sent', 'queued', 'sending'],
        ['sent', 'sent', 'delivered', 'sent', 'delivered', 'queued'],
        ['queued', 'delivered', 'sending', 'sent'],
      ];
      for (const order of orders) {
        const { deliveryId, sid } = await sentSms(`+1408555${String(2000 + orders.indexOf(order))}`);
        for (const step of order) await callback(sid, step);
        expect((await row(deliveryId)).provider_status).toBe('delivered');
        const [events] = await db.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM provider_webhook_events WHERE provider = 'twilio' AND event_id LIKE ${sid + ':%'}`;
        expect(events!.n).toBe(new Set(order).size);
      }
    });

    it('ends at the furthest status when callbacks race each other', async () => {
      const { deliveryId, sid } = await sentSms('+14085552100');
      const steps: StatusStep[] = ['sent', 'queued', 'delivered', 'sending', 'sent', 'delivered'];
      const answers = await Promise.all(steps.map((step) => fake.sendStatusCallback(sid, step)));
      expect(answers.map((a) => a.status)).toEqual(steps.map(() => 204));
      expect((await row(deliveryId)).provider_status).toBe('delivered');
    });

    it('keeps the first final status: a late "delivered" does not overwrite "undelivered"', async () => {
      const { deliveryId, sid } = await sentSms('+14085551004');
      await callback(sid, { status: 'undelivered', errorCode: 30003 });
      await callback(sid, 'delivered');
      await callback(sid, 'sent');
      expect(await row(deliveryId)).toMatchObject({ provider_status: 'undelivered', provider_error_code: '30003' });
    });

    it('answers a replayed callback (same body, same signature) without applying it twice', async () => {
      const { deliveryId, sid } = await sentSms('+14085551005');
      const first = await callback(sid, { status: 'undelivered', errorCode: 30006 });
      expect(signalled).toHaveLength(1);
      const before = await eventCount();
      const replay = await fetch(first.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': first.signature },
        body: new URLSearchParams(first.params),
      });
      expect(replay.status).toBe(204);
      expect(await eventCount()).toBe(before);
      expect(signalled).toHaveLength(1);
      expect((await row(deliveryId)).provider_status).toBe('undelivered');
    });

    it('disables SMS for a landline (30006) and signals the voter, leaving other channels alone', async () => {
      const { voterId, contactId, sid } = await sentSms('+14085551006');
      const [sub] = await db.sql<{ subscription_id: string }[]>`
        SELECT subscription_id FROM contacts WHERE contact_id = ${contactId}`;
      await db.sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
                   VALUES (${sub!.subscription_id}, 'voice', '+14085551006', now())`;
      await callback(sid, 'sent');
      await callback(sid, { status: 'undelivered', errorCode: 30006 });
      const contacts = await db.sql<{ channel: string; disabled_reason: string | null }[]>`
        SELECT channel, disabled_reason FROM contacts WHERE subscription_id = ${sub!.subscription_id} ORDER BY channel`;
      expect(contacts).toEqual([
        { channel: 'sms', disabled_reason: 'LandlineNumber' },
        { channel: 'voice', disabled_reason: null },
      ]);
      expect(signalled).toEqual([voterId]);
    });

    it('does not disable the contact for a temporary failure (30003)', async () => {
      const { contactId, sid } = await sentSms('+14085551007');
      await callback(sid, { status: 'undelivered', errorCode: 30003 });
      const [contact] = await db.sql`SELECT disabled_reason FROM contacts WHERE contact_id = ${contactId}`;
      expect(contact!.disabled_reason).toBeNull();
      expect(signalled).toEqual([]);
    });

    it('answers 204 to a status we do not track and to a message we do not know', async () => {
      const { deliveryId, sid } = await sentSms('+14085551008');
      await callback(sid, 'accepted');
      expect((await row(deliveryId)).provider_status).toBeNull();
      const url = `${server.url}/webhooks/twilio/status`;
      const params = { MessageSid: 'SMunknown', MessageStatus: 'delivered' };
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': fake.sign(url, params) },
        body: new URLSearchParams(params),
      });
      expect(response.status).toBe(204);
    });

    it('tracks calls on /call-status: answered is sent, completed is delivered', async () => {
      const { voterId, contactId } = await voterWith('voice', '+14085551009');
      const deliveryId = await delivery(voterId, contactId, 'voice');
      const { providerMessageId: sid } = await voice.send({
        to: '+14085551009',
        language: 'es',
        text: 'Recibimos su boleta.',
        englishText: 'We received your ballot.',
        correlation: { delivery: deliveryId, lang: 'es' },
      });
      await callback(sid, 'completed');
      await callback(sid, 'in-progress');
      expect(await row(deliveryId)).toMatchObject({ provider_status: 'delivered', provider_message_id: sid });
    });
  });

  describe('inbound texts', () => {
    function replyText(twiml: string): string | undefined {
      const match = /<Message>([\s\S]*)<\/Message>/.exec(twiml);
      return match?.[1]?.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
    }

    async function inbound(from: string, body: string) {
      const answer = await fake.simulateInboundSms({ from, to: OUR_NUMBER, body });
      expect(answer.status).toBe(200);
      return answer.body;
    }

    async function optedOut(address: string): Promise<boolean[]> {
      const rows = await db.sql<{ out: boolean }[]>`
        SELECT opted_out_at IS NOT NULL AS out FROM contacts WHERE channel = 'sms' AND address = ${address} ORDER BY created_at`;
      return rows.map((r) => r.out);
    }

    it('STOP opts out every SMS contact with the number and signals each voter; START turns them back on', async () => {
      const number = '+14085553001';
      const first = await voterWith('sms', number);
      const second = await voterWith('sms', number, 'es'); // a household sharing one phone
      const other = await voterWith('sms', '+14085553002');

      const stopped = await inbound(number, ' stop ');
      expect(await optedOut(number)).toEqual([true, true]);
      expect(await optedOut('+14085553002')).toEqual([false]);
      expect(new Set(signalled)).toEqual(new Set([first.voterId, second.voterId]));
      expect(stopped).toContain('<Message>');
      expect(signalled).not.toContain(other.voterId);

      signalled.length = 0;
      const started = await inbound(number, 'Start');
      expect(await optedOut(number)).toEqual([false, false]);
      expect(new Set(signalled)).toEqual(new Set([first.voterId, second.voterId]));
      expect(replyText(started)).toMatch(/again|reactivaron/);
    });

    it.each([
      ['ALTO', 'es', 'opted_out'],
      ['parar', 'es', 'opted_out'],
      ['停止', 'zh-Hant', 'opted_out'],
      ['DỪNG', 'vi', 'opted_out'],
    ] as const)('understands the localized keyword %s and answers in %s', async (word, language, key) => {
      const number = `+1408555${4000 + ++seq}`;
      const { voterId } = await voterWith('sms', number, language);
      const reply = await inbound(number, word);
      expect(await optedOut(number)).toEqual([true]);
      expect(signalled).toEqual([voterId]);
      expect(replyText(reply)).toBe(
        renderSms(key, language, { countyName: COUNTY.name, countyPhone: COUNTY.phone, countyUrl: COUNTY.url }).text,
      );
    });

    it('answers HELP in Spanish for a Spanish-speaking voter, escaped as TwiML', async () => {
      const number = '+14085553003';
      await voterWith('sms', number, 'es-MX');
      for (const word of ['HELP', 'Ayuda']) {
        const reply = await inbound(number, word);
        expect(reply).toMatch(/^<\?xml[^>]*\?><Response><Message>[\s\S]*<\/Message><\/Response>$/);
        expect(reply).toContain('Santa Clara &amp; Co'); // escaped, not raw '&'
        expect(replyText(reply)).toBe(
          renderSms('help_reply', 'es', { countyName: COUNTY.name, countyPhone: COUNTY.phone, countyUrl: COUNTY.url })
            .text,
        );
        expect(replyText(reply)).toContain('Para ayuda, llame al 408-299-8683');
      }
      expect(await optedOut(number)).toEqual([false]);
      expect(signalled).toEqual([]);
    });

    it('answers anything else with the county phone number, changing nothing', async () => {
      const number = '+14085553004';
      await voterWith('sms', number);
      const reply = await inbound(number, 'When does my ballot arrive? <stop>');
      expect(replyText(reply)).toContain('We cannot read replies to this number. For help, call 408-299-8683.');
      expect(await optedOut(number)).toEqual([false]);
    });

    it('answers an unknown number in English', async () => {
      const help = await inbound('+14085559999', 'ayuda');
      expect(replyText(help)).toBe(
        renderSms('help_reply', 'en', { countyName: COUNTY.name, countyPhone: COUNTY.phone, countyUrl: COUNTY.url })
          .text,
      );
      const other = await inbound('+14085559999', 'hello');
      expect(replyText(other)).toContain('We cannot read replies');
    });

    it("follows Twilio's own OptOutType (Advanced Opt-Out keywords configured in its console)", async () => {
      const number = '+14085553006';
      const { voterId } = await voterWith('sms', number, 'tl');
      const url = `${server.url}/webhooks/twilio/inbound`;
      const params = { From: number, To: OUR_NUMBER, Body: 'Tama na', OptOutType: 'STOP', MessageSid: 'SMopt' };
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': fake.sign(url, params) },
        body: new URLSearchParams(params),
      });
      expect(response.status).toBe(200);
      expect(await optedOut(number)).toEqual([true]);
      expect(signalled).toEqual([voterId]);
    });

    it('rejects an unsigned or forged inbound text with 403 and changes nothing', async () => {
      const number = '+14085553005';
      await voterWith('sms', number);
      const url = `${server.url}/webhooks/twilio/inbound`;
      const params = { From: number, To: OUR_NUMBER, Body: 'STOP', MessageSid: 'SMforged' };
      for (const headers of [{}, { 'X-Twilio-Signature': twilioSignatureWith('guess', url, params) }] as Array<
        Record<string, string>
      >) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(params),
        });
        expect(response.status).toBe(403);
      }
      expect(await optedOut(number)).toEqual([false]);
      expect(signalled).toEqual([]);
    });
  });
});

function twilioSignatureWith(token: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(token, url, params);
}
