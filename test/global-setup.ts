/**
 * One Temporal dev server (headless, in memory) and one PostgreSQL server for the whole run. Each test
 * file creates its own database on that server (test/helpers/database.ts) so files run in parallel.
 * DATABASE_URL, when set, names an external server to use instead of embedded PostgreSQL.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../scripts/embedded-postgres.js';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.js';
import { DATA_DIR, ensureJavaTestServer, ensureTemporalCli } from '../scripts/tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    postgresAdminUrl: string;
    testServerPath: string;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  const [cliPath, testServerPath] = [await ensureTemporalCli(), await ensureJavaTestServer()];
  const logDir = join(DATA_DIR, 'test-logs');
  mkdirSync(logDir, { recursive: true });

  const temporal = await startTemporalDevServer({
    cliPath,
    port: await freePort(),
    logFile: join(logDir, 'temporal-dev-server.log'),
  });

  const external = process.env.DATABASE_URL;
  const postgres = external
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: mkdtempSync(join(tmpdir(), 'ballot-tracker-pg-')),
        port: await freePort(),
        database: 'postgres',
        persistent: false,
      });

  project.provide('temporalAddress', temporal.address);
  project.provide('postgresAdminUrl', external ?? postgres!.url);
  project.provide('testServerPath', testServerPath);

  return async () => {
    await Promise.allSettled([temporal.stop(), postgres?.stop()]);
  };
}
