/**
 * The real @sendgrid/mail SDK against the fake SendGrid on port 0: the message on the wire, every
 * error status, and signed event webhooks (duplicates, out of order, replays).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSendGridEmailSender,
  DELIVERY_STATUS_RANK,
  parseSendGridOptOut,
  sendGridPublicKey,
  toApplicationFailure,
  verifySendGridSignature,
  type DeliveryStatus,
  type EmailSender,
  type EmailSendInput,
} from '../../delivery/providers/index.js';
import { FakeSendGrid } from '../../sandbox/fake-sendgrid.js';
import { WebhookRecorder } from '../../sandbox/webhook-recorder.js';

const FROM = 'ballots@vote.county.example';

let fake: FakeSendGrid;
let webhooks: WebhookRecorder;
let email: EmailSender;

const input: EmailSendInput = {
  to: 'voter@example.com',
  subject: 'Your ballot was received',
  html: '<p>Your ballot was <b>received</b>.</p>',
  text: 'Your ballot was received.',
  unsubscribeUrl: 'https://tracker.example/u/opaque-token',
  correlation: { deliveryId: 'e1:b1:received#0:email' },
};

beforeAll(async () => {
  webhooks = await WebhookRecorder.start();
  fake = await FakeSendGrid.start({
    faults: { hangMs: 5_000 },
    eventWebhookUrl: `${webhooks.url}/webhooks/sendgrid`,
    events: { delayMs: 5 },
    maxBodyBytes: 64 * 1024,
  });
  email = createSendGridEmailSender({
    apiKey: fake.apiKey,
    apiBaseUrl: fake.url,
    fromEmail: FROM,
    fromName: 'Sacramento County Elections',
    timeoutMs: 10_000,
  });
});

afterEach(async () => {
  await fake.idle();
  fake.reset();
  fake.eventOptions = { ...fake.eventOptions, enabled: false, duplicate: false, outOfOrder: false };
  fake.configure({ verifiedSenders: undefined, recipientErrors: {}, acceptBeforeFailure: false });
  webhooks.clear();
});

afterAll(async () => {
  await fake?.close();
  await webhooks?.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the send to fail'),
    (error: unknown) => error,
  );
}

describe('SendGrid email through the real SDK', () => {
  it('sends subject, both parts, one-click unsubscribe headers and ID-only custom args', async () => {
    const { providerMessageId } = await email.send(input);

    expect(providerMessageId).toBe(fake.messages[0]?.messageId);
    expect(fake.messages[0]).toMatchObject({
      to: ['voter@example.com'],
      from: FROM,
      fromName: 'Sacramento County Elections',
      subject: 'Your ballot was received',
      html: '<p>Your ballot was <b>received</b>.</p>',
      text: 'Your ballot was received.',
      headers: {
        'List-Unsubscribe': '<https://tracker.example/u/opaque-token>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      customArgs: { bt_deliveryId: 'e1:b1:received#0:email' },
      trackingSettings: { click_tracking: { enable: false, enable_text: false }, open_tracking: { enable: false } },
    });
  });

  it('sends transactional mail without unsubscribeUrl with no List-Unsubscribe headers at all', async () => {
    const { unsubscribeUrl: _omitted, ...transactional } = input;
    await email.send(transactional);

    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({ to: ['voter@example.com'], subject: 'Your ballot was received' });
    const headerNames = Object.keys(fake.messages[0]!.headers).map((name) => name.toLowerCase());
    expect(headerNames).not.toContain('list-unsubscribe');
    expect(headerNames).not.toContain('list-unsubscribe-post');
  });

  it('still refuses an unsubscribeUrl that is not http(s), before any request', async () => {
    await expect(email.send({ ...input, unsubscribeUrl: 'ftp://tracker.example/u/t' })).rejects.toThrow(/https URL/);
    await expect(email.send({ ...input, unsubscribeUrl: '' })).rejects.toThrow(/https URL/);
    const real = createSendGridEmailSender({ apiKey: fake.apiKey, fromEmail: FROM });
    await expect(real.send({ ...input, unsubscribeUrl: 'http://tracker.example/u/t' })).rejects.toThrow(/https URL/);
    expect(fake.requestCount).toBe(0);
  });

  it('refuses correlation data that looks like personal data, before any request', async () => {
    await expect(email.send({ ...input, correlation: { email: 'voter@example.com' } })).rejects.toThrow(
      /must be an ID/,
    );
    expect(fake.requestCount).toBe(0);
  });

  it('when the address is invalid (400 on personalizations.0.to), then the send fails permanently as InvalidRecipient', async () => {
    fake.configure({ recipientErrors: { 'bounce@example.com': 400 } });
    const error = await rejection(email.send({ ...input, to: 'bounce@example.com' }));

    expect(error).toMatchObject({ type: 'InvalidRecipient', httpStatus: 400 });
    expect(toApplicationFailure(error)).toMatchObject({ type: 'InvalidRecipient', nonRetryable: true });
  });

  it('when SendGrid answers another 400, then it is a non-retryable rejection', async () => {
    fake.failNext({ status: 400 });
    const error = await rejection(email.send(input));
    expect(error).toMatchObject({ type: 'ProviderRejected', httpStatus: 400 });
    expect(toApplicationFailure(error)).toMatchObject({ type: 'ProviderRejected', nonRetryable: true });
  });

  it('when the API key is wrong, then 401 is a configuration error', async () => {
    const wrong = createSendGridEmailSender({ apiKey: 'SG.wrong', apiBaseUrl: fake.url, fromEmail: FROM });
    const error = await rejection(wrong.send(input));
    expect(error).toMatchObject({ type: 'ProviderConfiguration', httpStatus: 401 });
    expect(toApplicationFailure(error)).toMatchObject({ type: 'ProviderConfiguration', nonRetryable: true });
  });

  it('when the sender is not verified, then 403 is a configuration error', async () => {
    fake.configure({ verifiedSenders: ['someone-else@county.example'] });
    const error = await rejection(email.send(input));
    expect(error).toMatchObject({ type: 'ProviderConfiguration', httpStatus: 403 });
  });

  it('when the message is too large, then 413 is a non-retryable rejection', async () => {
    const error = await rejection(email.send({ ...input, html: 'x'.repeat(100 * 1024) }));
    expect(error).toMatchObject({ type: 'ProviderRejected', httpStatus: 413 });
    fake.failNext({ status: 413 });
    expect(await rejection(email.send(input))).toMatchObject({ type: 'ProviderRejected', httpStatus: 413 });
  });

  it('when SendGrid answers 429, then the failure waits until X-RateLimit-Reset', async () => {
    fake.failNext({ status: 429, resetSeconds: 30 });
    const error = await rejection(email.send(input));

    expect(error).toMatchObject({ type: 'ProviderTransient', reason: 'rate_limited', httpStatus: 429 });
    const wait = (error as { retryAfterMs: number }).retryAfterMs;
    expect(wait).toBeGreaterThan(28_000);
    expect(wait).toBeLessThanOrEqual(30_000);
    expect(toApplicationFailure(error)).toMatchObject({ nonRetryable: false, nextRetryDelay: wait });
  });

  it('when SendGrid answers 500 after taking the message, then the outcome is unknown', async () => {
    fake.configure({ acceptBeforeFailure: true });
    fake.failNext({ status: 500 });
    const error = await rejection(email.send(input));

    expect(error).toMatchObject({ type: 'UnknownOutcome', reason: 'server_error', httpStatus: 500 });
    expect(toApplicationFailure(error)).toMatchObject({ type: 'UnknownOutcome', nonRetryable: false });
    expect(fake.messages).toHaveLength(1);
  });

  it('when SendGrid answers 503, then it is transient', async () => {
    fake.failNext({ status: 503 });
    expect(await rejection(email.send(input))).toMatchObject({ type: 'ProviderTransient', reason: 'unavailable' });
  });

  it('when SendGrid hangs past the client timeout, then the outcome is unknown', async () => {
    const impatient = createSendGridEmailSender({
      apiKey: fake.apiKey,
      apiBaseUrl: fake.url,
      fromEmail: FROM,
      timeoutMs: 400,
    });
    fake.failNext({ kind: 'timeout' });
    const error = await rejection(impatient.send(input));
    expect(error).toMatchObject({ type: 'UnknownOutcome', reason: 'timeout' });
  });

  it('a 500 rate applies until configured off', async () => {
    fake.configure({ serverErrorRate: 1 });
    expect(await rejection(email.send(input))).toMatchObject({ type: 'UnknownOutcome' });
    fake.configure({ serverErrorRate: 0 });
    await expect(email.send(input)).resolves.toBeDefined();
  });
});

describe('SendGrid event webhook', () => {
  const key = () => sendGridPublicKey(fake.publicKey);

  function verified(index: number) {
    const hook = webhooks.on('/webhooks/sendgrid')[index]!;
    return verifySendGridSignature({
      publicKey: key(),
      rawBody: hook.rawBody,
      signature: hook.headers['x-twilio-email-event-webhook-signature'] as string | undefined,
      timestamp: hook.headers['x-twilio-email-event-webhook-timestamp'] as string | undefined,
    });
  }

  it('when events arrive twice and out of order, then dedupe and forward-only leave one status per event, ending delivered', async () => {
    fake.eventOptions = { ...fake.eventOptions, enabled: true, duplicate: true, outOfOrder: true };
    const { providerMessageId } = await email.send(input);
    await webhooks.waitFor('/webhooks/sendgrid', 4);

    const seen = new Set<string>();
    let status: DeliveryStatus | undefined;
    const applied: string[] = [];
    for (const [index, hook] of webhooks.on('/webhooks/sendgrid').entries()) {
      expect(verified(index)).toEqual({ ok: true });
      for (const raw of JSON.parse(hook.rawBody.toString()) as unknown[]) {
        const event = email.parseStatusEvent(raw);
        if (!event?.eventId || seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        expect(event).toMatchObject({ providerMessageId, correlation: { deliveryId: 'e1:b1:received#0:email' } });
        if (status === undefined || DELIVERY_STATUS_RANK[event.status] > DELIVERY_STATUS_RANK[status]) {
          status = event.status;
          applied.push(event.status);
        }
      }
    }
    expect(seen.size).toBe(2);
    // "delivered" came first; the late "processed" did not move the status back.
    expect(applied).toEqual(['delivered']);
    expect(status).toBe('delivered');
  });

  it('rejects a tampered batch, an unsigned one and a replayed one', async () => {
    await email.send(input);
    const [messageId] = fake.messages.map((m) => m.messageId);
    const events = fake.eventsFor(messageId!, ['delivered']);

    await fake.postEvents(events, { tamper: true });
    await fake.postEvents(events, { unsigned: true });
    await fake.postEvents(events, { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    await fake.postEvents(events);

    expect([0, 1, 2, 3].map(verified)).toEqual([
      { ok: false, reason: 'bad_signature' },
      { ok: false, reason: 'missing_signature' },
      { ok: false, reason: 'stale_timestamp' },
      { ok: true },
    ]);
  });

  it('an unsubscribe event is an opt-out, not a delivery status', async () => {
    const { providerMessageId } = await email.send(input);
    await fake.postEvents(fake.eventsFor(providerMessageId, ['unsubscribe', 'open']));

    const raw = JSON.parse(webhooks.on('/webhooks/sendgrid')[0]!.rawBody.toString()) as unknown[];
    expect(raw.map((e) => email.parseStatusEvent(e))).toEqual([undefined, undefined]);
    expect(parseSendGridOptOut(raw[0])).toMatchObject({ kind: 'unsubscribe', providerMessageId });
  });
});
