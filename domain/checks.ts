/**
 * Small hand-written checks for the data workflows receive. Workflow code cannot afford a schema
 * library: every cached workflow instantiates the modules it imports (zod costs about 3 MB each).
 * `checked` turns the first failed check into a problem in words.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

class Problem extends Error {}

export function fail(path: string, expected: string): never {
  throw new Problem(`${path}: ${expected}`);
}

export function checked<T>(check: () => T): Checked<T> {
  try {
    return { ok: true, value: check() };
  } catch (error) {
    if (error instanceof Problem) return { ok: false, problem: error.message };
    throw error;
  }
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function record(value: unknown, path: string): Record<string, unknown> {
  return isObject(value) ? value : fail(path, 'an object');
}

export function text(value: unknown, path: string, options: { pattern?: RegExp; max?: number } = {}): string {
  const max = options.max ?? 128;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    fail(path, `a string of 1 to ${max} characters`);
  }
  if (options.pattern && !options.pattern.test(value)) fail(path, `a string matching ${options.pattern}`);
  return value;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
export const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO 8601 date-time with a zone (Z or an offset). */
export function instant(value: unknown, path: string): string {
  const checkedValue = text(value, path, { pattern: INSTANT });
  return Number.isNaN(Date.parse(checkedValue)) ? fail(path, 'an ISO 8601 date-time with an offset') : checkedValue;
}

export function date(value: unknown, path: string): string {
  return text(value, path, { pattern: DATE });
}

export function instantOrDate(value: unknown, path: string): string {
  return typeof value === 'string' && DATE.test(value) ? value : instant(value, path);
}

export function oneOf<T extends string>(value: unknown, options: readonly T[], path: string): T {
  return (options as readonly unknown[]).includes(value) ? (value as T) : fail(path, `one of ${options.join(', ')}`);
}

/** `value` checked by `check` when present, absent otherwise (a spread-ready object). */
export function optional<K extends string, T>(
  source: Record<string, unknown>,
  key: K,
  check: (value: unknown, path: string) => T,
): Partial<Record<K, T>> {
  return source[key] === undefined ? {} : ({ [key]: check(source[key], key) } as Record<K, T>);
}
