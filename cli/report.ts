/**
 * `report <name>`: a county report from PostgreSQL, the same table as `GET /v1/reports/{report}`
 * (`reports/reports.ts`), as CSV (the default: a spreadsheet) or JSON, to stdout or a file. The
 * operator acts with every county.
 */
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { OPERATOR } from '../domain/principal.js';
import { REPORT_DESCRIPTIONS, REPORT_NAMES, ReportError, runReport, toCsv } from '../reports/reports.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';

function reportName(value: string): string {
  if (!(REPORT_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`one of ${REPORT_NAMES.join(', ')}`);
  }
  return value;
}

function format(value: string): 'csv' | 'json' {
  if (value !== 'csv' && value !== 'json') throw new InvalidArgumentError('csv or json');
  return value;
}

interface ReportOptions {
  county?: string;
  election?: string;
  from?: string;
  to?: string;
  format: 'csv' | 'json';
  output?: string;
}

export function registerReportCommand(program: Command, context: CliContext): void {
  program
    .command('report')
    .description(
      `a county report (the API's GET /v1/reports/{report}): ${REPORT_NAMES.map((n) => `${n}: ${REPORT_DESCRIPTIONS[n]}`).join('; ')}`,
    )
    .argument('<name>', REPORT_NAMES.join(' | '), reportName)
    .option('--county <code>', 'one county (default: every county)')
    .option('--election <electionId>', 'one election (default: every election)')
    .option('--from <YYYY-MM-DD>', "first day, in the county's time zone (default: 31 days before --to)")
    .option('--to <YYYY-MM-DD>', "last day (default: today in the county's time zone)")
    .option('--format <format>', 'csv or json', format, 'csv')
    .option('--output <file>', 'write to this file instead of stdout')
    .action((name: string, options: ReportOptions) =>
      context.withSql(async (sql) => {
        const query = Object.fromEntries(
          Object.entries({
            county: options.county,
            electionId: options.election,
            from: options.from,
            to: options.to,
            format: options.format,
          }).filter(([, value]) => value !== undefined),
        );
        const result = await runReport(sql, OPERATOR, name, query, {
          defaultTimeZone: context.config().DEFAULT_TIME_ZONE,
        }).catch((error: unknown) => {
          if (error instanceof ReportError) {
            const option = { electionId: '--election' }[String((error.details as { parameter?: string })?.parameter)];
            throw new CliError(
              `report ${name}: ${option ? error.message.replace('electionId', option) : error.message}`,
            );
          }
          throw error;
        });
        const text = options.format === 'csv' ? toCsv(result) : `${JSON.stringify(result, null, 2)}\n`;
        if (options.output) {
          await writeFile(options.output, text);
          console.error(`wrote ${result.rows.length} rows to ${options.output}`);
        } else {
          console.log(text.replace(/\r?\n$/, ''));
        }
        if (result.truncated) console.error(`the report stopped at ${result.rows.length} rows: narrow --from/--to`);
      }),
    );
}
