import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Gauge } from 'prom-client';
import { RETRY_SPAN_MS } from '../domain/ballot-machine.js';
import { stuckDeliveries } from '../delivery/ledger.js';
import type { Logger } from '../lib/logger.js';
import { errorMiddleware, notFound } from './errors.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { createMetrics } from './metrics.js';
import { registerOperatorMetrics, type OperatorMetricsOptions } from './operator-metrics.js';
import type { OperatorStatusSource } from '../lib/operator-status.js';
import { createDevOutboxRouter } from './dev-outbox.js';
import { docsRoutes } from './docs.js';
import { subscriptionRoutes } from './subscriptions.js';
import { v1Routes, type V1Deps } from './v1.js';
import type { VoterService } from '../voters/contract.js';
import { createWebRouter, type WebRouterDeps } from '../web/router.js';
import {
  createSendGridWebhookRouter,
  createTwilioWebhookRouter,
  type SendGridWebhookDeps,
  type TwilioWebhookDeps,
} from './webhooks/index.js';

export interface AppDeps {
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
  /** Express `trust proxy`: which hops' X-Forwarded-For to believe for the client address (default loopback). */
  trustProxy?: string;
  /** The vendor and operator API under /v1; omitted, only health and metrics are served. */
  v1?: V1Deps;
  /** Provider webhooks, each mounted when its provider is configured (they verify signatures). */
  twilioWebhooks?: TwilioWebhookDeps;
  sendgridWebhooks?: SendGridWebhookDeps;
  /** Development only: what the sandbox providers "sent", at /dev/outbox and /dev/outbox.json. */
  devOutbox?: Parameters<typeof createDevOutboxRouter>[0]['sandbox'];
  /** The voters' JSON API (/v1/subscriptions, /v1/unsubscribe): no API key, manage tokens instead. */
  voters?: VoterService;
  /** The server-rendered voter pages (/, /verify, /status, /manage). */
  web?: WebRouterDeps;
  /** Operator gauges on /metrics, read from PostgreSQL and Temporal on scrape (`operator-metrics.ts`). */
  operatorMetrics?: OperatorStatusSource & OperatorMetricsOptions;
  /**
   * Who may read /metrics and the reasons of /readyz: a caller with `Authorization: Bearer <token>`,
   * or anyone when `open` (outside production). Omitted: nobody (/metrics 404, /readyz status only).
   */
  operations?: { token?: string | undefined; open?: boolean };
}

/** Whether the request may see operational detail (constant-time token comparison). */
function operatorCheck(operations: AppDeps['operations']): (req: express.Request) => boolean {
  const expected = operations?.token ? createHash('sha256').update(operations.token).digest() : undefined;
  return (req) => {
    if (operations?.open) return true;
    const header = req.headers.authorization;
    if (!expected || typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
    return timingSafeEqual(createHash('sha256').update(header.slice(7)).digest(), expected);
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Wires middleware and routes; all behaviour lives in the routers and the domain they call. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(deps.trustProxy ?? 'loopback'));
  const metrics = createMetrics();
  if (deps.operatorMetrics) registerOperatorMetrics(metrics.registry, deps.operatorMetrics, deps.operatorMetrics);

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

  const operator = operatorCheck(deps.operations);
  app.use(healthRoutes(deps.readiness, operator));
  // Webhooks bring their own body parsers (SendGrid's signature covers the raw bytes).
  if (deps.twilioWebhooks) app.use('/webhooks/twilio', createTwilioWebhookRouter(deps.twilioWebhooks));
  if (deps.sendgridWebhooks) app.use('/webhooks/sendgrid', createSendGridWebhookRouter(deps.sendgridWebhooks));
  if (deps.devOutbox) app.use(createDevOutboxRouter({ sandbox: deps.devOutbox }));
  // Metrics name routes, backlogs and process internals: operators only (a 404 to anyone else).
  app.get('/metrics', (req, res, next) => (operator(req) ? metrics.handler(req, res, next) : next()));
  // The API reference page brings its own Content-Security-Policy (it runs a script bundle).
  if (deps.v1 || deps.voters) app.use('/v1', docsRoutes());
  // Security headers for the JSON API (helmet's defaults suit JSON).
  app.use('/v1', helmet());
  if (deps.voters) app.use('/v1', subscriptionRoutes({ voters: deps.voters }));
  if (deps.v1) {
    const { backlog } = deps.v1;
    new Gauge({
      name: 'outbox_pending_rows',
      help: 'accepted records not yet forwarded to their workflows (all API processes together)',
      registers: [metrics.registry],
      async collect() {
        this.set(await backlog());
      },
    });
    const { sql } = deps.v1;
    new Gauge({
      name: 'ballots_with_stuck_notices',
      help:
        'ballots with a notice retrying for over an hour (problem="retrying") or held by a delivery pause ' +
        '(problem="paused"), from the notice ledger',
      labelNames: ['problem'] as const,
      registers: [metrics.registry],
      async collect() {
        const stuck = await stuckDeliveries(sql, RETRY_SPAN_MS);
        this.set({ problem: 'retrying' }, stuck.retrying);
        this.set({ problem: 'paused' }, stuck.paused);
      },
    });
    app.use('/v1', v1Routes(deps.v1));
  }
  if (deps.web) app.use(createWebRouter(deps.web));

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}

/** `TRUST_PROXY` as Express reads it: a hop count, `true`/`false`, or addresses, subnets and names. */
export function trustProxySetting(value: string): number | boolean | string[] {
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
