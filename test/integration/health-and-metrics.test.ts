import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { postgresCheck, temporalCheck } from '../../api/health.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../global-setup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const logger = createLogger({ LOG_LEVEL: 'silent' }, 'test');

const OPS_TOKEN = 'operators-token-0123456789abcdefghijklmnop';
const operator = { authorization: `Bearer ${OPS_TOKEN}` };

describe('health, readiness and metrics endpoints', () => {
  let db: TestDatabase;
  let connection: Connection;
  let healthy: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    connection = await Connection.connect({ address: inject('temporalAddress') });
    healthy = await startServer(
      createApp({
        logger,
        readiness: { temporal: temporalCheck(connection, 'default'), postgres: postgresCheck(db.sql) },
        operations: { token: OPS_TOKEN },
      }),
      '127.0.0.1',
      0,
    );
  });

  afterAll(async () => {
    await healthy?.stop();
    await connection?.close();
    await db?.drop();
  });

  it('answers /healthz while the process is alive', async () => {
    const response = await fetch(`${healthy.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when Temporal and Postgres both answer', async () => {
    const response = await fetch(`${healthy.url}/readyz`, { headers: operator });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { temporal: { ok: true }, postgres: { ok: true } },
    });
  });

  it('answers /readyz with 503 and the reason when Postgres or Temporal is unreachable', async () => {
    const deadPostgres = postgres(`postgres://nobody:x@127.0.0.1:${await freePort()}/none`, {
      max: 1,
      connect_timeout: 1,
    });
    const deadTemporal = await Connection.connect({
      address: `127.0.0.1:${await freePort()}`,
      connectTimeout: 500,
    }).catch((error: unknown) => error);
    const unhealthy = await startServer(
      createApp({
        logger,
        readiness: {
          temporal:
            deadTemporal instanceof Connection
              ? temporalCheck(deadTemporal, 'default')
              : () => {
                  throw deadTemporal;
                },
          postgres: postgresCheck(deadPostgres),
        },
        operations: { token: OPS_TOKEN },
      }),
      '127.0.0.1',
      0,
    );
    try {
      // Anyone sees the status only: the reasons name hosts and ports.
      const anonymous = await fetch(`${unhealthy.url}/readyz`);
      expect(anonymous.status).toBe(503);
      expect(await anonymous.json()).toEqual({ status: 'unavailable' });
      const response = await fetch(`${unhealthy.url}/readyz`, { headers: operator });
      expect(response.status).toBe(503);
      const body = (await response.json()) as {
        status: string;
        checks: Record<string, { ok: boolean; reason?: string }>;
      };
      expect(body.status).toBe('unavailable');
      expect(body.checks.postgres?.ok).toBe(false);
      expect(body.checks.postgres?.reason).toMatch(/ECONNREFUSED|connect/i);
      expect(body.checks.temporal?.ok).toBe(false);
      expect(body.checks.temporal?.reason).toBeTruthy();
    } finally {
      await unhealthy.stop();
      await deadPostgres.end();
    }
  });

  it('exposes Prometheus metrics labelled by route, not by raw path', async () => {
    await fetch(`${healthy.url}/readyz`);
    const response = await fetch(`${healthy.url}/metrics`, { headers: operator });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/readyz",status="200"\} \d+/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('keeps /metrics off the public: 404 without the operators token or with a wrong one', async () => {
    expect((await fetch(`${healthy.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${healthy.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(404);
    const ready = await fetch(`${healthy.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('answers an unknown route with a JSON 404 and a request ID', async () => {
    const response = await fetch(`${healthy.url}/nowhere`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: 'No route for GET /nowhere.', requestId: 'trace-123' },
    });
  });

  it('generates a request ID when the client sends none or an unsafe one', async () => {
    const response = await fetch(`${healthy.url}/healthz`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
