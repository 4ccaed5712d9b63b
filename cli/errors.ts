/**
 * Every CLI failure becomes one line that names the fix, never a stack trace: configuration, an
 * unreachable or unprepared database, an unreachable Temporal, a file that cannot be read.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/env.js';
import { ApiKeyScopeError } from '../lib/api-keys.js';

/** A failure the CLI already words for the operator; `exitCode` 78 for configuration (EX_CONFIG). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const oneLine = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');

/** Postgres error codes (SQLSTATE) an operator can fix, with the fix. */
const POSTGRES_FIXES: Record<string, string> = {
  '28P01': 'PostgreSQL refused the user or password in DATABASE_URL: correct them',
  '28000': 'PostgreSQL refused the user in DATABASE_URL: correct it, or allow it in pg_hba.conf',
  '3D000': 'the database named in DATABASE_URL does not exist: create it (createdb NAME) or correct DATABASE_URL',
  '42P01': 'the database has no Ballot Tracker tables yet: run `npm run cli -- migrate` first',
  '42703': 'the database schema is older than this CLI: run `npm run cli -- migrate`',
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
]);

/** The message (one line) and exit code for anything a command threw. */
export function describeCliError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: oneLine(error.message), exitCode: error.exitCode };
  if (error instanceof ConfigError) {
    return {
      message: `invalid configuration: ${error.issues.map((i) => `${i.name} ${i.problem}`).join('; ')}; fix the environment variable (README, "Configuration")`,
      exitCode: 78,
    };
  }
  if (error instanceof ApiKeyScopeError) return { message: `keys create: ${oneLine(error.message)}`, exitCode: 1 };
  if (error instanceof CommanderError) return { message: oneLine(error.message.replace(/^error: /, '')), exitCode: 1 };
  const failure = error as { code?: unknown; address?: unknown; port?: unknown; path?: unknown };
  const code = typeof failure?.code === 'string' ? failure.code : undefined;
  if (code && POSTGRES_FIXES[code]) return { message: POSTGRES_FIXES[code], exitCode: 1 };
  if (code && NETWORK_CODES.has(code) && typeof failure.address === 'string') {
    const port = typeof failure.port === 'number' || typeof failure.port === 'string' ? `:${failure.port}` : '';
    const where = `${failure.address}${port}`;
    return {
      message: `cannot reach PostgreSQL at ${where} (${code}): start it (\`npm start\` runs one) or correct DATABASE_URL`,
      exitCode: 1,
    };
  }
  if ((code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') && typeof failure.path === 'string') {
    const why = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory' }[code];
    return { message: `cannot read ${failure.path}: ${why}; check the path`, exitCode: 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `${oneLine(message)} (unexpected failure; check the arguments and the logs)`, exitCode: 1 };
}
