import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** How long a verification code works, and how many wrong tries it allows before a new one is needed. */
export const CODE_LIFETIME_MS = 10 * 60_000;
export const MAX_CODE_ATTEMPTS = 5;

/** A uniformly random 6-digit code (leading zeros kept). */
export function generateCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * Only the code's HMAC is stored, keyed by a secret derived from the manage-token secret and bound to
 * the contact, so a database reader cannot replay a code on another contact nor brute-force it offline
 * without the secret.
 */
export function hashCode(secret: string, contactId: string, code: string): string {
  const key = createHmac('sha256', secret).update('verification-code').digest();
  return createHmac('sha256', key).update(`${contactId}:${code}`).digest('hex');
}

export function codeMatches(secret: string, contactId: string, code: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashCode(secret, contactId, code), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
