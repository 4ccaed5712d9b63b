/**
 * Webhook signature checks: pure functions the HTTP routes call before parsing anything. Both
 * compare in constant time. Neither proves freshness on its own for Twilio (its signature has no
 * timestamp): dedupe Twilio callbacks on (sid, status).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import twilio from 'twilio';

export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** Replays older than this (or from further in the future) are rejected. */
export const DEFAULT_SENDGRID_TOLERANCE_MS = 5 * 60_000;

/**
 * The URL Twilio signed: our configured public base URL plus the path and query the request came
 * in on. Behind a proxy the Host header is not the public name, so never build it from the request.
 */
export function publicWebhookUrl(publicBaseUrl: string, originalUrl: string): string {
  return publicBaseUrl.replace(/\/$/, '') + (originalUrl.startsWith('/') ? originalUrl : `/${originalUrl}`);
}

export interface TwilioSignatureInput {
  authToken: string;
  /** Full public URL Twilio called (see publicWebhookUrl). */
  url: string;
  /** The form-encoded POST parameters, as parsed. */
  params: Readonly<Record<string, unknown>>;
  /** X-Twilio-Signature; undefined when the header is missing. */
  signature: string | undefined;
}

export function verifyTwilioSignature(input: TwilioSignatureInput): boolean {
  if (!input.signature) return false;
  return twilio.validateRequest(input.authToken, input.signature, input.url, { ...input.params });
}

export type SendGridVerification =
  { ok: true } | { ok: false; reason: 'missing_signature' | 'stale_timestamp' | 'bad_signature' | 'bad_key' };

export interface SendGridSignatureInput {
  /** The verification key from SendGrid's Mail Settings: base64 DER (SPKI) or PEM. */
  publicKey: string | KeyObject;
  /** The body exactly as received (before JSON parsing). */
  rawBody: Buffer | string;
  signature: string | undefined;
  /** Unix seconds, as sent in the timestamp header. */
  timestamp: string | undefined;
  now?: number;
  toleranceMs?: number;
}

/** Parses SendGrid's verification key once (at start-up); throws on a malformed key. */
export function sendGridPublicKey(key: string): KeyObject {
  const trimmed = key.trim();
  return trimmed.startsWith('-----BEGIN')
    ? createPublicKey(trimmed)
    : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
}

/** ECDSA P-256 / SHA-256 over timestamp + raw body, with a replay window on the timestamp. */
export function verifySendGridSignature(input: SendGridSignatureInput): SendGridVerification {
  if (!input.signature || !input.timestamp) return { ok: false, reason: 'missing_signature' };
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'stale_timestamp' };
  const age = (input.now ?? Date.now()) - Number(input.timestamp) * 1000;
  if (Math.abs(age) > (input.toleranceMs ?? DEFAULT_SENDGRID_TOLERANCE_MS)) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  let key: KeyObject;
  try {
    key = typeof input.publicKey === 'string' ? sendGridPublicKey(input.publicKey) : input.publicKey;
  } catch {
    return { ok: false, reason: 'bad_key' };
  }
  const body = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody) : input.rawBody;
  const payload = Buffer.concat([Buffer.from(input.timestamp), body]);
  let valid = false;
  try {
    valid = verify('sha256', payload, key, Buffer.from(input.signature, 'base64'));
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
