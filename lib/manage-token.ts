import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The link every message carries to the voter's preferences: `<subscriptionId>.<expiry>.<mac>`,
 * HMAC-SHA256 with a server secret, expiring with the election. It names a subscription by its
 * random ID only; no personal data rides in the URL.
 */
export function createManageToken(secret: string, subscriptionId: string, expiresAt: number): string {
  const body = `${subscriptionId}.${Math.floor(expiresAt / 1000)}`;
  return `${body}.${mac(secret, body)}`;
}

export type ManageTokenCheck =
  { ok: true; subscriptionId: string } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifyManageToken(secret: string, token: string, now = Date.now()): ManageTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^\d+$/.test(parts[1]!)) return { ok: false, reason: 'malformed' };
  const [subscriptionId, expiry, given] = parts as [string, string, string];
  const expected = Buffer.from(mac(secret, `${subscriptionId}.${expiry}`));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, reason: 'bad_signature' };
  if (Number(expiry) * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, subscriptionId };
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
