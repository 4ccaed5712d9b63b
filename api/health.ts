import { Router, type Request } from 'express';
import type { Connection } from '@temporalio/client';
import type { Sql } from '../db/client.js';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function postgresCheck(sql: Sql): ReadinessCheck {
  return async () => {
    await sql`SELECT 1`;
  };
}

export function temporalCheck(connection: Connection, namespace: string): ReadinessCheck {
  return async () => {
    await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      connection.workflowService.describeNamespace({ namespace }),
    );
  };
}

/**
 * `/healthz`: the process is alive (never touches dependencies, so an outage does not restart us).
 * `/readyz`: Temporal and Postgres answer; 503 otherwise. Each check's reason (host names, ports,
 * driver messages) only for a caller `detailed` lets through: the operators' token.
 */
export function healthRoutes(
  checks: Record<string, ReadinessCheck>,
  detailed: (req: Request) => boolean = () => true,
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, { ok: true }] as const;
        } catch (error) {
          return [name, { ok: false, reason: error instanceof Error ? error.message : String(error) }] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result.ok);
    if (!detailed(req)) {
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
      return;
    }
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: Object.fromEntries<{ ok: boolean; reason?: string }>(results),
    });
  });
  return router;
}
