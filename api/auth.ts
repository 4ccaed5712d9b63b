import type { RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
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

/** Per-key request rate (fixed one-minute windows, per process); 429 with Retry-After beyond it. */
export function rateLimitPerKey(defaultPerMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: (_req, res) => principalOf(res).rateLimitPerMinute ?? defaultPerMinute,
    keyGenerator: (_req, res) => principalOf(res).keyId,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    validate: { keyGeneratorIpFallback: false },
    handler: (req, _res, next) => {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      next(
        new ApiError(
          429,
          'rate_limited',
          'Too many requests for this key; retry after the Retry-After delay.',
          undefined,
          {
            'Retry-After': String(seconds),
          },
        ),
      );
    },
  });
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
