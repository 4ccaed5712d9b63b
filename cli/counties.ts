/**
 * `county-show <county>`: a county's whole record as the API answers it (`GET /v1/counties/{code}`),
 * for an operator checking what `county` or a county's own system set: contact details, languages,
 * senders, cure path, rules, and its own texts with their review state.
 */
import type { Command } from 'commander';
import { countyRecord, countyTextRows } from '../db/counties.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';

export function registerCountyCommands(program: Command, context: CliContext): void {
  program
    .command('county-show')
    .description("show a county's record (as GET /v1/counties/<county> answers it) and its own texts")
    .argument('<county>', 'county code')
    .option('--json', 'print JSON: the record with a texts member')
    .action((county: string, options: { json?: boolean }) =>
      context.withSql(async (sql) => {
        const record = await countyRecord(sql, county);
        if (!record) throw new CliError(`county ${county} has no record; create it with \`county ${county} ...\``);
        const texts = await countyTextRows(sql, county);
        if (options.json) {
          console.log(JSON.stringify({ ...record, texts }));
          return;
        }
        const line = (label: string, value: string | null | undefined) =>
          console.log(`${label.padEnd(20)}${value ?? '-'}`);
        line('county', record.county);
        line('name', record.name);
        line('phone', record.phone);
        line('url', record.url);
        line('timezone', record.timezone);
        line('languages', record.languages?.join(', ') ?? 'every catalog language');
        line(
          'email sender',
          record.emailSender
            ? `${record.emailSender.name ? `${record.emailSender.name} ` : ''}<${record.emailSender.address}>`
            : "the deployment's (SENDGRID_FROM_EMAIL)",
        );
        line('sms sender', record.smsSender?.messagingServiceSid ?? "the deployment's (TWILIO_*)");
        line('cure url', record.cureUrl);
        for (const [reason, url] of Object.entries(record.cureForms)) line(`cure form ${reason}`, url);
        line('cure deadline rule', record.cureDeadlineRule);
        line('certifies at', record.certifiesAt);
        line('counted from', record.countedFrom);
        line('household initial', record.householdInitial ? 'yes' : 'no');
        line('updated at', record.updatedAt);
        for (const text of texts) console.log(`text ${text.path}  ${text.language}  ${text.reviewState}  ${text.text}`);
      }),
    );
}
