/**
 * Production worker process: configuration from the environment only, Temporal runtime metrics on
 * WORKER_METRICS_PORT, migrations and search attributes ensured at start-up, graceful on SIGTERM.
 */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfigOrExit } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import { runWorker, temporalLogger } from './run.js';

const config = loadConfigOrExit('worker', import.meta.url);
const logger = createLogger(config, 'worker');

Runtime.install({
  logger: temporalLogger(logger),
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    ...(config.WORKER_METRICS_PORT > 0
      ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.WORKER_METRICS_PORT}` } } }
      : {}),
  },
  shutdownSignals: [],
});

// Handlers first: a SIGTERM that arrives while the worker is still starting must stop it too.
const started: { process?: Awaited<ReturnType<typeof runWorker>>; stopRequested?: boolean } = {};
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal, graceMs: config.WORKER_SHUTDOWN_GRACE_TIME }, 'shutting down');
    started.stopRequested = true;
    void started.process?.stop();
  });
}
started.process = await runWorker(config, logger);
if (started.stopRequested) void started.process.stop();
await started.process.done;
logger.info('worker stopped');
