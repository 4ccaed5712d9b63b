/**
 * `status`: the operator metrics in a terminal — forwarder lag and dead letters, sweeps, notices by
 * state and channel with their error classes, paused delivery, the SMS queue. The same snapshot as
 * the API's /metrics (`lib/operator-status.ts`), read straight from PostgreSQL and Temporal.
 */
import type { Command } from 'commander';
import { CHANNELS } from '../domain/notices.js';
import { collectOperatorStatus, smsQueueStatus, type OperatorStatus } from '../lib/operator-status.js';
import type { CliContext } from './context.js';

const STATES = ['sending', 'retrying', 'failed', 'sent', 'skipped'] as const;

/** The snapshot as lines of text (fixed-width tables, no colours). */
export function statusLines(status: OperatorStatus, where: { database: string; temporal: string }): string[] {
  const lines: string[] = [];
  const pad = (text: string | number, width: number) => String(text).padStart(width);
  lines.push(`Ballot Tracker status (database ${where.database}, Temporal ${where.temporal})`, '');

  const { outbox } = status;
  lines.push(
    'Outbox forwarder',
    `  pending rows           ${outbox.pending}`,
    `  oldest pending         ${outbox.oldestPendingSeconds.toFixed(1)} s${outbox.oldestPendingSeconds > 60 ? '   (behind: are the API processes forwarding? is Temporal up?)' : ''}`,
    `  dead-lettered ballots  ${outbox.deadBallots}${outbox.deadBallots > 0 ? '   (npm run cli -- outbox dead-letters; outbox retry)' : ''}`,
    '',
  );

  lines.push('Notices (ledger)');
  const channels = [...new Set([...CHANNELS, ...status.notices.map((n) => n.channel)])];
  lines.push(`  ${'channel'.padEnd(8)}${STATES.map((state) => pad(state, 10)).join('')}`);
  for (const channel of channels) {
    const count = (state: string) =>
      status.notices.filter((n) => n.channel === channel && n.state === state).reduce((sum, n) => sum + n.count, 0);
    lines.push(`  ${channel.padEnd(8)}${STATES.map((state) => pad(count(state), 10)).join('')}`);
  }
  const errors = status.notices.filter((n) => n.errorClass !== null);
  if (errors.length > 0) {
    lines.push('  error classes of retrying and failed notices:');
    for (const n of [...errors].sort((a, b) => b.count - a.count)) {
      lines.push(`    ${n.state.padEnd(9)}${n.channel.padEnd(7)}${n.errorClass!.padEnd(28)}${pad(n.count, 8)}`);
    }
  }
  lines.push('');

  lines.push('SMS queue');
  if ('error' in status.smsQueue) lines.push(`  unavailable: ${status.smsQueue.error}`);
  else
    lines.push(
      `  waiting sends          ${status.smsQueue.backlog}`,
      `  oldest waiting         ${status.smsQueue.oldestSeconds.toFixed(1)} s`,
    );
  lines.push('');

  lines.push('Paused delivery');
  if (status.pauses.length === 0) lines.push('  none');
  for (const p of status.pauses) {
    lines.push(
      `  county=${p.county ?? 'all'}  channel=${p.channel ?? 'all'}  ${p.reason}  since ${p.pausedAt.toISOString()}   (npm run cli -- delivery resume)`,
    );
  }
  lines.push('');

  lines.push('Sweeps (latest run of each election and moment)');
  if (status.sweeps.length === 0) lines.push('  none has run');
  for (const w of status.sweeps) {
    lines.push(
      `  ${w.electionId}  ${w.moment.padEnd(15)} run ${w.run}  ${w.state.padEnd(10)} partitions ${w.partitionsDone}/${w.partitions}  signalled ${w.signalled}` +
        (w.openAfter !== null ? `  open after ${w.openAfter}` : ''),
    );
  }
  return lines;
}

export function registerStatusCommand(program: Command, context: CliContext): void {
  program
    .command('status')
    .description(
      'what an operator watches: forwarder lag and dead letters, notices by state and channel, error classes, paused delivery, the SMS queue, sweeps',
    )
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      context.withSql(async (sql) => {
        const config = context.config();
        const source = { sql, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE };
        const snapshot = await collectOperatorStatus(source, { finished: true });
        // Temporal only gives the SMS queue: when it does not answer, the rest is still worth printing.
        const smsQueue = await context
          .withTemporal((temporal) => smsQueueStatus({ ...source, temporal }))
          .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
        const status = { ...snapshot, smsQueue };
        if (options.json) {
          console.log(JSON.stringify(status));
          return;
        }
        const database = new URL(config.DATABASE_URL);
        for (const line of statusLines(status, {
          database: `${database.hostname}:${database.port || 5432}${database.pathname}`,
          temporal: `${config.TEMPORAL_ADDRESS}/${config.TEMPORAL_NAMESPACE}`,
        }))
          console.log(line);
      }),
    );
}
