import type { RequestHandler, Response } from 'express';
import { createMemoryRateLimiter, type RateLimiter } from '../lib/rate-limiter.js';
import type { Principal, Scope } from '../domain/principal.js';
import { ApiError } from './errors.js';
import type { KeyVerifier } from '../lib/api-keys.js';

/** The caller, set by `authenticate` (res.locals keeps Express's Request type untouched). */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new ApiError(401, 'unauthorized', 'An API key is required.');
  return principal;
}

const unauthorized = () =>
  new ApiError(401, 'unauthorized', 'Send a valid API key as "Authorization: Bearer <key>".', undefined, {
    'WWW-Authenticate': 'Bearer',
  });

/** 401 for a missing, malformed, unknown or revoked key. */
export function authenticate(verify: KeyVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    if (!match) return next(unauthorized());
    const principal = await verify(match[1]!);
    if (!principal) return next(unauthorized());
    res.locals.principal = principal;
    // Key IDs are not secret and let operators trace a vendor's requests.
    req.log?.setBindings?.({ keyId: principal.keyId });
    next();
  };
}

/** 403 when the key lacks the scope. */
export function requireScope(scope: Scope): RequestHandler {
  return (_req, res, next) => {
    if (!principalOf(res).scopes.includes(scope)) {
      return next(new ApiError(403, 'forbidden', `This key lacks the scope ${scope}.`));
    }
    next();
  };
}

/** The per-key limit: a middleware counting each request, and `charge` for more units within one. */
export interface KeyRateLimit {
  middleware: RequestHandler;
  /** Counts `points` more requests for the response's key; the seconds to wait when over the limit. */
  charge(res: Response, points: number): Promise<number | undefined>;
}

/**
 * Per-key request rate in fixed one-minute windows, counted in `limiter` (PostgreSQL in the API
 * process, so every process shares one count; in memory when none is given); 429 with Retry-After
 * beyond it.
 */
export function rateLimitPerKey(defaultPerMinute: number, limiter?: RateLimiter): KeyRateLimit {
  const store = limiter ?? createMemoryRateLimiter({ windowMs: 60_000 });
  const charge = async (res: Response, points: number): Promise<number | undefined> => {
    const principal = principalOf(res);
    const answer = await store.hit(`api:${principal.keyId}`, principal.rateLimitPerMinute ?? defaultPerMinute, points);
    return answer.allowed ? undefined : answer.retryAfterSeconds;
  };
  const middleware: RequestHandler = async (_req, res, next) => {
    const wait = await charge(res, 1);
    if (wait === undefined) return next();
    next(
      new ApiError(
        429,
        'rate_limited',
        'Too many requests for this key; retry after the Retry-After delay.',
        undefined,
        {
          'Retry-After': String(wait),
        },
      ),
    );
  };
  return { middleware, charge };
}

/** 503 with Retry-After while the outbox holds more than `max` rows not yet forwarded. */
export function backPressure(backlog: () => Promise<number>, max: number): RequestHandler {
  return async (_req, _res, next) => {
    const pending = await backlog();
    if (pending > max) {
      return next(
        new ApiError(
          503,
          'backlog',
          'Forwarding to the ballot workflows is behind; nothing was recorded. Retry after the Retry-After delay.',
          { pending },
          { 'Retry-After': '30' },
        ),
      );
    }
    next();
  };
}
