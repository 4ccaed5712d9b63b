/** Production API process: configuration from the environment only; graceful on SIGTERM. */
import { loadConfig, ConfigError } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { runApi } from './run.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`api: ${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
const logger = createLogger(config, 'api');
// Handlers first: a SIGTERM that arrives while the API is still starting must stop it too.
let running: Awaited<ReturnType<typeof runApi>> | undefined;
let stopRequested = false;
const stop = (api: NonNullable<typeof running>) =>
  api.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    stopRequested = true;
    if (running) void stop(running);
  });
}
running = await runApi(config, logger);
if (stopRequested) void stop(running);
