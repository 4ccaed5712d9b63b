/** Production API process: configuration from the environment only; graceful on SIGTERM. */
import { loadConfigOrExit } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { runApi } from './run.js';

const config = loadConfigOrExit('api', import.meta.url);
const logger = createLogger(config, 'api');
// Handlers first: a SIGTERM that arrives while the API is still starting must stop it too.
const started: { process?: Awaited<ReturnType<typeof runApi>>; stopRequested?: boolean } = {};
const stop = (api: NonNullable<typeof started.process>) =>
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
    started.stopRequested = true;
    if (started.process) void stop(started.process);
  });
}
started.process = await runApi(config, logger);
if (started.stopRequested) void stop(started.process);
