import type { Client } from '@temporalio/client';
import type { ActionBudget } from '../db/action-budget.js';
import { electionFacts, loadBallotRecords, type LoadedRecord } from '../db/ballot-records.js';
import { ballotKey } from '../db/ballots.js';
import type { Sql } from '../db/client.js';
import {
  OUTBOX_CHANNEL,
  claimBallots,
  outboxHealth,
  settle,
  type ClaimedBallot,
  type ForwardResult,
  type OutboxHealth,
} from '../db/outbox.js';
import type { ElectionFacts } from '../domain/ballot-records.js';
import type { Logger } from '../lib/logger.js';
import { deliverRecords, ensureElectionWorkflow } from '../lib/workflow-client.js';

export interface ForwarderOptions {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** Ballots forwarded at once (one signalWithStart each). */
  concurrency?: number;
  /** Ballots one claim takes at most. */
  claimSize?: number;
  /** How often an idle forwarder looks for rows due for a retry (new rows are announced by NOTIFY). */
  pollIntervalMs?: number;
  /** Deadline of one signalWithStart; a call past it counts as a failed attempt. */
  callTimeoutMs?: number;
  /** Retry delays grow from 500 ms to this. */
  maxBackoffMs?: number;
  /** Failed attempts (Temporal reachable) after which a ballot's rows are dead-lettered. */
  maxAttempts?: number;
  /** Shared pacing of Temporal actions (TEMPORAL_ACTIONS_PER_SECOND); none: unpaced. */
  budget?: ActionBudget;
  /** Listen for NOTIFY from writers in other processes (default true). */
  listen?: boolean;
  /** Replaces the Temporal call (tests inject failures with it). */
  deliver?: (ballot: ClaimedBallot, record: LoadedRecord | undefined) => Promise<string>;
}

/** gRPC codes that mean "Temporal cannot take it right now", not "this ballot is broken". */
const TRANSIENT = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);

function isTransient(error: unknown): boolean {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number' && TRANSIENT.has(code)) return true;
    if (
      cause instanceof Error &&
      cause.name === 'ServiceError' &&
      /deadline|unavailable|connect/i.test(cause.message)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Streams the outbox to the workflows. Ballots are claimed (a lease, committed at once) as delivery
 * slots free up, and each is forwarded on its own: all its pending rows in one signal, the ballot's
 * whole record (idempotent in the workflow), then acknowledged. There is no batch barrier: a slow or
 * failing ballot holds one slot and delays only its own rows. Writers NOTIFY on commit, so a new
 * row is forwarded within milliseconds in whichever API process listens first; a ballot that failed
 * waits for its backoff and is dead-lettered after `maxAttempts` (Temporal outages do not count).
 * Any number of processes may run forwarders side by side.
 */
export class OutboxForwarder {
  private readonly concurrency: number;
  private readonly claimSize: number;
  private readonly pollIntervalMs: number;
  private readonly callTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private kicked = false;
  private readonly inFlight = new Set<Promise<void>>();
  private results: ForwardResult[] = [];
  private flushing?: Promise<void>;
  private pausedUntil = 0;
  private unlisten?: () => Promise<void>;
  private readonly facts = new Map<string, { at: number; value: Promise<ElectionFacts | undefined> }>();
  private healthCache?: { at: number; value: Promise<OutboxHealth> };

  constructor(private readonly options: ForwarderOptions) {
    this.concurrency = options.concurrency ?? 64;
    this.claimSize = options.claimSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 5_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.leaseMs = Math.max(30_000, this.callTimeoutMs * 4);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.options.listen !== false) {
      const subscription = await this.options.sql.listen(OUTBOX_CHANNEL, () => this.kick());
      this.unlisten = () => subscription.unlisten();
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
    await this.flush();
    await this.unlisten?.().catch(() => undefined);
  }

  /** New rows were written: look now rather than at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** Pending rows, oldest age and dead letters (cached for a second): back-pressure and metrics read it. */
  health(): Promise<OutboxHealth> {
    if (!this.healthCache || Date.now() - this.healthCache.at > 1_000) {
      const value = outboxHealth(this.options.sql);
      this.healthCache = { at: Date.now(), value };
      value.catch(() => (this.healthCache = undefined));
    }
    return this.healthCache.value;
  }

  async backlog(): Promise<number> {
    return (await this.health()).pending;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      const free = this.concurrency - this.inFlight.size;
      if (free > 0 && Date.now() >= this.pausedUntil) {
        this.kicked = false;
        try {
          claimed = await this.claimAndStart(Math.min(free, this.claimSize));
        } catch (error) {
          this.options.logger.warn({ err: error }, 'outbox claim failed; retrying');
          this.pausedUntil = Date.now() + 1_000;
        }
      }
      if (!this.running) break;
      if (claimed > 0 && claimed === Math.min(free, this.claimSize) && this.inFlight.size < this.concurrency) continue;
      await this.idle();
    }
  }

  /** Sleeps until a slot frees, a writer announces rows, or the poll interval passes. */
  private async idle(): Promise<void> {
    if (this.kicked && this.inFlight.size < this.concurrency && Date.now() >= this.pausedUntil) return;
    const delay = Math.max(10, Math.min(this.pollIntervalMs, this.pausedUntil - Date.now() || this.pollIntervalMs));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.inFlight.size >= this.concurrency) void Promise.race(this.inFlight).then(this.wake);
    });
    this.wake = undefined;
  }

  private async claimAndStart(limit: number): Promise<number> {
    const { sql } = this.options;
    const claimed = await claimBallots(sql, { limit, leaseMs: this.leaseMs });
    if (claimed.length === 0) return 0;
    const records = await loadBallotRecords(
      sql,
      claimed.filter((ballot) => ballot.ballotId !== ''),
      (electionId) => this.electionFacts(electionId),
    );
    for (const ballot of claimed) {
      const task = this.forward(ballot, records.get(ballotKey(ballot.electionId, ballot.ballotId))).finally(() => {
        this.inFlight.delete(task);
        this.wake?.();
      });
      this.inFlight.add(task);
    }
    return claimed.length;
  }

  private async forward(ballot: ClaimedBallot, record: LoadedRecord | undefined): Promise<void> {
    let result: ForwardResult;
    try {
      await this.options.budget?.take(1);
      const outcome = await (this.options.deliver ?? ((b, r) => this.deliver(b, r)))(ballot, record);
      result = { ballot, forwarded: true, outcome };
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      const transient = isTransient(error);
      if (transient) this.pausedUntil = Date.now() + Math.min(this.maxBackoffMs, 1_000);
      result = {
        ballot,
        forwarded: false,
        error: message,
        retryInMs: Math.min(this.maxBackoffMs, 500 * 2 ** Math.min(transient ? 1 : ballot.attempts, 20)),
        countsAttempt: !transient,
      };
      this.options.logger.warn(
        { electionId: ballot.electionId, ballotId: ballot.ballotId, error: message, transient },
        'outbox rows not delivered; will retry',
      );
    }
    this.results.push(result);
    await this.flush();
  }

  /** Settles finished ballots; results that arrive during a flush go in the next one (natural batching). */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.results.length === 0) return;
    const batch = this.results;
    this.results = [];
    this.flushing = settle(this.options.sql, batch, this.maxAttempts)
      .catch((error: unknown) => {
        // The leases expire and the rows are forwarded again: harmless, the workflow deduplicates.
        this.options.logger.warn({ err: error, ballots: batch.length }, 'could not record forwarded rows');
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  private async deliver(ballot: ClaimedBallot, loaded: LoadedRecord | undefined): Promise<string> {
    const { temporal, taskQueue } = this.options;
    if (ballot.ballotId === '') {
      await temporal.connection.withDeadline(Date.now() + this.callTimeoutMs, () =>
        ensureElectionWorkflow(temporal, taskQueue, ballot.electionId),
      );
      return 'delivered';
    }
    if (!loaded) return 'no-ballot';
    const { ballot: row, records } = loaded;
    // The close sweep already told (or found gone) every open ballot of a closed election.
    if (row.status === 'closed') return 'election-closed';
    const resumed = ballot.rows.some((r) => r.kind === 'resume');
    // A new plan with a channel wakes even a finished ballot (its final status is told once more
    // to a channel that never heard it; the notice ledger keeps the others from hearing it twice).
    const reopen = ballot.rows.some((r) => r.kind === 'plan') && (records.plan?.channels.length ?? 0) > 0;
    return temporal.connection.withDeadline(Date.now() + this.callTimeoutMs, () =>
      deliverRecords(
        temporal,
        taskQueue,
        {
          electionId: row.electionId,
          ballotId: row.ballotId,
          county: row.county,
          status: row.status,
          ...(records.election ? { electionDay: records.election.electionDay } : {}),
        },
        resumed ? { ...records, resumed: true } : records,
        reopen,
      ),
    );
  }

  private electionFacts(electionId: string): Promise<ElectionFacts | undefined> {
    const cached = this.facts.get(electionId);
    if (cached && Date.now() - cached.at < 10_000) return cached.value;
    const value = electionFacts(this.options.sql, electionId);
    this.facts.set(electionId, { at: Date.now(), value });
    return value;
  }

  /** Forwards until nothing is pending that is due (or `timeoutMs` passes); for the CLI and tests. */
  async drain(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const claimed = await this.claimAndStart(this.claimSize);
      await Promise.all(this.inFlight);
      await this.flush();
      const { pending } = await outboxHealth(this.options.sql);
      if (pending === 0 || Date.now() > deadline) return pending;
      if (claimed === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
