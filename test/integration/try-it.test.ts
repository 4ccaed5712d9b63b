/**
 * The first hour of a newcomer, as the README tells it: the development stack `npm start` runs
 * (`scripts/dev-stack.ts`, here on the suite's Temporal server and a database of its own), the README's
 * "Try it" block pasted into bash, the notice in /dev/outbox.json; then the operator CLI, with no
 * variable but the one that points it at this stack's file instead of the repository's `.data/`
 * (a developer's own `npm start` may be running), creates a key for every scope and county.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OutboxEntry } from '../../api/dev-outbox.js';
import { readDevStack } from '../../lib/dev-stack.js';
import { startDevStack, type RunningDevStack } from '../../scripts/dev-stack.js';
import { freePort } from '../global-setup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';
import { ALL_SCOPES } from '../../domain/principal.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const run = promisify(execFile);

/** The first ```sh block of the README's "Try it" section, as a newcomer copies it. */
function tryItBlock(): string {
  const section = README.slice(README.indexOf('\n## Try it\n'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no "Try it" shell block');
  return match[1]!;
}

describe('README "Try it" against the development stack', () => {
  let db: TestDatabase;
  let stack: RunningDevStack;
  let home: string;
  let stackFile: string;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    home = mkdtempSync(join(tmpdir(), 'try-it-'));
    stackFile = join(home, '.data', 'dev-stack.json');
    const port = await freePort();
    stack = await startDevStack({
      dataDir: join(home, '.data'),
      stackFile,
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('try-it'),
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        SMS_MESSAGES_PER_SECOND: '20',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('announces itself in the stack file, with the development key', () => {
    const found = readDevStack(stackFile);
    expect(found.kind).toBe('running');
    if (found.kind !== 'running') return;
    expect(found.info).toMatchObject({ apiUrl: stack.api.url, databaseUrl: db.url, devKey: stack.info.devKey });
    expect(readFileSync(join(home, '.data', 'dev-key'), 'utf8').trim()).toBe(stack.info.devKey);
  });

  it('takes an empty stack to the received notice in /dev/outbox.json with the README requests', async () => {
    const script = tryItBlock().replaceAll('http://127.0.0.1:3000', stack.api.url);
    // Asynchronously: the API answering the requests runs in this process.
    const result = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: home, timeout: 60_000 }).catch(
      (error: { stdout: string; stderr: string }) => {
        throw new Error(`the Try-it block failed:\n${error.stdout}\n${error.stderr}`);
      },
    );
    // Each request's answer is printed: none of them is an error.
    expect(result.stdout).not.toMatch(/"error"/);
    expect(result.stdout).toContain('"verified":true');

    const received = await eventually(async () => {
      const outbox = (await (await fetch(`${stack.api.url}/dev/outbox.json`)).json()) as OutboxEntry[];
      return outbox.find((entry) => entry.channel === 'sms' && /We received your ballot/.test(entry.body));
    }, 45_000);
    expect(received).toMatchObject({ to: '+19165550187', language: 'en' });
  });

  it('lets `npm run cli -- keys create ... --counties all` find the stack without DATABASE_URL, and the key works', async () => {
    const { stdout } = await run(
      'npm',
      ['run', '-s', 'cli', '--', 'keys', 'create', '--name', 'x', '--scopes', 'all', '--counties', 'all', '--json'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DEV_STACK_FILE: stackFile } },
    );
    const created = JSON.parse(stdout) as { key: string; counties: string[] | null; scopes: string[] };
    expect(created.counties).toBeNull();
    expect([...created.scopes].sort()).toEqual([...ALL_SCOPES].sort());
    const answer = await fetch(`${stack.api.url}/v1/ballots/try-2099/B-1`, {
      headers: { authorization: `Bearer ${created.key}` },
    });
    expect(answer.status).toBe(200);
  });
});
