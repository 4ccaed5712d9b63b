/**
 * The vendor API as the benchmarks run it: one in-process API on a free port over the bench stack's
 * PostgreSQL, limits lifted, a key with every scope and county, and a JSON `call` that throws on an
 * error status.
 */
import { createApp } from '../api/app.js';
import { startServer, type RunningServer } from '../api/server.js';
import type { Sql } from '../db/client.js';
import { ALL_SCOPES } from '../domain/principal.js';
import type { OutboxForwarder } from '../ingest/forwarder.js';
import { createApiKey, createKeyVerifier } from '../lib/api-keys.js';
import type { Logger } from 'pino';

export interface BenchApi {
  server: RunningServer;
  call: (method: string, path: string, body: unknown) => Promise<{ summary?: { accepted: number } }>;
}

export async function startBenchApi(
  logger: Logger,
  sql: Sql,
  forwarder: Pick<OutboxForwarder, 'backlog' | 'kick'>,
  maxBacklog: number,
): Promise<BenchApi> {
  const server = await startServer(
    createApp({
      logger,
      readiness: {},
      v1: {
        sql,
        verifyKey: createKeyVerifier(sql),
        backlog: () => forwarder.backlog(),
        outboxWritten: () => forwarder.kick(),
        rateLimitPerMinute: 1_000_000,
        maxBodyBytes: 5 * 1024 * 1024,
        maxBacklog,
      },
    }),
    '127.0.0.1',
    0,
  );
  const { key } = await createApiKey(sql, { name: 'bench', scopes: [...ALL_SCOPES], counties: null });
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as { summary?: { accepted: number } };
  };
  return { server, call };
}
