import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { ndjsonLines } from '../../ingest/parsers/ndjson.js';
import { anyString } from '../helpers/matchers.js';

const minimal = { DATABASE_URL: 'postgres://user:pass@db:5432/ballots', NODE_ENV: 'development' };

describe('API configuration', () => {
  it('refuses to start production with a development key set, naming the variable', () => {
    expect(() =>
      loadConfig({ ...minimal, NODE_ENV: 'production', BALLOT_TRACKER_DEV_KEY: 'local-dev-key-0123456789' }),
    ).toThrow(/BALLOT_TRACKER_DEV_KEY: must not be set in production/);
  });

  it('accepts a development key in development and defaults the API limits', () => {
    const config = loadConfig({ ...minimal, BALLOT_TRACKER_DEV_KEY: 'local-dev-key-0123456789' });
    expect(config).toMatchObject({
      BALLOT_TRACKER_DEV_KEY: 'local-dev-key-0123456789',
      API_RATE_LIMIT_PER_MINUTE: 600,
      FORWARDER_ENABLED: true,
      FORWARDER_POLL_INTERVAL: 1_000,
    });
    expect(loadConfig({ ...minimal, FORWARDER_ENABLED: 'false' }).FORWARDER_ENABLED).toBe(false);
  });

  it('rejects a short development key', () => {
    expect(() => loadConfig({ ...minimal, BALLOT_TRACKER_DEV_KEY: 'dev' })).toThrow(/BALLOT_TRACKER_DEV_KEY/);
  });
});

describe('NDJSON reader', () => {
  async function read(chunks: string[], maxLineBytes?: number) {
    const out = [];
    for await (const line of ndjsonLines(Readable.from(chunks.map((c) => Buffer.from(c))), maxLineBytes))
      out.push(line);
    return out;
  }

  it('splits lines across chunk boundaries, skips blank lines and numbers every line', async () => {
    expect(await read(['{"a":', '1}\n\n{"b"', ':2}\r\n', '{"c":3}'])).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { b: 2 } },
      { line: 4, value: { c: 3 } },
    ]);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const bytes = Buffer.from('{"n":"é"}\n');
    const stream = Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]);
    const out = [];
    for await (const line of ndjsonLines(stream)) out.push(line);
    expect(out).toEqual([{ line: 1, value: { n: 'é' } }]);
  });

  it('reports a line that is not JSON or too long, and goes on', async () => {
    const result = await read(['{oops\n', 'x'.repeat(50), 'y'.repeat(50), '\n{"ok":true}\n'], 64);
    expect(result).toEqual([
      { line: 1, error: { code: 'invalid_json', message: anyString() } },
      { line: 2, error: { code: 'line_too_long', message: anyString() } },
      { line: 3, value: { ok: true } },
    ]);
  });
});
