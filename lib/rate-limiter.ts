import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Sql } from '../db/client.js';

/**
 * Rate limits with fixed windows per key. The production limiter keeps its counters in PostgreSQL
 * (`rate_limits`, through rate-limiter-flexible's RateLimiterPostgres), so every API process counts
 * against the same limit and a deploy resets nothing. In front of it sits a bounded in-memory map of
 * keys known to be over their limit until their window ends: a client hammering past its limit costs
 * no database round trip, and the map never holds more than `frontSize` keys (oldest dropped first;
 * a dropped key only costs one more round trip).
 */
export interface RateLimiter {
  /**
   * Counts `points` (default 1) against `key` within its window; answers how long to wait when that
   * goes over `limit`.
   */
  hit(key: string, limit: number, points?: number): Promise<RateLimitAnswer>;
}

export type RateLimitAnswer = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** postgres.js behind the `pg` Pool interface RateLimiterPostgres calls (`query({ text, values })`). */
function pgPoolAdapter(sql: Sql) {
  return {
    query: async (query: { text: string; values?: unknown[] }) => {
      const rows = await sql.unsafe(query.text, (query.values ?? []) as never[]);
      return { rows: [...rows], rowCount: rows.count };
    },
  };
}

export function createPostgresRateLimiter(
  sql: Sql,
  options: { windowMs: number; frontSize?: number; now?: () => number },
): RateLimiter {
  const frontSize = options.frontSize ?? 10_000;
  const now = options.now ?? Date.now;
  const store = pgPoolAdapter(sql);
  const limiters = new Map<number, RateLimiterPostgres>();
  const blocked = new Map<string, number>();
  let hitsSinceCleanup = 0;

  const limiterFor = (limit: number) => {
    let limiter = limiters.get(limit);
    if (!limiter) {
      limiter = new RateLimiterPostgres({
        storeClient: store,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true, // db/migrations/0008_security.sql
        clearExpiredByTimeout: false, // swept below, so no timer keeps a process alive
        keyPrefix: 'rl',
        points: limit,
        duration: Math.max(1, Math.round(options.windowMs / 1000)),
      });
      limiters.set(limit, limiter);
    }
    return limiter;
  };

  const block = (key: string, until: number) => {
    blocked.delete(key);
    while (blocked.size >= frontSize) blocked.delete(blocked.keys().next().value!);
    blocked.set(key, until);
  };

  return {
    async hit(key, limit, points = 1) {
      const at = now();
      const until = blocked.get(key);
      if (until !== undefined) {
        if (until > at) return { allowed: false, retryAfterSeconds: retryAfter(until - at) };
        blocked.delete(key);
      }
      if (++hitsSinceCleanup >= 1_000) {
        hitsSinceCleanup = 0;
        await sql`DELETE FROM rate_limits WHERE expire < ${Date.now() - 60_000}`;
      }
      try {
        await limiterFor(limit).consume(key, points);
        return { allowed: true };
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        block(key, at + error.msBeforeNext);
        return { allowed: false, retryAfterSeconds: retryAfter(error.msBeforeNext) };
      }
    },
  };
}

/**
 * The same contract in one process's memory (tests, and tools without a database). Entries whose
 * window has passed are swept as the map grows.
 */
export function createMemoryRateLimiter(options: { windowMs?: number; now?: () => number } = {}): RateLimiter {
  const windowMs = options.windowMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { startedAt: number; count: number }>();
  let nextSweepAt = 1_000;

  function sweep(at: number) {
    for (const [key, window] of windows) if (at - window.startedAt >= windowMs) windows.delete(key);
    nextSweepAt = Math.max(1_000, windows.size * 2);
  }

  return {
    hit(key, limit, points = 1) {
      const at = now();
      if (windows.size >= nextSweepAt) sweep(at);
      let window = windows.get(key);
      if (!window || at - window.startedAt >= windowMs) {
        window = { startedAt: at, count: 0 };
        windows.set(key, window);
      }
      if (window.count + points > limit) {
        return Promise.resolve({
          allowed: false,
          retryAfterSeconds: retryAfter(window.startedAt + windowMs - at),
        });
      }
      window.count += points;
      return Promise.resolve({ allowed: true });
    },
  };
}
