/**
 * A token bucket in PostgreSQL, shared by every process that spends Temporal actions in bulk (the
 * outbox forwarders in each API process, the election sweeps in each worker): together they stay
 * within TEMPORAL_ACTIONS_PER_SECOND, the namespace's budget. Each process takes tokens in small
 * chunks (one UPDATE per chunk); the bucket may go into debt, and a taker whose chunk put it there
 * waits until the debt is paid off, so the rate holds across processes without a coordinator.
 */
import type { Sql } from './client.js';

/** Tokens a process keeps may be spent for this long; older ones are dropped (not hoarded). */
const CHUNK_LIFETIME_MS = 1_000;

export interface ActionBudgetOptions {
  perSecond: number;
  /** Tokens the bucket holds at most (a burst after idling); default one second's worth. */
  burst?: number;
  name?: string;
}

export class ActionBudget {
  private readonly name: string;
  private readonly burst: number;
  private readonly chunk: number;
  private available = 0;
  private chunkAt = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly sql: Sql,
    private readonly options: ActionBudgetOptions,
  ) {
    this.name = options.name ?? 'temporal';
    this.burst = options.burst ?? options.perSecond;
    this.chunk = Math.max(1, Math.min(50, Math.floor(options.perSecond / 20)));
  }

  /** Waits until `n` actions may be spent (in call order within this process). */
  take(n = 1): Promise<void> {
    const turn = this.queue.then(() => this.takeNow(n));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async takeNow(n: number): Promise<void> {
    if (Date.now() - this.chunkAt > CHUNK_LIFETIME_MS) this.available = 0;
    while (this.available < n) {
      const wanted = Math.max(this.chunk, n - this.available);
      const debt = await this.borrow(wanted);
      if (debt > 0) await new Promise((resolve) => setTimeout(resolve, (debt / this.options.perSecond) * 1000));
      this.available += wanted;
      this.chunkAt = Date.now();
    }
    this.available -= n;
  }

  /** Takes `count` tokens from the shared bucket; returns the debt (tokens below zero) it left. */
  private async borrow(count: number): Promise<number> {
    const { perSecond } = this.options;
    const [row] = await this.sql<{ tokens: number }[]>`
      INSERT INTO action_budget AS b (name, tokens, refilled_at)
      VALUES (${this.name}, ${this.burst - count}, clock_timestamp())
      ON CONFLICT (name) DO UPDATE SET
        tokens = least(${this.burst}::float8,
                       b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * ${perSecond}::float8)
                 - ${count}::float8,
        refilled_at = clock_timestamp()
      RETURNING tokens`;
    return Math.max(0, -(row?.tokens ?? 0));
  }
}
