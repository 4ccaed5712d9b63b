/**
 * `npm run bench:multiprocess -- [--voters 2000 --subscribed 0.3 --seed 1 --json]`: two API processes
 * and two worker processes against one Temporal and one PostgreSQL, under the election simulator:
 * nothing lost, nothing sent twice where the provider answered.
 *
 * Starts its own stack (a headless dev server and embedded PostgreSQL, or TEMPORAL_ADDRESS /
 * DATABASE_URL) and the sandbox providers in this process (so their records can be read), then
 * `api/main.ts` twice (each with its outbox forwarder) and `worker/main.ts` twice as child
 * processes, configured only through their environment as in production, with the sandbox's
 * settings as `npm start` passes them. The simulator (scripts/simulation/) spreads its lanes over
 * both API processes and reads the providers' records through a development outbox served here.
 *
 * Passes when the simulator finds no mismatch (every ballot's status, events and notices are the
 * model's; the providers received exactly the ledger's sent notices, in the right language), and
 * the ledger agrees with the providers message by message (through the correlation `delivery` ID
 * every message carries): every ledger row is sent or skipped; every sent row reached the provider;
 * no row reached it twice unless the ledger counted an unknown outcome for it (the documented
 * at-least-once case); no message names a row that does not exist; the outbox is empty with no dead
 * letters; and both workers ran activities (their identities in the workflow histories).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import exitHook from 'async-exit-hook';
import express from 'express';
import { createDevOutboxRouter } from '../api/dev-outbox.js';
import { startServer, type RunningServer } from '../api/server.js';
import { outboxHealth } from '../db/outbox.js';
import { CUSTOM_ARG_PREFIX, correlationFromUrl } from '../delivery/providers/index.js';
import { ALL_SCOPES } from '../domain/principal.js';
import { createApiKey } from '../lib/api-keys.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { workflowIdFor } from '../workflows/ballot.js';
import { freePort } from '../test/global-setup.js';
import { startServerStack, type ServerStack } from '../test/helpers/history-stack.js';
import { WorkerProcess } from '../test/helpers/worker-process.js';
import { describe as describeMismatch, runSimulation, type SimulationReport } from './simulation/run.js';
import { DEFAULT_MIX } from './simulation/scenario.js';
import { inPool } from './simulation/http.js';

const { values: args } = parseArgs({
  options: {
    voters: { type: 'string', default: '2000' },
    subscribed: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    channels: { type: 'string', default: 'sms,email,voice' },
    'settle-timeout': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:multiprocess -- [--voters N (2000)] [--subscribed SHARE (0.3)] [--seed S (1)] ' +
      '[--channels sms,email,voice] [--settle-timeout S (180)] [--json]\n',
  );
  process.exit(0);
}
const VOTERS = Number(args.voters);
const SHARE = Number(args.subscribed);
if (!Number.isInteger(VOTERS) || VOTERS < 1 || !(SHARE >= 0 && SHARE <= 1)) {
  process.stderr.write('--voters must be a positive integer and --subscribed a share from 0 to 1\n');
  process.exit(2);
}
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`[bench:multiprocess] ${line}\n`);
const COUNTIES = ['sacramento', 'placer', 'yolo'];

/** An API process: `node --import tsx api/main.ts`, output appended to a log file. */
class ApiProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  constructor(
    readonly url: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  async start(): Promise<void> {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the API process exited (${child.exitCode}); see ${this.logFile}`);
      const ready = await fetch(`${this.url}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`the API at ${this.url} did not get ready; see ${this.logFile}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

interface LedgerRow {
  delivery_id: string;
  ballot_id: string;
  notice_key: string;
  channel: string;
  state: string;
  unknown_outcomes: number;
}

export interface MultiprocessReport {
  apiProcesses: number;
  workerProcesses: number;
  simulation: Omit<SimulationReport, 'mismatchList'>;
  ledger: { rows: number; sent: number; skipped: number; unfinished: number; unknownOutcomes: number };
  providers: {
    notices: number;
    lost: number;
    duplicatesAnswered: number;
    duplicatesAfterUnknownOutcome: number;
    orphans: number;
  };
  outbox: { pending: number; deadBallots: number };
  workers: { identities: number; activitiesPerWorker: number[] };
  problems: string[];
  passed: boolean;
}

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  })();
  return cleaning;
}
exitHook.forceExitTimeout(60_000);
exitHook((done) => void cleanUp().finally(done));

/** The delivery ID each provider message carries (Twilio: the status callback URL; SendGrid: custom args). */
function deliveriesAtProviders(sandbox: Sandbox): string[] {
  const ids: string[] = [];
  for (const message of sandbox.twilio.messages) {
    const id = message.statusCallback ? correlationFromUrl(message.statusCallback).delivery : undefined;
    if (id) ids.push(id);
  }
  for (const email of sandbox.sendgrid.messages) {
    const id = email.customArgs?.[`${CUSTOM_ARG_PREFIX}delivery`];
    if (id) ids.push(id);
  }
  return ids;
}

async function main(): Promise<MultiprocessReport> {
  const stack: ServerStack = await startServerStack({
    name: 'bench-multiprocess',
    log,
    temporalAddress: process.env.TEMPORAL_ADDRESS,
  });
  cleanups.push(() => stack.stop());
  const workDir = mkdtempSync(join(tmpdir(), 'bench-multiprocess-'));
  cleanups.push(() => Promise.resolve(rmSync(workDir, { recursive: true, force: true })));
  const taskQueue = `bench-multiprocess-${Date.now().toString(36)}`;
  const apiPorts = [await freePort(), await freePort()];
  const apiUrls = apiPorts.map((port) => `http://127.0.0.1:${port}`);
  // Webhooks and the links in messages go to the first API process, as a load balancer would route them.
  const publicBaseUrl = apiUrls[0]!;

  const sandbox = await startSandbox({
    twilio: { inboundSmsUrl: `${publicBaseUrl}/webhooks/twilio/inbound` },
    sendgrid: { eventWebhookUrl: `${publicBaseUrl}/webhooks/sendgrid/events`, events: { enabled: true } },
  });
  cleanups.push(() => sandbox.close());
  const outboxApp = express();
  outboxApp.use(createDevOutboxRouter({ sandbox }));
  const outboxServer: RunningServer = await startServer(outboxApp, '127.0.0.1', 0);
  cleanups.push(() => outboxServer.stop());

  const common: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: stack.databaseUrl,
    DATABASE_POOL_SIZE: '10',
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PUBLIC_BASE_URL: publicBaseUrl,
    // The sandbox has no carrier to pace: SMS as fast as the worker sends them.
    SMS_MESSAGES_PER_SECOND: '200',
    ...sandbox.env,
    TWILIO_SMS_FROM: '+15005550006',
    TWILIO_VOICE_FROM: '+15005550006',
    SENDGRID_FROM_EMAIL: 'notices@elections.example',
    SENDGRID_FROM_NAME: 'County Elections',
  };
  const apis = apiUrls.map(
    (url, i) =>
      new ApiProcess(
        url,
        { ...common, API_HOST: '127.0.0.1', API_PORT: String(apiPorts[i]) },
        join(workDir, `api-${i + 1}.log`),
      ),
  );
  const workers = [1, 2].map(
    (i) =>
      new WorkerProcess(
        { ...common, WORKER_METRICS_PORT: '0', WORKER_SHUTDOWN_GRACE_TIME: '10s' },
        join(workDir, `worker-${i}.log`),
      ),
  );
  // The first API process applies the migrations alone; the second starts on a migrated database.
  for (const api of apis) {
    await api.start();
    cleanups.push(() => api.stop());
  }
  for (const worker of workers) {
    worker.start();
    cleanups.push(() => worker.stop());
  }
  log(`2 API processes (${apiUrls.join(', ')}) and 2 worker processes on task queue ${taskQueue}; logs in ${workDir}`);
  const { key } = await createApiKey(stack.sql, {
    name: 'bench-multiprocess',
    scopes: [...ALL_SCOPES],
    counties: null,
    rateLimitPerMinute: 1_000_000,
  });

  const report = await runSimulation({
    apiUrls,
    key,
    outboxUrl: `${outboxServer.url}/dev/outbox.json`,
    voters: VOTERS,
    subscribedShare: SHARE,
    mix: DEFAULT_MIX,
    seed: Number(args.seed),
    channels: args.channels.split(',') as ('sms' | 'email' | 'voice')[],
    counties: COUNTIES,
    lanes: 4,
    batchSize: 250,
    quietHours: { start: '00:00', end: '00:00' },
    timezone: 'America/Los_Angeles',
    settleTimeoutMs: Number(args['settle-timeout']) * 1000,
    log: (line) => log(`simulate: ${line}`),
  });

  const problems: string[] = report.mismatchList.slice(0, 20).map((m) => `simulator: ${describeMismatch(m)}`);
  if (report.mismatches > 20) problems.push(`simulator: ... ${report.mismatches - 20} more mismatches`);

  // The ledger against the providers, message by message.
  await Promise.all([sandbox.twilio.idle(), sandbox.sendgrid.idle()]);
  const rows = await stack.sql<LedgerRow[]>`
    SELECT delivery_id::text, ballot_id, notice_key, channel, state, unknown_outcomes
    FROM notice_deliveries WHERE election_id = ${report.electionId}`;
  const atProviders = new Map<string, number>();
  for (const id of deliveriesAtProviders(sandbox)) atProviders.set(id, (atProviders.get(id) ?? 0) + 1);
  const byId = new Map(rows.map((row) => [row.delivery_id, row]));
  const ledger = { rows: rows.length, sent: 0, skipped: 0, unfinished: 0, unknownOutcomes: 0 };
  const providers = { notices: 0, lost: 0, duplicatesAnswered: 0, duplicatesAfterUnknownOutcome: 0, orphans: 0 };
  for (const row of rows) {
    ledger.unknownOutcomes += row.unknown_outcomes;
    const received = atProviders.get(row.delivery_id) ?? 0;
    providers.notices += received;
    if (row.state === 'sent') ledger.sent += 1;
    else if (row.state === 'skipped') ledger.skipped += 1;
    else {
      ledger.unfinished += 1;
      problems.push(`ledger: ${row.ballot_id} ${row.notice_key} ${row.channel} is ${row.state}`);
    }
    if (row.state === 'sent' && received === 0) {
      providers.lost += 1;
      problems.push(
        `lost: ${row.ballot_id} ${row.notice_key} ${row.channel} is sent in the ledger, no provider has it`,
      );
    }
    if (received > 1) {
      // A resend is allowed only after an outcome the sender could not know (the ledger counts those).
      const allowed = Math.min(received - 1, row.unknown_outcomes);
      providers.duplicatesAfterUnknownOutcome += allowed;
      providers.duplicatesAnswered += received - 1 - allowed;
      if (received - 1 > allowed) {
        problems.push(
          `sent twice: ${row.ballot_id} ${row.notice_key} ${row.channel} reached the provider ${received} times`,
        );
      }
    }
  }
  // Messages naming a delivery of another election are another run's; the simulator's election is the only one here.
  for (const id of atProviders.keys()) {
    if (!byId.has(id)) providers.orphans += 1;
  }
  if (providers.orphans > 0) problems.push(`${providers.orphans} provider messages name no ledger row`);

  const health = await outboxHealth(stack.sql);
  if (health.pending > 0 || health.deadBallots > 0) {
    problems.push(`outbox: ${health.pending} rows pending, ${health.deadBallots} ballots dead-lettered`);
  }

  // Which worker ran the activities: the identities in the histories of the ballots that sent notices.
  const noticed = [...new Set(rows.map((row) => row.ballot_id))].slice(0, 300);
  const perIdentity = new Map<string, number>();
  await inPool(noticed, 8, async (ballotId) => {
    const history = await stack.client.workflow.getHandle(workflowIdFor(report.electionId, ballotId)).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity;
      if (identity) perIdentity.set(identity, (perIdentity.get(identity) ?? 0) + 1);
    }
  });
  const workersSeen = {
    identities: perIdentity.size,
    activitiesPerWorker: [...perIdentity.values()].sort((a, b) => b - a),
  };
  if (noticed.length >= 20 && perIdentity.size < 2) problems.push(`only ${perIdentity.size} worker ran activities`);

  const { mismatchList: _list, ...simulation } = report;
  return {
    apiProcesses: apis.length,
    workerProcesses: workers.length,
    simulation,
    ledger,
    providers,
    outbox: { pending: health.pending, deadBallots: health.deadBallots },
    workers: workersSeen,
    problems,
    passed: problems.length === 0,
  };
}

let result: MultiprocessReport | undefined;
try {
  result = await main();
} finally {
  await cleanUp();
}
if (args.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const r = result;
  const s = r.simulation;
  process.stdout.write(
    [
      `${r.apiProcesses} API processes, ${r.workerProcesses} worker processes; election ${s.electionId}: ` +
        `${s.voters} voters, ${s.ballots} ballots, ${s.subscribed} subscribers`,
      `simulator: ${s.mismatches} mismatches, ${s.eventsPerSecond} scans/s, ${(s.timings.totalMs / 1000).toFixed(1)} s`,
      `ledger: ${r.ledger.rows} rows (${r.ledger.sent} sent, ${r.ledger.skipped} skipped, ${r.ledger.unfinished} unfinished), ` +
        `${r.ledger.unknownOutcomes} unknown outcomes`,
      `providers: ${r.providers.notices} notices; lost ${r.providers.lost}, sent twice where the provider answered ` +
        `${r.providers.duplicatesAnswered}, resent after an unknown outcome ${r.providers.duplicatesAfterUnknownOutcome}, ` +
        `naming no ledger row ${r.providers.orphans}`,
      `outbox: ${r.outbox.pending} pending, ${r.outbox.deadBallots} dead-lettered`,
      `workers: ${r.workers.identities} ran activities (${r.workers.activitiesPerWorker.join(' / ')} in sampled histories)`,
      ...r.problems.map((p) => `PROBLEM ${p}`),
      r.passed ? 'PASSED: nothing lost, nothing sent twice where the provider answered' : 'FAILED',
      '',
    ].join('\n'),
  );
}
process.exitCode = result.passed ? 0 : 1;
