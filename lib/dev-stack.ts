/**
 * The running development stack, as `npm start` announces it: a small JSON file (default
 * `.data/dev-stack.json`, readable by its owner only) with the embedded PostgreSQL URL, the Temporal
 * address, the API URL and the development key. The operator CLI reads it when `DATABASE_URL` is not
 * set, so `npm run cli -- ...` works next to `npm start` without any variable. Never read in production.
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `<repository>/.data/dev-stack.json`, whether run from the sources (tsx) or from `dist/`. */
export function defaultDevStackFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const parent = resolve(here, '..');
  const root = basename(parent) === 'dist' ? resolve(parent, '..') : parent;
  return join(root, '.data', 'dev-stack.json');
}

export interface DevStackInfo {
  /** The `npm start` process; the file is stale once it is gone. */
  pid: number;
  startedAt: string;
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  temporalTaskQueue: string;
  temporalUiUrl?: string;
  /** BALLOT_TRACKER_DEV_KEY of the running API: every scope and county, development only. */
  devKey: string;
}

/** Written atomically, mode 0600 (it holds a key and a database password). */
export function writeDevStack(file: string, info: DevStackInfo): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** Removes the file if it still describes this process's stack (a newer `npm start` may own it). */
export function removeDevStack(file: string, pid = process.pid): void {
  const found = readDevStack(file);
  if (found.kind !== 'missing' && (found.kind === 'malformed' || found.info.pid === pid)) rmSync(file, { force: true });
}

export type DevStackLookup =
  | { kind: 'running'; info: DevStackInfo }
  | { kind: 'stopped'; info: DevStackInfo }
  | { kind: 'missing' }
  | { kind: 'malformed' };

export function readDevStack(file: string): DevStackLookup {
  if (!existsSync(file)) return { kind: 'missing' };
  let info: DevStackInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as DevStackInfo;
  } catch {
    return { kind: 'malformed' };
  }
  if (typeof info?.databaseUrl !== 'string' || typeof info.pid !== 'number') return { kind: 'malformed' };
  return { kind: isAlive(info.pid) ? 'running' : 'stopped', info };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The environment a CLI command runs with: unchanged when `DATABASE_URL` is set or in production;
 * otherwise the running stack's database and Temporal fill in what is not set. `found` says where
 * the values came from, for the error message when nothing was found.
 */
export function withDevStack(
  env: NodeJS.ProcessEnv,
  file: string,
): { env: NodeJS.ProcessEnv; found: DevStackLookup['kind'] | 'not-needed' } {
  if (env.DATABASE_URL || env.NODE_ENV === 'production') return { env, found: 'not-needed' };
  const lookup = readDevStack(file);
  if (lookup.kind !== 'running') return { env, found: lookup.kind };
  const { info } = lookup;
  return {
    env: {
      ...env,
      DATABASE_URL: info.databaseUrl,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS || info.temporalAddress,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE || info.temporalNamespace,
      TEMPORAL_TASK_QUEUE: env.TEMPORAL_TASK_QUEUE || info.temporalTaskQueue,
    },
    found: 'running',
  };
}
