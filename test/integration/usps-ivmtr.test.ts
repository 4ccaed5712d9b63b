/**
 * USPS IV-MTR feeds end to end: a JSON push and a pipe-delimited file with outbound and return scans
 * move ballots through outbound, inbound and received (in PostgreSQL and in the ballot workflows);
 * scans of barcodes not yet issued wait and apply at issuance; re-sent scans are duplicates; county
 * keys learn nothing about other counties' barcodes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { noticeFacts } from '../../db/ballot-records.js';
import { importFile } from '../../ingest/import.js';
import { operationTableSchema } from '../../ingest/parsers/imb.js';
import { defaultOperationTable, ingestIvmtr } from '../../ingest/usps.js';
import { OPERATOR } from '../../domain/principal.js';
import { FALLBACK_TIME_ZONE } from '../../config/env.js';
import { statusQuery, workflowIdFor } from '../../workflows/ballot.js';
import { election, eventually, startApiHarness, type ApiHarness } from './api-harness.js';
import { runCliProcess } from '../helpers/cli-process.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/imports/${name}`, import.meta.url));
const JSON_FEED = JSON.parse(readFileSync(fixture('ivmtr-scans.json'), 'utf8')) as { events: unknown[] };
const PIPE_FEED = readFileSync(fixture('ivmtr-scans.txt'), 'utf8');

const OUT1 = '0004012345610000000194612123456';
const RET1 = '0070098765410000000195814';
const OUT2 = '0004012345610000000294612123456';
const RET2 = '00700987654100000002';

describe('USPS IV-MTR feeds', () => {
  let h: ApiHarness;
  const E = 'usps-json-2099';
  const E2 = 'usps-pipe-2099';

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress') });
    for (const id of [E, E2])
      expect((await h.call('PUT', `/v1/elections/${id}`, { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
  });

  const issue = (electionId: string, ballotId: string, imb: string, returnImb: string, county = 'sacramento') =>
    h.call('POST', '/v1/ballots', {
      body: { ballots: [{ electionId, ballotId, voterId: `V-${ballotId}`, county, imb, returnImb }] },
    });
  const push = (electionId: string, body: unknown, options: { key?: string; raw?: string } = {}) =>
    h.call('POST', `/v1/usps/ivmtr?electionId=${electionId}`, {
      ...(options.key ? { key: options.key } : {}),
      ...(options.raw !== undefined ? { raw: options.raw, contentType: 'text/plain' } : { body }),
    });
  const ballot = async (electionId: string, ballotId: string) =>
    (await h.call('GET', `/v1/ballots/${electionId}/${ballotId}`)).body;
  /** The ballot's workflow reaches the status with this many events. */
  const workflowSees = (electionId: string, ballotId: string, status: string, events: number) =>
    eventually(async () => {
      const state = await h.temporal.workflow.getHandle(workflowIdFor(electionId, ballotId)).query(statusQuery);
      return state.status === status && state.eventsReceived === events ? state : undefined;
    });

  describe('a JSON push', () => {
    it('moves a ballot through outbound, inbound and received from its two envelopes, one result per record', async () => {
      expect((await issue(E, 'B-1', OUT1, RET1)).body.results[0]?.outcome).toBe('accepted');
      const response = await push(E, JSON_FEED);
      expect(response.status).toBe(202);
      const results = response.body.results as unknown as Record<string, unknown>[];
      expect(results.map((r) => [r.outcome, r.effect ?? (r.error as { code: string } | undefined)?.code])).toEqual([
        ['accepted', 'applied'], // outbound IMb, 919: in transit to the voter
        ['accepted', 'recorded'], // outbound IMb, 976: delivered (a fact)
        ['accepted', 'applied'], // return IMb, 271: on the way back
        ['accepted', 'applied'], // return IMb, 976: delivered to the county
        ['accepted', 'pending'], // barcodes no ballot carries yet
        ['accepted', 'pending'],
        ['duplicate', undefined], // the first record again
        ['invalid', 'invalid_record'],
        ['invalid', 'unknown_operation'],
        ['accepted', 'ignored'], // a sorting scan the table ignores
      ]);
      expect(results[0]).toMatchObject({ ballotId: 'B-1', envelope: 'outbound', type: 'outbound', line: 1 });
      expect(results[2]).toMatchObject({ ballotId: 'B-1', envelope: 'return', type: 'inbound' });
      expect(results[3]).toMatchObject({ ballotId: 'B-1', envelope: 'return', type: 'received' });
      expect(results[7]).toMatchObject({ error: { message: expect.stringContaining('imb') as unknown } });
      expect(response.body.summary).toEqual({ accepted: 7, duplicate: 1, invalid: 2 });

      const view = await ballot(E, 'B-1');
      expect(view.status).toBe('received');
      expect(view.events.map((e) => [e.type, e.outcome, e.occurredAt])).toEqual([
        ['outbound', 'applied', '2099-10-06T21:03:27.000Z'], // Oakland, PDT
        ['inbound', 'applied', '2099-10-12T12:15:00.000Z'], // New York, EDT
        ['received', 'applied', '2099-10-14T17:00:00.000Z'],
      ]);
      expect(view.events[0]).toMatchObject({
        source: 'usps-ivmtr',
        facilityZip: '94612',
        expectedDeliveryDate: '2099-10-07',
      });
      expect((view as unknown as { mail: unknown }).mail).toEqual({
        deliveredAt: '2099-10-07T18:00:00.000Z',
        expectedDeliveryDate: '2099-10-07',
      });
      await workflowSees(E, 'B-1', 'received', 3);
      expect(await noticeFacts(h.db.sql, E, 'B-1', 'outbound')).toMatchObject({ expectedDeliveryDate: '2099-10-07' });
    });

    it('keeps scans of barcodes not yet issued and applies them when the ballot with those IMbs is issued', async () => {
      expect((await h.call('GET', `/v1/ballots/${E}/B-2`)).status).toBe(404);
      expect((await issue(E, 'B-2', OUT2, RET2)).body.results[0]?.outcome).toBe('accepted');
      const view = await ballot(E, 'B-2');
      expect(view.status).toBe('inbound');
      expect(view.events.map((e) => [e.type, e.outcome, e.occurredAt])).toEqual([
        ['outbound', 'applied', '2099-10-10T12:00:00.000Z'],
        ['inbound', 'applied', '2099-10-20T16:00:00.000Z'], // Phoenix: no daylight time
      ]);
      // Saturday's destination scan: delivery on Monday (no Sunday delivery).
      expect(view.events[0]?.expectedDeliveryDate).toBe('2099-10-12');
      await workflowSees(E, 'B-2', 'inbound', 2);
      expect(await noticeFacts(h.db.sql, E, 'B-2', 'outbound')).toMatchObject({ expectedDeliveryDate: '2099-10-12' });
      const [left] = await h.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM usps_scans WHERE election_id = ${E} AND ballot_id IS NULL`;
      expect(left!.n).toBe(0);
    });

    it('answers duplicate for every scan sent again, as JSON or as the pipe file', async () => {
      const again = await push(E, JSON_FEED);
      expect(again.body.summary).toEqual({ accepted: 1, duplicate: 7, invalid: 2 });
      const piped = await push(E, undefined, { raw: PIPE_FEED });
      expect(piped.status).toBe(202);
      expect(piped.body.summary).toEqual({ accepted: 1, duplicate: 7, invalid: 3 });
      expect(piped.body.results[10]).toMatchObject({ line: 12, outcome: 'invalid', error: { code: 'invalid_record' } });
      expect((await ballot(E, 'B-1')).events).toHaveLength(3);
    });
  });

  describe('the CLI import (pipe-delimited file)', () => {
    it('moves ballots the same way, keeps orphans for a later issuance, and a second run is all duplicates', async () => {
      expect((await issue(E2, 'P-1', OUT1, RET1)).body.results[0]?.outcome).toBe('accepted');
      const operations = defaultOperationTable(FALLBACK_TIME_ZONE);
      const problems: { line: number; code?: string }[] = [];
      const summary = await importFile({
        sql: h.db.sql,
        kind: 'ivmtr',
        file: fixture('ivmtr-scans.txt'),
        format: 'pipe',
        operations,
        electionId: E2,
        onProblem: (problem) => problems.push(problem),
      });
      expect(summary).toMatchObject({ accepted: 7, duplicate: 1, invalid: 3, skipped: 1, lines: 12 });
      expect(summary.effects).toEqual({ applied: 3, recorded: 1, pending: 2, ignored: 1 });
      expect(problems.map((p) => [p.line, p.code])).toEqual([
        [8, undefined],
        [9, 'invalid_record'],
        [10, 'unknown_operation'],
        [12, 'invalid_record'],
      ]);
      expect((await ballot(E2, 'P-1')).status).toBe('received');

      expect((await issue(E2, 'P-2', OUT2, RET2)).body.results[0]?.outcome).toBe('accepted');
      expect((await ballot(E2, 'P-2')).status).toBe('inbound');
      await workflowSees(E2, 'P-1', 'received', 3);
      await workflowSees(E2, 'P-2', 'inbound', 2);

      const again = await importFile({
        sql: h.db.sql,
        kind: 'ivmtr',
        file: fixture('ivmtr-scans.json'),
        format: 'json',
        operations,
        electionId: E2,
      });
      expect(again).toMatchObject({ accepted: 1, duplicate: 7, invalid: 2 });
    });
  });

  describe('legacy IMb tracing rows', () => {
    it("find the return IMb too, and the open election's ballot when a closed one reused the barcode", async () => {
      const [OLD, NEW] = ['usps-old-2020', 'usps-new-2099'];
      const closed = election({ electionDay: '2020-11-03', closesAt: '2020-12-04T17:00:00-08:00' });
      expect((await h.call('PUT', `/v1/elections/${OLD}`, { body: closed })).status).toBe(201);
      expect((await h.call('PUT', `/v1/elections/${NEW}`, { body: election() })).status).toBe(201);
      const [code, returnCode] = ['00040123456100000777', '00700987654100000777'];
      expect((await issue(OLD, 'O-1', code, '00700987654100000666')).body.results[0]?.outcome).toBe('accepted');
      expect((await issue(NEW, 'N-1', code, returnCode)).body.results[0]?.outcome).toBe('accepted');
      const file = join(mkdtempSync(join(tmpdir(), 'imb-')), 'tracing.txt');
      writeFileSync(
        file,
        `94612|919|2099-10-06 14:03:27|94612|${code}\n94612|271|2099-10-12 08:15:00|94612|${returnCode}\n`,
      );
      const operations = operationTableSchema(FALLBACK_TIME_ZONE).parse(
        JSON.parse(readFileSync(fixture('usps-operations.json'), 'utf8')),
      );
      const summary = await importFile({ sql: h.db.sql, kind: 'scans', file, format: 'imb', operations });
      expect(summary).toMatchObject({ accepted: 2, invalid: 0 });
      expect((await ballot(NEW, 'N-1')).status).toBe('inbound');
      expect((await ballot(OLD, 'O-1')).events).toEqual([]);
    });
  });

  describe('npm run cli -- import ivmtr', () => {
    const E3 = 'usps-cli-2099';
    const cli = (...args: string[]) =>
      runCliProcess(args, {
        DATABASE_URL: h.db.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: h.taskQueue,
      });

    it('imports the JSON file with the repository table, listing each problem by record, and needs --election', async () => {
      expect((await h.call('PUT', `/v1/elections/${E3}`, { body: election() })).status).toBe(201);
      expect((await issue(E3, 'C-1', OUT1, RET1)).body.results[0]?.outcome).toBe('accepted');
      const run = await cli('import', 'ivmtr', fixture('ivmtr-scans.json'), '--election', E3);
      expect(run.stdout).toMatch(/accepted\s+7/);
      expect(run.stdout).toMatch(/applied\s+3/);
      expect(run.stdout).toMatch(/pending\s+2/);
      expect(run.stdout).toMatch(/line 7: duplicate/);
      expect(run.stdout).toMatch(/line 8: invalid \(invalid_record\): imb/);
      expect(run.stdout).toMatch(/line 9: invalid \(unknown_operation\)/);
      expect(run.code).toBe(2);
      expect((await ballot(E3, 'C-1')).status).toBe('received');
      await workflowSees(E3, 'C-1', 'received', 3);

      const missing = await cli('import', 'ivmtr', fixture('ivmtr-scans.json'));
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      expect(missing.stderr).toContain('--election');
    });
  });

  describe('a scan arriving while its ballot is being issued', () => {
    it('is never left behind as an orphan: it applies whichever transaction commits first', async () => {
      const codes = Array.from({ length: 12 }, (_, i) => `0004012345620000${String(i).padStart(4, '0')}`);
      await Promise.all(
        codes.flatMap((code, i) => [
          push(E, {
            events: [{ imb: code, scanDatetime: '2099-10-06 18:00:00', opCode: '919', scanFacilityZip: '94612' }],
          }),
          issue(E, `R-${i}`, code, `0070098765420000${String(i).padStart(4, '0')}`),
        ]),
      );
      const [orphans] = await h.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM usps_scans WHERE election_id = ${E} AND ballot_id IS NULL
          AND tracking_code = ANY(${codes}::text[])`;
      expect(orphans!.n).toBe(0);
      for (let i = 0; i < codes.length; i += 1) expect((await ballot(E, `R-${i}`)).status).toBe('outbound');
    });

    it('waits for an issuance holding its barcode, then finds the ballot instead of keeping an orphan', async () => {
      const code = '00040123456300000001';
      const issuing = postgres(h.db.url, { max: 1, onnotice: () => {} });
      try {
        let committed = false;
        const scanned = issuing.begin(async (tx) => {
          // The issuing transaction: its ballot row is written (the trigger takes the barcode's lock).
          await tx`INSERT INTO ballots (election_id, ballot_id, voter_id, county, imb)
                   VALUES (${E}, 'L-1', 'V-L-1', 'sacramento', ${code})`;
          const push = ingestIvmtr(
            h.db.sql,
            OPERATOR,
            E,
            [{ imb: code, scanDatetime: '2099-10-06 18:00:00', opCode: '919', scanFacilityZip: '94612' }],
            defaultOperationTable(FALLBACK_TIME_ZONE),
          ).then((results) => ({ results, afterCommit: committed }));
          await new Promise((resolve) => setTimeout(resolve, 300));
          committed = true;
          return { push }; // not awaited here: the scan waits for this transaction to commit
        });
        const { results, afterCommit } = await (await scanned).push;
        expect(afterCommit).toBe(true);
        expect(results[0]).toMatchObject({ outcome: 'accepted', ballotId: 'L-1', effect: 'applied' });
      } finally {
        await issuing.end();
      }
    });
  });

  describe('county keys', () => {
    it("get the same answer for another county's barcode as for an unknown one, and take their own", async () => {
      const alameda = await h.key({ counties: ['ALA'] });
      const scan = (imb: string) => ({
        events: [{ imb, scanDatetime: '2099-10-06 18:00:00', opCode: '919', scanFacilityZip: '94612' }],
      });
      const foreign = await push(E, scan(OUT1), { key: alameda });
      const unknown = await push(E, scan('00040123456199999999'), { key: alameda });
      expect(foreign.status).toBe(202);
      expect(foreign.body.results[0]).toMatchObject({
        outcome: 'invalid',
        error: { code: 'unknown_barcode', status: 403 },
      });
      expect(foreign.body.results[0]?.error).toEqual(unknown.body.results[0]?.error);
      expect(JSON.stringify(foreign.body.results[0])).not.toContain('B-1');
      const [orphans] = await h.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM usps_scans WHERE tracking_code = '00040123456199999999'`;
      expect(orphans!.n).toBe(0);

      expect(
        (await issue(E, 'A-1', '00040123456100000301', '00700987654100000301', 'ALA')).body.results[0]?.outcome,
      ).toBe('accepted');
      const own = await push(E, scan('00040123456100000301'), { key: alameda });
      expect(own.body.results[0]).toMatchObject({ outcome: 'accepted', effect: 'applied', ballotId: 'A-1' });
    });
  });

  describe('two barcodes per ballot', () => {
    it('refuses a tracking code already on either envelope of another ballot of the election', async () => {
      const conflict = (r: { body: { results: { outcome: string; error?: { code: string } }[] } }) =>
        r.body.results.map((result) => result.error?.code ?? result.outcome);
      expect(conflict(await issue(E, 'X-1', RET1, '00700987654100000901'))).toEqual(['imb_conflict']);
      expect(conflict(await issue(E, 'X-2', '00040123456100000902', OUT1))).toEqual(['imb_conflict']);
      const batch = await h.call('POST', '/v1/ballots', {
        body: {
          ballots: [
            { electionId: E, ballotId: 'X-3', voterId: 'V-X3', county: 'sacramento', imb: '00040123456100000903' },
            {
              electionId: E,
              ballotId: 'X-4',
              voterId: 'V-X4',
              county: 'sacramento',
              returnImb: '00040123456100000903',
            },
          ],
        },
      });
      expect(conflict(batch)).toEqual(['accepted', 'imb_conflict']);
      // The same issuance again is a duplicate (both barcodes compared); a changed return IMb a conflict.
      expect(conflict(await issue(E, 'B-1', OUT1, RET1))).toEqual(['duplicate']);
      expect(conflict(await issue(E, 'B-1', OUT1, '00700987654100000999'))).toEqual(['conflict']);
      // PostgreSQL holds the rule too, for any writer: a code on another ballot's other envelope is refused.
      await expect(
        h.db.sql`INSERT INTO ballots (election_id, ballot_id, voter_id, county, return_imb)
                 VALUES (${E}, 'X-6', 'V-X6', 'sacramento', ${OUT1})`,
      ).rejects.toThrow(/tracking code already on another ballot/);
      await expect(
        h.db.sql`INSERT INTO ballots (election_id, ballot_id, voter_id, county, imb, return_imb)
                 VALUES (${E}, 'X-7', 'V-X7', 'sacramento', '00040123456100000907', '0004012345610000090794612')`,
      ).rejects.toThrow(/same tracking code on both envelopes/);
      // Another election may reuse the codes (they are unique per election).
      expect(conflict(await issue(E2, 'X-5', '00040123456100000903', '00700987654100000903'))).toEqual(['accepted']);
    });
  });

  describe('requests', () => {
    it('needs the election, a known election, scans:write and a JSON or text body', async () => {
      const missing = await h.call('POST', '/v1/usps/ivmtr', { body: JSON_FEED });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain('electionId');
      const unknown = await push('no-such-election', JSON_FEED);
      expect(unknown.status).toBe(202);
      expect(unknown.body.results.every((r) => r.error?.code === 'unknown_election')).toBe(true);
      const readOnly = await h.key({ scopes: ['ballots:read'] });
      expect((await push(E, JSON_FEED, { key: readOnly })).status).toBe(403);
      const xml = await h.call('POST', `/v1/usps/ivmtr?electionId=${E}`, {
        raw: '<x/>',
        contentType: 'application/xml',
      });
      expect(xml.status).toBe(415);
      const empty = await push(E, { events: [] });
      expect(empty.status).toBe(400);
    });
  });
});
