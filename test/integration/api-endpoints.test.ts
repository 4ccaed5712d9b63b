import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createKeyVerifier, revokeApiKey } from '../../lib/api-keys.js';
import { OutboxForwarder } from '../../ingest/forwarder.js';
import { startServer } from '../../api/server.js';
import { electionWorkflowId } from '../../workflows/election.js';
import { statusQuery, workflowIdFor } from '../../workflows/ballot.js';
import { election, eventually, logger, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';
import { anyString, objectContaining, stringContaining, stringMatching } from '../helpers/matchers.js';

describe('vendor API: elections, voters, ballots, scans, status', () => {
  let h: ApiHarness;
  const E = 'gen-2099';

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress') });
    const put = await h.call('PUT', `/v1/elections/${E}`, { body: election() });
    expect(put.status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function ballotView(electionId: string, ballotId: string, key?: string) {
    const response = await h.call('GET', `/v1/ballots/${electionId}/${ballotId}`, key ? { key } : {});
    return response;
  }

  /** Waits until the ballot's workflow holds every given event ID. */
  async function untilEvents(electionId: string, ballotId: string, eventIds: string[]) {
    return eventually(async () => {
      const view = await ballotView(electionId, ballotId);
      const seen = new Set((view.body?.events ?? []).map((event: { eventId: string }) => event.eventId));
      return eventIds.every((id) => seen.has(id)) ? view.body : undefined;
    });
  }

  describe('authentication and scopes', () => {
    it('answers 401 without a key, with a malformed key, an unknown key and a revoked key', async () => {
      for (const key of [null, 'nonsense', `bt_000000000000_${'A'.repeat(43)}`]) {
        const response = await h.call('POST', '/v1/scans', { key, body: { events: [] } });
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('unauthorized');
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
      const key = await h.key();
      expect((await h.call('GET', '/v1/ballots/x/y', { key })).status).toBe(404);
      await revokeApiKey(h.db.sql, key.split('_')[1]!);
      expect((await h.call('GET', '/v1/ballots/x/y', { key })).status).toBe(401);
    });

    it('answers 403 when the key lacks the scope', async () => {
      const readOnly = await h.key({ scopes: ['ballots:read'] });
      const response = await h.call('POST', '/v1/scans', {
        key: readOnly,
        body: { events: [scanItem(E, 'b-scope', 'outbound')] },
      });
      expect(response.status).toBe(403);
      expect(response.body.error).toMatchObject({ code: 'forbidden', message: stringContaining('scans:write') });
      expect((await h.call('PUT', `/v1/elections/${E}`, { key: readOnly, body: election() })).status).toBe(403);
    });

    it('puts a request ID on every response, errors included', async () => {
      const response = await h.call('GET', '/v1/ballots/x/y', { key: null, headers: { 'x-request-id': 'vendor-42' } });
      expect(response.headers.get('x-request-id')).toBe('vendor-42');
      expect(response.body.error.requestId).toBe('vendor-42');
    });
  });

  describe('PUT /v1/elections/{electionId}', () => {
    it('answers 201 when created, 200 when replaced, and starts the election clock workflow', async () => {
      const created = await h.call('PUT', '/v1/elections/primary-2099', {
        body: election({ name: 'Primary', cureReminderDaysBefore: [2], closesAt: '2099-12-01T17:00:00-08:00' }),
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        electionId: 'primary-2099',
        name: 'Primary',
        electionDay: '2099-11-03',
        cureReminderDaysBefore: [2],
        returnReminderDaysBefore: 5,
        closesAt: '2099-12-02T01:00:00.000Z',
      });
      const replaced = await h.call('PUT', '/v1/elections/primary-2099', {
        body: election({ name: 'Primary (final)' }),
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ name: 'Primary (final)', closesAt: null });
      const description = await eventually(() =>
        h.temporal.workflow.getHandle(electionWorkflowId('primary-2099')).describe(),
      );
      expect(description.status.name).toBe('RUNNING');
    });

    it('answers 400 with the reasons for a malformed election or ID', async () => {
      const bad = await h.call('PUT', '/v1/elections/x', {
        body: { name: '', electionDay: '2099-13-45', timezone: 'Mars/Olympus' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_request');
      expect(bad.body.error.message).toMatch(/name[\s\S]*electionDay[\s\S]*timezone/);
      expect((await h.call('PUT', '/v1/elections/has%20space', { body: election() })).status).toBe(400);
    });
  });

  describe('POST /v1/voters', () => {
    const voter = (overrides: Record<string, unknown> = {}) => ({
      voterId: 'V-1',
      county: 'ALA',
      firstName: 'Ana',
      lastName: 'García',
      dateOfBirth: '1980-02-29',
      zip: '94612',
      ...overrides,
    });

    it('upserts by voterId: accepted, then duplicate when identical, accepted again when changed, invalid when malformed', async () => {
      const first = await h.call('POST', '/v1/voters', { body: { voters: [voter(), voter({ voterId: 'V-2' })] } });
      expect(first.status).toBe(202);
      expect(first.body.results).toEqual([
        { index: 0, voterId: 'V-1', outcome: 'accepted' },
        { index: 1, voterId: 'V-2', outcome: 'accepted' },
      ]);
      const again = await h.call('POST', '/v1/voters', {
        body: { voters: [voter(), voter({ lastName: 'García López' }), { voterId: 'V-3', zip: 'abc' }, 42] },
      });
      expect(again.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
        'duplicate',
        'accepted',
        'invalid',
        'invalid',
      ]);
      expect(again.body.results[2]).toMatchObject({ voterId: 'V-3', error: { code: 'invalid_item' } });
      expect(again.body.results[2]?.error?.message).toMatch(/zip/);
      expect(again.body.summary).toEqual({ accepted: 1, duplicate: 1, invalid: 2 });
      const [row] = await h.db.sql`SELECT last_name FROM voters WHERE voter_id = 'V-1'`;
      expect(row!.last_name).toBe('García López');
    });

    it('refuses, per item with 403, voters outside the key counties; a voter of another county is answered as unknown and left alone', async () => {
      const alameda = await h.key({ scopes: ['voters:write'], counties: ['ALA'] });
      const response = await h.call('POST', '/v1/voters', {
        key: alameda,
        body: {
          voters: [voter({ voterId: 'V-10' }), voter({ voterId: 'V-11', county: 'SF' })],
        },
      });
      expect(response.body.results[0]?.outcome).toBe('accepted');
      expect(response.body.results[1]).toMatchObject({
        outcome: 'invalid',
        error: { code: 'county_forbidden', status: 403 },
      });
      await h.call('POST', '/v1/voters', { body: { voters: [voter({ voterId: 'V-12', county: 'SF' })] } });
      // Changed contract (issue 13): no existence oracle. The answer for another county's voter ID is
      // the answer for an unknown one (accepted), and nothing is written.
      const move = await h.call('POST', '/v1/voters', { key: alameda, body: { voters: [voter({ voterId: 'V-12' })] } });
      const unknown = await h.call('POST', '/v1/voters', {
        key: alameda,
        body: { voters: [voter({ voterId: 'V-never-seen' })] },
      });
      expect(move.body.results[0]).toEqual({ ...unknown.body.results[0], voterId: 'V-12' });
      expect(move.body.results[0]).toEqual({ index: 0, voterId: 'V-12', outcome: 'accepted' });
      const [row] = await h.db.sql`SELECT county FROM voters WHERE voter_id = 'V-12'`;
      expect(row!.county).toBe('SF');
    });
  });

  describe('POST /v1/ballots and GET /v1/ballots/{electionId}/{ballotId}', () => {
    it('records an issued ballot durably, forwards the issuance, and shows it', async () => {
      const response = await h.call('POST', '/v1/ballots', {
        body: {
          ballots: [
            { electionId: E, ballotId: 'B-1', voterId: 'V-1', county: 'ALA', imb: '00040123456789012345' },
            { electionId: E, ballotId: 'B-1', voterId: 'V-1', county: 'ALA', imb: '00040123456789012345' },
            { electionId: E, ballotId: 'B-1', voterId: 'V-99', county: 'ALA' },
            { electionId: 'no-such-election', ballotId: 'B-1', voterId: 'V-1', county: 'ALA' },
            { electionId: E, ballotId: 'B 1', voterId: 'V-1', county: 'ALA' },
          ],
        },
      });
      expect(response.status).toBe(202);
      expect(response.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
        'accepted',
        'duplicate',
        'invalid',
        'invalid',
        'invalid',
      ]);
      expect(response.body.results[2]?.error?.code).toBe('conflict');
      expect(response.body.results[3]?.error?.code).toBe('unknown_election');
      expect(response.body.results[4]?.error?.code).toBe('invalid_item');
      const again = await h.call('POST', '/v1/ballots', {
        body: {
          ballots: [{ electionId: E, ballotId: 'B-1', voterId: 'V-1', county: 'ALA', imb: '00040123456789012345' }],
        },
      });
      expect(again.body.results[0]?.outcome).toBe('duplicate');

      const view = await eventually(async () => {
        const found = await h.call('GET', `/v1/ballots/${E}/B-1`);
        return found.status === 200 && found.body.awaitingIssuance === false ? found.body : undefined;
      });
      expect(view).toMatchObject({
        electionId: E,
        ballotId: 'B-1',
        county: 'ALA',
        status: 'issued',
        events: [],
        notices: [],
      });
      expect(view).not.toHaveProperty('voterId');
    });

    it('answers 404 for a ballot nobody has heard of, and 400 for a malformed ID', async () => {
      const missing = await h.call('GET', `/v1/ballots/${E}/never-issued`);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
      expect((await h.call('GET', `/v1/ballots/${E}/${'x'.repeat(65)}`)).status).toBe(400);
    });
  });

  describe('POST /v1/scans', () => {
    it('accepts events, reports repeats as duplicate and malformed ones as invalid, and delivers them in order', async () => {
      await h.call('POST', '/v1/ballots', {
        body: { ballots: [{ electionId: E, ballotId: 'B-2', voterId: 'V-2', county: 'ALA' }] },
      });
      const outbound = scanItem(E, 'B-2', 'outbound', { expectedDeliveryDate: '2026-10-09', facilityZip: '94612' });
      const inbound = scanItem(E, 'B-2', 'inbound', { occurredAt: '2026-10-12T09:30:00-07:00' });
      const response = await h.call('POST', '/v1/scans', {
        body: {
          events: [
            outbound,
            outbound,
            { ...inbound },
            { ...scanItem(E, 'B-2', 'inbound'), occurredAt: '2026-10-12 09:30' },
            { ...scanItem(E, 'B-2', 'teleported') },
            'not an object',
          ],
        },
      });
      expect(response.status).toBe(202);
      expect(response.body.results).toMatchObject([
        { index: 0, eventId: outbound.eventId, outcome: 'accepted' },
        { index: 1, eventId: outbound.eventId, outcome: 'duplicate' },
        { index: 2, eventId: inbound.eventId, outcome: 'accepted' },
        { index: 3, outcome: 'invalid', error: { code: 'invalid_item', message: stringMatching(/occurredAt/) } },
        { index: 4, outcome: 'invalid', error: { code: 'invalid_item', message: stringMatching(/type/) } },
        { index: 5, outcome: 'invalid' },
      ]);
      const repeat = await h.call('POST', '/v1/scans', { body: { events: [inbound] } });
      expect(repeat.body.results[0]?.outcome).toBe('duplicate');

      const view = await untilEvents(E, 'B-2', [outbound.eventId, inbound.eventId]);
      expect(view.status).toBe('inbound');
      expect(view.events.map((event: { eventId: string }) => event.eventId)).toEqual([
        outbound.eventId,
        inbound.eventId,
      ]);
      expect(view.events[0]).toMatchObject({
        type: 'outbound',
        expectedDeliveryDate: '2026-10-09',
        outcome: 'applied',
      });
    });

    it('takes a reason only as a listed code of its scan type, and refuses free text with the codes', async () => {
      await h.call('POST', '/v1/ballots', {
        body: { ballots: [{ electionId: E, ballotId: 'B-reason', voterId: 'V-2', county: 'ALA' }] },
      });
      const response = await h.call('POST', '/v1/scans', {
        body: {
          events: [
            scanItem(E, 'B-reason', 'challenged', { reason: 'Signature does not match' }),
            scanItem(E, 'B-reason', 'challenged', { reason: 'voter_deceased' }),
            scanItem(E, 'B-reason', 'received', { reason: 'no_signature' }),
            scanItem(E, 'B-reason', 'challenged', { reason: 'signature_mismatch' }),
            scanItem(E, 'B-reason', 'rejected', { reason: 'voter_deceased' }),
          ],
        },
      });
      expect(response.status).toBe(202);
      expect(response.body.results).toMatchObject([
        {
          outcome: 'invalid',
          error: {
            code: 'invalid_item',
            message: stringMatching(
              /reason: not a challenged reason code; use one of no_signature, signature_mismatch/,
            ),
          },
        },
        { outcome: 'invalid', error: { code: 'invalid_item', message: stringMatching(/reason: not a challenged/) } },
        {
          outcome: 'invalid',
          error: { code: 'invalid_item', message: stringMatching(/a received scan carries no reason/) },
        },
        { outcome: 'accepted' },
        { outcome: 'accepted' },
      ]);
    });

    it("keeps each ballot's events in the order they were posted across many requests", async () => {
      await h.call('POST', '/v1/ballots', {
        body: { ballots: [{ electionId: E, ballotId: 'B-order', voterId: 'V-2', county: 'ALA' }] },
      });
      const posted: string[] = [];
      const types = ['outbound', 'undeliverable', 'outbound', 'inbound'];
      for (let batch = 0; batch < 5; batch += 1) {
        const events = Array.from({ length: 4 }, (_, i) => scanItem(E, 'B-order', types[i]!));
        posted.push(...events.map((event) => event.eventId));
        expect((await h.call('POST', '/v1/scans', { body: { events } })).status).toBe(202);
      }
      const view = await untilEvents(E, 'B-order', posted);
      expect(view.events.map((event: { eventId: string }) => event.eventId)).toEqual(posted);
    });

    it('lets several forwarders (API processes) share the outbox: every workflow ends at the status of record', async () => {
      const others = [1, 2].map(
        () =>
          new OutboxForwarder({
            sql: h.db.sql,
            temporal: h.temporal,
            taskQueue: h.taskQueue,
            logger,
            claimSize: 2,
            concurrency: 3,
            pollIntervalMs: 20,
          }),
      );
      for (const forwarder of others) await forwarder.start();
      try {
        const ballotIds = ['B-multi-0', 'B-multi-1', 'B-multi-2'];
        await h.call('POST', '/v1/ballots', {
          body: { ballots: ballotIds.map((ballotId) => ({ electionId: E, ballotId, voterId: 'V-2', county: 'ALA' })) },
        });
        const types = ['outbound', 'undeliverable', 'inbound', 'received'];
        await Promise.all(
          Array.from({ length: 8 }, async (_, request) => {
            await new Promise((resolve) => setTimeout(resolve, request * 15));
            const events = Array.from({ length: 9 }, (_, i) =>
              scanItem(E, ballotIds[i % 3]!, types[(request + i) % types.length]!),
            );
            expect((await h.call('POST', '/v1/scans', { body: { events } })).status).toBe(202);
          }),
        );
        for (const ballotId of ballotIds) {
          const record = (await ballotView(E, ballotId)).body;
          expect(record.status).toBe('received');
          const applied = record.events.filter((event: { outcome: string }) => event.outcome === 'applied');
          const view = await eventually(async () => {
            const state = await h.temporal.workflow.getHandle(workflowIdFor(E, ballotId)).query(statusQuery);
            return state.status === record.status ? state : undefined;
          });
          expect(view.eventsReceived).toBe(applied.length);
        }
        const [pending] = await h.db.sql<{ n: string }[]>`
          SELECT count(*) AS n FROM workflow_outbox WHERE forwarded_at IS NULL`;
        expect(Number(pending!.n)).toBe(0);
      } finally {
        await Promise.all(others.map((forwarder) => forwarder.stop()));
      }
    });

    it('accepts scans for a ballot whose issuance has not arrived; the workflow holds them until it does', async () => {
      const early = scanItem(E, 'B-early', 'outbound');
      expect((await h.call('POST', '/v1/scans', { body: { events: [early] } })).body.results[0]?.outcome).toBe(
        'accepted',
      );
      const waiting = await untilEvents(E, 'B-early', [early.eventId]);
      expect(waiting).toMatchObject({ awaitingIssuance: true, status: 'issued', county: null });
      expect(waiting.events[0]?.outcome).toBe('pending');
      await h.call('POST', '/v1/ballots', {
        body: { ballots: [{ electionId: E, ballotId: 'B-early', voterId: 'V-2', county: 'ALA' }] },
      });
      const issued = await eventually(async () => {
        const body = (await ballotView(E, 'B-early')).body;
        return body.status === 'outbound' ? body : undefined;
      });
      expect(issued).toMatchObject({ county: 'ALA', awaitingIssuance: false });
    });

    it('shows a closed ballot just like an open one', async () => {
      await h.call('POST', '/v1/ballots', {
        body: { ballots: [{ electionId: E, ballotId: 'B-done', voterId: 'V-2', county: 'ALA' }] },
      });
      const events = [scanItem(E, 'B-done', 'received'), scanItem(E, 'B-done', 'accepted')];
      await h.call('POST', '/v1/scans', { body: { events } });
      await eventually(async () => {
        const description = await h.temporal.workflow.getHandle(workflowIdFor(E, 'B-done')).describe();
        return description.status.name === 'COMPLETED' ? true : undefined;
      });
      const view = await ballotView(E, 'B-done');
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ status: 'accepted', county: 'ALA' });
      expect(view.body.events).toHaveLength(2);
      const late = scanItem(E, 'B-done', 'rejected');
      expect((await h.call('POST', '/v1/scans', { body: { events: [late] } })).body.results[0]).toMatchObject({
        outcome: 'accepted',
        effect: 'stale',
      });
      // Recorded, and nothing to forward: a final ballot's workflow is never woken again.
      expect(await h.db.sql`SELECT 1 FROM workflow_outbox WHERE event_id = ${late.eventId}`).toHaveLength(0);
      expect((await ballotView(E, 'B-done')).body.events.at(-1)).toMatchObject({
        eventId: late.eventId,
        outcome: 'stale',
      });
    });

    it('takes NDJSON: one event per line, results with line numbers in order', async () => {
      const a = scanItem(E, 'B-nd', 'outbound');
      const b = scanItem(E, 'B-nd', 'inbound');
      const body = [
        JSON.stringify(a),
        '',
        '{not json',
        JSON.stringify(a),
        JSON.stringify({ ...b, type: 'x' }),
        JSON.stringify(b),
      ].join('\n');
      const response = await h.call('POST', '/v1/scans', { raw: body, contentType: 'application/x-ndjson' });
      expect(response.status).toBe(202);
      expect(response.body.results).toEqual([
        { index: 0, line: 1, eventId: a.eventId, outcome: 'accepted', effect: 'pending' },
        { index: 1, line: 3, outcome: 'invalid', error: { code: 'invalid_json', message: anyString() } },
        { index: 2, line: 4, eventId: a.eventId, outcome: 'duplicate' },
        {
          index: 3,
          line: 5,
          eventId: b.eventId,
          outcome: 'invalid',
          error: objectContaining({ code: 'invalid_item' }),
        },
        { index: 4, line: 6, eventId: b.eventId, outcome: 'accepted', effect: 'pending' },
      ]);
      expect(response.body.summary).toEqual({ accepted: 2, duplicate: 1, invalid: 2 });
    });

    it('streams a large NDJSON body of 5,000 events, more than one JSON batch may hold', async () => {
      const lines = Array.from({ length: 5_000 }, (_, i) =>
        JSON.stringify(scanItem(E, `B-bulk-${i % 50}`, 'outbound')),
      );
      const response = await h.call('POST', '/v1/scans', {
        raw: lines.join('\n') + '\n',
        contentType: 'application/x-ndjson',
      });
      expect(response.status).toBe(202);
      expect(response.body.summary).toEqual({ accepted: 5_000, duplicate: 0, invalid: 0 });
      expect(response.body.results[4_999]).toMatchObject({ index: 4_999, line: 5_000 });
    });
  });

  describe('county scoping', () => {
    it('refuses per item (403) what lies outside the key counties, for ballots, scans and reads', async () => {
      await h.call('POST', '/v1/ballots', {
        body: {
          ballots: [
            { electionId: E, ballotId: 'B-sf', voterId: 'V-12', county: 'SF' },
            { electionId: E, ballotId: 'B-ala', voterId: 'V-1', county: 'ALA' },
          ],
        },
      });
      const alameda = await h.key({ counties: ['ALA'] });
      const ballots = await h.call('POST', '/v1/ballots', {
        key: alameda,
        body: {
          ballots: [
            { electionId: E, ballotId: 'B-ala-2', voterId: 'V-1', county: 'ALA' },
            { electionId: E, ballotId: 'B-sf-2', voterId: 'V-12', county: 'SF' },
          ],
        },
      });
      expect(ballots.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'invalid']);
      expect(ballots.body.results[1]?.error).toMatchObject({ code: 'county_forbidden', status: 403 });

      const scans = await h.call('POST', '/v1/scans', {
        key: alameda,
        body: {
          events: [
            scanItem(E, 'B-ala', 'outbound'),
            scanItem(E, 'B-sf', 'outbound'),
            scanItem(E, 'B-unknown', 'outbound'),
          ],
        },
      });
      // Changed contract (issue 13): another county's ballot is answered exactly as one never issued.
      expect(scans.body.results).toMatchObject([
        { outcome: 'accepted' },
        { outcome: 'invalid', error: { code: 'unknown_ballot', status: 403 } },
        { outcome: 'invalid', error: { code: 'unknown_ballot', status: 403 } },
      ]);
      expect(scans.body.results[1]?.error).toEqual(scans.body.results[2]?.error);
      const foreign = await ballotView(E, 'B-sf', alameda);
      const never = await ballotView(E, 'B-never', alameda);
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.message).not.toContain('SF');
      expect(never.status).toBe(404);
      await eventually(async () => ((await ballotView(E, 'B-ala', alameda)).status === 200 ? true : undefined));
    });
  });

  describe('limits', () => {
    it('answers 400 for a body that is not JSON, not the expected shape, empty, or over 1,000 items', async () => {
      const notJson = await h.call('POST', '/v1/scans', { raw: '{"events": [', contentType: 'application/json' });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.code).toBe('invalid_json');
      for (const body of [{}, { events: [] }, { events: 'x' }, [], { voters: [] }]) {
        const response = await h.call('POST', '/v1/scans', { body });
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe('invalid_request');
      }
      const tooMany = Array.from({ length: 1_001 }, () => scanItem(E, 'B-x', 'outbound'));
      expect((await h.call('POST', '/v1/scans', { body: { events: tooMany } })).status).toBe(400);
    });

    it('answers 413 for a body over the size limit', async () => {
      const response = await h.call('POST', '/v1/voters', {
        body: { voters: [{ voterId: 'x'.repeat(2 * 1024 * 1024) }] },
      });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });

    it('answers 415 for a body of another media type', async () => {
      const response = await h.call('POST', '/v1/scans', { raw: 'events', contentType: 'text/plain' });
      expect(response.status).toBe(415);
    });

    it('answers 429 with Retry-After once a key exceeds its rate', async () => {
      const slow = await h.key({ rateLimitPerMinute: 3 });
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof h.call>> | undefined;
      for (let i = 0; i < 5; i += 1) {
        const response = await h.call('GET', `/v1/ballots/${E}/B-1`, { key: slow });
        statuses.push(response.status);
        if (response.status === 429) limited = response;
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited!.body.error.code).toBe('rate_limited');
      expect((await h.call('GET', `/v1/ballots/${E}/B-1`)).status).toBe(200);
    });
  });

  describe('back-pressure and the development key', () => {
    async function withApp(
      overrides: { backlog?: () => Promise<number>; devKey?: string },
      run: (url: string) => Promise<void>,
    ) {
      const server = await startServer(
        createApp({
          logger,
          readiness: {},
          v1: {
            sql: h.db.sql,
            verifyKey: createKeyVerifier(h.db.sql, { devKey: overrides.devKey }),
            backlog: overrides.backlog ?? (() => Promise.resolve(0)),
            outboxWritten: () => {},
            rateLimitPerMinute: 100,
            maxBodyBytes: 1024 * 1024,
            maxBacklog: 10,
          },
        }),
        '127.0.0.1',
        0,
      );
      try {
        await run(server.url);
      } finally {
        await server.stop();
      }
    }

    it('answers 503 with Retry-After and records nothing while forwarding is behind', async () => {
      await withApp({ backlog: () => Promise.resolve(11) }, async (url) => {
        const event = scanItem(E, 'B-bp', 'outbound');
        const response = await fetch(`${url}/v1/scans`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [event] }),
        });
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('30');
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('backlog');
        const rows = await h.db.sql`SELECT 1 FROM workflow_outbox WHERE event_id = ${event.eventId}`;
        expect(rows).toHaveLength(0);
      });
    });

    it('lets the development key do everything when configured, and nothing otherwise', async () => {
      const devKey = 'local-dev-key-0123456789';
      await withApp({ devKey }, async (url) => {
        const response = await fetch(`${url}/v1/ballots/${E}/B-1`, { headers: { authorization: `Bearer ${devKey}` } });
        expect(response.status).toBe(200);
      });
      expect((await h.call('GET', `/v1/ballots/${E}/B-1`, { key: devKey })).status).toBe(401);
    });
  });

  it('exposes the outbox backlog and the ballots with stuck notices as metrics', async () => {
    const metrics = await h.call('GET', '/metrics', { key: null });
    expect(metrics.text).toMatch(/^outbox_pending_rows \d+$/m);
    expect(metrics.text).toMatch(/^ballots_with_stuck_notices\{problem="retrying"\} 0$/m);
    expect(metrics.text).toMatch(/^ballots_with_stuck_notices\{problem="paused"\} 0$/m);
  });

  describe('documentation', () => {
    it('serves an OpenAPI 3.1 document generated from the request schemas, and a docs page', async () => {
      const doc = await h.call('GET', '/v1/openapi.json', { key: null });
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/elections/{electionId}',
          '/v1/voters',
          '/v1/ballots',
          '/v1/scans',
          '/v1/ballots/{electionId}/{ballotId}',
          '/v1/counties',
          '/v1/counties/{county}',
          '/v1/counties/{county}/texts',
          '/v1/counties/{county}/texts/{path}/{language}',
          '/v1/counties/{county}/texts/{path}/{language}/review',
        ]),
      );
      expect(doc.body.components.schemas.ScanEvent?.properties.type?.enum).toContain('voted_in_person');
      expect(doc.body.components.schemas.ScanEvent?.properties.type?.enum).toContain('collected');
      expect(doc.body.components.schemas.ScanEvent?.properties.reason?.description).toMatch(
        /challenged: no_signature, signature_mismatch, id_required/,
      );
      expect(doc.body.components.schemas.ScanEvent?.required).toEqual(
        expect.arrayContaining(['eventId', 'electionId', 'ballotId', 'type', 'occurredAt']),
      );
      const page = await h.call('GET', '/v1/docs', { key: null });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      // The reference renders in the browser (test/e2e/api-reference.test.ts finds every path on it):
      // here, its scripts come from this API, under the page's own policy.
      expect(page.text).toContain('<script src="/v1/docs/scalar.js"></script>');
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
      const bundle = await h.call('GET', '/v1/docs/scalar.js', { key: null });
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      expect(bundle.text).toContain('createApiReference');
      const init = await h.call('GET', '/v1/docs/init.js', { key: null });
      expect(init.text).toContain('"url":"/v1/openapi.json"');
    });
  });
});
