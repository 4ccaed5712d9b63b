/**
 * The development outbox over the sandbox fakes: messages sent through the real adapters show up
 * as JSON and as an escaped HTML page.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevOutboxRouter, voiceScript, type OutboxEntry } from '../../api/dev-outbox.js';
import { startServer, type RunningServer } from '../../api/server.js';
import {
  createSendGridEmailSender,
  createTwilioClient,
  createTwilioSmsSender,
  createTwilioVoiceSender,
} from '../../delivery/providers/index.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { anyString, stringMatching } from '../helpers/matchers.js';

describe('development outbox', () => {
  let sandbox: Sandbox;
  let server: RunningServer;

  beforeAll(async () => {
    sandbox = await startSandbox({ twilio: { callbacks: { enabled: false } } });
    const app = express();
    app.use(createDevOutboxRouter({ sandbox }));
    server = await startServer(app, '127.0.0.1', 0);

    const client = createTwilioClient({
      accountSid: sandbox.twilio.accountSid,
      authToken: sandbox.twilio.authToken,
      apiBaseUrl: sandbox.twilio.url,
    });
    const statusCallbackUrl = 'https://ballots.example.gov/webhooks/twilio/status';
    const sms = createTwilioSmsSender(client, { from: '+14085550100', statusCallbackUrl });
    const voice = createTwilioVoiceSender(client, { from: '+14085550100', statusCallbackUrl });
    const email = createSendGridEmailSender({
      apiKey: sandbox.sendgrid.apiKey,
      apiBaseUrl: sandbox.sendgrid.url,
      fromEmail: 'notices@vote.example.gov',
    });
    await sms.send({
      to: '+14085551234',
      body: 'Santa Clara: ballot received <b>&</b> "counted"',
      validityPeriodSeconds: 600,
      correlation: { delivery: 'd-1', lang: 'es' },
    });
    await voice.send({
      to: '+14085551235',
      language: 'vi',
      text: 'Chúng tôi đã nhận lá phiếu của quý vị.',
      englishText: 'We received your ballot.',
    });
    await email.send({
      to: 'voter@example.com',
      subject: 'Recibimos su boleta',
      html: '<html lang="es"><p>Recibimos su boleta.</p></html>',
      text: 'Recibimos su boleta.',
      unsubscribeUrl: 'https://vote.example.gov/u/1',
      correlation: { delivery: 'd-3', lang: 'es' },
    });
    // No correlation, no TwiML: English.
    await sms.send({ to: '+14085551236', body: 'Plain text', validityPeriodSeconds: 600 });
  });

  afterAll(async () => {
    await server?.stop();
    await sandbox?.close();
  });

  it('lists every recorded message as JSON, newest last', async () => {
    const response = await fetch(`${server.url}/dev/outbox.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const entries = (await response.json()) as OutboxEntry[];
    expect(entries).toEqual([
      {
        id: stringMatching(/^SM/),
        channel: 'sms',
        to: '+14085551234',
        language: 'es',
        body: 'Santa Clara: ballot received <b>&</b> "counted"',
        at: anyString(),
      },
      {
        id: stringMatching(/^CA/),
        channel: 'voice',
        to: '+14085551235',
        language: 'vi',
        body: 'Chúng tôi đã nhận lá phiếu của quý vị.',
        at: anyString(),
      },
      {
        id: anyString(),
        channel: 'email',
        to: 'voter@example.com',
        language: 'es',
        subject: 'Recibimos su boleta',
        body: 'Recibimos su boleta.',
        at: anyString(),
      },
      {
        id: stringMatching(/^SM/),
        channel: 'sms',
        to: '+14085551236',
        language: 'en',
        body: 'Plain text',
        at: anyString(),
      },
    ]);
    const times = entries.map((e) => Date.parse(e.at));
    expect(times.every((t) => !Number.isNaN(t))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('shows an accessible HTML page with every text escaped', async () => {
    const response = await fetch(`${server.url}/dev/outbox`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html).toContain('<title>Development outbox</title>');
    expect(html).toContain('<h1>Development outbox</h1>');
    expect(html).toContain('&lt;b&gt;&amp;&lt;/b&gt; &quot;counted&quot;');
    expect(html).not.toContain('<b>&</b>');
    expect(html).toContain('<p class="body" lang="vi">Chúng tôi đã nhận lá phiếu của quý vị.</p>');
    expect(html).toContain('4 messages');
  });

  it('reads the script and language from TwiML, once even though it is said twice', () => {
    const twiml =
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="es-US" voice="Polly.Lupe">Su boleta &amp; más</Say>' +
      '<Pause length="1"/><Say language="es-US" voice="Polly.Lupe">Su boleta &amp; más</Say></Response>';
    expect(voiceScript(twiml)).toEqual({ text: 'Su boleta & más', language: 'es-US' });
  });
});
