import { generateKeyPairSync, sign } from 'node:crypto';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import {
  publicWebhookUrl,
  sendGridPublicKey,
  verifySendGridSignature,
  verifyTwilioSignature,
} from '../../delivery/providers/index.js';

describe('Twilio webhook signatures', () => {
  const authToken = '12345678901234567890123456789012';
  const url = 'https://tracker.example/webhooks/twilio/status?deliveryId=d-1';
  const params = { MessageSid: 'SM1', MessageStatus: 'delivered', To: '+15551230000' };
  const good = twilio.getExpectedTwilioSignature(authToken, url, params);

  it('accepts a signature over the public URL and the parameters', () => {
    expect(verifyTwilioSignature({ authToken, url, params, signature: good })).toBe(true);
  });

  it('rejects a missing signature', () => {
    expect(verifyTwilioSignature({ authToken, url, params, signature: undefined })).toBe(false);
    expect(verifyTwilioSignature({ authToken, url, params, signature: '' })).toBe(false);
  });

  it('rejects a signature made with another token', () => {
    const other = twilio.getExpectedTwilioSignature('another-token-another-token-1234', url, params);
    expect(verifyTwilioSignature({ authToken, url, params, signature: other })).toBe(false);
  });

  it('rejects a changed parameter', () => {
    expect(
      verifyTwilioSignature({ authToken, url, params: { ...params, MessageStatus: 'failed' }, signature: good }),
    ).toBe(false);
  });

  it('rejects an added parameter', () => {
    expect(verifyTwilioSignature({ authToken, url, params: { ...params, ErrorCode: '30003' }, signature: good })).toBe(
      false,
    );
  });

  it('rejects a signature for another URL (e.g. a changed correlation ID)', () => {
    const otherUrl = url.replace('d-1', 'd-2');
    expect(verifyTwilioSignature({ authToken, url: otherUrl, params, signature: good })).toBe(false);
  });

  it('builds the signed URL from the configured public base URL, not the Host header', () => {
    expect(publicWebhookUrl('https://tracker.example/', '/webhooks/twilio/status?deliveryId=d-1')).toBe(url);
  });
});

describe('SendGrid event webhook signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKeyBase64 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const now = Date.UTC(2026, 10, 3, 12, 0, 0);
  const timestamp = String(now / 1000);
  const rawBody = JSON.stringify([{ event: 'delivered', sg_event_id: 'e1', sg_message_id: 'm1.x' }]);
  const signature = sign('sha256', Buffer.from(timestamp + rawBody), privateKey).toString('base64');
  const input = { publicKey: publicKeyBase64, rawBody, signature, timestamp, now };

  it('accepts a fresh, correct signature (base64 DER key as SendGrid shows it)', () => {
    expect(verifySendGridSignature(input)).toEqual({ ok: true });
  });

  it('accepts a PEM key and a parsed key object too', () => {
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(verifySendGridSignature({ ...input, publicKey: pem })).toEqual({ ok: true });
    expect(verifySendGridSignature({ ...input, publicKey: sendGridPublicKey(publicKeyBase64) })).toEqual({ ok: true });
  });

  it('accepts the raw body as a Buffer', () => {
    expect(verifySendGridSignature({ ...input, rawBody: Buffer.from(rawBody) })).toEqual({ ok: true });
  });

  it('rejects a missing signature or timestamp', () => {
    expect(verifySendGridSignature({ ...input, signature: undefined })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    expect(verifySendGridSignature({ ...input, timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('rejects a changed body', () => {
    const tampered = rawBody.replace('delivered', 'bounce');
    expect(verifySendGridSignature({ ...input, rawBody: tampered })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a re-parsed and re-serialised body (whitespace matters)', () => {
    const reformatted = JSON.stringify(JSON.parse(rawBody), null, 1);
    expect(verifySendGridSignature({ ...input, rawBody: reformatted })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a signature by another key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const forged = sign('sha256', Buffer.from(timestamp + rawBody), other.privateKey).toString('base64');
    expect(verifySendGridSignature({ ...input, signature: forged })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects garbage in the signature header', () => {
    expect(verifySendGridSignature({ ...input, signature: 'not-a-signature' })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('when the timestamp is older than five minutes, then the batch is a replay and is rejected', () => {
    const later = now + 5 * 60_000 + 1_000;
    expect(verifySendGridSignature({ ...input, now: later })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySendGridSignature({ ...input, now: now + 4 * 60_000 })).toEqual({ ok: true });
  });

  it('rejects timestamps far in the future and non-numeric ones', () => {
    expect(verifySendGridSignature({ ...input, now: now - 10 * 60_000 })).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifySendGridSignature({ ...input, timestamp: 'yesterday' })).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
  });

  it('a re-signed batch with a moved timestamp does not verify with the old signature', () => {
    const moved = String(Number(timestamp) + 1);
    expect(verifySendGridSignature({ ...input, timestamp: moved, now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('reports a malformed verification key', () => {
    expect(verifySendGridSignature({ ...input, publicKey: 'bm90IGEga2V5' })).toEqual({ ok: false, reason: 'bad_key' });
    expect(() => sendGridPublicKey('bm90IGEga2V5')).toThrow();
  });
});
