import { readFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration, type Config } from '../config/env.js';
import type { Sql } from '../db/client.js';
import { ActionBudget } from '../db/action-budget.js';
import { OutboxForwarder } from '../ingest/forwarder.js';
import { describeIssues } from '../domain/scan-event.js';
import { formatFor, importFile, ivmtrFormatFor, type ImportKind, type ImportProblem } from '../ingest/import.js';
import { defaultOperationTable } from '../ingest/usps.js';
import { operationTableSchema, type OperationTable } from '../ingest/parsers/imb.js';
import { createLogger } from '../lib/logger.js';
import { connectClient } from '../lib/temporal.js';
import type { CliContext } from './context.js';

interface ImportOptions {
  format?: string;
  election?: string;
  operations?: string;
  progress: boolean;
  forward: boolean;
  forwardTimeout: number;
  maxProblems: number;
}

function loadOperations(file: string, config: Config): OperationTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new InvalidArgumentError(`${file} is not JSON (${error.message})`);
    throw error;
  }
  const parsed = operationTableSchema(config.DEFAULT_TIME_ZONE).safeParse(json);
  if (!parsed.success) throw new InvalidArgumentError(`${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Accepted rows of ballots and scans sit in the outbox: deliver them now if Temporal answers. */
async function forwardOutbox(sql: Sql, config: Config, timeoutMs: number): Promise<number> {
  const connection = await connectClient(config);
  try {
    const forwarder = new OutboxForwarder({
      sql,
      temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger: createLogger({ LOG_LEVEL: 'error' }, 'cli'),
      claimSize: config.FORWARDER_BATCH_SIZE,
      concurrency: config.FORWARDER_CONCURRENCY,
      maxAttempts: config.FORWARDER_MAX_ATTEMPTS,
      budget: new ActionBudget(sql, { perSecond: config.TEMPORAL_ACTIONS_PER_SECOND }),
      listen: false,
    });
    return await forwarder.drain(timeoutMs);
  } finally {
    await connection.close();
  }
}

export function registerImportCommand(program: Command, context: CliContext): void {
  program
    .command('import')
    .description(
      'import voters, ballots or scans from a CSV (header row), NDJSON or USPS IMb tracing file, or USPS IV-MTR ' +
        'scans (ivmtr: JSON or pipe-delimited); safe to re-run',
    )
    .argument('<kind>', 'voters, ballots, scans or ivmtr', (value) => {
      if (!['voters', 'ballots', 'scans', 'ivmtr'].includes(value)) {
        throw new InvalidArgumentError('voters, ballots, scans or ivmtr');
      }
      return value as ImportKind;
    })
    .argument('<file>')
    .option(
      '--format <format>',
      'csv, ndjson or imb (default: from the file extension; .txt/.dat/.imb are IMb rows); ivmtr: json or pipe (default: .json is json)',
    )
    .option(
      '--operations <file>',
      'IMb and ivmtr: JSON operation-code table and facility time zones (ivmtr default: ingest/usps-operations.json)',
    )
    .option('--election <id>', 'ivmtr only: the election the scans belong to')
    .option('--no-progress', 'no progress bar')
    .option('--no-forward', 'leave accepted rows in the outbox for the API processes to forward')
    .option('--forward-timeout <duration>', 'how long to forward after importing', parseDuration, 60_000)
    .option(
      '--max-problems <n>',
      'duplicate and invalid lines to list',
      (value) => {
        if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number');
        return Number(value);
      },
      200,
    )
    .action((kind: ImportKind, file: string, options: ImportOptions) =>
      context.withSql(async (sql) => {
        const ivmtr = kind === 'ivmtr';
        if (ivmtr && !options.election) throw new InvalidArgumentError('ivmtr needs --election <id>');
        const format = ivmtr ? ivmtrFormatFor(file, options.format) : formatFor(file, options.format);
        const operations = options.operations
          ? loadOperations(options.operations, context.config())
          : ivmtr
            ? defaultOperationTable(context.config().DEFAULT_TIME_ZONE)
            : undefined;
        const bar =
          options.progress && process.stderr.isTTY
            ? new SingleBar({
                stream: process.stderr,
                format: ' {bar} {percentage}% | accepted {accepted} duplicate {duplicate} invalid {invalid}',
                hideCursor: true,
              })
            : undefined;
        const counts = { accepted: 0, duplicate: 0, invalid: 0 };
        const problems: ImportProblem[] = [];
        bar?.start(100, 0, counts);
        const summary = await importFile({
          sql,
          kind,
          file,
          format,
          ...(operations ? { operations } : {}),
          ...(options.election ? { electionId: options.election } : {}),
          onProgress: (read, total) => bar?.update(total > 0 ? Math.floor((read / total) * 100) : 100, counts),
          onProblem: (problem) => {
            counts[problem.outcome] += 1;
            if (problems.length < options.maxProblems) problems.push(problem);
          },
        });
        bar?.update(100, { ...counts, accepted: summary.accepted });
        bar?.stop();

        console.log(`${kind} from ${file} (${format}), ${summary.lines} lines`);
        console.log(`  accepted   ${summary.accepted}`);
        console.log(`  duplicate  ${summary.duplicate}`);
        console.log(`  invalid    ${summary.invalid}`);
        if (summary.skipped > 0) console.log(`  skipped    ${summary.skipped} (operations the table ignores)`);
        for (const [effect, count] of Object.entries(summary.effects ?? {})) {
          if (effect !== 'ignored') console.log(`    ${effect.padEnd(9)} ${count}`);
        }
        for (const problem of problems) {
          console.log(
            `  line ${problem.line}: ${problem.outcome}${problem.code ? ` (${problem.code})` : ''}${problem.message ? `: ${problem.message}` : ''}`,
          );
        }
        const unlisted = summary.duplicate + summary.invalid - problems.length;
        if (unlisted > 0) console.log(`  ... and ${unlisted} more (raise --max-problems)`);

        if (kind !== 'voters' && options.forward && summary.accepted > 0) {
          const left = await forwardOutbox(sql, context.config(), options.forwardTimeout).catch((error: unknown) => {
            console.log(`  forwarding: Temporal not reachable (${String(error)}); the API processes will forward`);
            return undefined;
          });
          if (left === 0) console.log('  forwarded to the ballot workflows');
          else if (left !== undefined)
            console.log(`  ${left} outbox rows still pending; the API processes will forward them`);
        }
        if (summary.invalid > 0) process.exitCode = 2;
      }),
    );
}
