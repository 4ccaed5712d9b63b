/**
 * Every CLI command, given bad input or a bad environment, stops with one line that names the fix
 * (exit code 1, or 78 for configuration) and never a stack trace. The table must name every command:
 * a new command without its bad-input case fails here.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createCliContext } from '../../cli/context.js';
import { buildProgram, runCli } from '../../cli/program.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-errors-'));
const NO_STACK = join(dir, 'no-dev-stack.json');
/** Nothing listens on port 1. */
const CLOSED_DATABASE = 'postgres://user:secret@127.0.0.1:1/ballots';

async function cli(
  argv: string[],
  // Outside production (the CLI's default under tsx): production would first ask for its secrets.
  env: NodeJS.ProcessEnv = { DATABASE_URL: CLOSED_DATABASE, NODE_ENV: 'development' },
  devStackFile = NO_STACK,
) {
  let stdout = '';
  let stderr = '';
  const log = console.log;
  const error = console.error;
  console.log = (...args: unknown[]) => void (stdout += `${args.join(' ')}\n`);
  console.error = (...args: unknown[]) => void (stderr += `${args.join(' ')}\n`);
  try {
    const code = await runCli(argv, { env, devStackFile }, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
    return { code, stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
  }
}

function expectOneLineError(result: { code: number; stderr: string }, pattern: RegExp) {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  expect(lines[0]).toMatch(pattern);
}

/** Leaf commands by their full name ('keys create'). */
function leafCommands(command: Command, prefix: string[] = []): string[] {
  return command.commands.flatMap((child) => {
    const name = [...prefix, child.name()];
    return child.commands.length > 0 ? leafCommands(child, name) : [name.join(' ')];
  });
}

/** Per command: arguments that are wrong in themselves, and what the one line must say. */
const BAD_INPUT: Record<string, [string[], RegExp]> = {
  migrate: [['migrate', 'now'], /too many arguments/],
  'keys create': [
    ['keys', 'create', '--name', 'x', '--scopes', 'everything', '--counties', 'all'],
    /unknown scope everything; use .*"all"/,
  ],
  'keys list': [['keys', 'list', '--revoked'], /unknown option '--revoked'/],
  'keys revoke': [['keys', 'revoke', 'bt_abc'], /a key id: 12 hex digits/],
  county: [['county', 'placer', '--name', 'P', '--phone', '1', '--url', 'placer.gov'], /must be an http\(s\) URL/],
  ballot: [['ballot', 'gen-2026', 'not an id'], /letters, digits/],
  'county-texts': [['county-texts'], /missing required argument 'county'/],
  'county-show': [['county-show', 'placer', '--yaml'], /unknown option '--yaml'/],
  'purge-contacts': [['purge-contacts', '--days', '-3'], /a whole number of days/],
  import: [['import', 'ballot', 'file.csv'], /voters, ballots, scans or ivmtr/],
  'outbox status': [['outbox', 'status', '--jsn'], /unknown option '--jsn'.*--json/],
  'outbox dead-letters': [['outbox', 'dead-letters', '--election', 'not an id'], /letters, digits/],
  'outbox retry': [['outbox', 'retry', '--ballot', 'B-1'], /--ballot needs --election/],
  'delivery pauses': [['delivery', 'pauses', 'now'], /too many arguments/],
  'delivery resume': [['delivery', 'resume', '--channel', 'fax'], /one of sms, email, voice/],
  'election sweeps': [['election', 'sweeps', 'not an id'], /letters, digits/],
  'election rerun': [['election', 'rerun', 'gen-2026', 'noon'], /return-reminder or close/],
  status: [['status', '--verbose'], /unknown option '--verbose'/],
  report: [['report', 'turnout', '--county', 'sacramento'], /one of signups, notices, failures, attention, cure-log/],
  'broadcast create': [['broadcast', 'create', '--counties', 'yolo'], /required option '--election <electionId>'/],
  'broadcast list': [['broadcast', 'list', '--election', 'not an id'], /letters, digits/],
  'broadcast preview': [['broadcast', 'preview', 'seven'], /a broadcast number/],
  'broadcast dry-run': [['broadcast', 'dry-run', '0'], /a broadcast number/],
  'broadcast approve': [['broadcast', 'approve'], /missing required argument 'id'/],
  'broadcast start': [['broadcast', 'start', '-1'], /unknown option '-1'|a broadcast number/],
  'broadcast status': [['broadcast', 'status', '7', '--jsn'], /unknown option '--jsn'/],
  'broadcast stop': [['broadcast', 'stop', '7x'], /a broadcast number/],
};

/** A valid invocation of each command that needs the database (for the environment cases). */
const NEEDS_DATABASE: string[][] = [
  ['migrate'],
  ['keys', 'create', '--name', 'x', '--scopes', 'all', '--counties', 'all'],
  ['keys', 'list'],
  ['keys', 'revoke', '0123456789ab'],
  ['county', 'placer', '--name', 'P', '--phone', '1', '--url', 'https://placer.example'],
  ['county-texts', 'placer'],
  ['ballot', 'gen-2026', 'B-1'],
  ['county-show', 'placer'],
  ['purge-contacts', '--dry-run'],
  ['import', 'voters', fileURLToPath(new URL('../fixtures/imports/voters.csv', import.meta.url))],
  ['outbox', 'status'],
  ['outbox', 'dead-letters'],
  ['outbox', 'retry'],
  ['delivery', 'pauses'],
  ['delivery', 'resume'],
  ['election', 'sweeps'],
  ['status'],
  ['report', 'notices', '--county', 'sacramento'],
  ['broadcast', 'list'],
  ['broadcast', 'status', '7'],
];

describe('CLI errors', () => {
  it('has a bad-input case for every command', () => {
    const program = buildProgram(createCliContext({ env: {}, devStackFile: NO_STACK }));
    expect(leafCommands(program).sort()).toEqual(Object.keys(BAD_INPUT).sort());
  });

  it.each(Object.entries(BAD_INPUT))('%s with bad input: one line naming the problem', async (_name, [argv, says]) => {
    expectOneLineError(await cli(argv), says);
  });

  it.each(NEEDS_DATABASE.map((argv) => [argv.join(' '), argv]))(
    '%s without DATABASE_URL and no running stack: one line naming `npm start` and DATABASE_URL (exit 78)',
    async (_name, argv) => {
      const result = await cli(argv, {});
      expectOneLineError(result, /no development stack is running: start one with `npm start`.*set DATABASE_URL=/);
      expect(result.code).toBe(78);
    },
  );

  it.each(NEEDS_DATABASE.map((argv) => [argv.join(' '), argv]))(
    '%s with an unreachable database: one line naming it and the fix',
    async (_name, argv) => {
      expectOneLineError(await cli(argv), /cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED\).*DATABASE_URL/);
    },
  );

  it('names a development stack that has stopped (its process is gone)', async () => {
    const stale = join(dir, 'stale.json');
    writeFileSync(
      stale,
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        databaseUrl: CLOSED_DATABASE,
        temporalAddress: '127.0.0.1:1',
        devKey: 'x',
      }),
    );
    const result = await cli(['keys', 'list'], {}, stale);
    expectOneLineError(result, /has stopped \(pid \d+\): start it again with `npm start`/);
  });

  it('a bad variable is named on one line (exit 78)', async () => {
    const result = await cli(['outbox', 'status'], { DATABASE_URL: 'mysql://x', SMS_MESSAGES_PER_SECOND: 'fast' });
    expectOneLineError(result, /invalid configuration: DATABASE_URL a postgres:\/\/.*; SMS_MESSAGES_PER_SECOND/);
    expect(result.code).toBe(78);
  });

  it('an unreachable Temporal is named on one line', async () => {
    const result = await cli(['election', 'rerun', 'gen-2026', 'close'], {
      DATABASE_URL: CLOSED_DATABASE,
      NODE_ENV: 'development',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expectOneLineError(result, /cannot reach Temporal at 127\.0\.0\.1:1 .*TEMPORAL_ADDRESS/);
  }, 30_000);

  it('a file that is not there is named on one line', async () => {
    const operations = join(dir, 'missing-operations.json');
    const result = await cli(['import', 'scans', 'scans.txt', '--operations', operations]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('help is not an error', async () => {
    const result = await cli(['keys', 'create', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--counties <list>');
  });
});
