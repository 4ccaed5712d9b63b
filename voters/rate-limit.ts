import { createHmac } from 'node:crypto';
import type { RateLimiter } from '../lib/rate-limiter.js';
import type { Identity } from './matching.js';
import { normalizeName } from './normalize.js';

/**
 * The voter service's limits count in a shared store (`lib/rate-limiter.ts`: PostgreSQL behind a
 * bounded in-memory front), one window per hour, so N API processes allow the limit once, not N times.
 */
export type { RateLimiter } from '../lib/rate-limiter.js';
export { createMemoryRateLimiter as createRateLimiter } from '../lib/rate-limiter.js';

/** An IPv6 network (a /48, one site) may send this many times the per-address limit in all its /64s. */
export const IPV6_SITE_FACTOR = 16;

/**
 * The rate-limit key of a client address: an IPv6 client is counted by its /64 (one subscriber line
 * gets a whole /64, so single addresses are free to change); IPv4, and IPv4 mapped into IPv6, as is.
 */
export function clientAddressKey(address: string, prefix: 64 | 48 = 64): string {
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
    .slice(0, prefix / 16)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/${prefix}`;
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
  rateLimits: { readonly perAddress: number; readonly perIdentity: number; readonly codesPerDestination?: number };
  /** Counts the daily per-destination limit (a window of a day); the hourly limiter when omitted. */
  dailyLimiter?: RateLimiter;
  /** Keys the identity hash, so the limiter never holds a name or birth date. */
  secret: string;
}) {
  const refusal = (hit: Awaited<ReturnType<RateLimiter['hit']>>): RateLimited | undefined =>
    hit.allowed ? undefined : { outcome: 'rate_limited', retryAfterSeconds: hit.retryAfterSeconds };
  return {
    /**
     * Per client address (an IPv6 client by its /64), and for IPv6 also per /48: a site that owns
     * 65,536 /64s gets `IPV6_SITE_FACTOR` times one address's limit, not 65,536 times.
     */
    async byAddress(kind: string, clientAddress: string): Promise<RateLimited | undefined> {
      const perAddress = options.rateLimits.perAddress;
      const own = refusal(await options.limiter.hit(`${kind}:address:${clientAddressKey(clientAddress)}`, perAddress));
      if (own || !clientAddressKey(clientAddress).endsWith('/64')) return own;
      const site = clientAddressKey(clientAddress, 48);
      return refusal(await options.limiter.hit(`${kind}:site:${site}`, perAddress * IPV6_SITE_FACTOR));
    },
    async bySubject(kind: string, subject: string, factor = 1): Promise<RateLimited | undefined> {
      return refusal(await options.limiter.hit(`${kind}:subject:${subject}`, options.rateLimits.perIdentity * factor));
    },
    /**
     * Verification codes per destination (a phone number or email address, as a keyed hash), across
     * every subscription: an hourly limit and a daily one of ten times that.
     */
    async byDestination(address: string): Promise<RateLimited | undefined> {
      const perHour = options.rateLimits.codesPerDestination ?? 5;
      const key = createHmac('sha256', options.secret).update(`destination|${address}`).digest('base64url');
      const hourly = refusal(await options.limiter.hit(`code:destination:${key}`, perHour));
      if (hourly) return hourly;
      return refusal(await (options.dailyLimiter ?? options.limiter).hit(`code:destination-day:${key}`, perHour * 10));
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
