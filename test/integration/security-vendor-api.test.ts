/**
 * Issue 13, the vendor side: a key for one county never acts on another, elections need a key for
 * every county, and an NDJSON stream is held to what a batch request is.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiKeyScopeError, createApiKey } from '../../lib/api-keys.js';
import { createPostgresRateLimiter } from '../../lib/rate-limiter.js';
import { ALL_SCOPES } from '../../domain/principal.js';
import { createApp } from '../../api/app.js';
import { startServer } from '../../api/server.js';
import type { V1Deps } from '../../api/v1.js';
import { createKeyVerifier } from '../../lib/api-keys.js';
import { election, logger, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const E = 'sec-2099';

describe('security: county isolation of the vendor API', () => {
  let h: ApiHarness;
  let alameda: string;
  let sf: string;

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress') });
    expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
    const voters = [
      { voterId: 'SEC-ALA-1', county: 'ALA' },
      { voterId: 'SEC-ALA-2', county: 'ALA' },
      { voterId: 'SEC-SF-1', county: 'SF' },
    ].map((v) => ({ ...v, firstName: 'Ana', lastName: 'Lee', dateOfBirth: '1970-01-01', zip: '94612' }));
    expect((await h.call('POST', '/v1/voters', { body: { voters } })).body.summary.accepted).toBe(3);
    alameda = await h.key({ counties: ['ALA'] });
    sf = await h.key({ counties: ['SF'] });
  });

  afterAll(async () => {
    await h?.stop();
  });

  const issue = (key: string, ballots: Record<string, unknown>[]) =>
    h.call('POST', '/v1/ballots', { key, body: { ballots: ballots.map((b) => ({ electionId: E, ...b })) } });

  it("refuses a county key's ballot for another county's voter, with the answer for an unknown voter", async () => {
    const foreign = await issue(alameda, [{ ballotId: 'SEC-B1', voterId: 'SEC-SF-1', county: 'ALA' }]);
    const unknown = await issue(alameda, [{ ballotId: 'SEC-B2', voterId: 'SEC-NOBODY', county: 'ALA' }]);
    expect(foreign.body.results[0]!).toMatchObject({ outcome: 'invalid', error: { code: 'unknown_voter' } });
    expect(JSON.stringify(foreign.body.results[0]!.error)).not.toMatch(/county SF/);
    expect(foreign.body.results[0]!.error).toEqual({
      ...unknown.body.results[0]!.error,
      message: unknown.body.results[0]!.error!.message.replace('SEC-NOBODY', 'SEC-SF-1'),
    });
    const [row] = await h.db.sql`SELECT count(*)::int AS n FROM ballots WHERE ballot_id IN ('SEC-B1', 'SEC-B2')`;
    expect(row!.n).toBe(0);
    // So no rejected scan can follow: the ballot does not exist for that key.
    const scan = await h.call('POST', '/v1/scans', {
      key: alameda,
      body: { events: [scanItem(E, 'SEC-B1', 'rejected', { reason: 'no_signature' })] },
    });
    expect(scan.body.results[0]!.error!.code).toBe('unknown_ballot');
  });

  it("refuses even an all-county key's ballot whose county is not its voter's", async () => {
    const response = await issue(h.adminKey, [{ ballotId: 'SEC-B3', voterId: 'SEC-SF-1', county: 'ALA' }]);
    expect(response.body.results[0]!.error!.code).toBe('voter_county_mismatch');
  });

  it('keeps IMbs unique per election (on the 20-digit tracking code a scan carries)', async () => {
    const first = await issue(alameda, [
      { ballotId: 'SEC-I1', voterId: 'SEC-ALA-1', county: 'ALA', imb: '00040123456789000001' },
    ]);
    expect(first.body.results[0]!.outcome).toBe('accepted');
    const again = await issue(sf, [
      { ballotId: 'SEC-I2', voterId: 'SEC-SF-1', county: 'SF', imb: '0004012345678900000194612' },
      { ballotId: 'SEC-I3', voterId: 'SEC-SF-1', county: 'SF', imb: '00040123456789000002' },
      { ballotId: 'SEC-I4', voterId: 'SEC-SF-1', county: 'SF', imb: '00040123456789000002' },
    ]);
    expect(again.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['invalid', 'accepted', 'invalid']);
    expect(again.body.results[0]!.error).toMatchObject({ code: 'imb_conflict', status: 409 });
    expect(again.body.results[2]!.error!.code).toBe('imb_conflict');
  });

  it("refuses a ballot ID another county's key issued first, naming no county", async () => {
    expect(
      (await issue(alameda, [{ ballotId: 'SEC-C1', voterId: 'SEC-ALA-2', county: 'ALA' }])).body.results[0]!.outcome,
    ).toBe('accepted');
    const claim = await issue(sf, [{ ballotId: 'SEC-C1', voterId: 'SEC-SF-1', county: 'SF' }]);
    expect(claim.body.results[0]!).toMatchObject({ outcome: 'invalid', error: { code: 'conflict', status: 409 } });
    expect(JSON.stringify(claim.body.results[0]!)).not.toMatch(/ALA/);
    const [row] = await h.db.sql`SELECT county, issued_by_key FROM ballots WHERE ballot_id = 'SEC-C1'`;
    expect(row).toEqual({ county: 'ALA', issued_by_key: alameda.split('_')[1] });
  });

  describe('elections are every county’s', () => {
    it('refuses PUT and PATCH with a county key, even one stored with elections:write before the rule', async () => {
      const put = await h.call('PUT', `/v1/elections/${E}`, {
        key: alameda,
        body: election({ closesAt: '2000-01-01T00:00:00Z' }),
      });
      expect(put.status).toBe(403); // a county key cannot even hold the scope
      // A key from before the rule: written straight into the table.
      const legacy = await createApiKey(h.db.sql, { name: 'legacy', scopes: ['ballots:read'], counties: ['ALA'] });
      await h.db.sql`UPDATE api_keys SET scopes = ${[...ALL_SCOPES]} WHERE key_id = ${legacy.record.keyId}`;
      const legacyPut = await h.call('PUT', `/v1/elections/${E}`, {
        key: legacy.key,
        body: election({ closesAt: '2000-01-01T00:00:00Z' }),
      });
      expect(legacyPut.status).toBe(403);
      expect(legacyPut.body.error.code).toBe('county_forbidden');
      const patch = await h.call('PATCH', `/v1/elections/${E}`, {
        key: legacy.key,
        body: { closesAt: '2000-01-01T00:00:00Z' },
      });
      expect(patch.status).toBe(403);
      const [row] = await h.db.sql`SELECT closes_at FROM elections WHERE election_id = ${E}`;
      expect(row!.closes_at).toBeNull();
    });

    it('refuses to create a county key with an election-wide scope', async () => {
      await expect(
        createApiKey(h.db.sql, { name: 'x', scopes: ['elections:write'], counties: ['ALA'] }),
      ).rejects.toBeInstanceOf(ApiKeyScopeError);
    });

    it('PATCH changes only the fields it names (null clears one); PUT replaces the whole election', async () => {
      await h.call('PUT', '/v1/elections/sec-patch', {
        body: election({ cureDeadline: '2099-11-20T17:00:00-08:00', returnReminderDaysBefore: 7 }),
      });
      const patched = await h.call('PATCH', '/v1/elections/sec-patch', {
        body: { name: 'Renamed', closesAt: '2099-12-01T17:00:00-08:00' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        name: 'Renamed',
        cureDeadline: '2099-11-21T01:00:00.000Z',
        returnReminderDaysBefore: 7,
        closesAt: '2099-12-02T01:00:00.000Z',
      });
      const cleared = await h.call('PATCH', '/v1/elections/sec-patch', { body: { cureDeadline: null } });
      expect(cleared.body).toMatchObject({ cureDeadline: null, closesAt: '2099-12-02T01:00:00.000Z' });
      expect((await h.call('PATCH', '/v1/elections/sec-patch', { body: { bogus: 1 } })).status).toBe(400);
      expect((await h.call('PATCH', '/v1/elections/sec-none', { body: { name: 'x' } })).status).toBe(404);
      const put = await h.call('PUT', '/v1/elections/sec-patch', { body: election() });
      expect(put.body).toMatchObject({ closesAt: null, returnReminderDaysBefore: 5 });
    });
  });

  describe('NDJSON streams', () => {
    const ndjson = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, i) => JSON.stringify(scanItem(E, `${prefix}-${i % 50}`, 'outbound'))).join(
        '\n',
      );

    it('count every 1,000 items as one more request against the key limit, and stop when it is used up', async () => {
      const key = await h.key({ rateLimitPerMinute: 2 });
      const response = await h.call('POST', '/v1/scans', {
        key,
        raw: ndjson(2_500, 'SEC-RL'),
        contentType: 'application/x-ndjson',
      });
      expect(response.status).toBe(202);
      expect(response.body.error.code).toBe('rate_limited');
      // The request and one more unit: 2,000 items at most were recorded.
      expect(response.body.results.length).toBeLessThanOrEqual(2_000);
      expect(response.body.results.length).toBeGreaterThanOrEqual(1_000);
      expect((await h.call('GET', `/v1/ballots/${E}/SEC-C1`, { key })).status).toBe(429);
    });
  });
});

describe('security: limits shared by every API process', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress') });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('counts in PostgreSQL: two processes together allow the limit once, and a restart resets nothing', async () => {
    const first = createPostgresRateLimiter(h.db.sql, { windowMs: 60_000 });
    const second = createPostgresRateLimiter(h.db.sql, { windowMs: 60_000 });
    const answers = [
      await first.hit('k', 3),
      await second.hit('k', 3),
      await first.hit('k', 3),
      await second.hit('k', 3),
    ];
    expect(answers.map((a) => a.allowed)).toEqual([true, true, true, false]);
    const restarted = createPostgresRateLimiter(h.db.sql, { windowMs: 60_000 });
    expect((await restarted.hit('k', 3)).allowed).toBe(false);
  });

  it('keeps the in-memory front bounded and answers from it without the database once a key is over', async () => {
    const limiter = createPostgresRateLimiter(h.db.sql, { windowMs: 60_000, frontSize: 2 });
    for (const key of ['a', 'b', 'c']) {
      await limiter.hit(key, 1);
      expect((await limiter.hit(key, 1)).allowed).toBe(false);
    }
    await h.db.sql`DELETE FROM rate_limits`;
    // 'c' is still in the front (over its limit until its window ends); 'a' was dropped from it.
    expect((await limiter.hit('c', 1)).allowed).toBe(false);
    expect((await limiter.hit('a', 1)).allowed).toBe(true);
  });

  /** An API process on the harness's database with these v1 settings; returns the POST /v1/scans answer. */
  async function streamThrough(overrides: Partial<V1Deps>, lines: number, ballotId: string) {
    await h.call('PUT', `/v1/elections/${E}`, { body: election() });
    const server = await startServer(
      createApp({
        logger,
        readiness: {},
        v1: {
          sql: h.db.sql,
          verifyKey: createKeyVerifier(h.db.sql),
          backlog: () => Promise.resolve(0),
          outboxWritten: () => {},
          rateLimitPerMinute: 100,
          maxBodyBytes: 1024 * 1024,
          maxBacklog: 10,
          ...overrides,
        },
      }),
      '127.0.0.1',
      0,
    );
    try {
      const body = Array.from({ length: lines }, () => JSON.stringify(scanItem(E, ballotId, 'outbound'))).join('\n');
      const response = await fetch(`${server.url}/v1/scans`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      return {
        status: response.status,
        body: (await response.json()) as { results: unknown[]; error?: { code: string } },
      };
    } finally {
      await server.stop();
    }
  }

  it('stops an NDJSON stream when the outbox backlog grows past the limit mid-stream', async () => {
    let calls = 0;
    // The request's own check and the first chunk's see no backlog; the second chunk's sees it grown.
    const backlog = () => Promise.resolve(calls++ < 2 ? 0 : 10);
    const response = await streamThrough({ backlog, maxBacklog: 5, ndjsonChunk: 100 }, 1_000, 'SEC-BP');
    expect(response.status).toBe(202);
    expect(response.body.error?.code).toBe('backlog');
    expect(response.body.results).toHaveLength(100);
  });

  it('ends a stream past API_NDJSON_MAX_ITEMS', async () => {
    const response = await streamThrough({ ndjsonMaxItems: 150, ndjsonChunk: 100 }, 400, 'SEC-MAX');
    expect(response.body.error?.code).toBe('too_many_items');
    expect(response.body.results).toHaveLength(100);
  });
});
