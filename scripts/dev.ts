/**
 * `npm start`: the whole stack on embedded defaults, in one terminal. Provisions the tools, starts the
 * Temporal dev server (Web UI on 8233, SQLite under .data/) and embedded PostgreSQL (under .data/),
 * then the worker and the API (port 3000) in this process. Ctrl-C stops everything; the data stays,
 * so open workflows are still there on the next start.
 *
 * TEMPORAL_ADDRESS or DATABASE_URL, when set, point at external servers and skip the embedded ones.
 */
import { mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import { Runtime } from '@temporalio/worker';
import { loadConfig, ConfigError } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { runApi, type RunningApi } from '../api/run.js';
import { runWorker, temporalLogger, type RunningWorker } from '../worker/run.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js';
import { startTemporalDevServer, type RunningTemporal } from './temporal-dev-server.js';
import { DATA_DIR, ensurePostgres, ensureTemporalCli, ProvisionError } from './tools.js';

const TEMPORAL_PORT = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
const TEMPORAL_UI_PORT = Number(process.env.TEMPORAL_DEV_UI_PORT ?? 8233);
const POSTGRES_PORT = Number(process.env.EMBEDDED_POSTGRES_PORT ?? 5433);
const logDir = join(DATA_DIR, 'logs');

let temporal: RunningTemporal | undefined;
let postgres: RunningPostgres | undefined;
let worker: RunningWorker | undefined;
let api: RunningApi | undefined;
let sandbox: Sandbox | undefined;
let stopping = false;

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write('\nstopping: api, worker, Temporal dev server, PostgreSQL ...\n');
  await api?.stop().catch(() => {});
  await worker?.stop().catch(() => {});
  await Promise.allSettled([temporal?.stop(), postgres?.stop(), sandbox?.close()]);
  process.stderr.write('stopped; data kept under .data/\n');
}

exitHook.forceExitTimeout(45_000);
exitHook((done) => {
  // stopAll settles every stop (allSettled) and never rejects.
  void stopAll().finally(done);
});

try {
  mkdirSync(logDir, { recursive: true });
  await ensureTemporalCli().then(async (cliPath) => {
    if (process.env.TEMPORAL_ADDRESS) return;
    mkdirSync(join(DATA_DIR, 'temporal'), { recursive: true });
    temporal = await startTemporalDevServer({
      cliPath,
      port: TEMPORAL_PORT,
      uiPort: TEMPORAL_UI_PORT,
      dbFile: join(DATA_DIR, 'temporal', 'temporal.db'),
      logFile: join(logDir, 'temporal.log'),
    });
    process.env.TEMPORAL_ADDRESS = temporal.address;
  });
  if (!process.env.DATABASE_URL) {
    await ensurePostgres();
    postgres = await startEmbeddedPostgres({
      dataDir: join(DATA_DIR, 'postgres'),
      port: POSTGRES_PORT,
      database: 'ballot_tracker',
      persistent: true,
      onLog: (line) => appendFileSync(join(logDir, 'postgres.log'), line),
    });
    process.env.DATABASE_URL = postgres.url;
  }

  // No provider credentials: the real SDKs talk to local fakes, and /dev/outbox shows what was "sent".
  if (!process.env.TWILIO_ACCOUNT_SID && !process.env.SENDGRID_API_KEY) {
    const publicBaseUrl = (process.env.PUBLIC_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
    sandbox = await startSandbox({
      twilio: { inboundSmsUrl: `${publicBaseUrl}/webhooks/twilio/inbound` },
      sendgrid: { eventWebhookUrl: `${publicBaseUrl}/webhooks/sendgrid/events`, events: { enabled: true } },
    });
    Object.assign(process.env, sandbox.env, {
      TWILIO_SMS_FROM: '+15005550006',
      TWILIO_VOICE_FROM: '+15005550006',
      SENDGRID_FROM_EMAIL: 'notices@elections.example',
      SENDGRID_FROM_NAME: 'County Elections',
    });
  }

  const config = loadConfig({ NODE_ENV: 'development', ...process.env });
  const logger = createLogger(config, 'dev');
  Runtime.install({
    logger: temporalLogger(logger.child({ component: 'temporal-sdk' })),
    ...(config.WORKER_METRICS_PORT > 0
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.WORKER_METRICS_PORT}` } } } }
      : {}),
    shutdownSignals: [],
  });
  worker = await runWorker(config, logger.child({ component: 'worker' }));
  api = await runApi(config, logger.child({ component: 'api' }), sandbox ? { sandbox } : {});
  worker.done.catch((error: unknown) => {
    logger.error({ err: error }, 'worker failed');
    process.kill(process.pid, 'SIGTERM');
  });

  process.stderr.write(
    [
      '',
      'Ballot Tracker is running:',
      `  API              ${api.url}   (health ${api.url}/healthz, readiness ${api.url}/readyz, metrics ${api.url}/metrics)`,
      `  Voter pages      ${api.url}/   (status ${api.url}/status; API docs ${api.url}/v1/docs)`,
      `  Temporal Web UI  ${temporal?.uiUrl ?? '(external Temporal: ' + config.TEMPORAL_ADDRESS + ')'}`,
      `  Temporal gRPC    ${config.TEMPORAL_ADDRESS}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`,
      `  PostgreSQL       ${postgres ? `embedded on 127.0.0.1:${POSTGRES_PORT}, data in .data/postgres` : 'external (DATABASE_URL)'}`,
      `  Worker metrics   ${config.WORKER_METRICS_PORT > 0 ? `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics` : 'off'}`,
      ...(sandbox ? [`  Dev outbox       ${api.url}/dev/outbox`] : []),
      `  Providers        ${sandbox ? `sandbox fakes (Twilio ${sandbox.twilio.url}, SendGrid ${sandbox.sendgrid.url})` : 'configured credentials'}`,
      `  Logs             .data/logs/`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
} catch (error) {
  const message =
    error instanceof ProvisionError || error instanceof ConfigError
      ? error.message
      : String((error as Error)?.stack ?? error);
  process.stderr.write(`\nstart-up failed: ${message}\n`);
  await stopAll();
  process.exit(1);
}
