import type { Config } from '../config/env.js';
import { createSql } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import type { Logger } from '../lib/logger.js';
import { connectClient } from '../lib/temporal.js';
import { createApp } from './app.js';
import { postgresCheck, temporalCheck } from './health.js';
import { startServer, type RunningServer } from './server.js';

export type RunningApi = RunningServer;

/** Everything an API process does, shared by `api/main.ts` and the dev runner. */
export async function runApi(config: Config, logger: Logger): Promise<RunningApi> {
  const sql = createSql(config);
  const applied = await migrate(sql);
  if (applied.length > 0) logger.info({ applied }, 'applied migrations');
  const connection = await connectClient(config);
  const app = createApp({
    logger,
    readiness: {
      temporal: temporalCheck(connection, config.TEMPORAL_NAMESPACE),
      postgres: postgresCheck(sql),
    },
  });
  const running = await startServer(app, config.API_HOST, config.API_PORT);
  logger.info({ url: running.url }, 'api listening');
  return {
    ...running,
    async stop() {
      await running.stop();
      await connection.close();
      await sql.end({ timeout: 5 });
    },
  };
}
