/** Polls `check` (synchronous or not) until it returns a value that is not undefined. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : last ? `: ${JSON.stringify(last)}` : '';
      throw new Error(`condition not met within ${timeoutMs} ms${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
