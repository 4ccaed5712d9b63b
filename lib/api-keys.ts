import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sql } from '../db/client.js';
import {
  findLiveApiKey,
  insertApiKey,
  revokeLiveApiKey,
  selectApiKeys,
  touchApiKey,
  type KeyRow,
} from '../db/api-keys.js';
import { ALL_SCOPES, keyScopeProblem, type Principal, type Scope } from '../domain/principal.js';

/**
 * API keys. A key is `bt_<keyId>_<secret>`: the key ID (12 hex digits) finds the row, the secret
 * (32 random bytes, base64url) proves possession. Only SHA-256 of the whole key is stored: keys are
 * random and long, so a slow password hash would add latency to every request and no safety.
 */

const KEY_FORMAT = /^bt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export interface ApiKeyRecord {
  keyId: string;
  name: string;
  scopes: Scope[];
  /** `null`: every county. */
  counties: string[] | null;
  rateLimitPerMinute: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A key whose scopes its counties may not hold (an election-wide scope on a county key). */
export class ApiKeyScopeError extends Error {
  override name = 'ApiKeyScopeError';
}

const hash = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export async function createApiKey(
  sql: Sql,
  input: { name: string; scopes: Scope[]; counties: string[] | null; rateLimitPerMinute?: number | null },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const problem = keyScopeProblem(input.scopes, input.counties);
  if (problem) throw new ApiKeyScopeError(problem);
  const keyId = randomBytes(6).toString('hex');
  const key = `bt_${keyId}_${randomBytes(32).toString('base64url')}`;
  const row = await insertApiKey(sql, {
    keyId,
    name: input.name,
    keyHash: hash(key).toString('hex'),
    scopes: input.scopes,
    counties: input.counties,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
  });
  return { key, record: toRecord(row) };
}

export async function listApiKeys(sql: Sql, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
  const rows = await selectApiKeys(sql, { includeRevoked: options.includeRevoked ?? false });
  return rows.map(toRecord);
}

/** True if a live key was revoked now. */
export function revokeApiKey(sql: Sql, keyId: string): Promise<boolean> {
  return revokeLiveApiKey(sql, keyId);
}

const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/**
 * Resolves a bearer key to its principal, or null for a malformed, unknown or revoked key. Revocation
 * takes effect on the next request (no cache). `last_used_at` is written at most once a minute per key.
 */
export function createKeyVerifier(sql: Sql, options: { devKey?: string | undefined } = {}) {
  const devHash = options.devKey ? hash(options.devKey) : undefined;
  const lastWritten = new Map<string, number>();
  return async function verify(key: string): Promise<Principal | null> {
    if (devHash && key.length === options.devKey!.length && timingSafeEqual(hash(key), devHash)) {
      return { keyId: 'dev', scopes: [...ALL_SCOPES], counties: null, rateLimitPerMinute: null };
    }
    const match = KEY_FORMAT.exec(key);
    if (!match) return null;
    const keyId = match[1]!;
    const row = await findLiveApiKey(sql, keyId);
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'hex'), hash(key))) return null;
    const now = Date.now();
    if ((lastWritten.get(keyId) ?? 0) + LAST_USED_WRITE_INTERVAL_MS < now) {
      lastWritten.set(keyId, now);
      touchApiKey(sql, keyId).catch(() => lastWritten.delete(keyId));
    }
    return {
      keyId,
      scopes: row.scopes as Scope[],
      counties: row.counties,
      rateLimitPerMinute: row.rate_limit_per_minute,
    };
  };
}

export type KeyVerifier = ReturnType<typeof createKeyVerifier>;

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    keyId: row.key_id,
    name: row.name,
    scopes: row.scopes as Scope[],
    counties: row.counties,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
