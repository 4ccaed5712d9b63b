/**
 * The sandbox as the dev runner uses it: both fakes started together, adapters configured from its
 * `env`, and the control routes that drive a fake running in another process.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSendGridEmailSender,
  createTwilioClient,
  createTwilioSmsSender,
  publicWebhookUrl,
  verifySendGridSignature,
  verifyTwilioSignature,
} from '../../delivery/providers/index.js';
import { SANDBOX_CONTROL_PATH, startSandbox, WebhookRecorder, type Sandbox } from '../../sandbox/index.js';

let sandbox: Sandbox;
let webhooks: WebhookRecorder;
const signingKeyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();

beforeAll(async () => {
  webhooks = await WebhookRecorder.start();
  sandbox = await startSandbox({
    twilio: { accountSid: 'AC' + 'a'.repeat(32), authToken: 'dev-token', inboundSmsUrl: `${webhooks.url}/inbound` },
    sendgrid: { apiKey: 'SG.dev', signingKeyPem, eventWebhookUrl: `${webhooks.url}/sendgrid` },
  });
});

afterAll(async () => {
  await sandbox?.close();
  await webhooks?.close();
});

async function control(base: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${SANDBOX_CONTROL_PATH}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.status === 204 ? undefined : await response.json();
}

describe('provider sandbox', () => {
  it('its env points the adapters at the fakes, with stable credentials', async () => {
    const { env } = sandbox;
    expect(env).toMatchObject({ TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32), TWILIO_AUTH_TOKEN: 'dev-token' });
    const client = createTwilioClient({
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      apiBaseUrl: env.TWILIO_API_BASE_URL,
    });
    await createTwilioSmsSender(client, { from: '+19165550000' }).send({
      to: '+14155550100',
      body: 'hello',
      validityPeriodSeconds: 60,
    });
    const email = createSendGridEmailSender({
      apiKey: env.SENDGRID_API_KEY,
      apiBaseUrl: env.SENDGRID_API_BASE_URL,
      fromEmail: 'ballots@vote.county.example',
    });
    await email.send({
      to: 'voter@example.com',
      subject: 's',
      html: '<p>h</p>',
      text: 'h',
      unsubscribeUrl: 'https://tracker.example/u/t',
    });

    expect(await control(env.TWILIO_API_BASE_URL, '/messages')).toMatchObject([{ to: '+14155550100', body: 'hello' }]);
    expect(await control(env.SENDGRID_API_BASE_URL, '/messages')).toMatchObject([{ to: ['voter@example.com'] }]);
  });

  it('faults set over HTTP apply to the next send', async () => {
    const { env } = sandbox;
    await control(env.TWILIO_API_BASE_URL, '/fail-next', { kind: 'error', code: 21610 });
    const client = createTwilioClient({
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      apiBaseUrl: env.TWILIO_API_BASE_URL,
    });
    await expect(
      createTwilioSmsSender(client, { from: '+19165550000' }).send({
        to: '+14155550100',
        body: 'x',
        validityPeriodSeconds: 60,
      }),
    ).rejects.toMatchObject({ type: 'RecipientOptedOut' });
  });

  it('inbound SMS and SendGrid events triggered over HTTP arrive signed', async () => {
    const { env } = sandbox;
    await control(env.TWILIO_API_BASE_URL, '/inbound-sms', { from: '+14155550100', to: '+19165550000', body: 'HELP' });
    const [messageId] = sandbox.sendgrid.messages.map((m) => m.messageId);
    await control(env.SENDGRID_API_BASE_URL, '/events', { messageId, types: ['delivered'] });

    const [inbound] = webhooks.on('/inbound');
    expect(
      verifyTwilioSignature({
        authToken: env.TWILIO_AUTH_TOKEN,
        url: publicWebhookUrl(webhooks.url, inbound!.originalUrl),
        params: inbound!.form,
        signature: inbound!.headers['x-twilio-signature'] as string,
      }),
    ).toBe(true);
    const [batch] = webhooks.on('/sendgrid');
    expect(
      verifySendGridSignature({
        publicKey: env.SENDGRID_WEBHOOK_PUBLIC_KEY,
        rawBody: batch!.rawBody,
        signature: batch!.headers['x-twilio-email-event-webhook-signature'] as string,
        timestamp: batch!.headers['x-twilio-email-event-webhook-timestamp'] as string,
      }),
    ).toEqual({ ok: true });
  });

  it('the event signing key comes from the configured PEM, so the public key survives restarts', async () => {
    const again = await startSandbox({ sendgrid: { signingKeyPem } });
    try {
      expect(again.env.SENDGRID_WEBHOOK_PUBLIC_KEY).toBe(sandbox.env.SENDGRID_WEBHOOK_PUBLIC_KEY);
    } finally {
      await again.close();
    }
  });
});
