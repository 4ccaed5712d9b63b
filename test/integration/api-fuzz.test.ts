/**
 * Random and malformed requests against every endpoint: wrong types, huge strings, NUL and unpaired
 * surrogates, SQL and script fragments, broken encodings. Whatever arrives, the answer is a 4xx or a
 * 2xx with one result per item, never a 500, and the server keeps working.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { election, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY_STRINGS = [
  "'; DROP TABLE ballots; --",
  '1 OR 1=1',
  "' UNION SELECT key_hash FROM api_keys --",
  '$1',
  '%s%s%n',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '😀'.repeat(40),
  '\u202e\u0301',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  '',
  ' ',
  '2026-10-06T10:00:00-07:00',
  '2026-02-30',
  'outbound',
  '99999',
  'x'.repeat(70_000),
];

describe('fuzzing the vendor API', () => {
  let h: ApiHarness;
  const random = mulberry32(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  function value(depth = 0): unknown {
    const roll = random();
    if (depth > 3 || roll < 0.35) return pick(NASTY_STRINGS);
    if (roll < 0.5) return pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, true, false, null]);
    if (roll < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 5); i > 0; i -= 1) {
      object[pick(['eventId', 'electionId', 'ballotId', 'type', 'occurredAt', 'voterId', 'county', '__proto__', 'x'])] =
        value(depth + 1);
    }
    return object;
  }

  const validScan = () => scanItem('fuzz-2099', `B-${Math.floor(random() * 5)}`, 'outbound');
  const validVoter = () => ({
    voterId: `V-${Math.floor(random() * 50)}`,
    county: 'ALA',
    firstName: 'A',
    lastName: 'B',
    dateOfBirth: '1970-01-01',
    zip: '94612',
  });
  const validBallot = () => ({
    electionId: 'fuzz-2099',
    ballotId: `B-${Math.floor(random() * 50)}`,
    voterId: 'V-1',
    county: 'ALA',
  });

  /** A valid item with one field replaced by something random. */
  function mutated(item: Record<string, unknown>): unknown {
    const copy: Record<string, unknown> = { ...item };
    const keys = Object.keys(copy);
    const key = pick(keys);
    if (random() < 0.2) delete copy[key];
    else copy[key] = value(2);
    return copy;
  }

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), worker: false });
    expect((await h.call('PUT', '/v1/elections/fuzz-2099', { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
  });

  const endpoints = [
    { method: 'POST', path: '/v1/scans', envelope: 'events', valid: validScan },
    { method: 'POST', path: '/v1/voters', envelope: 'voters', valid: validVoter },
    { method: 'POST', path: '/v1/ballots', envelope: 'ballots', valid: validBallot },
  ] as const;

  function expectNo500(response: Awaited<ReturnType<ApiHarness['call']>>, what: string) {
    if (response.status >= 500) throw new Error(`${what} -> ${response.status}: ${response.text.slice(0, 300)}`);
    if (response.status === 202) expect(Array.isArray(response.body.results), what).toBe(true);
    else expect(response.body?.error?.code ?? (response.status < 300 ? 'ok' : undefined), what).toBeTruthy();
  }

  it('never answers 500 to random JSON bodies and mutated items', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 400; i += 1) {
      const endpoint = pick(endpoints);
      const shape = random();
      let body: unknown;
      if (shape < 0.25) body = value();
      else if (shape < 0.5) body = { [endpoint.envelope]: value() };
      else
        body = {
          [endpoint.envelope]: Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
            random() < 0.3 ? value() : mutated(endpoint.valid()),
          ),
        };
      const response = await h.call(endpoint.method, endpoint.path, { body });
      expectNo500(response, `${endpoint.path} ${JSON.stringify(body).slice(0, 200)}`);
      if (response.status === 202) {
        expect(response.body.results).toHaveLength((body as Record<string, unknown[]>)[endpoint.envelope]!.length);
      }
    }
  });

  it('never answers 500 to broken bodies, media types, NDJSON and elections', { timeout: 120_000 }, async () => {
    const raws: (string | Uint8Array)[] = [
      '',
      '{',
      'null',
      '"string"',
      '[1,2,3]',
      '{"events": [}',
      '\u0000\u0001\u0002',
      new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xc3]),
      '{"events":[{"eventId":"\\ud800"}]}',
      `{"events":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"__proto__":{"polluted":true},"events":[1]}',
    ];
    const types = [
      'application/json',
      'application/x-ndjson',
      'text/plain',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'multipart/form-data',
    ];
    for (const raw of raws) {
      for (const contentType of types) {
        for (const endpoint of endpoints) {
          expectNo500(
            await h.call(endpoint.method, endpoint.path, { raw, contentType }),
            `${endpoint.path} ${contentType}`,
          );
        }
        expectNo500(
          await h.call('PUT', '/v1/elections/fuzz-e', { raw, contentType }),
          `elections ${contentType} ${String(raw).slice(0, 40)}`,
        );
      }
    }
    for (let i = 0; i < 100; i += 1) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 10) }, () =>
        random() < 0.5
          ? JSON.stringify(mutated(validScan()))
          : pick([JSON.stringify(value()), pick(NASTY_STRINGS), '{"a":']),
      );
      expectNo500(
        await h.call('POST', '/v1/scans', { raw: lines.join('\n'), contentType: 'application/x-ndjson' }),
        'ndjson',
      );
      expectNo500(await h.call('PUT', `/v1/elections/fuzz-${i}`, { body: mutated(election()) }), 'election');
    }
    const ndjsonHuge = await h.call('POST', '/v1/scans', {
      raw: `${'x'.repeat(200_000)}\n${JSON.stringify(validScan())}`,
      contentType: 'application/x-ndjson',
    });
    expect(ndjsonHuge.status).toBe(202);
    expect(
      ndjsonHuge.body.results.map((r: { outcome: string; error?: { code: string } }) => r.error?.code ?? r.outcome),
    ).toEqual(['line_too_long', 'accepted']);
  });

  it('never answers 500 to odd paths and headers', async () => {
    const segments = [
      '%00',
      '%ED%A0%80',
      '%E0%A4%A',
      "'%20OR%201=1",
      '..',
      '%2F',
      'a'.repeat(500),
      '%3Cscript%3E',
      '__proto__',
    ];
    for (const a of segments) {
      for (const b of segments) {
        expectNo500(await h.call('GET', `/v1/ballots/${a}/${b}`), `GET ${a}/${b}`);
      }
      expectNo500(await h.call('PUT', `/v1/elections/${a}`, { body: election() }), `PUT ${a}`);
    }
    for (const authorization of [
      'Bearer',
      'Bearer ',
      'Basic abc',
      `Bearer ${'a'.repeat(10_000)}`,
      'Bearer bt_zz_zz',
      "Bearer ' OR 1=1 --",
    ]) {
      const response = await h.call('GET', '/v1/ballots/a/b', { key: null, headers: { authorization } });
      expect(response.status).toBe(401);
    }
  });

  it('still works normally afterwards', async () => {
    const event = validScan();
    const response = await h.call('POST', '/v1/scans', { body: { events: [event] } });
    expect(response.body.results[0]).toMatchObject({ eventId: event.eventId, outcome: 'accepted' });
    const [{ count }] = (await h.db.sql`SELECT count(*)::int AS count FROM api_keys`) as unknown as [{ count: number }];
    expect(count).toBeGreaterThan(0);
  });
});
