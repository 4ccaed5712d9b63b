import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../global-setup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function startProcess(entry: 'api/main.ts' | 'worker/main.ts', env: Record<string, string>) {
  // The worker starts as production starts it: through its launcher, bin/worker.
  const [command, args] =
    entry === 'worker/main.ts'
      ? [join(ROOT, 'bin', 'worker'), ['--import', 'tsx', entry]]
      : [process.execPath, ['--import', 'tsx', entry]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => output };
}

/** Polls `url` until it answers 2xx with a body that `accept` takes; returns that body. */
async function waitFor(
  url: string,
  accept: (body: string) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      const body = await response.text();
      if (response.ok && accept(body)) return body;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('production entry points', () => {
  let db: TestDatabase;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    await db?.drop();
  });

  it.each([
    ['api/main.ts', {}, /DATABASE_URL: is required but not set/],
    ['worker/main.ts', {}, /DATABASE_URL: is required but not set/],
    ['api/main.ts', { DATABASE_URL: 'postgres://x@y/z', API_PORT: 'http' }, /API_PORT: /],
    [
      'worker/main.ts',
      { DATABASE_URL: 'postgres://x@y/z', WORKER_SHUTDOWN_GRACE_TIME: 'soon' },
      /WORKER_SHUTDOWN_GRACE_TIME: /,
    ],
  ] as const)('%s refuses to start with %j and names the variable', async (entry, env, message) => {
    const process = startProcess(entry, env);
    expect(await process.exited).toBe(78);
    expect(process.output()).toMatch(message);
  });

  it('the worker, started by bin/worker with its memory settings, serves Temporal metrics and stops on SIGTERM', async () => {
    const metricsPort = await freePort();
    const worker = startProcess('worker/main.ts', {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('entry'),
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_SHUTDOWN_GRACE_TIME: '5s',
    });
    running.push(worker.child);
    const metrics = await waitFor(`http://127.0.0.1:${metricsPort}/metrics`, (body) => /task_queue="entry-/.test(body));
    expect(metrics).toMatch(/^temporal_\w+\{[^}]*task_queue="entry-/m);
    // The launcher exec'd Node in place: the PID we started is the worker, with the memory settings.
    const commandLine = readFileSync(`/proc/${worker.child.pid}/cmdline`, 'utf8').split('\0');
    expect(commandLine).toEqual(expect.arrayContaining(['--max-semi-space-size=1', 'worker/main.ts']));
    const environment = readFileSync(`/proc/${worker.child.pid}/environ`, 'utf8').split('\0');
    expect(environment).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'MALLOC_TRIM_THRESHOLD_=131072']));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('the api answers /readyz, then stops gracefully on SIGTERM', async () => {
    const port = await freePort();
    const api = startProcess('api/main.ts', {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
    });
    running.push(api.child);
    const ready = await waitFor(`http://127.0.0.1:${port}/readyz`);
    expect(JSON.parse(ready)).toMatchObject({ status: 'ready' });
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
