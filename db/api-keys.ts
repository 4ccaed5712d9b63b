/** The `api_keys` table: every statement that reads or writes API keys (lib/api-keys.ts decides). */
import type { Sql } from './client.js';

export interface KeyRow {
  key_id: string;
  name: string;
  key_hash: string;
  scopes: string[];
  counties: string[] | null;
  rate_limit_per_minute: number | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertApiKey(
  sql: Sql,
  key: {
    keyId: string;
    name: string;
    keyHash: string;
    scopes: readonly string[];
    counties: string[] | null;
    rateLimitPerMinute: number | null;
  },
): Promise<KeyRow> {
  const [row] = await sql<KeyRow[]>`
    INSERT INTO api_keys (key_id, name, key_hash, scopes, counties, rate_limit_per_minute)
    VALUES (${key.keyId}, ${key.name}, ${key.keyHash}, ${[...key.scopes]}, ${key.counties}, ${key.rateLimitPerMinute})
    RETURNING *`;
  return row!;
}

export async function selectApiKeys(sql: Sql, options: { includeRevoked: boolean }): Promise<KeyRow[]> {
  return sql<KeyRow[]>`
    SELECT * FROM api_keys ${options.includeRevoked ? sql`` : sql`WHERE revoked_at IS NULL`} ORDER BY created_at`;
}

/** True if a live key was revoked now. */
export async function revokeLiveApiKey(sql: Sql, keyId: string): Promise<boolean> {
  const rows =
    await sql`UPDATE api_keys SET revoked_at = now() WHERE key_id = ${keyId} AND revoked_at IS NULL RETURNING key_id`;
  return rows.length > 0;
}

export async function findLiveApiKey(sql: Sql, keyId: string): Promise<KeyRow | undefined> {
  const [row] = await sql<KeyRow[]>`SELECT * FROM api_keys WHERE key_id = ${keyId} AND revoked_at IS NULL`;
  return row;
}

export async function touchApiKey(sql: Sql, keyId: string): Promise<void> {
  await sql`UPDATE api_keys SET last_used_at = now() WHERE key_id = ${keyId}`;
}
