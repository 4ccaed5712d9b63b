import { createHmac } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Config } from '../config/env.js';
import { createSql } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import type { Logger } from '../lib/logger.js';
import { connectClient } from '../lib/temporal.js';
import { createSenders, deliverySettingsFromConfig, manageTokenSecret } from '../delivery/senders.js';
import { createVoterService } from '../voters/service.js';
import { ActionBudget } from '../db/action-budget.js';
import { enqueuePlanChange } from '../db/outbox.js';
import { countyFallback, resolveCountyDetails } from '../delivery/county.js';
import { createApp, type AppDeps } from './app.js';
import { postgresCheck, temporalCheck } from './health.js';
import { createKeyVerifier } from '../lib/api-keys.js';
import { createPostgresRateLimiter } from '../lib/rate-limiter.js';
import { OutboxForwarder } from '../ingest/forwarder.js';
import { startServer, type RunningServer } from './server.js';
import { defaultOperationTable, readOperationTable } from '../ingest/usps.js';

export type RunningApi = RunningServer;

/** Everything an API process does, shared by `api/main.ts` and the dev runner. */
export async function runApi(
  config: Config,
  logger: Logger,
  options: { sandbox?: NonNullable<AppDeps['devOutbox']> } = {},
): Promise<RunningApi> {
  const sql = createSql(config);
  const applied = await migrate(sql);
  if (applied.length > 0) logger.info({ applied }, 'applied migrations');
  const connection = await connectClient(config);
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const devKey = config.NODE_ENV === 'development' ? config.BALLOT_TRACKER_DEV_KEY : undefined;
  if (devKey) {
    logger.warn('BALLOT_TRACKER_DEV_KEY is set: that key has every scope and county (development only)');
  } else if (config.BALLOT_TRACKER_DEV_KEY) {
    logger.warn({ nodeEnv: config.NODE_ENV }, 'BALLOT_TRACKER_DEV_KEY is ignored outside development');
  }
  const forwarder = new OutboxForwarder({
    sql,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger: logger.child({ component: 'outbox' }),
    claimSize: config.FORWARDER_BATCH_SIZE,
    concurrency: config.FORWARDER_CONCURRENCY,
    pollIntervalMs: config.FORWARDER_POLL_INTERVAL,
    maxAttempts: config.FORWARDER_MAX_ATTEMPTS,
    budget: new ActionBudget(sql, { perSecond: config.TEMPORAL_ACTIONS_PER_SECOND }),
  });
  if (config.FORWARDER_ENABLED) await forwarder.start();
  const webhookBase = {
    sql,
    logger: logger.child({ component: 'webhooks' }),
    signalVoterBallots: async (voterId: string) => {
      await enqueuePlanChange(sql, voterId);
    },
  };
  const publicBaseUrl = config.PUBLIC_BASE_URL;
  const secret = manageTokenSecret(config);
  // Verification codes go out through the same adapters as notices (the dev runner puts the sandbox's
  // settings into the configuration, so with a sandbox these are the fakes).
  const voters = createVoterService({
    sql,
    senders: createSenders(deliverySettingsFromConfig(config)),
    publicBaseUrl,
    manageTokenSecret: secret,
    rateLimits: {
      perAddress: config.VOTER_RATE_LIMIT_PER_ADDRESS,
      perIdentity: config.VOTER_RATE_LIMIT_PER_IDENTITY,
      codesPerDestination: config.VERIFICATION_CODES_PER_DESTINATION,
    },
    logger: logger.child({ component: 'voters' }),
    countyFallback: countyFallback(config),
    defaultTimeZone: config.DEFAULT_TIME_ZONE,
  });
  const app = createApp({
    logger,
    voters,
    web: {
      voters,
      csrfSecret: createHmac('sha256', secret).update('csrf').digest('base64url'),
      secureCookies: publicBaseUrl.startsWith('https:'),
      logger: logger.child({ component: 'web' }),
      county: resolveCountyDetails(undefined, countyFallback(config)),
    },
    ...(config.TWILIO_AUTH_TOKEN
      ? { twilioWebhooks: { ...webhookBase, config: { publicBaseUrl, twilioAuthToken: config.TWILIO_AUTH_TOKEN } } }
      : {}),
    ...(config.SENDGRID_WEBHOOK_PUBLIC_KEY
      ? {
          sendgridWebhooks: {
            ...webhookBase,
            config: { sendgridWebhookPublicKey: config.SENDGRID_WEBHOOK_PUBLIC_KEY },
          },
        }
      : {}),
    ...(config.NODE_ENV === 'development' && options.sandbox ? { devOutbox: options.sandbox } : {}),
    trustProxy: config.TRUST_PROXY,
    operations: { token: config.OPS_TOKEN, open: config.NODE_ENV !== 'production' },
    operatorMetrics: { sql, temporal, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE },
    readiness: {
      temporal: temporalCheck(connection, config.TEMPORAL_NAMESPACE),
      postgres: postgresCheck(sql),
    },
    v1: {
      sql,
      verifyKey: createKeyVerifier(sql, { devKey }),
      backlog: () => forwarder.backlog(),
      outboxWritten: () => forwarder.kick(),
      rateLimitPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
      maxBodyBytes: config.API_MAX_BODY_BYTES,
      maxBacklog: config.FORWARDER_MAX_BACKLOG,
      ndjsonMaxItems: config.API_NDJSON_MAX_ITEMS,
      uspsOperations: config.USPS_OPERATIONS_FILE
        ? readOperationTable(config.USPS_OPERATIONS_FILE, config.DEFAULT_TIME_ZONE, 'USPS_OPERATIONS_FILE')
        : defaultOperationTable(config.DEFAULT_TIME_ZONE),
      rateLimiter: createPostgresRateLimiter(sql, { windowMs: 60_000 }),
      defaultTimeZone: config.DEFAULT_TIME_ZONE,
      broadcasts: { temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, countyFallback: countyFallback(config) },
    },
  });
  const running = await startServer(app, config.API_HOST, config.API_PORT);
  logger.info({ url: running.url }, 'api listening');
  return {
    ...running,
    async stop() {
      await running.stop();
      await forwarder.stop();
      await connection.close();
      await sql.end({ timeout: 5 });
    },
  };
}
