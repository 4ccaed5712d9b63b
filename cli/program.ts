/**
 * The operator CLI's commands (`cli/main.ts` runs them). Every command gets its configuration and
 * connections from a `CliContext` (the environment, or the running development stack), and every
 * failure ends as one line naming the fix (`errors.ts`), never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { countyTexts, saveCounty, type CountyText } from '../db/counties.js';
import { CHALLENGE_REASONS, COUNTY_TEXT_PATHS, CURE_DEADLINE_RULES } from '../domain/reasons.js';
import { LANGUAGES } from '../delivery/templates/index.js';
import { migrate } from '../db/migrate.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../lib/api-keys.js';
import { ALL_SCOPES, type Scope } from '../domain/principal.js';
import { purgeContactData } from '../privacy/purge.js';
import { createCliContext, type CliContext, type CliEnvironment } from './context.js';
import { describeCliError } from './errors.js';
import { registerBroadcastCommands } from './broadcasts.js';
import { registerImportCommand } from './import.js';
import { registerOperationsCommands } from './operations.js';
import { registerReportCommand } from './report.js';
import { registerStatusCommand } from './status.js';
import { registerCountyCommands } from './counties.js';

function scopesOption(value: string): Scope[] {
  if (value === 'all') return [...ALL_SCOPES];
  const scopes = value.split(',').map((scope) => scope.trim());
  const wrong = scopes.filter((scope) => !(ALL_SCOPES as readonly string[]).includes(scope));
  if (wrong.length > 0)
    throw new InvalidArgumentError(`unknown scope ${wrong.join(', ')}; use ${ALL_SCOPES.join(', ')}, or "all"`);
  return scopes as Scope[];
}

/**
 * `all` is kept as the word: commander turns an option value of null into '' (which PostgreSQL
 * refused as a malformed array), so the action maps it to `null` (every county) itself.
 */
function countiesOption(value: string): string[] | 'all' {
  if (value === 'all') return 'all';
  const counties = value.split(',').map((county) => county.trim());
  if (counties.some((county) => county === '' || county.length > 64)) {
    throw new InvalidArgumentError('a comma-separated list of county codes, or "all"');
  }
  return counties;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

function httpUrl(value: string): string {
  if (!/^https?:\/\/\S+$/.test(value)) throw new InvalidArgumentError('must be an http(s) URL');
  return value;
}

function cureFormOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  const reason = value.slice(0, at);
  if (at < 0 || !(CHALLENGE_REASONS as readonly string[]).includes(reason)) {
    throw new InvalidArgumentError(`<reason>=<url>, reason one of ${CHALLENGE_REASONS.join(', ')}`);
  }
  return { ...previous, [reason]: httpUrl(value.slice(at + 1)) };
}

function textOption(
  value: string,
  previous: Omit<CountyText, 'reviewState'>[] = [],
): Omit<CountyText, 'reviewState'>[] {
  const match = /^([a-z_.]+):([A-Za-z-]+)=([\s\S]+)$/.exec(value);
  if (!match || !COUNTY_TEXT_PATHS.includes(match[1]!)) {
    throw new InvalidArgumentError(`<path>:<language>=<text>, path one of ${COUNTY_TEXT_PATHS.join(', ')}`);
  }
  if (!(LANGUAGES as readonly string[]).includes(match[2]!)) {
    throw new InvalidArgumentError(`language one of ${LANGUAGES.join(', ')}`);
  }
  const text = match[3]!.trim();
  if (text.length > 300) throw new InvalidArgumentError('a text of at most 300 characters');
  return [...previous, { path: match[1]!, language: match[2]!, text }];
}

function ruleOption(value: string): string {
  if (!(CURE_DEADLINE_RULES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`one of ${CURE_DEADLINE_RULES.join(', ')}`);
  }
  return value;
}

function instantOption(value: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new InvalidArgumentError('an ISO 8601 date-time with an offset, e.g. 2026-11-03T20:00:00-08:00');
  }
  return new Date(value).toISOString();
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('a whole number of days (0 or more)');
  return n;
}

function nonEmpty(what: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${what} must not be empty`);
    return value;
  };
}

/** Every command, bound to `context`. */
export function buildProgram(context: CliContext): Command {
  const { withSql } = context;
  const program = new Command()
    .name('ballot-tracker')
    .description(
      'Ballot Tracker operator commands (configuration from the environment, as for the api and worker; ' +
        'next to `npm start`, from the running development stack)',
    );

  program
    .command('migrate')
    .description('apply pending database migrations (safe to run while other processes start)')
    .action(() =>
      withSql(async (sql) => {
        const applied = await migrate(sql);
        console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
      }),
    );

  const keys = program.command('keys').description('create, list and revoke API keys (stored only as hashes)');

  keys
    .command('create')
    .description('create a key and print it once; it cannot be shown again')
    .requiredOption('--name <name>', 'who the key is for, e.g. "Acme Mail, Alameda"', nonEmpty('--name'))
    .requiredOption('--scopes <list>', `comma-separated: ${ALL_SCOPES.join(', ')}, or "all"`, scopesOption)
    .requiredOption('--counties <list>', 'comma-separated county codes, or "all"', countiesOption)
    .option(
      '--rate-limit <perMinute>',
      'requests per minute for this key (default API_RATE_LIMIT_PER_MINUTE)',
      positiveInteger,
    )
    .option('--json', 'print JSON')
    .action(
      (options: { name: string; scopes: Scope[]; counties: string[] | 'all'; rateLimit?: number; json?: boolean }) =>
        withSql(async (sql) => {
          const { key, record } = await createApiKey(sql, {
            name: options.name,
            scopes: options.scopes,
            counties: options.counties === 'all' ? null : options.counties,
            rateLimitPerMinute: options.rateLimit ?? null,
          });
          if (options.json) {
            console.log(JSON.stringify({ key, ...record }));
            return;
          }
          console.log(`key id:   ${record.keyId}`);
          console.log(`scopes:   ${record.scopes.join(', ')}`);
          console.log(`counties: ${record.counties?.join(', ') ?? 'all'}`);
          console.log(`key:      ${key}`);
          console.log('Store the key now: only its hash is kept, it cannot be shown again.');
        }),
    );

  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .action((options: { all?: boolean; json?: boolean }) =>
      withSql(async (sql) => {
        const records = await listApiKeys(sql, { includeRevoked: options.all ?? false });
        if (options.json) {
          console.log(JSON.stringify(records));
          return;
        }
        if (records.length === 0) console.log('no keys');
        for (const r of records) {
          console.log(
            [
              r.keyId,
              r.name,
              `scopes=${r.scopes.join(',')}`,
              `counties=${r.counties?.join(',') ?? 'all'}`,
              `rate=${r.rateLimitPerMinute ?? 'default'}`,
              `created=${r.createdAt.toISOString()}`,
              `last-used=${r.lastUsedAt?.toISOString() ?? 'never'}`,
              ...(r.revokedAt ? [`revoked=${r.revokedAt.toISOString()}`] : []),
            ].join('  '),
          );
        }
      }),
    );

  keys
    .command('revoke')
    .description('revoke a key by its key id; requests with it get 401 from the next request on')
    .argument('<keyId>', 'the 12 hex digits `keys list` shows', (value: string) => {
      if (!/^[0-9a-f]{12}$/.test(value))
        throw new InvalidArgumentError('a key id: 12 hex digits, as `keys list` shows');
      return value;
    })
    .action((keyId: string) =>
      withSql(async (sql) => {
        if (await revokeApiKey(sql, keyId)) {
          console.log(`revoked ${keyId}`);
        } else {
          console.error(`error: no live key ${keyId}; \`keys list\` shows the live ones`);
          process.exitCode = 1;
        }
      }),
    );

  program
    .command('county')
    .description(
      "set a county's name, phone, website, cure forms and what its messages say (every message names the county); " +
        'each run replaces the record, and adds or replaces the cure forms and texts it names',
    )
    .argument('<county>', 'county code as used in voter and ballot records', nonEmpty('the county code'))
    .requiredOption('--name <name>', 'display name, e.g. "Sacramento County Elections"', nonEmpty('--name'))
    .requiredOption('--phone <phone>', 'public phone number', nonEmpty('--phone'))
    .requiredOption('--url <url>', 'elections office website (https)', httpUrl)
    .option(
      '--cure-url <url>',
      'cure form for any reason without its own; the ballot ID is appended as ?ballot=',
      httpUrl,
    )
    .option(
      '--cure-form <reason=url>',
      `the form for one challenge reason (${CHALLENGE_REASONS.join(', ')}), e.g. ` +
        'signature_mismatch=https://county.gov/signature-verification-statement; repeat per reason',
      cureFormOption,
    )
    .option(
      '--cure-deadline-rule <rule>',
      `said when a challenge has no deadline: ${CURE_DEADLINE_RULES.join(', ')}`,
      ruleOption,
    )
    .option(
      '--counted-from <instant>',
      'from this instant an accepted ballot "was counted" (before it, and unset: "will be counted"); set it per election',
      instantOption,
    )
    .option('--household-initial', "name the voter's first initial in messages (several voters share one phone)")
    .option(
      '--text <path:lang=text>',
      `the county's own words for a catalog text in one language; path one of reason.challenged.<code>, ` +
        'reason.rejected.<code>, cure_instructions.<code>, cure_rule; repeat per text',
      textOption,
    )
    .option('--texts-reviewed', 'the --text texts were reviewed by a native speaker (else they are recorded as draft)')
    .option('--timezone <zone>', 'IANA time zone (default DEFAULT_TIME_ZONE)')
    .option('--email-from <address>', "the county's own verified email sender")
    .action(
      (
        county: string,
        options: {
          name: string;
          phone: string;
          url: string;
          cureUrl?: string;
          cureForm?: Record<string, string>;
          cureDeadlineRule?: string;
          countedFrom?: string;
          householdInitial?: boolean;
          text?: Omit<CountyText, 'reviewState'>[];
          textsReviewed?: boolean;
          timezone?: string;
          emailFrom?: string;
        },
      ) => {
        const timezone = options.timezone ?? context.config().DEFAULT_TIME_ZONE;
        return withSql(async (sql) => {
          await saveCounty(
            sql,
            {
              county,
              name: options.name,
              phone: options.phone,
              url: options.url,
              cureUrl: options.cureUrl ?? null,
              timezone,
              emailFrom: options.emailFrom ?? null,
              cureDeadlineRule: options.cureDeadlineRule ?? null,
              countedFrom: options.countedFrom ?? null,
              householdInitial: options.householdInitial ?? false,
            },
            {
              cureForms: options.cureForm ?? {},
              texts: (options.text ?? []).map((text) => ({
                ...text,
                reviewState: options.textsReviewed ? ('reviewed' as const) : ('draft' as const),
              })),
            },
          );
          console.log(`county ${county} saved`);
        });
      },
    );

  program
    .command('county-texts')
    .description("list a county's own texts per language with their review state (for the county's translators)")
    .argument('<county>', 'county code')
    .option('--json', 'print JSON')
    .action((county: string, options: { json?: boolean }) =>
      withSql(async (sql) => {
        const texts = await countyTexts(sql, county);
        if (options.json) {
          console.log(JSON.stringify(texts));
          return;
        }
        if (texts.length === 0) console.log(`county ${county} has no texts of its own: messages use the catalogs`);
        for (const text of texts) console.log(`${text.path}  ${text.language}  ${text.reviewState}  ${text.text}`);
      }),
    );

  program
    .command('purge-contacts')
    .description(
      'delete contact addresses and consent records of voters whose elections closed N days ago or longer ' +
        '(the daily contact-data-purge schedule does the same); the voter roll stays',
    )
    .option('--days <n>', 'days after an election closes (default CONTACT_DATA_RETENTION_DAYS)', nonNegativeInteger)
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print JSON')
    .action((options: { days?: number; dryRun?: boolean; json?: boolean }) => {
      const retentionDays = options.days ?? context.config().CONTACT_DATA_RETENTION_DAYS;
      return withSql(async (sql) => {
        const report = await purgeContactData(sql, { retentionDays, dryRun: options.dryRun ?? false });
        if (options.json) {
          console.log(JSON.stringify(report));
          return;
        }
        const verb = report.dryRun ? 'would delete' : 'deleted';
        console.log(`elections closed ${retentionDays}+ days ago: ${report.elections.due.join(', ') || 'none'}`);
        console.log(`elections not yet due:       ${report.elections.notDue.join(', ') || 'none'}`);
        console.log(
          `${verb}: ${report.subscriptions} subscriptions, ${report.contacts} contacts, ${report.consents} consent records`,
        );
        console.log(
          `  of which never confirmed: ${report.unverifiedContacts} contacts, ${report.emptiedSubscriptions} emptied subscriptions; ${report.expiredCodes} abandoned codes`,
        );
      });
    });

  registerImportCommand(program, context);
  registerOperationsCommands(program, context);
  registerStatusCommand(program, context);
  registerReportCommand(program, context);
  registerBroadcastCommands(program, context);
  registerCountyCommands(program, context);
  return program;
}

/** Output of commander's own messages; tests capture it. */
export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Each command and subcommand, recursively (help and usage errors behave alike everywhere). */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/**
 * Runs one CLI invocation (`argv` without node and the script) and resolves to its exit code; a
 * failure prints one line, `error: <what is wrong and the fix>`, to stderr.
 */
export async function runCli(
  argv: readonly string[],
  environment: CliEnvironment,
  output: CliOutput = processOutput,
): Promise<number> {
  const program = buildProgram(createCliContext(environment));
  let printed = false;
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput({
      writeOut: output.out,
      writeErr: output.err,
      // Commander's usage errors (unknown option, missing argument) on one line, suggestions included.
      outputError: (text, write) => {
        printed = true;
        write(`${text.trim().split('\n').join(' ')}\n`);
      },
    });
  }
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    // Usage errors commander has printed, and help or version output.
    if (error instanceof CommanderError && (printed || HELP_CODES.has(error.code))) return error.exitCode;
    const { message, exitCode } = describeCliError(error);
    output.err(`error: ${message}\n`);
    return exitCode;
  } finally {
    process.exitCode = before;
  }
}

const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);
