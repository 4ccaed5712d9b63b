/**
 * The development stack `npm start` runs, as a function the dev runner and the tests share: the
 * Temporal dev server and embedded PostgreSQL (unless the environment names servers), the sandbox
 * providers (unless credentials are set), the worker and the API in this process, a development API
 * key, and the stack file the CLI finds it by (`lib/dev-stack.ts`).
 *
 * The caller installs the Temporal Runtime first (once per process).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig, type Config } from '../config/env.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { removeDevStack, writeDevStack, type DevStackInfo } from '../lib/dev-stack.js';
import { runApi, type RunningApi } from '../api/run.js';
import { runWorker, type RunningWorker } from '../worker/run.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js';
import { startTemporalDevServer, type RunningTemporal } from './temporal-dev-server.js';
import { ensurePostgres, ensureTemporalCli } from './tools.js';

export interface DevStackOptions {
  /** Where Temporal's SQLite file, PostgreSQL's data, the logs and the dev key live (`.data/`). */
  dataDir: string;
  /** The stack file the CLI reads (`.data/dev-stack.json`). */
  stackFile: string;
  /** The environment: TEMPORAL_ADDRESS / DATABASE_URL / provider credentials skip the embedded parts. */
  env: NodeJS.ProcessEnv;
  temporalPort?: number;
  temporalUiPort?: number;
  postgresPort?: number;
  /** Before the configuration exists (the worker and API get a child of the configured logger). */
  onProgress?: (line: string) => void;
}

export interface RunningDevStack {
  config: Config;
  logger: Logger;
  info: DevStackInfo;
  api: RunningApi;
  worker: RunningWorker;
  temporal?: RunningTemporal;
  postgres?: RunningPostgres;
  sandbox?: Sandbox;
  /** The key was made by this start (printed in full once); false: it came from the environment or the file. */
  newDevKey: boolean;
  stop(): Promise<void>;
}

/**
 * The development key: BALLOT_TRACKER_DEV_KEY when set, else the one kept in `<dataDir>/dev-key`
 * (made on the first start, so a key copied from an earlier start keeps working).
 */
export function ensureDevKey(dataDir: string, env: NodeJS.ProcessEnv): { key: string; created: boolean } {
  if (env.BALLOT_TRACKER_DEV_KEY) return { key: env.BALLOT_TRACKER_DEV_KEY, created: false };
  const file = join(dataDir, 'dev-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return { key, created: false };
  }
  const key = `dev_${randomBytes(24).toString('base64url')}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}

export async function startDevStack(options: DevStackOptions): Promise<RunningDevStack> {
  const env: NodeJS.ProcessEnv = { ...options.env };
  const logDir = join(options.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const parts: {
    temporal?: RunningTemporal;
    postgres?: RunningPostgres;
    sandbox?: Sandbox;
    worker?: RunningWorker;
    api?: RunningApi;
  } = {};
  const stopParts = async () => {
    removeDevStack(options.stackFile);
    await parts.api?.stop().catch(() => {});
    await parts.worker?.stop().catch(() => {});
    await Promise.allSettled([parts.temporal?.stop(), parts.postgres?.stop(), parts.sandbox?.close()]);
  };

  try {
    if (!env.TEMPORAL_ADDRESS) {
      const cliPath = await ensureTemporalCli();
      mkdirSync(join(options.dataDir, 'temporal'), { recursive: true });
      parts.temporal = await startTemporalDevServer({
        cliPath,
        port: options.temporalPort ?? 7233,
        uiPort: options.temporalUiPort ?? 8233,
        dbFile: join(options.dataDir, 'temporal', 'temporal.db'),
        logFile: join(logDir, 'temporal.log'),
      });
      env.TEMPORAL_ADDRESS = parts.temporal.address;
    }
    if (!env.DATABASE_URL) {
      await ensurePostgres();
      parts.postgres = await startEmbeddedPostgres({
        dataDir: join(options.dataDir, 'postgres'),
        port: options.postgresPort ?? 5433,
        database: 'ballot_tracker',
        persistent: true,
        onLog: (line) => appendFileSync(join(logDir, 'postgres.log'), line),
      });
      env.DATABASE_URL = parts.postgres.url;
    }

    // No provider credentials: the real SDKs talk to local fakes, and /dev/outbox shows what was "sent".
    if (!env.TWILIO_ACCOUNT_SID && !env.SENDGRID_API_KEY) {
      const publicBaseUrl = (env.PUBLIC_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
      parts.sandbox = await startSandbox({
        twilio: { inboundSmsUrl: `${publicBaseUrl}/webhooks/twilio/inbound` },
        sendgrid: { eventWebhookUrl: `${publicBaseUrl}/webhooks/sendgrid/events`, events: { enabled: true } },
      });
      Object.assign(env, parts.sandbox.env, {
        TWILIO_SMS_FROM: '+15005550006',
        TWILIO_VOICE_FROM: '+15005550006',
        SENDGRID_FROM_EMAIL: 'notices@elections.example',
        SENDGRID_FROM_NAME: 'County Elections',
      });
    }

    const devKey = ensureDevKey(options.dataDir, env);
    env.BALLOT_TRACKER_DEV_KEY = devKey.key;
    const config = loadConfig({ NODE_ENV: 'development', ...env });
    const logger = createLogger(config, 'dev');
    parts.worker = await runWorker(config, logger.child({ component: 'worker' }));
    parts.api = await runApi(
      config,
      logger.child({ component: 'api' }),
      parts.sandbox ? { sandbox: parts.sandbox } : {},
    );

    const info: DevStackInfo = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      apiUrl: parts.api.url,
      databaseUrl: config.DATABASE_URL,
      temporalAddress: config.TEMPORAL_ADDRESS,
      temporalNamespace: config.TEMPORAL_NAMESPACE,
      temporalTaskQueue: config.TEMPORAL_TASK_QUEUE,
      ...(parts.temporal ? { temporalUiUrl: parts.temporal.uiUrl } : {}),
      devKey: devKey.key,
    };
    mkdirSync(dirname(options.stackFile), { recursive: true });
    writeDevStack(options.stackFile, info);

    const { api, worker } = parts;
    let stopped: Promise<void> | undefined;
    return {
      config,
      logger,
      info,
      api,
      worker,
      ...(parts.temporal ? { temporal: parts.temporal } : {}),
      ...(parts.postgres ? { postgres: parts.postgres } : {}),
      ...(parts.sandbox ? { sandbox: parts.sandbox } : {}),
      newDevKey: devKey.created,
      stop: () => (stopped ??= stopParts()),
    };
  } catch (error) {
    await stopParts();
    throw error;
  }
}
