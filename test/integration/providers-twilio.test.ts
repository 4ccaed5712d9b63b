/**
 * The real twilio SDK against the fake Twilio on port 0: what a successful send puts on the wire,
 * how every error class comes back, and the signed callbacks the fake posts to our webhooks.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTwilioClient,
  createTwilioSmsSender,
  createTwilioVoiceSender,
  publicWebhookUrl,
  toApplicationFailure,
  verifyTwilioSignature,
  type SmsSender,
  type VoiceSender,
} from '../../delivery/providers/index.js';
import { FakeTwilio } from '../../sandbox/fake-twilio.js';
import { WebhookRecorder } from '../../sandbox/webhook-recorder.js';

const VOTER = '+14155550100';
/** Short, for the hang test only; the other sends use a generous timeout so a slow machine does not flake. */
const SHORT_TIMEOUT_MS = 400;

let fake: FakeTwilio;
let webhooks: WebhookRecorder;
let sms: SmsSender;
let voice: VoiceSender;

beforeAll(async () => {
  webhooks = await WebhookRecorder.start();
  fake = await FakeTwilio.start({
    callbacks: { delayMs: 5 },
    faults: { hangMs: 5_000 },
    inboundSmsUrl: `${webhooks.url}/webhooks/twilio/inbound`,
  });
  const client = createTwilioClient({
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    apiBaseUrl: fake.url,
    timeoutMs: 10_000,
  });
  sms = createTwilioSmsSender(client, {
    messagingServiceSid: 'MG00000000000000000000000000000001',
    statusCallbackUrl: `${webhooks.url}/webhooks/twilio/status`,
  });
  voice = createTwilioVoiceSender(client, {
    from: '+19165550000',
    statusCallbackUrl: `${webhooks.url}/webhooks/twilio/call-status`,
  });
});

afterEach(async () => {
  await fake.idle();
  fake.reset();
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

const smsInput = { to: VOTER, body: 'Your ballot was received.', validityPeriodSeconds: 3_600 };

describe('Twilio SMS through the real SDK', () => {
  it('sends with the validity period, the status callback and the correlation IDs', async () => {
    const { providerMessageId } = await sms.send({ ...smsInput, correlation: { deliveryId: 'e1:b1:received#0:sms' } });

    expect(providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      sid: providerMessageId,
      channel: 'sms',
      to: VOTER,
      body: 'Your ballot was received.',
      messagingServiceSid: 'MG00000000000000000000000000000001',
      validityPeriod: 3_600,
      statusCallback: `${webhooks.url}/webhooks/twilio/status?deliveryId=e1%3Ab1%3Areceived%230%3Asms`,
    });
  });

  it('when the fake reports sent then delivered, then our webhook gets two signed callbacks that map in order', async () => {
    const { providerMessageId } = await sms.send({ ...smsInput, correlation: { deliveryId: 'd-7' } });
    await webhooks.waitFor('/webhooks/twilio/status', 2);

    const events = webhooks.on('/webhooks/twilio/status').map((hook) => {
      const url = publicWebhookUrl(webhooks.url, hook.originalUrl);
      const signature = hook.headers['x-twilio-signature'] as string;
      expect(verifyTwilioSignature({ authToken: fake.authToken, url, params: hook.form, signature })).toBe(true);
      expect(verifyTwilioSignature({ authToken: 'wrong', url, params: hook.form, signature })).toBe(false);
      return sms.parseStatusEvent(hook.form, url);
    });
    expect(events).toEqual([
      expect.objectContaining({ providerMessageId, status: 'sent', correlation: { deliveryId: 'd-7' } }),
      expect.objectContaining({ providerMessageId, status: 'delivered', correlation: { deliveryId: 'd-7' } }),
    ]);
  });

  it('when a text to a landline comes back undelivered with 30006, then the event names LandlineNumber', async () => {
    fake.callbackOptions.byRecipient['+14155550199'] = ['sent', { status: 'undelivered', errorCode: 30006 }];
    await sms.send({ ...smsInput, to: '+14155550199' });
    await webhooks.waitFor('/webhooks/twilio/status', 2);

    const last = webhooks.on('/webhooks/twilio/status')[1]!;
    expect(sms.parseStatusEvent(last.form)).toMatchObject({
      status: 'undelivered',
      errorCode: 30006,
      recipientFailure: 'LandlineNumber',
    });
  });

  it.each([
    ['+15005550001', 21211, 'InvalidRecipient'],
    ['+15005550004', 21610, 'RecipientOptedOut'],
    ['+15005550009', 21614, 'NotMobileNumber'],
    ['+15005550010', 21635, 'LandlineNumber'],
    ['+15005550002', 21612, 'UnroutableRecipient'],
  ])('when Twilio rejects %s with %i, then the send fails permanently as %s', async (to, code, type) => {
    const error = await rejection(sms.send({ ...smsInput, to }));

    expect(error).toMatchObject({ name: 'RecipientError', type, code, httpStatus: 400, retryable: false });
    expect((error as Error).message).not.toContain(to);
    const failure = toApplicationFailure(error) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type, nonRetryable: true });
    expect(fake.messages).toHaveLength(0);
  });

  it.each([21408, 21606, 21608])('when Twilio answers %i, then it is a configuration error', async (code) => {
    fake.failNext({ kind: 'error', code });
    const error = await rejection(sms.send(smsInput));

    expect(error).toMatchObject({ type: 'ProviderConfiguration', code });
    expect(toApplicationFailure(error)).toMatchObject({ type: 'ProviderConfiguration', nonRetryable: true });
  });

  it('when the auth token is wrong, then Twilio answers 401 / 20003 and it is a configuration error', async () => {
    const client = createTwilioClient({ accountSid: fake.accountSid, authToken: 'wrong-token', apiBaseUrl: fake.url });
    const wrong = createTwilioSmsSender(client, { from: '+19165550000' });

    const error = await rejection(wrong.send(smsInput));
    expect(error).toMatchObject({ type: 'ProviderConfiguration', code: 20003, httpStatus: 401 });
  });

  it('when Twilio answers 429 with Retry-After, then the failure asks Temporal to wait that long', async () => {
    fake.failNext({ kind: 'rate_limit', retryAfterSeconds: 7 });
    const error = await rejection(sms.send(smsInput));

    expect(error).toMatchObject({
      type: 'ProviderTransient',
      reason: 'rate_limited',
      code: 20429,
      retryAfterMs: 7_000,
    });
    expect(toApplicationFailure(error)).toMatchObject({ nonRetryable: false, nextRetryDelay: 7_000 });
  });

  it('a 429 rate applies to every request until configured off', async () => {
    fake.configure({ rateLimitRate: 1, retryAfterSeconds: undefined });
    const errors = await Promise.all([1, 2, 3].map(() => rejection(sms.send(smsInput))));
    fake.configure({ rateLimitRate: 0 });

    expect(errors.map((e) => (e as { type: string }).type)).toEqual(Array(3).fill('ProviderTransient'));
    expect((errors[0] as { retryAfterMs?: number }).retryAfterMs).toBeUndefined();
    await expect(sms.send(smsInput)).resolves.toBeDefined();
  });

  it('when Twilio answers 500 after taking the message, then the outcome is unknown (and it was recorded)', async () => {
    fake.configure({ acceptBeforeFailure: true });
    fake.failNext({ kind: 'server_error' });
    try {
      const error = await rejection(sms.send(smsInput));
      expect(error).toMatchObject({ type: 'UnknownOutcome', reason: 'server_error', httpStatus: 500 });
      expect(toApplicationFailure(error)).toMatchObject({ type: 'UnknownOutcome', nonRetryable: false });
      expect(fake.messages).toHaveLength(1);
    } finally {
      fake.configure({ acceptBeforeFailure: false });
    }
  });

  it('when Twilio answers 503, then it is transient', async () => {
    fake.failNext({ kind: 'server_error', status: 503 });
    expect(await rejection(sms.send(smsInput))).toMatchObject({ type: 'ProviderTransient', reason: 'unavailable' });
  });

  it('when Twilio hangs past the client timeout, then the outcome is unknown', async () => {
    const client = createTwilioClient({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      apiBaseUrl: fake.url,
      timeoutMs: SHORT_TIMEOUT_MS,
    });
    fake.failNext({ kind: 'timeout' });
    const started = Date.now();
    const error = await rejection(createTwilioSmsSender(client, { from: '+19165550000' }).send(smsInput));

    expect(error).toMatchObject({ type: 'UnknownOutcome', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('when nothing listens, then the request never left and it is transient', async () => {
    const closed = await FakeTwilio.start();
    const url = closed.url;
    await closed.close();
    const client = createTwilioClient({ accountSid: fake.accountSid, authToken: fake.authToken, apiBaseUrl: url });

    const error = await rejection(createTwilioSmsSender(client, { from: '+19165550000' }).send(smsInput));
    expect(error).toMatchObject({ type: 'ProviderTransient', reason: 'network' });
  });

  it('sends from a number when no messaging service is configured', async () => {
    const client = createTwilioClient({ accountSid: fake.accountSid, authToken: fake.authToken, apiBaseUrl: fake.url });
    await createTwilioSmsSender(client, { from: '+19165550000' }).send(smsInput);
    expect(fake.messages[0]).toMatchObject({ from: '+19165550000', validityPeriod: 3_600 });
    expect(fake.messages[0]?.statusCallback).toBeUndefined();
  });

  it('refuses a validity period Twilio would not take', async () => {
    await expect(sms.send({ ...smsInput, validityPeriodSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(sms.send({ ...smsInput, validityPeriodSeconds: 36_001 })).rejects.toThrow(RangeError);
    expect(fake.requestCount).toBe(0);
  });

  it('an inbound SMS reaches our webhook signed for its public URL', async () => {
    webhooks.responseBody = '<Response/>';
    const answer = await fake.simulateInboundSms({ from: VOTER, to: '+19165550000', body: 'STOP' });

    expect(answer.status).toBe(200);
    const [hook] = webhooks.on('/webhooks/twilio/inbound');
    expect(hook?.form).toMatchObject({ From: VOTER, Body: 'STOP' });
    const url = publicWebhookUrl(webhooks.url, hook!.originalUrl);
    const signature = hook!.headers['x-twilio-signature'] as string;
    expect(verifyTwilioSignature({ authToken: fake.authToken, url, params: hook!.form, signature })).toBe(true);
    expect(
      verifyTwilioSignature({ authToken: fake.authToken, url, params: { ...hook!.form, Body: 'START' }, signature }),
    ).toBe(false);
  });
});

describe('Twilio voice through the real SDK', () => {
  const SAY = /<Say language="([^"]+)" voice="([^"]+)">([^<]*)<\/Say>/g;

  it('calls with TwiML that says the message twice in Spanish with a Spanish voice', async () => {
    const result = await voice.send({
      to: VOTER,
      language: 'es',
      text: 'Su boleta fue recibida.',
      englishText: 'Your ballot was received.',
      correlation: { deliveryId: 'd-9' },
    });

    expect(result.providerMessageId).toMatch(/^CA[0-9a-f]{32}$/);
    expect(result.voiceFallback).toBeUndefined();
    const [call] = fake.messages;
    expect(call).toMatchObject({ channel: 'voice', to: VOTER, from: '+19165550000' });
    const says = [...call!.twiml!.matchAll(SAY)].map((m) => [m[1], m[2], m[3]]);
    expect(says).toEqual([
      ['es-US', 'Polly.Lupe-Neural', 'Su boleta fue recibida.'],
      ['es-US', 'Polly.Lupe-Neural', 'Su boleta fue recibida.'],
    ]);
    expect(call!.statusCallback).toBe(`${webhooks.url}/webhooks/twilio/call-status?deliveryId=d-9`);
    expect(call!.statusCallbackEvents).toEqual(['answered', 'completed']);
  });

  it('when the language has no voice (Khmer), then the English script is spoken by the English voice and the result says so', async () => {
    const result = await voice.send({
      to: VOTER,
      language: 'km',
      text: 'សន្លឹកឆ្នោត',
      englishText: 'Your ballot was received.',
    });

    expect(result.voiceFallback).toMatch(/km/);
    const says = [...fake.messages[0]!.twiml!.matchAll(SAY)].map((m) => [m[1], m[2], m[3]]);
    expect(says).toEqual([
      ['en-US', 'Polly.Joanna-Neural', 'Your ballot was received.'],
      ['en-US', 'Polly.Joanna-Neural', 'Your ballot was received.'],
    ]);
  });

  it('call status callbacks map ringing to queued and completed to delivered', async () => {
    await voice.send({ to: VOTER, language: 'en', text: 'Hello', englishText: 'Hello' });
    await webhooks.waitFor('/webhooks/twilio/call-status', 4);

    const statuses = webhooks
      .on('/webhooks/twilio/call-status')
      .map((hook) => voice.parseStatusEvent(hook.form)?.status);
    expect(statuses).toEqual(['queued', 'queued', 'sent', 'delivered']);
  });

  it('an invalid number is a permanent failure for voice too', async () => {
    const error = await rejection(voice.send({ to: '+15005550001', language: 'en', text: 'x', englishText: 'x' }));
    expect(error).toMatchObject({ type: 'InvalidRecipient', code: 21211 });
  });

  it('a landline can take a call (21635 is SMS-only)', async () => {
    await expect(
      voice.send({ to: '+15005550010', language: 'en', text: 'x', englishText: 'x' }),
    ).resolves.toBeDefined();
  });
});
