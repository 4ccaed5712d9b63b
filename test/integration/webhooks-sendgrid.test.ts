/**
 * SendGrid's event webhook against the real router on port 0, a real database and the fake
 * SendGrid, which signs each batch with ECDSA exactly as SendGrid does.
 */
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorMiddleware } from '../../api/errors.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { createSendGridWebhookRouter } from '../../api/webhooks/index.js';
import { createSendGridEmailSender, type EmailSender } from '../../delivery/providers/index.js';
import { createLogger } from '../../lib/logger.js';
import { FakeSendGrid } from '../../sandbox/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const logger = createLogger({ LOG_LEVEL: 'silent' }, 'test');

describe('SendGrid event webhook', () => {
  let db: TestDatabase;
  let fake: FakeSendGrid;
  let server: RunningServer;
  let email: EmailSender;
  let eventsUrl: string;
  const signalled: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await FakeSendGrid.start();
    const app = express();
    // A global JSON parser elsewhere in the app must not see this path first: the signature
    // covers the raw bytes. Here one is mounted after the router, as the wiring should be.
    app.use(
      '/webhooks/sendgrid',
      createSendGridWebhookRouter({
        sql: db.sql,
        logger,
        config: { sendgridWebhookPublicKey: fake.publicKey, sendgridMaxAgeMs: 5 * 60_000 },
        signalVoterBallots: (voterId) => {
          signalled.push(voterId);
          return Promise.resolve();
        },
      }),
    );
    app.use(express.json());
    app.use(errorMiddleware(logger));
    server = await startServer(app, '127.0.0.1', 0);
    eventsUrl = `${server.url}/webhooks/sendgrid/events`;
    fake.eventWebhookUrl = eventsUrl;
    email = createSendGridEmailSender({
      apiKey: fake.apiKey,
      apiBaseUrl: fake.url,
      fromEmail: 'notices@vote.example.gov',
    });
    await db.sql`INSERT INTO counties (county, name, phone, url) VALUES ('SC', 'Santa Clara', '408-299-8683', 'https://vote.example.gov')`;
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
  async function voterWithEmail(address: string) {
    const voterId = `V${++seq}`;
    await db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
                 VALUES (${voterId}, 'SC', 'Ana', 'Test', '1980-01-01', '95110')`;
    const [sub] = await db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, timezone) VALUES (${voterId}, 'America/Los_Angeles') RETURNING subscription_id`;
    const [contact] = await db.sql<{ contact_id: string }[]>`
      INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${sub!.subscription_id}, 'email', ${address}, now()) RETURNING contact_id`;
    return { voterId, contactId: contact!.contact_id };
  }

  /** A real send through the adapter; the ledger row as the sender leaves it. */
  async function sentEmail(address: string, options: { storeId?: boolean; correlate?: boolean } = {}) {
    const { voterId, contactId } = await voterWithEmail(address);
    const [row] = await db.sql<{ delivery_id: string }[]>`
      INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, message_key, language, contact_id, voter_id, state)
      VALUES ('E1', ${`B-${voterId}`}, 'received', 'email', 'status.received', 'en', ${contactId}, ${voterId}, 'sending')
      RETURNING delivery_id`;
    const deliveryId = row!.delivery_id;
    const { providerMessageId } = await email.send({
      to: address,
      subject: 'We received your ballot',
      html: '<p>We received your ballot.</p>',
      text: 'We received your ballot.',
      unsubscribeUrl: 'https://vote.example.gov/unsubscribe/x',
      ...((options.correlate ?? true) ? { correlation: { delivery: deliveryId, lang: 'en' } } : {}),
    });
    if (options.storeId ?? true) {
      await db.sql`UPDATE notice_deliveries SET state = 'sent', provider = 'sendgrid', provider_message_id = ${providerMessageId}
                   WHERE delivery_id = ${deliveryId}`;
    }
    return { voterId, contactId, deliveryId, messageId: providerMessageId };
  }

  async function status(deliveryId: string) {
    const [r] = await db.sql<{ provider_status: string | null; provider_message_id: string | null }[]>`
      SELECT provider_status, provider_message_id FROM notice_deliveries WHERE delivery_id = ${deliveryId}`;
    return r!;
  }

  async function contact(contactId: string) {
    const [r] = await db.sql<{ disabled_reason: string | null; opted_out: boolean }[]>`
      SELECT disabled_reason, opted_out_at IS NOT NULL AS opted_out FROM contacts WHERE contact_id = ${contactId}`;
    return r!;
  }

  async function eventCount(): Promise<number> {
    const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM provider_webhook_events`;
    return r!.n;
  }

  it('applies a signed batch: processed then delivered', async () => {
    const { deliveryId, messageId } = await sentEmail('one@example.com');
    const batch = await fake.postEvents(fake.eventsFor(messageId, ['processed', 'delivered']));
    expect(batch.status).toBe(204);
    expect(await status(deliveryId)).toEqual({ provider_status: 'delivered', provider_message_id: messageId });
  });

  it('rejects tampered (403), unsigned (401) and stale (403) batches and changes nothing', async () => {
    const { deliveryId, contactId, messageId } = await sentEmail('two@example.com');
    const before = await eventCount();
    const events = fake.eventsFor(messageId, ['bounce'], { type: 'bounce', reason: '550 no such user' });
    expect((await fake.postEvents(events, { tamper: true })).status).toBe(403);
    expect((await fake.postEvents(events, { unsigned: true })).status).toBe(401);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    expect((await fake.postEvents(events, { timestamp: tenMinutesAgo })).status).toBe(403);
    // Signed for another body: the signature covers every byte.
    const other = await fetch(eventsUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': fake.sign('1', '[]'),
        'X-Twilio-Email-Event-Webhook-Timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: JSON.stringify(events),
    });
    expect(other.status).toBe(403);
    expect(await eventCount()).toBe(before);
    expect(await status(deliveryId)).toMatchObject({ provider_status: null });
    expect(await contact(contactId)).toEqual({ disabled_reason: null, opted_out: false });
    expect(signalled).toEqual([]);
  });

  it('treats a replayed batch (same body, same signature) and a retried event as already applied', async () => {
    const { deliveryId, contactId, messageId, voterId } = await sentEmail('three@example.com');
    const events = fake.eventsFor(messageId, ['processed', 'bounce'], { type: 'bounce', reason: '550 no such user' });
    const first = await fake.postEvents(events);
    expect(first.status).toBe(204);
    expect(signalled).toEqual([voterId]);
    const before = await eventCount();
    const replay = await fetch(eventsUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': first.signature,
        'X-Twilio-Email-Event-Webhook-Timestamp': first.timestamp,
      },
      body: first.body,
    });
    expect(replay.status).toBe(204);
    expect((await fake.postEvents(events)).status).toBe(204); // SendGrid's own retry, newly signed
    expect(await eventCount()).toBe(before);
    expect(signalled).toEqual([voterId]);
    expect(await status(deliveryId)).toMatchObject({ provider_status: 'undelivered' });
    expect((await contact(contactId)).disabled_reason).toBe('InvalidRecipient');
  });

  it('only moves forward when batches arrive out of order', async () => {
    const { deliveryId, messageId } = await sentEmail('four@example.com');
    const [processed, deferred, delivered] = fake.eventsFor(messageId, ['processed', 'deferred', 'delivered']);
    for (const event of [delivered, deferred, processed, delivered]) await fake.postEvents([event]);
    expect((await status(deliveryId)).provider_status).toBe('delivered');
  });

  it('disables email for a bouncing address (every voter sharing it) and signals their ballots', async () => {
    const { contactId, messageId, voterId } = await sentEmail('gone@example.com');
    const sharing = await voterWithEmail('Gone@Example.com');
    await fake.postEvents(fake.eventsFor(messageId, ['bounce'], { type: 'bounce', reason: '550 5.1.1 unknown' }));
    expect(await contact(contactId)).toEqual({ disabled_reason: 'InvalidRecipient', opted_out: false });
    expect((await contact(sharing.contactId)).disabled_reason).toBe('InvalidRecipient');
    expect(new Set(signalled)).toEqual(new Set([voterId, sharing.voterId]));
  });

  it('does not disable the address for a blocked message (the receiving server refused this one)', async () => {
    const { contactId, deliveryId, messageId } = await sentEmail('blocked@example.com');
    await fake.postEvents(fake.eventsFor(messageId, ['bounce'], { type: 'blocked', reason: '554 policy' }));
    expect((await status(deliveryId)).provider_status).toBe('undelivered');
    expect((await contact(contactId)).disabled_reason).toBeNull();
    expect(signalled).toEqual([]);
  });

  it('disables email for an address dropped as bounced, and opts out one dropped as unsubscribed', async () => {
    const bounced = await sentEmail('dropped@example.com');
    const unsubscribed = await sentEmail('dropped-unsub@example.com');
    await fake.postEvents([
      ...fake.eventsFor(bounced.messageId, ['dropped'], { reason: 'Bounced Address' }),
      ...fake.eventsFor(unsubscribed.messageId, ['dropped'], { reason: 'Unsubscribed Address' }),
    ]);
    expect(await contact(bounced.contactId)).toEqual({ disabled_reason: 'InvalidRecipient', opted_out: false });
    expect(await contact(unsubscribed.contactId)).toEqual({ disabled_reason: null, opted_out: true });
    expect((await status(bounced.deliveryId)).provider_status).toBe('failed');
  });

  it.each(['unsubscribe', 'group_unsubscribe', 'spamreport'])(
    'opts the address out on %s and signals the voter',
    async (kind) => {
      const { contactId, messageId, voterId } = await sentEmail(`${kind}@example.com`);
      await fake.postEvents(fake.eventsFor(messageId, [kind]));
      expect(await contact(contactId)).toEqual({ disabled_reason: null, opted_out: true });
      expect(signalled).toEqual([voterId]);
    },
  );

  it('finds the delivery by the correlated delivery ID before the sender stored the message ID', async () => {
    const { deliveryId, messageId } = await sentEmail('early@example.com', { storeId: false });
    await fake.postEvents(fake.eventsFor(messageId, ['delivered']));
    expect(await status(deliveryId)).toEqual({ provider_status: 'delivered', provider_message_id: messageId });
  });

  it('finds the delivery by the sg_message_id prefix when the event carries no correlation', async () => {
    const { deliveryId, messageId } = await sentEmail('plain@example.com', { correlate: false });
    const [event] = fake.eventsFor(messageId, ['delivered']);
    expect(event!.sg_message_id).not.toBe(messageId);
    await fake.postEvents([event]);
    expect((await status(deliveryId)).provider_status).toBe('delivered');
  });

  it('ignores engagement events and answers 400 to a signed body that is not an array', async () => {
    const { deliveryId, messageId } = await sentEmail('open@example.com');
    expect((await fake.postEvents(fake.eventsFor(messageId, ['open', 'click']))).status).toBe(204);
    expect((await status(deliveryId)).provider_status).toBeNull();
    expect((await fake.postEvents({} as unknown as unknown[])).status).toBe(400);
  });

  it('fails loudly (500, so SendGrid retries) when mounted behind a JSON parser that ate the signed bytes', async () => {
    const app = express();
    app.use(express.json());
    app.use(
      '/webhooks/sendgrid',
      createSendGridWebhookRouter({ sql: db.sql, logger, config: { sendgridWebhookPublicKey: fake.publicKey } }),
    );
    app.use(errorMiddleware(logger));
    const misWired = await startServer(app, '127.0.0.1', 0);
    try {
      const { messageId } = await sentEmail('miswired@example.com');
      const batch = await fake.postEvents(fake.eventsFor(messageId, ['delivered']), {
        url: `${misWired.url}/webhooks/sendgrid/events`,
      });
      expect(batch.status).toBe(500);
    } finally {
      await misWired.stop();
    }
  });

  it('refuses to start with a malformed verification key', () => {
    expect(() =>
      createSendGridWebhookRouter({ sql: db.sql, logger, config: { sendgridWebhookPublicKey: 'not a key' } }),
    ).toThrow();
  });
});
