import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../lib/logger.js';
import { errorMiddleware, notFound } from './errors.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { createMetrics } from './metrics.js';

export interface AppDeps {
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Wires middleware and routes; all behaviour lives in the routers and the domain they call. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const metrics = createMetrics();

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Paths carry election and ballot IDs only; query strings and bodies are never logged.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use(metrics.middleware);

  app.use(healthRoutes(deps.readiness));
  app.get('/metrics', metrics.handler);

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
