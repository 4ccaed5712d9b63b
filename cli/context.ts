/**
 * What every CLI command gets: the configuration (from the environment, or from the running
 * development stack when DATABASE_URL is not set), a database pool that is always closed, and a
 * Temporal client whose unreachable server is a one-line error.
 */
import { relative } from 'node:path';
import { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from '../config/env.js';
import { createSql, type Sql } from '../db/client.js';
import { readDevStack, withDevStack } from '../lib/dev-stack.js';
import { connectClient } from '../lib/temporal.js';
import { CliError } from './errors.js';

export interface CliContext {
  /** Parsed once, on first use; throws a CliError naming the fix. */
  config: () => Config;
  withSql: <T>(work: (sql: Sql) => Promise<T>) => Promise<T>;
  withTemporal: <T>(work: (client: Client, config: Config) => Promise<T>) => Promise<T>;
}

export interface CliEnvironment {
  env: NodeJS.ProcessEnv;
  /** Where `npm start` announces the running stack (`.data/dev-stack.json`). */
  devStackFile: string;
}

export function createCliContext({ env, devStackFile }: CliEnvironment): CliContext {
  let config: Config | undefined;
  const nearby = relative(process.cwd(), devStackFile);
  const shown = nearby && !nearby.startsWith('..') ? nearby : devStackFile;

  function load(): Config {
    const { env: resolved, found } = withDevStack(env, devStackFile);
    try {
      return loadConfig(resolved);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const missingDatabase = error.issues.some((issue) => issue.name === 'DATABASE_URL' && !resolved.DATABASE_URL);
      if (!missingDatabase) throw error;
      const setIt = 'or set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE';
      const lookup = readDevStack(devStackFile);
      const why =
        found === 'stopped' && lookup.kind === 'stopped'
          ? `DATABASE_URL is not set and the development stack in ${shown} has stopped (pid ${lookup.info.pid}): start it again with \`npm start\``
          : found === 'malformed'
            ? `DATABASE_URL is not set and ${shown} cannot be read: restart \`npm start\``
            : `DATABASE_URL is not set and no development stack is running: start one with \`npm start\` (the CLI then finds it through ${shown})`;
      throw new CliError(`${why}, ${setIt}`, 78);
    }
  }

  const context: CliContext = {
    config: () => (config ??= load()),
    withSql: async (work) => {
      const sql = createSql(context.config());
      try {
        return await work(sql);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
    withTemporal: async (work) => {
      const current = context.config();
      const connection = await connectClient(current).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new CliError(
          `cannot reach Temporal at ${current.TEMPORAL_ADDRESS} (${reason}): start it (\`npm start\` runs a dev server) or correct TEMPORAL_ADDRESS`,
        );
      });
      try {
        return await work(new Client({ connection, namespace: current.TEMPORAL_NAMESPACE }), current);
      } finally {
        await connection.close();
      }
    },
  };
  return context;
}
