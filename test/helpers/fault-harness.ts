/**
 * The Delivery fault test, shared by `npm run bench:faults` (scripts/fault-test.ts, 2,000 ballots on a
 * stack of its own) and test/integration/delivery-faults.test.ts (a few dozen ballots on the suite's
 * dev server): ballots go through the real workflow and the real provider SDKs while the sandbox
 * fakes, running in THIS process so their records can be read, fail a share of requests with 429
 * (Retry-After), 500 and hangs beyond PROVIDER_TIMEOUT; half of the 500s and hangs are accepted
 * before failing (the provider took the message, the client cannot know: unknown outcomes). The
 * worker is the production entry point (`worker/main.ts`) in a child process, SIGKILLed while sends
 * are in flight and started again.
 *
 * Then every provider-recorded message is matched to its ledger row through the correlation
 * `delivery` ID (Twilio: the status callback URL; SendGrid: custom args) and every resend is sorted
 * by what happened to the message before it:
 *
 * - after an unknown outcome: the fake accepted it but answered 500 or nothing (allowed: the
 *   documented at-least-once case);
 * - after a late answer: the fake answered, but the worker logged "send outcome unknown" for that
 *   delivery after it (its client had timed out first; allowed, the same case seen from the client);
 * - after a worker crash: the fake answered, but the worker was killed within seconds of it, before
 *   it could write the ledger (allowed: also an unknown outcome by design);
 * - where the provider answered: anything else. Must be zero.
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/client.js';
import type { Channel } from '../../domain/notices.js';
import type { ScanEvent } from '../../domain/scan-event.js';
import { CUSTOM_ARG_PREFIX, correlationFromUrl } from '../../delivery/providers/index.js';
import { ingestBallots } from '../../ingest/ballots.js';
import { OPERATOR } from '../../domain/principal.js';
import { ingestScans } from '../../ingest/scans.js';
import { Feed } from './feed.js';
import { WorkerProcess } from './worker-process.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { seedCounty } from './delivery.js';
import { FIXTURE_PEOPLE, seedFixtureVoter } from './history-pii-fixtures.js';
import { inPool, seedElection } from './history-stack.js';

const ALWAYS_OPEN = { start: '00:00', end: '00:00' };
/** The statuses each ballot goes through, each told to every channel of its voter. */
const STATUSES = ['outbound', 'received'] as const;
/** Channel mixes, cycled over the voters: average 1.8 channels per voter. */
const CHANNEL_MIXES: Channel[][] = [
  ['sms'],
  ['email'],
  ['voice'],
  ['sms', 'email'],
  ['email', 'voice'],
  ['sms', 'email', 'voice'],
  ['sms'],
  ['email'],
  ['sms', 'voice'],
  ['sms', 'email'],
];
/** A resend this soon after the fake answered, with a worker kill in between, is a crash window. */
const CRASH_WINDOW_MS = 5_000;

export interface FaultRunOptions {
  ballots: number;
  temporalAddress: string;
  namespace?: string;
  taskQueue: string;
  databaseUrl: string;
  sql: Sql;
  client: Client;
  /** Share of provider requests that fail transiently (0.2). */
  faultRate?: number;
  /** Share of the 500s and hangs that the fake accepts before failing (0.5). */
  acceptBeforeFailureShare?: number;
  /**
   * No more faults for a notice that has had this many (unbounded by default). With 20% faults and
   * Temporal's doubling backoff from 5 s, a notice that meets 5 in a row waits 155 s: a short CI run
   * caps it.
   */
  maxFaultsPerNotice?: number;
  /** Progress (share of expected notices sent) at which the worker is SIGKILLed and restarted. */
  killAt?: number[];
  /** PROVIDER_TIMEOUT of the worker in ms (2,000); hangs last twice as long. */
  providerTimeoutMs?: number;
  /** Give up waiting for every notice after this long (ms). */
  timeoutMs?: number;
  /** Seed of the fault dice. */
  seed?: number;
  /** Where the worker processes write their output. */
  workerLogFile: string;
  log: (line: string) => void;
}

export interface DuplicateDetail {
  deliveryId: string;
  ballotId: string;
  channel: string;
  noticeKey: string;
  kind: 'answered' | 'after-unknown-outcome' | 'after-late-answer' | 'after-crash';
  messages: { id: string; at: string; answered: boolean }[];
  ledgerMessageId: string | null;
  /** For a resend after an answered message: how long after that answer the worker was killed. */
  answerToKillMs?: number;
}

export interface FaultReport {
  ballots: number;
  expected: number;
  expectedByChannel: Record<Channel, number>;
  sent: number;
  recorded: { sms: number; voice: number; email: number; total: number };
  providerRequests: number;
  /** Faults the fakes injected, by kind (hangs last twice PROVIDER_TIMEOUT). */
  faultsInjected: Record<FaultKind, number>;
  /** Messages the fakes accepted and then answered 500 or nothing. */
  acceptedUnanswered: number;
  retried: number;
  attempts: number;
  unknownOutcomes: number;
  duplicatesAnswered: number;
  duplicatesAfterUnknownOutcome: number;
  /** The fake answered, but after the client's timeout: the worker logged an unknown outcome. */
  duplicatesAfterLateAnswer: number;
  duplicatesAfterCrash: number;
  /** Rows with more resends than unknown outcomes counted (a resend the ledger did not own up to). */
  uncountedResends: number;
  /** Recorded messages whose correlation names no ledger row of this election. */
  orphanMessages: number;
  missing: number;
  /** Ledger rows of this election that no expected notice explains. */
  unexpectedRows: number;
  kills: { at: number; progress: number; sending: number }[];
  wallMs: number;
  /** When 99% of the notices were sent (the rest is the retry-backoff tail). */
  almostAllMs: number;
  noticesPerSecond: number;
  duplicates: DuplicateDetail[];
  missingExamples: string[];
  /** Why the run fails; empty when it passes. */
  problems: string[];
}

/** Deterministic dice (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Rates for the fakes, which roll 429, then 500, then hang in turn: these make each a third of
 * `total` of all requests.
 */
export function faultRates(total: number) {
  const each = total / 3;
  const rateLimitRate = each;
  const serverErrorRate = each / (1 - each);
  const timeoutRate = each / (1 - 2 * each);
  return { rateLimitRate, serverErrorRate, timeoutRate };
}

type FaultKind = 'rateLimit' | 'serverError' | 'timeout';
/** The order in which both fakes roll their fault rates (`nextFault`). */
const FAULT_ORDER: FaultKind[] = ['rateLimit', 'serverError', 'timeout'];

interface FaultedFake {
  fake: object;
  /** The fake's (private) request handler that rolls the dice. */
  handler: string;
  /** Which of its arguments is the request. */
  requestArg: number;
  deliveryOf: (body: unknown) => string | undefined;
}

interface FaultDice {
  random: () => number;
  injected: Record<FaultKind, number>;
  /** Wraps each fake's handler to note the request's notice before the dice roll. */
  attach(fakes: FaultedFake[]): void;
}

/**
 * The fakes' fault dice, told which notice each request is for: the fakes roll their rates
 * synchronously inside the handler (`create` / `send`), which `attach` wraps to note the request's
 * correlation `delivery` first. So every injected fault is counted by kind, and a notice that has
 * had `maxPerNotice` faults gets no more (bounds the retry-backoff tail of a short CI run).
 */
function faultDice(rates: Record<`${FaultKind}Rate`, number>, maxPerNotice: number, random: () => number): FaultDice {
  const injected: Record<FaultKind, number> = { rateLimit: 0, serverError: 0, timeout: 0 };
  const perNotice = new Map<string, number>();
  let current: string | undefined;
  let rolls = 0;
  return {
    injected,
    random: () => {
      const kind = FAULT_ORDER[rolls++];
      const capped = current !== undefined && (perNotice.get(current) ?? 0) >= maxPerNotice;
      const value = capped ? 1 : random();
      if (kind && value < rates[`${kind}Rate`]) {
        injected[kind] += 1;
        if (current !== undefined) perNotice.set(current, (perNotice.get(current) ?? 0) + 1);
      }
      return value;
    },
    attach(fakes) {
      for (const { fake, handler, requestArg, deliveryOf } of fakes) {
        const target = fake as unknown as Record<string, (...args: unknown[]) => unknown>;
        const handle = target[handler];
        if (typeof handle !== 'function') throw new Error(`the fake has no ${handler} handler to wrap any more`);
        const original = handle.bind(fake);
        target[handler] = (...args: unknown[]) => {
          current = deliveryOf((args[requestArg] as { body?: unknown } | undefined)?.body);
          rolls = 0;
          try {
            return original(...args);
          } finally {
            current = undefined;
          }
        };
      }
    },
  };
}

interface FakeWithFaults {
  faults: { acceptBeforeFailure: boolean };
  readonly messages: readonly unknown[];
}

/**
 * The fakes accept before failing all 500s and hangs or none. This makes it a share: the flag becomes
 * a getter rolled once per failing request, just before the fake (synchronously) records the message,
 * so the index of the message it records is known: those are the messages the client never heard of.
 * (Nothing else may read the flag meanwhile: not `configure()`, not the fakes' control routes.)
 */
function acceptSomeBeforeFailure(fake: FakeWithFaults, share: number, random: () => number): Set<number> {
  const unanswered = new Set<number>();
  const faults = { ...fake.faults };
  Object.defineProperty(faults, 'acceptBeforeFailure', {
    enumerable: true,
    get() {
      const accept = random() < share;
      if (accept) unanswered.add(fake.messages.length);
      return accept;
    },
  });
  fake.faults = faults;
  return unanswered;
}

/** A worker process: `bin/worker --import tsx worker/main.ts`, configured only through its environment. */
function workerEnv(options: FaultRunOptions, sandbox: Sandbox): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_SIZE: '20',
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: options.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    WORKER_METRICS_PORT: '0',
    WORKER_SHUTDOWN_GRACE_TIME: '5s',
    PROVIDER_TIMEOUT: `${options.providerTimeoutMs ?? 2_000}ms`,
    SMS_MESSAGES_PER_SECOND: '200',
    ...sandbox.env,
    TWILIO_SMS_FROM: '+15005550006',
    TWILIO_VOICE_FROM: '+15005550006',
    SENDGRID_FROM_EMAIL: 'elections@county.example',
  };
}

let eventCounter = 0;
function scan(type: ScanEvent['type']): ScanEvent {
  eventCounter += 1;
  return {
    eventId: `fault-${process.pid}-${eventCounter}`,
    type,
    occurredAt: new Date().toISOString(),
  };
}

interface LedgerRow {
  delivery_id: string;
  ballot_id: string;
  notice_key: string;
  channel: Channel;
  state: string;
  attempts: number;
  unknown_outcomes: number;
  provider_message_id: string | null;
}

interface Recorded {
  id: string;
  channel: Channel;
  deliveryId: string | undefined;
  at: number;
  answered: boolean;
}

/**
 * Seeds the voters, sends every ballot's issuance and first status, the second status once the
 * first is sent on all the voter's channels, kills and restarts the worker at the given progress,
 * waits for every notice, and reports. Does not throw for a failing run: read `problems`.
 */
export async function runFaultScenario(options: FaultRunOptions): Promise<FaultReport> {
  const { sql, client, taskQueue, log } = options;
  const faultRate = options.faultRate ?? 0.2;
  const share = options.acceptBeforeFailureShare ?? 0.5;
  const providerTimeoutMs = options.providerTimeoutMs ?? 2_000;
  const killAt = [...(options.killAt ?? [0.3, 0.6])].sort((a, b) => a - b);
  const random = seededRandom(options.seed ?? 20_261_126);
  const electionId = `faults-${process.pid}-${Date.now().toString(36)}`;

  await seedCounty(sql, 'sacramento');
  await seedElection(sql, electionId);
  const ballots = Array.from({ length: options.ballots }, (_, index) => {
    const ballotId = `b${String(index + 1).padStart(5, '0')}`;
    return {
      index,
      ballotId,
      voterId: `${electionId}-v${index + 1}`,
      channels: CHANNEL_MIXES[index % CHANNEL_MIXES.length]!,
    };
  });
  await inPool(ballots, 8, async ({ index, voterId, channels }) => {
    await seedFixtureVoter(sql, {
      voterId,
      person: FIXTURE_PEOPLE[index % FIXTURE_PEOPLE.length],
      channels,
      window: ALWAYS_OPEN,
      language: index % 4 === 3 ? 'es' : 'en',
    });
  });
  const expectedByChannel: Record<Channel, number> = { sms: 0, email: 0, voice: 0 };
  const expectedKeys = new Set<string>();
  for (const { ballotId, channels } of ballots) {
    for (const channel of channels) {
      expectedByChannel[channel] += STATUSES.length;
      for (const status of STATUSES) expectedKeys.add(`${ballotId}|${channel}|${status}#0`);
    }
  }
  const expected = expectedKeys.size;
  log(
    `seeded ${ballots.length} voters and ballots: ${expected} notices expected (${JSON.stringify(expectedByChannel)})`,
  );

  const rates = faultRates(faultRate);
  const hangMs = providerTimeoutMs * 2;
  const acceptDice = seededRandom((options.seed ?? 20_261_126) + 1);
  const dice = faultDice(rates, options.maxFaultsPerNotice ?? Infinity, random);
  const sandbox = await startSandbox({
    twilio: { callbacks: { enabled: false }, random: dice.random, faults: { ...rates, hangMs, retryAfterSeconds: 1 } },
    sendgrid: { random: dice.random, faults: { ...rates, hangMs, rateLimitResetSeconds: 1 } },
  });
  dice.attach([
    {
      fake: sandbox.twilio,
      handler: 'create',
      requestArg: 1,
      deliveryOf: (body) => {
        const url = (body as { StatusCallback?: unknown } | undefined)?.StatusCallback;
        return typeof url === 'string' ? correlationFromUrl(url).delivery : undefined;
      },
    },
    {
      fake: sandbox.sendgrid,
      handler: 'send',
      requestArg: 0,
      deliveryOf: (body) =>
        (body as { custom_args?: Record<string, string> } | undefined)?.custom_args?.[`${CUSTOM_ARG_PREFIX}delivery`],
    },
  ]);
  const unanswered = {
    twilio: acceptSomeBeforeFailure(sandbox.twilio, share, acceptDice),
    sendgrid: acceptSomeBeforeFailure(sandbox.sendgrid, share, acceptDice),
  };
  const worker = new WorkerProcess(workerEnv(options, sandbox), options.workerLogFile);
  const kills: FaultReport['kills'] = [];
  const started = Date.now();

  try {
    worker.start();
    // Issuance and the first status of every ballot: a mail drop, accepted and forwarded as the API does.
    const feed = new Feed(sql, client, taskQueue);
    await ingestBallots(
      sql,
      OPERATOR,
      ballots.map(({ ballotId, voterId }) => ({ electionId, ballotId, voterId, county: 'sacramento' })),
    );
    await ingestScans(
      sql,
      OPERATOR,
      ballots.map(({ ballotId }) => ({ electionId, ballotId, ...scan(STATUSES[0]) })),
    );
    await feed.forward(120_000);
    log(`forwarded issuance and "${STATUSES[0]}" for ${ballots.length} ballots`);

    // The second status goes to a ballot once its first one is sent on every channel (no coalescing).
    const advanced = new Set<string>();
    const toAdvance: string[] = [];
    let advancing: Promise<void> = Promise.resolve();
    let advanceError: unknown;
    const channelsOf = new Map(ballots.map((b) => [b.ballotId, b.channels.length]));
    let nextKill = 0;
    let almostAllMs: number | undefined;
    let lastLog = 0;
    const deadline = started + (options.timeoutMs ?? 600_000);
    for (;;) {
      const rows = await sql<{ ballot_id: string; notice_key: string; state: string }[]>`
        SELECT ballot_id, notice_key, state FROM notice_deliveries WHERE election_id = ${electionId}`;
      let sent = 0;
      let sending = 0;
      const firstSent = new Map<string, number>();
      for (const row of rows) {
        if (row.state === 'sending') sending += 1;
        if (row.state !== 'sent') continue;
        sent += 1;
        if (row.notice_key === `${STATUSES[0]}#0`)
          firstSent.set(row.ballot_id, (firstSent.get(row.ballot_id) ?? 0) + 1);
      }
      for (const [ballotId, count] of firstSent) {
        if (count >= channelsOf.get(ballotId)! && !advanced.has(ballotId)) {
          advanced.add(ballotId);
          toAdvance.push(ballotId);
        }
      }
      if (toAdvance.length > 0) {
        const batch = toAdvance.splice(0);
        advancing = advancing
          .then(() =>
            ingestScans(
              sql,
              OPERATOR,
              batch.map((ballotId) => ({ electionId, ballotId, ...scan(STATUSES[1]) })),
            ).then(() => feed.forward(120_000)),
          )
          .catch((error: unknown) => {
            advanceError ??= error;
          });
      }
      const progress = sent / expected;
      if (nextKill < killAt.length && progress >= killAt[nextKill]!) {
        nextKill += 1;
        await worker.kill();
        kills.push({ at: Date.now() - started, progress, sending });
        log(
          `SIGKILLed the worker at ${(progress * 100).toFixed(0)}% (${sent}/${expected} sent, ${sending} rows 'sending'); restarting`,
        );
        worker.start();
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`${sent}/${expected} sent, ${sending} 'sending', ${((Date.now() - started) / 1000).toFixed(0)}s`);
      }
      if (almostAllMs === undefined && sent >= expected * 0.99) almostAllMs = Date.now() - started;
      if (sent >= expected) break;
      if (advanceError)
        throw advanceError instanceof Error ? advanceError : new Error('advancing failed', { cause: advanceError });
      if (!worker.running) {
        throw new Error(`the worker exited on its own; ${options.workerLogFile} ends:\n${tail(options.workerLogFile)}`);
      }
      if (Date.now() > deadline) {
        log(`timed out with ${sent}/${expected} notices sent`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await advancing;
    const wallMs = Date.now() - started;
    // Anything still in flight (a resend racing the last ledger write) lands in the fakes' records.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return await analyse();

    async function analyse(): Promise<FaultReport> {
      const ledger = await sql<LedgerRow[]>`
        SELECT delivery_id::text, ballot_id, notice_key, channel, state, attempts, unknown_outcomes, provider_message_id
        FROM notice_deliveries WHERE election_id = ${electionId}`;
      const byDelivery = new Map(ledger.map((row) => [row.delivery_id, row]));
      const recorded: Recorded[] = [
        ...sandbox.twilio.messages.map((message, index) => ({
          id: message.sid,
          channel: message.channel,
          deliveryId: correlationFromUrl(message.statusCallback).delivery,
          at: message.at.getTime(),
          answered: !unanswered.twilio.has(index),
        })),
        ...sandbox.sendgrid.messages.map((message, index) => ({
          id: message.messageId,
          channel: 'email' as const,
          deliveryId: message.customArgs[`${CUSTOM_ARG_PREFIX}delivery`],
          at: message.at.getTime(),
          answered: !unanswered.sendgrid.has(index),
        })),
      ];
      const perDelivery = new Map<string, Recorded[]>();
      let orphanMessages = 0;
      for (const message of recorded) {
        if (!message.deliveryId || !byDelivery.has(message.deliveryId)) {
          orphanMessages += 1;
          continue;
        }
        const list = perDelivery.get(message.deliveryId) ?? [];
        list.push(message);
        perDelivery.set(message.deliveryId, list);
      }
      const killTimes = kills.map((kill) => started + kill.at);
      const unknownLogged = unknownOutcomesLogged(options.workerLogFile);
      const duplicates: DuplicateDetail[] = [];
      let uncountedResends = 0;
      for (const [deliveryId, messages] of perDelivery) {
        messages.sort((a, b) => a.at - b.at);
        const row = byDelivery.get(deliveryId)!;
        if (messages.length - 1 > row.unknown_outcomes) uncountedResends += 1;
        for (let index = 1; index < messages.length; index++) {
          const previous = messages[index - 1]!;
          const crashGap = killTimes
            .map((kill) => kill - previous.at)
            .find((gap) => gap >= 0 && gap <= CRASH_WINDOW_MS);
          const crashed = crashGap !== undefined;
          const next = messages[index]!;
          // The worker itself said it got no answer in time for this delivery, after the fake answered.
          const late = (unknownLogged.get(deliveryId) ?? []).some((at) => at >= previous.at - 50 && at <= next.at);
          const kind: DuplicateDetail['kind'] = !previous.answered
            ? 'after-unknown-outcome'
            : late
              ? 'after-late-answer'
              : crashed
                ? 'after-crash'
                : 'answered';
          duplicates.push({
            deliveryId,
            ballotId: row.ballot_id,
            channel: row.channel,
            noticeKey: row.notice_key,
            kind,
            messages: messages.map((m) => ({ id: m.id, at: new Date(m.at).toISOString(), answered: m.answered })),
            ledgerMessageId: row.provider_message_id,
            ...(crashed ? { answerToKillMs: crashGap } : {}),
          });
        }
      }
      const sentKeys = new Set(
        ledger.filter((row) => row.state === 'sent').map((row) => `${row.ballot_id}|${row.channel}|${row.notice_key}`),
      );
      const missingKeys = [...expectedKeys].filter((key) => !sentKeys.has(key));
      const unexpectedRows = ledger.filter(
        (row) => !expectedKeys.has(`${row.ballot_id}|${row.channel}|${row.notice_key}`),
      ).length;
      const count = (kind: DuplicateDetail['kind']) => duplicates.filter((d) => d.kind === kind).length;
      const acceptedUnanswered = unanswered.twilio.size + unanswered.sendgrid.size;
      const sms = sandbox.twilio.messages.filter((m) => m.channel === 'sms').length;
      const voice = sandbox.twilio.messages.length - sms;
      const report: FaultReport = {
        ballots: ballots.length,
        expected,
        expectedByChannel,
        sent: ledger.filter((row) => row.state === 'sent').length,
        recorded: { sms, voice, email: sandbox.sendgrid.messages.length, total: recorded.length },
        providerRequests: sandbox.twilio.requestCount + sandbox.sendgrid.requestCount,
        faultsInjected: { ...dice.injected },
        acceptedUnanswered,
        retried: ledger.filter((row) => row.attempts > 1).length,
        attempts: ledger.reduce((sum, row) => sum + row.attempts, 0),
        unknownOutcomes: ledger.reduce((sum, row) => sum + row.unknown_outcomes, 0),
        duplicatesAnswered: count('answered'),
        duplicatesAfterUnknownOutcome: count('after-unknown-outcome'),
        duplicatesAfterLateAnswer: count('after-late-answer'),
        duplicatesAfterCrash: count('after-crash'),
        uncountedResends,
        orphanMessages,
        missing: missingKeys.length,
        unexpectedRows,
        kills,
        wallMs,
        almostAllMs: almostAllMs ?? wallMs,
        noticesPerSecond: expected / (wallMs / 1000),
        duplicates,
        missingExamples: missingKeys.slice(0, 5),
        problems: [],
      };
      if (report.missing > 0)
        report.problems.push(`${report.missing} notices never sent (e.g. ${report.missingExamples.join(', ')})`);
      if (report.duplicatesAnswered > 0)
        report.problems.push(`${report.duplicatesAnswered} notices sent again after the provider had answered`);
      if (uncountedResends > 0)
        report.problems.push(`${uncountedResends} ledger rows resent more often than they counted unknown outcomes`);
      if (orphanMessages > 0) report.problems.push(`${orphanMessages} provider messages name no ledger row`);
      if (unexpectedRows > 0) report.problems.push(`${unexpectedRows} ledger rows for notices nobody expected`);
      if (kills.length < killAt.length)
        report.problems.push(`the worker was killed ${kills.length} times, not ${killAt.length}`);
      return report;
    }
  } finally {
    await worker.stop();
    await sandbox.close();
  }
}

const pct = (part: number, whole: number) => (whole === 0 ? '0%' : `${((part / whole) * 100).toFixed(1)}%`);

function crashGaps(report: FaultReport): string {
  const gaps = report.duplicates.filter((d) => d.kind === 'after-crash').map((d) => d.answerToKillMs ?? 0);
  return gaps.length === 0 ? '' : `; answer to kill ${Math.min(...gaps)}-${Math.max(...gaps)} ms`;
}

export function formatFaultReport(report: FaultReport): string {
  const faults = report.faultsInjected.rateLimit + report.faultsInjected.serverError + report.faultsInjected.timeout;
  const rows: [string, string][] = [
    ['ballots', String(report.ballots)],
    [
      'expected notices',
      `${report.expected} (sms ${report.expectedByChannel.sms}, email ${report.expectedByChannel.email}, voice ${report.expectedByChannel.voice})`,
    ],
    ['sent (ledger)', String(report.sent)],
    [
      'provider-recorded messages',
      `${report.recorded.total} (sms ${report.recorded.sms}, email ${report.recorded.email}, voice ${report.recorded.voice})`,
    ],
    ['provider requests', String(report.providerRequests)],
    [
      'faults injected',
      `${faults} (${pct(faults, report.providerRequests)}): 429 ${report.faultsInjected.rateLimit}, ` +
        `500 ${report.faultsInjected.serverError}, hang ${report.faultsInjected.timeout}`,
    ],
    ['accepted, then 500 / no answer', String(report.acceptedUnanswered)],
    [
      'retried (ledger attempts > 1)',
      `${report.retried} (${pct(report.retried, report.expected)}); ${report.attempts} attempts`,
    ],
    ['unknown outcomes (ledger)', String(report.unknownOutcomes)],
    ['duplicates where provider answered', String(report.duplicatesAnswered)],
    ['duplicates after unknown outcome', `${report.duplicatesAfterUnknownOutcome} (allowed)`],
    ['duplicates after a late answer', `${report.duplicatesAfterLateAnswer} (allowed: client timed out first)`],
    [
      'duplicates after worker crash',
      `${report.duplicatesAfterCrash} (allowed: answer lost with the worker${crashGaps(report)})`,
    ],
    ['missing notices', String(report.missing)],
    [
      'worker kills',
      report.kills
        .map(
          (kill) =>
            `at ${(kill.at / 1000).toFixed(0)}s / ${(kill.progress * 100).toFixed(0)}% (${kill.sending} 'sending')`,
        )
        .join(', ') || 'none',
    ],
    ['wall time', `${(report.wallMs / 1000).toFixed(1)}s (99% sent at ${(report.almostAllMs / 1000).toFixed(1)}s)`],
    [
      'notices/s',
      `${report.noticesPerSecond.toFixed(1)} (${((report.expected * 0.99) / (report.almostAllMs / 1000)).toFixed(1)} to 99%)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  for (const duplicate of report.duplicates.filter((d) => d.kind === 'answered').slice(0, 5)) {
    lines.push(`  answered duplicate: ${JSON.stringify(duplicate)}`);
  }
  lines.push(report.problems.length === 0 ? 'PASS' : `FAIL: ${report.problems.join('; ')}`);
  return lines.join('\n');
}

/**
 * When the worker logged "send outcome unknown" per delivery ID (activities/notices.ts, at warn):
 * the client's own word that it got no usable answer.
 */
function unknownOutcomesLogged(file: string): Map<string, number[]> {
  const logged = new Map<string, number[]>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return logged;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('send outcome unknown')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; deliveryId?: string; time?: number };
      if (entry.msg !== 'send outcome unknown' || !entry.deliveryId || !entry.time) continue;
      logged.set(entry.deliveryId, [...(logged.get(entry.deliveryId) ?? []), entry.time]);
    } catch {
      // not a log line of ours
    }
  }
  return logged;
}

/** The last lines of a worker log, for a failure message. */
export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no worker log)';
  }
}
