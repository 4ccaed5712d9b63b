import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import type { Issuance, ScanEvent } from '../domain/scan-event.js';
import type { Logger } from '../lib/logger.js';
import { ensureElectionWorkflow, forwardIssuance, forwardScan, type ForwardOutcome } from '../lib/workflow-client.js';

export interface ForwarderOptions {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  batchSize?: number;
  concurrency?: number;
  pollIntervalMs?: number;
  /** Deadline of one signalWithStart; a call past it counts as a failed attempt. */
  callTimeoutMs?: number;
  /** Retry delays grow from 500 ms to this. */
  maxBackoffMs?: number;
}

interface OutboxRow {
  seq: string;
  kind: 'scan' | 'issuance' | 'election';
  election_id: string;
  ballot_id: string;
  payload: unknown;
  attempts: number;
}

/** gRPC codes that mean "Temporal is not reachable": stop trying the rest of the batch. */
const UNREACHABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

function isUnreachable(error: unknown): boolean {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number' && UNREACHABLE.has(code)) return true;
    if (
      (cause as { name?: string }).name === 'ServiceError' &&
      /deadline|unavailable|connect/i.test((cause as Error).message)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Delivers the outbox to the workflows: pending rows in `seq` order per (election, ballot), ballots in
 * parallel. Each pass is one transaction that claims rows with `FOR UPDATE SKIP LOCKED`, so any number
 * of API processes (and lanes within one) can run it side by side. A row is only forwarded when no
 * earlier pending row of its ballot exists outside the claimed batch (another process holds it, or it
 * waits for a retry), which keeps each ballot's order across processes and failures. Failed rows are
 * retried with backoff; while Temporal is unreachable the outbox simply grows in Postgres.
 */
export class OutboxForwarder {
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly callTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private kicked = false;
  private backlogValue = 0;
  private backlogAt = 0;
  private backlogQuery?: Promise<number>;

  constructor(private readonly options: ForwarderOptions) {
    this.batchSize = options.batchSize ?? 2_000;
    this.concurrency = options.concurrency ?? 64;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 5_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** New rows were written: look now rather than at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** Pending rows (cached for a second): what back-pressure decisions read. */
  async backlog(): Promise<number> {
    if (Date.now() - this.backlogAt < 1_000) return this.backlogValue;
    this.backlogQuery ??= this.options.sql<{ n: string }[]>`
        SELECT count(*) AS n FROM workflow_outbox WHERE forwarded_at IS NULL`
      .then(([row]) => {
        this.backlogValue = Number(row?.n ?? 0);
        this.backlogAt = Date.now();
        return this.backlogValue;
      })
      .finally(() => {
        this.backlogQuery = undefined;
      });
    return this.backlogQuery;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let forwarded = 0;
      try {
        forwarded = await this.forwardOnce();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'outbox pass failed; retrying');
      }
      if (forwarded > 0 || !this.running) continue;
      if (this.kicked) {
        this.kicked = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      this.kicked = false;
    }
  }

  /** One pass: claims a batch, forwards what it may, records the outcome. Returns rows forwarded. */
  async forwardOnce(): Promise<number> {
    const { sql } = this.options;
    return sql.begin(async (tx) => {
      const rows = await tx<OutboxRow[]>`
        SELECT seq, kind, election_id, ballot_id, payload, attempts
        FROM workflow_outbox
        WHERE forwarded_at IS NULL AND next_attempt_at <= now()
        ORDER BY seq
        LIMIT ${this.batchSize}
        FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;

      const groups = new Map<string, OutboxRow[]>();
      for (const row of rows) {
        const key = `${row.election_id}\u0000${row.ballot_id}`;
        const group = groups.get(key);
        if (group) group.push(row);
        else groups.set(key, [row]);
      }
      // Ballots with an earlier pending row this pass did not claim must wait for it.
      const heads = [...groups.values()].map((group) => ({
        election_id: group[0]!.election_id,
        ballot_id: group[0]!.ballot_id,
        seq: group[0]!.seq,
      }));
      const blocked = await tx<{ election_id: string; ballot_id: string }[]>`
        SELECT DISTINCT h.election_id, h.ballot_id
        FROM jsonb_to_recordset(${JSON.stringify(heads)}::text::jsonb) AS h(election_id text, ballot_id text, seq bigint)
        JOIN workflow_outbox o ON o.election_id = h.election_id AND o.ballot_id = h.ballot_id
         AND o.forwarded_at IS NULL AND o.seq < h.seq`;
      for (const row of blocked) groups.delete(`${row.election_id}\u0000${row.ballot_id}`);

      const delivered: { seq: string; outcome: ForwardOutcome }[] = [];
      const failed: { seq: string; attempts: number; error: string }[] = [];
      let unreachable: string | undefined;
      const queue = [...groups.values()];
      const worker = async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          for (const row of group) {
            if (unreachable) {
              failed.push({ seq: row.seq, attempts: row.attempts, error: unreachable });
              break;
            }
            try {
              delivered.push({ seq: row.seq, outcome: await this.deliver(row) });
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              if (isUnreachable(error)) unreachable = `Temporal unreachable: ${message}`;
              failed.push({ seq: row.seq, attempts: row.attempts, error: message.slice(0, 500) });
              break; // later rows of this ballot wait for this one
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));

      if (delivered.length > 0) {
        await tx`
          UPDATE workflow_outbox o SET forwarded_at = now(), forward_outcome = d.outcome, last_error = NULL
          FROM jsonb_to_recordset(${JSON.stringify(delivered)}::text::jsonb) AS d(seq bigint, outcome text)
          WHERE o.seq = d.seq`;
      }
      if (failed.length > 0) {
        const retries = failed.map((f) => ({
          seq: f.seq,
          error: f.error,
          delay_ms: Math.min(this.maxBackoffMs, 500 * 2 ** Math.min(f.attempts, 20)),
        }));
        await tx`
          UPDATE workflow_outbox o SET attempts = o.attempts + 1, last_error = r.error,
                 next_attempt_at = now() + make_interval(secs => r.delay_ms / 1000.0)
          FROM jsonb_to_recordset(${JSON.stringify(retries)}::text::jsonb) AS r(seq bigint, error text, delay_ms integer)
          WHERE o.seq = r.seq`;
        this.options.logger.warn(
          { failed: failed.length, delivered: delivered.length, error: failed[0]!.error },
          'outbox rows not delivered; will retry',
        );
      }
      return delivered.length;
    });
  }

  private deliver(row: OutboxRow): Promise<ForwardOutcome> {
    const { temporal, taskQueue } = this.options;
    const target = { electionId: row.election_id, ballotId: row.ballot_id };
    return temporal.connection.withDeadline(Date.now() + this.callTimeoutMs, async () => {
      switch (row.kind) {
        case 'scan':
          return forwardScan(temporal, taskQueue, target, row.payload as ScanEvent);
        case 'issuance':
          return forwardIssuance(temporal, taskQueue, target, row.payload as Issuance);
        case 'election':
          await ensureElectionWorkflow(temporal, taskQueue, row.election_id);
          return 'delivered';
      }
    });
  }

  /** Forwards until nothing is pending (or `timeoutMs` passes); for the CLI and tests. */
  async drain(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await this.options.sql<{ n: string }[]>`
        SELECT count(*) AS n FROM workflow_outbox WHERE forwarded_at IS NULL`;
      const pending = Number(row?.n ?? 0);
      if (pending === 0 || Date.now() > deadline) return pending;
      if ((await this.forwardOnce()) === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
