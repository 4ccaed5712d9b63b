/**
 * `npm run simulate [-- --voters 200 --subscribed 0.3 --seed 1 --pace max --json]`: a synthetic
 * county election against a running stack (`npm start`), through its public HTTP surface only: the
 * vendor API with an API key, the voter API and the development outbox. See scripts/simulation/.
 *
 * The key: --key, else BALLOT_TRACKER_API_KEY, else BALLOT_TRACKER_DEV_KEY, else `apiKey` in
 * .data/dev-stack.json (written by `npm start` when it makes a development key).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHANNELS, type Channel } from '../domain/notices.js';
import { describe, runSimulation, type SimulationReport } from './simulation/run.js';
import { PATH_NAMES, parseMix } from './simulation/scenario.js';
import { DATA_DIR } from './tools.js';

const USAGE = `usage: npm run simulate -- [options]
  --api-url URL[,URL]   API process(es); lanes are spread over them (default http://127.0.0.1:3000)
  --key KEY             vendor API key (default: BALLOT_TRACKER_API_KEY, BALLOT_TRACKER_DEV_KEY, .data/dev-stack.json)
  --outbox-url URL      development outbox JSON (default <first api-url>/dev/outbox.json)
  --voters N            voters on the roll, one ballot each (replaced ballots get a second) (default 200)
  --subscribed SHARE    share of voters who sign up and confirm their contacts, 0..1 (default 0.3)
  --channels LIST       channels subscribers pick from: sms,email[,voice] (default sms,email)
  --mix PATH=W,...      path weights (others keep their defaults); paths: ${PATH_NAMES.join(', ')}
  --seed N              the election's seed (default 1)
  --pace N|max          scan events per second over all lanes (batches of a quarter second's events), or as fast as accepted (default max)
  --lanes N             requests in flight at once; a voter's records stay in one lane, in order (default 4)
  --batch N             largest ballots or scans batch per request (default 250)
  --counties LIST       county codes of the roll (default sacramento,placer,yolo)
  --quiet-hours HH:MM-HH:MM  subscribers' window (default 00:00-00:00: always open)
  --timezone ZONE       election and subscribers' time zone (default America/Los_Angeles)
  --settle-timeout S    give up waiting after S seconds without progress (default 180)
  --json                print the summary as one JSON line on stdout
  --quiet               no progress lines on stderr`;

const { values: args } = parseArgs({
  options: {
    'api-url': { type: 'string', default: 'http://127.0.0.1:3000' },
    key: { type: 'string' },
    'outbox-url': { type: 'string' },
    voters: { type: 'string', default: '200' },
    subscribed: { type: 'string', default: '0.3' },
    channels: { type: 'string', default: 'sms,email' },
    mix: { type: 'string' },
    seed: { type: 'string', default: '1' },
    pace: { type: 'string', default: 'max' },
    lanes: { type: 'string', default: '4' },
    batch: { type: 'string', default: '250' },
    counties: { type: 'string', default: 'sacramento,placer,yolo' },
    'quiet-hours': { type: 'string', default: '00:00-00:00' },
    timezone: { type: 'string', default: 'America/Los_Angeles' },
    'settle-timeout': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n${USAGE}\n`);
  process.exit(2);
}
function integer(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    fail(`--${name} must be an integer from ${min} to ${max}`);
  return value;
}

function findKey(): string | undefined {
  if (args.key) return args.key;
  if (process.env.BALLOT_TRACKER_API_KEY) return process.env.BALLOT_TRACKER_API_KEY;
  if (process.env.BALLOT_TRACKER_DEV_KEY) return process.env.BALLOT_TRACKER_DEV_KEY;
  const file = join(DATA_DIR, 'dev-stack.json');
  if (existsSync(file)) {
    const { apiKey } = JSON.parse(readFileSync(file, 'utf8')) as { apiKey?: unknown };
    if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  }
  return undefined;
}

const apiUrls = args['api-url']
  .split(',')
  .map((url) => url.trim().replace(/\/$/, ''))
  .filter(Boolean);
const key = findKey();
if (!key) {
  fail(
    'no API key: pass --key, or set BALLOT_TRACKER_API_KEY (e.g. from `npm run cli -- keys create --name simulator --scopes all`), ' +
      'or start the stack with BALLOT_TRACKER_DEV_KEY set',
  );
}
const share = Number(args.subscribed);
if (!(share >= 0 && share <= 1)) fail('--subscribed must be a share from 0 to 1');
const channels = args.channels.split(',').map((c) => c.trim()) as Channel[];
if (channels.length === 0 || channels.some((c) => !CHANNELS.includes(c))) fail('--channels: sms, email, voice');
const window = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(args['quiet-hours']);
if (!window) fail('--quiet-hours must be HH:MM-HH:MM');
let mix;
try {
  mix = parseMix(args.mix);
} catch (error) {
  fail((error as Error).message);
}
const pace = args.pace === 'max' ? undefined : Number(args.pace);
if (pace !== undefined && !(pace > 0)) fail('--pace must be a positive number of events per second, or max');
const log = args.quiet ? () => {} : (line: string) => process.stderr.write(`[simulate] ${line}\n`);

let report: SimulationReport;
try {
  report = await runSimulation({
    apiUrls,
    key,
    outboxUrl: args['outbox-url'] ?? `${apiUrls[0]}/dev/outbox.json`,
    voters: integer('voters', args.voters, 1),
    subscribedShare: share,
    mix,
    seed: integer('seed', args.seed, 0),
    channels,
    counties: args.counties
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    lanes: integer('lanes', args.lanes, 1, 256),
    // Paced, a batch is at most a quarter of a second's events, so the pace is smooth.
    batchSize: Math.min(integer('batch', args.batch, 1, 1000), pace ? Math.max(1, Math.round(pace / 4)) : 1000),
    ...(pace !== undefined ? { pace } : {}),
    quietHours: { start: window[1]!, end: window[2]! },
    timezone: args.timezone,
    settleTimeoutMs: integer('settle-timeout', args['settle-timeout'], 1) * 1000,
    log,
  });
} catch (error) {
  let refused = false;
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    if ((cause as { code?: unknown }).code === 'ECONNREFUSED') refused = true;
  }
  process.stderr.write(
    `simulate: ${(error as Error).message}\n` +
      (refused ? `is the stack running? start it with \`npm start\` (API at ${apiUrls[0]})\n` : ''),
  );

  process.exit(1);
}

if (args.json) {
  const { mismatchList, ...summary } = report;
  process.stdout.write(`${JSON.stringify({ ...summary, mismatchExamples: mismatchList.slice(0, 50) })}\n`);
} else {
  const rows = (title: string, counts: Record<string, number>) =>
    `${title.padEnd(22)} ${Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`;
  const t = report.timings;
  process.stdout.write(
    [
      `election ${report.electionId} (seed ${report.seed}): ${report.voters} voters, ${report.ballots} ballots, ` +
        `${report.subscribed} subscribers`,
      rows('paths', report.paths),
      rows('final statuses', report.finalStatuses),
      rows('records', report.records),
      rows('answers', {
        accepted: report.answers.accepted,
        duplicate: report.answers.duplicate,
        ...report.answers.effects,
      }),
      rows('contacts confirmed', report.contacts),
      rows('notices by state', report.notices.byState),
      rows('notices by status', report.notices.byStatus),
      rows('notices by channel', report.notices.byChannel),
      rows('providers by kind', report.providers.byKind),
      rows('providers by channel', report.providers.byChannel),
      rows('providers by language', report.providers.byLanguage),
      `late sign-ups            ${report.lateSignUps.ballots} ballots final before their voter signed up: ` +
        `${report.lateSignUps.told} told, ${report.lateSignUps.notTold} not told; ` +
        `${report.lateSignUps.toldFromBefore} notices of a status left before the sign-up`,
      `requests                 ${report.requests.total} (${report.requests.throttled} throttled: 429/503)`,
      `time                     ${(t.totalMs / 1000).toFixed(1)} s: set-up ${(t.setupMs / 1000).toFixed(1)}, stream ` +
        `${(t.streamMs / 1000).toFixed(1)} (${report.eventsPerSecond} scans/s), settle ${(t.settleMs / 1000).toFixed(1)}, ` +
        `check ${(t.checkMs / 1000).toFixed(1)}${report.settled ? '' : ' (did not settle)'}`,
      `mismatches               ${report.mismatches}`,
      ...report.mismatchList.slice(0, 100).map((m) => `  ${describe(m)}`),
      ...(report.mismatches > 100 ? [`  ... and ${report.mismatches - 100} more (--json lists 50)`] : []),
      '',
    ].join('\n'),
  );
}
process.exitCode = report.mismatches === 0 ? 0 : 1;
