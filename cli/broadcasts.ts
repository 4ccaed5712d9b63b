/**
 * `broadcast create|list|preview|dry-run|approve|start|status|stop`: the operator's side of
 * `/v1/broadcasts`, with the same rules (`ingest/broadcasts.ts`). The CLI acts as the principal
 * `cli` (every county), or as the API key given with `--key`: a broadcast created by one is
 * approved by the other (never by the same key).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Sql } from '../db/client.js';
import type { Broadcast, BroadcastProgress } from '../db/broadcasts.js';
import { BROADCAST_MESSAGES } from '../domain/broadcasts.js';
import { OPERATOR, type Principal } from '../domain/principal.js';
import { ID_PATTERN } from '../domain/scan-event.js';
import { countyFallback } from '../delivery/county.js';
import {
  approve,
  BroadcastRefused,
  createDraft,
  dryRun,
  listVisible,
  preview,
  start,
  status,
  stop,
  type BroadcastServiceDeps,
} from '../ingest/broadcasts.js';
import { createKeyVerifier } from '../lib/api-keys.js';
import { broadcastWorkflowId, stopBroadcastSignal } from '../workflows/broadcast.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';

function broadcastId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('a broadcast number');
  return n;
}

function list(value: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '' || item.length > 64)) throw new InvalidArgumentError('a comma-separated list');
  return items;
}

function id(value: string): string {
  if (!ID_PATTERN.test(value)) throw new InvalidArgumentError('letters, digits, ".", "_" or "-", 1 to 64 characters');
  return value;
}

async function principalFor(sql: Sql, key: string | undefined): Promise<Principal> {
  if (key === undefined) return OPERATOR;
  const principal = await createKeyVerifier(sql)(key);
  if (!principal) throw new CliError('--key is not a live API key: check it with `keys list`');
  return principal;
}

/** The service's refusals as one line. */
async function refusalsAsLines<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BroadcastRefused) throw new CliError(`${error.code}: ${error.message}`);
    throw error;
  }
}

function describe(b: Broadcast, progress?: BroadcastProgress): string[] {
  return [
    `broadcast ${b.broadcastId}  ${b.state}  ${b.electionId}  counties=${b.counties?.join(',') ?? 'all'}  ` +
      `statuses=${b.statuses.join(',')}  message=${b.messageKey}`,
    `  created by ${b.createdBy} ${b.createdAt.toISOString()}` +
      (b.approvedBy ? `; approved by ${b.approvedBy} ${b.approvedAt?.toISOString()}` : '; not approved') +
      (b.stoppedAt ? `; stopped ${b.stoppedAt.toISOString()}` : ''),
    ...(progress
      ? [
          `  selected ${progress.selected ?? '-'}  signalled ${progress.signalled}  sent ${progress.sent}  ` +
            `skipped ${progress.skipped}${
              Object.keys(progress.skippedBecause).length
                ? ` (${Object.entries(progress.skippedBecause)
                    .map(([why, n]) => `${why}: ${n}`)
                    .join(', ')})`
                : ''
            }  ` +
            `failed ${progress.failed}  in flight ${progress.inFlight}  partitions ${progress.partitionsDone}/${progress.partitions}`,
        ]
      : []),
  ];
}

const print = (json: boolean | undefined, value: unknown, lines: () => string[]) => {
  if (json) console.log(JSON.stringify(value));
  else for (const line of lines()) console.log(line);
};

export function registerBroadcastCommands(program: Command, context: CliContext): void {
  const { withSql, withTemporal } = context;
  const group = program
    .command('broadcast')
    .description('a message to the subscribed voters of a selection of ballots: create, preview, approve, run, stop');

  const service = (sql: Sql): BroadcastServiceDeps => ({ sql, countyFallback: countyFallback(context.config()) });
  const keyOption = '--key <apiKey>';
  const keyHelp = 'act as this API key (default: the operator `cli`); approval needs a key other than the creator';

  group
    .command('create')
    .description('create a draft (nothing is sent before a second key approves it and it is started)')
    .requiredOption('--election <electionId>', 'the election', id)
    .option('--counties <list>', "county codes (default: the key's counties, or every county)", list)
    .option('--statuses <list>', 'ballot statuses', list, ['outbound'])
    .option('--message <key>', `one of ${Object.keys(BROADCAST_MESSAGES).join(', ')}`, 'reminder.return')
    .option('--note <text>', 'why this broadcast (for operators)')
    .option(keyOption, keyHelp)
    .option('--json', 'print JSON')
    .action(
      (options: {
        election: string;
        counties?: string[];
        statuses: string[];
        message: string;
        note?: string;
        key?: string;
        json?: boolean;
      }) =>
        withSql(async (sql) => {
          const principal = await principalFor(sql, options.key);
          const created = await refusalsAsLines(() =>
            createDraft(service(sql), principal, {
              electionId: options.election,
              counties: options.counties,
              statuses: options.statuses,
              messageKey: options.message,
              note: options.note,
            }),
          );
          print(options.json, created, () => [
            ...describe(created),
            `next: \`broadcast preview ${created.broadcastId}\`, \`broadcast dry-run ${created.broadcastId}\`, then another key approves it`,
          ]);
        }),
    );

  group
    .command('list')
    .option('--election <electionId>', 'only this election', id)
    .option(keyOption, keyHelp)
    .option('--json', 'print JSON')
    .action((options: { election?: string; key?: string; json?: boolean }) =>
      withSql(async (sql) => {
        const found = await listVisible(sql, await principalFor(sql, options.key), options.election);
        print(options.json, found, () => (found.length ? found.flatMap((b) => describe(b)) : ['no broadcasts']));
      }),
    );

  group
    .command('preview')
    .description('ballots selected, voters and contacts per channel and language, and the message as it reads')
    .argument('<id>', 'the broadcast', broadcastId)
    .option(keyOption, keyHelp)
    .option('--json', 'print JSON')
    .action((broadcast: number, options: { key?: string; json?: boolean }) =>
      withSql(async (sql) => {
        const shown = await refusalsAsLines(async () =>
          preview(service(sql), await principalFor(sql, options.key), broadcast),
        );
        print(options.json, shown, () => [
          `broadcast ${broadcast}: ${shown.ballots} ballots (${shown.messageKey})`,
          ...shown.audience.map(
            (line) =>
              `  ${line.channel.padEnd(5)} ${line.language.padEnd(7)} ballots ${line.ballots}  voters ${line.voters}  contacts ${line.contacts}`,
          ),
          ...shown.messages.flatMap((message) => [
            `  --- ${message.county} / ${message.language}${message.countyConfigured ? '' : ' (county not configured: its notices would pause)'}`,
            ...(message.sms ? [`  sms:   ${message.sms}`] : []),
            ...(message.email ? [`  email: ${message.email.subject}`] : []),
            ...(message.voice ? [`  voice: ${message.voice}`] : []),
          ]),
        ]);
      }),
    );

  group
    .command('dry-run')
    .description('what a run would send now and what would wait for a window; nothing is signalled or sent')
    .argument('<id>', 'the broadcast', broadcastId)
    .option(keyOption, keyHelp)
    .option('--json', 'print JSON')
    .action((broadcast: number, options: { key?: string; json?: boolean }) =>
      withSql(async (sql) => {
        const result = await refusalsAsLines(async () =>
          dryRun(service(sql), await principalFor(sql, options.key), broadcast),
        );
        print(options.json, result, () => [
          `broadcast ${broadcast} (dry run): ${result.ballots} ballots would be signalled; nothing was sent`,
          ...result.sends.map(
            (line) =>
              `  ${line.channel.padEnd(5)} ${line.language.padEnd(7)} now ${line.inWindowNow}  waiting for the window ${line.waitingForWindow}` +
              (line.firstWindowOpensAt ? ` (first opens ${line.firstWindowOpensAt})` : ''),
          ),
        ]);
      }),
    );

  group
    .command('approve')
    .description('approve a draft (a key other than the creator, with broadcasts:approve)')
    .argument('<id>', 'the broadcast', broadcastId)
    .option(keyOption, keyHelp)
    .action((broadcast: number, options: { key?: string }) =>
      withSql(async (sql) => {
        const approved = await refusalsAsLines(async () =>
          approve(service(sql), await principalFor(sql, options.key), broadcast),
        );
        for (const line of describe(approved)) console.log(line);
      }),
    );

  group
    .command('start')
    .description('start an approved broadcast (its run workflow signals the selected ballots)')
    .argument('<id>', 'the broadcast', broadcastId)
    .option(keyOption, keyHelp)
    .action((broadcast: number, options: { key?: string }) =>
      withSql((sql) =>
        withTemporal(async (client, config) => {
          const principal = await principalFor(sql, options.key);
          const started = await refusalsAsLines(() =>
            start(
              { ...service(sql), temporal: { client, taskQueue: config.TEMPORAL_TASK_QUEUE } },
              principal,
              broadcast,
            ),
          );
          for (const line of describe(started)) console.log(line);
          console.log(`follow it with \`broadcast status ${broadcast}\`; stop it with \`broadcast stop ${broadcast}\``);
        }),
      ),
    );

  group
    .command('status')
    .argument('<id>', 'the broadcast', broadcastId)
    .option(keyOption, keyHelp)
    .option('--json', 'print JSON')
    .action((broadcast: number, options: { key?: string; json?: boolean }) =>
      withSql(async (sql) => {
        const found = await refusalsAsLines(async () =>
          status(service(sql), await principalFor(sql, options.key), broadcast),
        );
        print(options.json, found, () => describe(found.broadcast, found.progress));
      }),
    );

  group
    .command('stop')
    .description('stop at once: no further ballot is signalled, and notices not yet sent are skipped')
    .argument('<id>', 'the broadcast', broadcastId)
    .option(keyOption, keyHelp)
    .action((broadcast: number, options: { key?: string }) =>
      withSql(async (sql) => {
        // PostgreSQL first: the run and the sender read it, whether or not Temporal is reachable.
        const principal = await principalFor(sql, options.key);
        const stopped = await refusalsAsLines(() => stop(service(sql), principal, broadcast));
        for (const line of describe(stopped)) console.log(line);
        await withTemporal((client) =>
          client.workflow.getHandle(broadcastWorkflowId(broadcast)).signal(stopBroadcastSignal),
        ).catch(() => console.log('(its run, if any, stops at its next slice of signals)'));
      }),
    );
}
