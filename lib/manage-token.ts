import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The link every message carries to the voter's preferences:
 * `<subscriptionId>.<expiry>.<version>.<contactId>.<mac>`, HMAC-SHA256 with a server secret, expiring
 * with the election. It names a subscription and the contact it was sent to by their random IDs only;
 * no personal data rides in the URL.
 *
 * - `version` is the subscription's token version when the token was made: unsubscribing or a change
 *   of contacts bumps it, and every older token stops working (the voter service checks it).
 * - `contactId` scopes the token to the contact it was sent to (or that was just confirmed): such a
 *   token may not change or remove a contact confirmed before its own, and a one-click unsubscribe
 *   with it stops only that contact. `-` (tokens minted without a contact) is not scoped.
 *
 * Tokens of the older form `<subscriptionId>.<expiry>.<mac>` still verify, as version 0 and not scoped:
 * the first bump revokes them.
 */
export interface ManageTokenClaims {
  subscriptionId: string;
  version: number;
  contactId?: string | undefined;
}

export function createManageToken(
  secret: string,
  subscriptionId: string,
  expiresAt: number,
  scope: { version?: number; contactId?: string | undefined } = {},
): string {
  const body = `${subscriptionId}.${Math.floor(expiresAt / 1000)}.${scope.version ?? 0}.${scope.contactId ?? '-'}`;
  return `${body}.${mac(secret, body)}`;
}

export type ManageTokenCheck =
  ({ ok: true } & ManageTokenClaims) | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifyManageToken(secret: string, token: string, now = Date.now()): ManageTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 && parts.length !== 5) return { ok: false, reason: 'malformed' };
  const given = parts.pop()!;
  const [subscriptionId, expiry, version = '0', contact = '-'] = parts as [string, string, string?, string?];
  if (!/^\d+$/.test(expiry) || !/^\d{1,9}$/.test(version)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, parts.join('.')));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, reason: 'bad_signature' };
  if (Number(expiry) * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, subscriptionId, version: Number(version), contactId: contact === '-' ? undefined : contact };
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
