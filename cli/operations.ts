/**
 * Operator commands for a running election: the outbox (backlog, dead letters, retry), paused
 * delivery (list, resume) and the election's sweeps (progress, re-run a moment).
 */
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { InvalidArgumentError, type Command } from 'commander';
import { activePauses, resumeDelivery } from '../db/delivery-pauses.js';
import { deadLetters, outboxHealth, retryDeadLetters } from '../db/outbox.js';
import { sweepProgress } from '../db/sweeps.js';
import { readBallotStatus } from '../ingest/ballot-status.js';
import { CHANNELS, type Channel } from '../domain/notices.js';
import type { ElectionMomentKind } from '../domain/election-moments.js';
import { ID_PATTERN } from '../domain/scan-event.js';
import { electionWorkflow, electionWorkflowId, rerunMomentSignal } from '../workflows/election.js';
import { ElectionId } from '../workflows/search-attributes.js';
import type { CliContext } from './context.js';

function id(value: string): string {
  if (!ID_PATTERN.test(value)) throw new InvalidArgumentError('letters, digits, ".", "_" or "-", 1 to 64 characters');
  return value;
}

function channel(value: string): Channel {
  if (!(CHANNELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${CHANNELS.join(', ')}`);
  return value as Channel;
}

function moment(value: string): ElectionMomentKind {
  if (value !== 'return-reminder' && value !== 'close') throw new InvalidArgumentError('return-reminder or close');
  return value;
}

const print = (json: boolean | undefined, value: unknown, lines: () => string[]) => {
  if (json) console.log(JSON.stringify(value));
  else for (const line of lines()) console.log(line);
};

export function registerOperationsCommands(program: Command, context: CliContext): void {
  const { withSql } = context;
  program
    .command('ballot')
    .description("a ballot's status, events and notices, from PostgreSQL (the same answer as GET /v1/ballots/...)")
    .argument('<electionId>', 'the election', id)
    .argument('<ballotId>', 'the ballot', id)
    .option('--json', 'print JSON')
    .action((electionId: string, ballotId: string, options: { json?: boolean }) =>
      withSql(async (sql) => {
        const ballot = await readBallotStatus(sql, electionId, ballotId);
        if (!ballot) {
          console.error(`no ballot ${ballotId} in election ${electionId}`);
          process.exitCode = 1;
          return;
        }
        print(options.json, ballot, () => [
          `${electionId}/${ballotId}  county=${ballot.county ?? '(awaiting issuance)'}  status=${ballot.status}` +
            (ballot.needsAttention ? `  needs attention${ballot.attention ? ` (${ballot.attention})` : ''}` : ''),
          ...ballot.events.map(
            (e) => `  event  ${e.receivedAt}  ${e.type.padEnd(15)} ${e.outcome.padEnd(8)} ${e.eventId}`,
          ),
          ...ballot.notices.map(
            (n) =>
              `  notice ${n.at}  ${`${n.status}#${n.sequence}`.padEnd(15)} ${n.channel.padEnd(6)} ${n.state}` +
              (n.attempts ? `  attempts=${n.attempts}` : '') +
              (n.lastError ? `  last-error=${n.lastError}` : '') +
              (n.reason ? `  (${n.reason})` : ''),
          ),
        ]);
      }),
    );

  const outbox = program.command('outbox').description('what waits to reach the workflows, and dead letters');

  outbox
    .command('status')
    .description('rows not yet forwarded, the age of the oldest, dead-lettered ballots')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withSql(async (sql) => {
        const health = await outboxHealth(sql);
        print(options.json, health, () => [
          `pending rows:          ${health.pending}`,
          `oldest pending:        ${health.oldestPendingSeconds.toFixed(1)} s`,
          `dead-lettered ballots: ${health.deadBallots}`,
        ]);
      }),
    );

  outbox
    .command('dead-letters')
    .description('ballots whose rows failed FORWARDER_MAX_ATTEMPTS times (Temporal reachable)')
    .option('--election <id>', 'one election only', id)
    .option('--json', 'print JSON')
    .action((options: { election?: string; json?: boolean }) =>
      withSql(async (sql) => {
        const letters = await deadLetters(sql, options.election ? { electionId: options.election } : {});
        print(options.json, letters, () =>
          letters.length === 0
            ? ['no dead letters']
            : letters.map(
                (l) =>
                  `${l.electionId}/${l.ballotId}  rows=${l.pending}  attempts=${l.attempts}  since=${l.deadAt.toISOString()}  ${l.lastError ?? ''}`,
              ),
        );
      }),
    );

  outbox
    .command('retry')
    .description('give dead-lettered ballots a fresh set of attempts (all, one election, or one ballot)')
    .option('--election <id>', 'one election only', id)
    .option('--ballot <id>', 'one ballot only (with --election)', id)
    .action((options: { election?: string; ballot?: string }) => {
      if (options.ballot && !options.election) throw new InvalidArgumentError('--ballot needs --election');
      return withSql(async (sql) => {
        const count = await retryDeadLetters(sql, {
          ...(options.election ? { electionId: options.election } : {}),
          ...(options.ballot ? { ballotId: options.ballot } : {}),
        });
        console.log(`${count} ballot(s) queued again`);
      });
    });

  const delivery = program.command('delivery').description('delivery paused by configuration failures');

  delivery
    .command('pauses')
    .description('active pauses: which county or channel, why, since when')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withSql(async (sql) => {
        const pauses = await activePauses(sql);
        print(options.json, pauses, () =>
          pauses.length === 0
            ? ['delivery is not paused anywhere']
            : pauses.map(
                (p) =>
                  `county=${p.county ?? 'all'}  channel=${p.channel ?? 'all'}  reason=${p.reason}  since=${p.pausedAt.toISOString()}`,
              ),
        );
      }),
    );

  delivery
    .command('resume')
    .description('resume paused delivery (after fixing its cause); waiting notices go out in each voter window')
    .option('--county <code>', 'one county only')
    .option('--channel <channel>', `one channel only (${CHANNELS.join(', ')})`, channel)
    .action((options: { county?: string; channel?: Channel }) =>
      withSql(async (sql) => {
        const { pauses, ballots } = await resumeDelivery(sql, {
          ...(options.county ? { county: options.county } : {}),
          ...(options.channel ? { channel: options.channel } : {}),
        });
        console.log(`resumed ${pauses} pause(s); ${ballots} ballot(s) told to send again`);
      }),
    );

  const election = program.command('election').description("an election's sweeps: return reminder and closing");

  election
    .command('sweeps')
    .description('the latest run of each moment: state, ballots signalled, ballots left open after closing')
    .argument('[electionId]', 'one election only', id)
    .option('--json', 'print JSON')
    .action((electionId: string | undefined, options: { json?: boolean }) =>
      withSql(async (sql) => {
        const runs = await sweepProgress(sql, electionId);
        print(options.json, runs, () =>
          runs.length === 0
            ? ['no sweep has run']
            : runs.map(
                (r) =>
                  `${r.electionId}  ${r.moment}  run=${r.run}  ${r.state}  signalled=${r.signalled}` +
                  (r.openAfter !== null ? `  open-after=${r.openAfter}` : '') +
                  `  started=${r.startedAt.toISOString()}` +
                  (r.finishedAt ? `  finished=${r.finishedAt.toISOString()}` : ''),
              ),
        );
      }),
    );

  election
    .command('rerun')
    .description('run a moment again now; ballots already signalled for it are not signalled twice')
    .argument('<electionId>', 'the election', id)
    .argument('<moment>', 'return-reminder or close', moment)
    .action((electionId: string, which: ElectionMomentKind) =>
      context.withTemporal(async (client, config) => {
        await client.workflow.signalWithStart(electionWorkflow, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: electionWorkflowId(electionId),
          args: [{ electionId }],
          signal: rerunMomentSignal,
          signalArgs: [{ moment: which }],
          typedSearchAttributes: [{ key: ElectionId, value: electionId }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        });
        console.log(
          `asked election ${electionId} to run ${which} again; follow it with \`election sweeps ${electionId}\``,
        );
      }),
    );
}
