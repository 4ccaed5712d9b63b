/**
 * A small HTTP client as a vendor's or a voter's program would use it: JSON in and out, and polite
 * under back-pressure (429 and 503 wait for Retry-After, every request to that API process waits
 * with them). Connection errors are retried a few times.
 */

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

export class ApiClient {
  /** Requests made (including retries) and the waits 429/503 imposed. */
  requests = 0;
  throttled = 0;
  private resumeAt = 0;

  constructor(
    readonly baseUrl: string,
    private readonly key?: string,
  ) {}

  async call<T = unknown>(
    method: string,
    path: string,
    options: { body?: unknown; key?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    for (let attempt = 1; ; attempt++) {
      const wait = this.resumeAt - Date.now();
      if (wait > 0) await sleep(wait);
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      if ((options.key ?? true) && this.key) headers.authorization = `Bearer ${this.key}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      this.requests += 1;
      let response: Response;
      try {
        response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (error) {
        if (attempt >= 5) throw new Error(`${method} ${path}: ${String(error)}`, { cause: error });
        await sleep(200 * attempt);
        continue;
      }
      const text = await response.text();
      if ((response.status === 429 || response.status === 503) && attempt < 100) {
        this.throttled += 1;
        const seconds = Number(response.headers.get('retry-after'));
        this.resumeAt = Math.max(
          this.resumeAt,
          Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000,
        );
        continue;
      }
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: response.status, body: body as T };
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Events per second shared by every lane; `undefined`: as fast as the API accepts them. */
export class Pace {
  private nextFree = Date.now();
  constructor(private readonly perSecond: number | undefined) {}

  async take(count: number): Promise<void> {
    if (!this.perSecond) return;
    const now = Date.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + (count / this.perSecond) * 1000;
    if (start > now) await sleep(start - now);
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}
