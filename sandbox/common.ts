/**
 * Plumbing shared by the fake provider servers: listening on a port (0 in tests), closing with
 * every hung request and pending timer, and the fault dice.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** Prefix of the fakes' control routes (inspect messages, set faults, trigger webhooks). */
export const SANDBOX_CONTROL_PATH = '/__sandbox';

export interface Listening {
  server: Server;
  url: string;
}

export async function listen(app: Express, port = 0, host = '127.0.0.1'): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) return reject(error);
      const address = server.address() as AddressInfo;
      resolve({ server, url: `http://${host}:${address.port}` });
    });
  });
}

/** Timers and hung responses a fake owns, released on close so test processes exit promptly. */
export class Pending {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tasks = new Set<Promise<unknown>>();

  later(ms: number, fn: () => Promise<unknown> | void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const task = Promise.resolve()
        .then(fn)
        .catch(() => undefined);
      this.tasks.add(task);
      void task.finally(() => this.tasks.delete(task));
    }, ms);
    this.timers.add(timer);
  }

  /** Resolves when no timer is pending and no task is running. */
  async idle(): Promise<void> {
    while (this.timers.size > 0 || this.tasks.size > 0) {
      await Promise.all([...this.tasks]);
      if (this.timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

export async function close(server: Server, pending: Pending): Promise<void> {
  pending.clear();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** True with probability `rate` (0 never, 1 always). */
export function roll(rate: number | undefined, random: () => number): boolean {
  return rate !== undefined && rate > 0 && random() < rate;
}

/** Waits until `predicate` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
