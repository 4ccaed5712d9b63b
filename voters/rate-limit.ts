import { createHmac } from 'node:crypto';
import type { Identity } from './matching.js';
import { normalizeName } from './normalize.js';

/**
 * Fixed-window counters per key (client address, looked-up identity, subscription), one window per
 * hour. Kept in memory per process: with several API processes each enforces its own limit, which
 * still caps enumeration at a known multiple; a shared store would be the next step if that is not
 * enough. Entries whose window has passed are swept as the map grows.
 */
export interface RateLimiter {
  /** Counts one attempt; answers how long to wait when the key is over its limit (the attempt is not counted then). */
  hit(key: string, limit: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function createRateLimiter(options: { windowMs?: number; now?: () => number } = {}): RateLimiter {
  const windowMs = options.windowMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { startedAt: number; count: number }>();
  let nextSweepAt = 1_000;

  function sweep(at: number) {
    for (const [key, window] of windows) if (at - window.startedAt >= windowMs) windows.delete(key);
    nextSweepAt = Math.max(1_000, windows.size * 2);
  }

  return {
    hit(key, limit) {
      const at = now();
      if (windows.size >= nextSweepAt) sweep(at);
      let window = windows.get(key);
      if (!window || at - window.startedAt >= windowMs) {
        window = { startedAt: at, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= limit) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + windowMs - at) / 1000)) };
      }
      window.count += 1;
      return { allowed: true };
    },
  };
}

/**
 * The rate-limit key of a client address: an IPv6 client is counted by its /64 (one subscriber line
 * gets a whole /64, so single addresses are free to change); IPv4, and IPv4 mapped into IPv6, as is.
 */
export function clientAddressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'),
          ...tailGroups,
        ];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** A refusal for a request over its limit. */
export interface RateLimited {
  outcome: 'rate_limited';
  retryAfterSeconds: number;
}

/**
 * The voter service's limits: per client address (each kind of request counted apart: lookup,
 * verify, manage) and per subject (a looked-up identity as a keyed hash, or a subscription), the
 * latter widened by `factor` for manage requests.
 */
export function createVoterLimits(options: {
  limiter: RateLimiter;
  /** Requests per hour; read at each request. */
  rateLimits: { readonly perAddress: number; readonly perIdentity: number };
  /** Keys the identity hash, so the limiter never holds a name or birth date. */
  secret: string;
}) {
  const refusal = (hit: ReturnType<RateLimiter['hit']>): RateLimited | undefined =>
    hit.allowed ? undefined : { outcome: 'rate_limited', retryAfterSeconds: hit.retryAfterSeconds };
  return {
    byAddress(kind: string, clientAddress: string): RateLimited | undefined {
      return refusal(
        options.limiter.hit(`${kind}:address:${clientAddressKey(clientAddress)}`, options.rateLimits.perAddress),
      );
    },
    bySubject(kind: string, subject: string, factor = 1): RateLimited | undefined {
      return refusal(options.limiter.hit(`${kind}:subject:${subject}`, options.rateLimits.perIdentity * factor));
    },
    /** The looked-up identity as a keyed hash. */
    identityKey(identity: Identity): string {
      return createHmac('sha256', options.secret)
        .update(
          [
            'identity',
            normalizeName(identity.firstName),
            normalizeName(identity.lastName),
            identity.dateOfBirth,
            identity.zip,
          ].join('|'),
        )
        .digest('base64url');
    },
  };
}
