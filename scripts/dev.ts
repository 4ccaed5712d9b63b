/**
 * `npm start`: the whole stack on embedded defaults, in one terminal. Provisions the tools, starts the
 * Temporal dev server (Web UI on 8233, SQLite under .data/) and embedded PostgreSQL (under .data/),
 * then the worker and the API (port 3000) in this process (`scripts/dev-stack.ts`). Prints the
 * development API key and writes `.data/dev-stack.json`, which the CLI reads to find this stack.
 * Ctrl-C stops everything; the data stays, so open workflows are still there on the next start.
 *
 * TEMPORAL_ADDRESS or DATABASE_URL, when set, point at external servers and skip the embedded ones.
 */
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { defaultDevStackFile } from '../lib/dev-stack.js';
import { temporalLogger } from '../worker/run.js';
import { startDevStack, type RunningDevStack } from './dev-stack.js';
import { DATA_DIR, ProvisionError } from './tools.js';

const TEMPORAL_PORT = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
const TEMPORAL_UI_PORT = Number(process.env.TEMPORAL_DEV_UI_PORT ?? 8233);
const POSTGRES_PORT = Number(process.env.EMBEDDED_POSTGRES_PORT ?? 5433);
const STACK_FILE = process.env.DEV_STACK_FILE || defaultDevStackFile();

let stack: RunningDevStack | undefined;
let stopping = false;

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write('\nstopping: api, worker, Temporal dev server, PostgreSQL ...\n');
  await stack?.stop().catch(() => {});
  process.stderr.write('stopped; data kept under .data/\n');
}

exitHook.forceExitTimeout(45_000);
exitHook((done) => {
  // stop() settles every part (allSettled) and never rejects.
  void stopAll().finally(done);
});

try {
  // The Runtime's logger and metrics are the process's: installed once, before any worker exists.
  const early = loadConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgres://unused', ...process.env });
  const runtimeLogger = createLogger(early, 'dev');
  Runtime.install({
    logger: temporalLogger(runtimeLogger.child({ component: 'temporal-sdk' })),
    ...(early.WORKER_METRICS_PORT > 0
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${early.WORKER_METRICS_PORT}` } } } }
      : {}),
    shutdownSignals: [],
  });
  stack = await startDevStack({
    dataDir: DATA_DIR,
    stackFile: STACK_FILE,
    env: process.env,
    temporalPort: TEMPORAL_PORT,
    temporalUiPort: TEMPORAL_UI_PORT,
    postgresPort: POSTGRES_PORT,
  });
  const { api, config, temporal, postgres, sandbox, info, logger } = stack;
  stack.worker.done.catch((error: unknown) => {
    logger.error({ err: error }, 'worker failed');
    process.kill(process.pid, 'SIGTERM');
  });

  const key = stack.newDevKey
    ? `${info.devKey}   (new; kept in ${join('.data', 'dev-key')})`
    : process.env.BALLOT_TRACKER_DEV_KEY
      ? '(BALLOT_TRACKER_DEV_KEY from the environment)'
      : `${info.devKey}   (from ${join('.data', 'dev-key')})`;
  process.stderr.write(
    [
      '',
      'Ballot Tracker is running:',
      `  API              ${api.url}   (health ${api.url}/healthz, readiness ${api.url}/readyz, metrics ${api.url}/metrics)`,
      `  API reference    ${api.url}/v1/docs   (OpenAPI ${api.url}/v1/openapi.json)`,
      `  Dev API key      ${key}`,
      `                   every scope and county: curl -H "Authorization: Bearer $KEY" ...; README "Try it"`,
      `  Voter pages      ${api.url}/   (status ${api.url}/status)`,
      `  Temporal Web UI  ${temporal?.uiUrl ?? '(external Temporal: ' + config.TEMPORAL_ADDRESS + ')'}`,
      `  Temporal gRPC    ${config.TEMPORAL_ADDRESS}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`,
      `  PostgreSQL       ${postgres ? `embedded on 127.0.0.1:${POSTGRES_PORT}, data in .data/postgres` : 'external (DATABASE_URL)'}`,
      `  Worker metrics   ${config.WORKER_METRICS_PORT > 0 ? `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics` : 'off'}`,
      ...(sandbox ? [`  Dev outbox       ${api.url}/dev/outbox`] : []),
      `  Providers        ${sandbox ? `sandbox fakes (Twilio ${sandbox.twilio.url}, SendGrid ${sandbox.sendgrid.url})` : 'configured credentials'}`,
      `  CLI              npm run cli -- status   (finds this stack through ${STACK_FILE.replace(process.cwd() + '/', '')})`,
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
