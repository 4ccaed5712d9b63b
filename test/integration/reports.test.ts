/**
 * The county reports, after a small election run as `npm start` runs it: the vendor API, the
 * forwarder, the ballot workflows and the real senders against the sandbox providers. Notices are
 * sent, refused (an invalid number, a number that opted out at the carrier) and reported undelivered
 * by a status callback; one voter has no subscription; a ballot is challenged, another undeliverable;
 * another county runs beside it. Each report's totals agree with the notice ledger and the
 * subscription tables, CSV says what JSON says, the CLI what the API says, a county key sees only its
 * county, and bad parameters are refused with a code.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { saveCounty } from '../../db/counties.js';
import { pauseDelivery } from '../../db/delivery-pauses.js';
import { inReportTransaction, isStatementTimeout } from '../../db/reports.js';
import { addDays, localDate } from '../../domain/zoned-time.js';
import { advanceDeliveryStatus } from '../../delivery/ledger.js';
import { OPERATOR } from '../../domain/principal.js';
import { REPORT_NAMES, runReport, type ReportResult, type ReportRow } from '../../reports/reports.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const E = 'e-reports';
const ZONE = 'America/Los_Angeles';
const today = () => localDate(Date.now(), ZONE);
/** A range around today, so the test does not depend on the hour it runs. */
const range = () => `from=${addDays(today(), -1)}&to=${addDays(today(), 1)}`;

/** RFC 4180 as `toCsv` writes it (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i += 1;
    } else if (quoted && ch === '"') {
      quoted = false;
    } else if (quoted) {
      cell += ch;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else {
      cell += ch;
    }
  }
  return rows;
}

/** The JSON rows as CSV cells: null is empty, numbers as written. */
const asCells = (result: ReportResult) => [
  [...result.columns],
  ...result.rows.map((row) => result.columns.map((c) => (row[c] === null ? '' : String(row[c])))),
];

const sum = (rows: ReportRow[], column: string, where: (row: ReportRow) => boolean = () => true) =>
  rows.filter(where).reduce((total, row) => total + Number(row[column]), 0);

describe('county reports', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;
  let sacramentoKey: string;

  async function post(path: string, body: unknown): Promise<void> {
    const answer = await h.call('POST', path, { body });
    expect(answer.status, answer.text).toBe(202);
    expect(answer.body.summary.invalid, answer.text).toBe(0);
  }

  async function report(name: string, query: string, key?: string): Promise<ReportResult> {
    const answer = await h.call('GET', `/v1/reports/${name}?${query}`, key ? { key } : {});
    expect(answer.status, answer.text).toBe(200);
    return answer.body as unknown as ReportResult;
  }

  /** A voter on the roll; with contacts, a subscription in `language` contactable at any hour. */
  async function voter(
    voterId: string,
    county: string,
    contacts: { channel: string; address: string; verified?: boolean }[],
    language = 'en',
  ): Promise<void> {
    await post('/v1/voters', {
      voters: [{ voterId, county, firstName: 'Ana', lastName: 'Reyes', dateOfBirth: '1970-01-01', zip: '95814' }],
    });
    if (contacts.length === 0) return;
    const [subscription] = await h.db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
      VALUES (${voterId}, ${language}, '00:00', '00:00', 'UTC') RETURNING subscription_id`;
    for (const c of contacts) {
      await h.db.sql`
        INSERT INTO contacts (subscription_id, channel, address, verified_at)
        VALUES (${subscription!.subscription_id}, ${c.channel}, ${c.address}, ${c.verified === false ? null : new Date()})`;
    }
  }

  async function ballot(
    ballotId: string,
    voterId: string,
    county: string,
    ...scans: [string, Record<string, unknown>?][]
  ) {
    await post('/v1/ballots', { ballots: [{ electionId: E, ballotId, voterId, county }] });
    for (const [type, extra] of scans) await post('/v1/scans', { events: [scanItem(E, ballotId, type, extra)] });
  }

  /** Waits until the ledger holds `count` finished rows (sent, failed, skipped) for the ballot. */
  async function settled(ballotId: string, count: number): Promise<void> {
    await eventually(async () => {
      const [row] = await h.db.sql<{ n: string }[]>`
          SELECT count(*) AS n FROM notice_deliveries
          WHERE election_id = ${E} AND ballot_id = ${ballotId} AND state IN ('sent', 'failed', 'skipped')`;
      return Number(row!.n) >= count ? true : undefined;
    }, 60_000);
  }

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery } });
    await saveCounty(h.db.sql, {
      county: 'sacramento',
      name: 'Sacramento County Elections',
      phone: '(916) 875-6451',
      url: 'https://elections.saccounty.example',
      cureUrl: 'https://elections.saccounty.example/cure',
      timezone: ZONE,
      emailFrom: null,
    });
    await seedCounty(h.db.sql, 'yolo');
    expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
    sacramentoKey = await h.key({ counties: ['sacramento'] });

    // Sacramento: a voter told by SMS and email in Spanish, then challenged (the cure notice).
    await voter(
      'V-ok',
      'sacramento',
      [
        { channel: 'sms', address: '+19165550301' },
        { channel: 'email', address: 'ok@example.org' },
      ],
      'es',
    );
    await ballot('B-ok', 'V-ok', 'sacramento', ['received']);
    await settled('B-ok', 2);
    await post('/v1/scans', { events: [scanItem(E, 'B-ok', 'challenged', { reason: 'signature_mismatch' })] });
    await settled('B-ok', 4);
    // An invalid number (refused for good), and a number that opted out at the carrier (21610).
    await voter('V-invalid', 'sacramento', [{ channel: 'sms', address: '+15005550001' }]);
    await ballot('B-invalid', 'V-invalid', 'sacramento', ['received']);
    await voter('V-stopped', 'sacramento', [{ channel: 'sms', address: '+15005550004' }], 'vi');
    await ballot('B-stopped', 'V-stopped', 'sacramento', ['received']);
    // No subscription: challenged, nobody to tell. Another ballot came back undeliverable.
    await voter('V-none', 'sacramento', []);
    await ballot('B-none', 'V-none', 'sacramento', ['outbound'], ['challenged', { reason: 'no_signature' }]);
    await voter('V-undeliverable', 'sacramento', []);
    await ballot('B-undeliverable', 'V-undeliverable', 'sacramento', ['outbound'], ['undeliverable']);
    // A contact never confirmed, and a subscription that ended.
    await voter('V-pending', 'sacramento', [{ channel: 'email', address: 'pending@example.org', verified: false }]);
    await voter('V-left', 'sacramento', [{ channel: 'sms', address: '+19165550302' }]);
    await h.db.sql`
      UPDATE subscriptions SET status = 'unsubscribed', updated_at = now() WHERE voter_id = 'V-left'`;
    // Yolo, beside it: sent notices and a challenge Sacramento must never see.
    await voter('V-yolo', 'yolo', [{ channel: 'sms', address: '+15305550303' }]);
    await ballot('B-yolo', 'V-yolo', 'yolo', ['received'], ['challenged', { reason: 'no_signature' }]);
    await settled('B-invalid', 1);
    await settled('B-stopped', 1);
    await settled('B-yolo', 1);

    // The carrier reports one of the texts undelivered (a status callback).
    const [sms] = await h.db.sql<{ provider_message_id: string }[]>`
      SELECT provider_message_id FROM notice_deliveries
      WHERE ballot_id = 'B-ok' AND notice_key = 'received#0' AND channel = 'sms'`;
    await h.db.sql.begin((tx) =>
      advanceDeliveryStatus(tx, 'twilio', {
        providerMessageId: sms!.provider_message_id,
        status: 'undelivered',
        providerStatus: 'undelivered',
        errorCode: 30003,
        correlation: {},
      }),
    );
    // A notice held by a paused county for two hours (delivery problem).
    await ballot('B-paused', 'V-none', 'sacramento');
    await h.db.sql`
      INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, message_key, language, state,
                                     attempts, error_code, created_at)
      VALUES (${E}, 'B-paused', 'outbound#0', 'email', 'status.outbound', 'en', 'pending', 3,
              'CountyNotConfigured', now() - interval '2 hours')`;
    await pauseDelivery(h.db.sql, { county: 'sacramento', channel: 'email' }, 'CountyNotConfigured');
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  it('the ledger knows each notice’s county (migration 0012 fills it on insert)', async () => {
    const rows = await h.db.sql<{ county: string | null }[]>`
      SELECT DISTINCT county FROM notice_deliveries WHERE election_id = ${E} ORDER BY county`;
    expect(rows.map((r) => r.county)).toEqual(['sacramento', 'yolo']);
  });

  it('notices: per day, status, channel, language and outcome, the totals of the ledger', async () => {
    const result = await report('notices', `county=sacramento&electionId=${E}&${range()}`);
    expect(result).toMatchObject({ report: 'notices', county: 'sacramento', electionId: E, timeZone: ZONE });
    const ledger = await h.db.sql<{ outcome: string; channel: string; n: string }[]>`
      SELECT CASE WHEN state IN ('sent', 'failed', 'skipped') THEN state
                  WHEN error_code IS NOT NULL THEN 'retrying' ELSE 'sending' END AS outcome, channel, count(*) AS n
      FROM notice_deliveries n JOIN ballots b USING (election_id, ballot_id)
      WHERE b.county = 'sacramento' AND election_id = ${E} GROUP BY 1, 2`;
    expect(ledger.length).toBeGreaterThan(2);
    for (const { outcome, channel, n } of ledger) {
      expect(
        sum(result.rows, 'notices', (r) => r.outcome === outcome && r.channel === channel),
        `${outcome} ${channel}`,
      ).toBe(Number(n));
    }
    expect(sum(result.rows, 'notices')).toBe(ledger.reduce((total, r) => total + Number(r.n), 0));
    expect(result.rows).toContainEqual(
      expect.objectContaining({
        day: today(),
        status: 'challenged',
        notice: 'status',
        channel: 'email',
        language: 'es',
        outcome: 'sent',
        notices: 1,
      }),
    );
    expect(result.rows).toContainEqual(
      expect.objectContaining({
        status: 'received',
        channel: 'sms',
        language: 'es',
        outcome: 'sent',
        deliveryStatus: 'undelivered',
      }),
    );
    expect(result.rows).toContainEqual(
      expect.objectContaining({ status: 'received', channel: 'sms', language: 'vi', outcome: 'failed' }),
    );
    expect(result.rows.every((r) => r.county === 'sacramento')).toBe(true);
  });

  it('failures: failed notices with their error class, delivery failures, opt-outs and unsubscribes', async () => {
    const result = await report('failures', `county=sacramento&${range()}`);
    const kinds = (kind: string) => result.rows.filter((r) => r.kind === kind);
    expect(
      kinds('notice_failed')
        .map((r) => [r.channel, r.detail, r.count])
        .sort(),
    ).toEqual([
      ['sms', 'InvalidRecipient', 1],
      ['sms', 'RecipientOptedOut', 1],
    ]);
    expect(kinds('delivery_failed')).toEqual([
      expect.objectContaining({ channel: 'sms', detail: 'undelivered 30003', count: 1, electionId: E }),
    ]);
    expect(kinds('notice_retrying')).toEqual([
      expect.objectContaining({ channel: 'email', detail: 'CountyNotConfigured', count: 1 }),
    ]);
    const [failed] = await h.db.sql<{ n: string }[]>`
      SELECT count(*) AS n FROM notice_deliveries WHERE county = 'sacramento' AND state = 'failed'`;
    expect(sum(kinds('notice_failed'), 'count')).toBe(Number(failed!.n));
    // The carrier's opt-out switched the contact off; the tables say the same.
    const [optedOut] = await h.db.sql<{ n: string }[]>`
      SELECT count(*) AS n FROM contacts c JOIN subscriptions s USING (subscription_id) JOIN voters v USING (voter_id)
      WHERE v.county = 'sacramento' AND c.opted_out_at IS NOT NULL`;
    expect(Number(optedOut!.n)).toBe(1);
    expect(kinds('opt_out')).toEqual([
      expect.objectContaining({ channel: 'sms', count: 1, electionId: null, day: today() }),
    ]);
    expect(kinds('unsubscribe')).toEqual([expect.objectContaining({ channel: 'sms', count: 1 })]);
  });

  it('sign-ups: contacts added and confirmed per day, language and channel, as the tables hold them', async () => {
    const result = await report('signups', `county=sacramento&${range()}`);
    const tables = await h.db.sql<{ language: string; channel: string; added: string; verified: string }[]>`
      SELECT s.language, c.channel, count(*) AS added, count(c.verified_at) AS verified
      FROM contacts c JOIN subscriptions s USING (subscription_id) JOIN voters v USING (voter_id)
      WHERE v.county = 'sacramento' GROUP BY 1, 2`;
    for (const { language, channel, added, verified } of tables) {
      const rows = result.rows.filter((r) => r.language === language && r.channel === channel);
      expect(sum(rows, 'signups'), `${language} ${channel}`).toBe(Number(added));
      expect(sum(rows, 'verified'), `${language} ${channel}`).toBe(Number(verified));
    }
    expect(sum(result.rows, 'signups')).toBe(6); // V-ok sms+email, V-invalid, V-stopped, V-pending, V-left
    expect(result.rows).toContainEqual({
      county: 'sacramento',
      day: today(),
      language: 'en',
      channel: 'email',
      signups: 1,
      verified: 0,
    });
    // With an election: only voters holding a ballot in it (V-pending and V-left hold none).
    const inElection = await report('signups', `county=sacramento&electionId=${E}&${range()}`);
    expect(sum(inElection.rows, 'signups')).toBe(4);
  });

  it('attention: challenged, undeliverable and stuck delivery, oldest first, with their age', async () => {
    const result = await report('attention', 'county=sacramento');
    expect(result.rows.map((r) => [r.ballotId, r.problem, r.detail])).toEqual(
      expect.arrayContaining([
        ['B-ok', 'challenged', 'signature_mismatch'],
        ['B-none', 'challenged', 'no_signature'],
        ['B-undeliverable', 'undeliverable', null],
        ['B-paused', 'delivery_paused', 'CountyNotConfigured'],
      ]),
    );
    expect(result.rows).toHaveLength(4);
    const paused = result.rows.find((r) => r.problem === 'delivery_paused')!;
    expect(paused.channel).toBe('email');
    expect(paused.ageHours).toBeGreaterThanOrEqual(2);
    expect(result.rows[0]).toBe(paused); // the oldest first
    const flagged = await h.db.sql<{ ballot_id: string }[]>`
      SELECT ballot_id FROM ballots WHERE county = 'sacramento' AND status IN ('challenged', 'undeliverable')`;
    expect(
      result.rows
        .filter((r) => !String(r.problem).startsWith('delivery'))
        .map((r) => r.ballotId)
        .sort(),
    ).toEqual(flagged.map((r) => r.ballot_id).sort());
  });

  it('cure-notice log: when the challenge came, when each channel was told, minutes between; why not', async () => {
    const result = await report('cure-log', `county=sacramento&electionId=${E}&${range()}`);
    const ok = result.rows.filter((r) => r.ballotId === 'B-ok');
    expect(ok.map((r) => r.channel).sort()).toEqual(['email', 'sms']);
    for (const row of ok) {
      expect(row).toMatchObject({ reason: 'signature_mismatch', notice: 'sent' });
      expect(Number(row.minutesFromReceipt)).toBeGreaterThanOrEqual(0);
      expect(Number(row.minutesFromReceipt)).toBeLessThan(5);
      const [sent] = await h.db.sql<{ sent_at: Date }[]>`
        SELECT sent_at FROM notice_deliveries WHERE ballot_id = 'B-ok' AND notice_key = 'challenged#0' AND channel = ${row.channel as string}`;
      expect(row.sentAt).toBe(sent!.sent_at.toISOString());
    }
    expect(result.rows.filter((r) => r.ballotId === 'B-none')).toEqual([
      expect.objectContaining({ channel: null, notice: 'not_subscribed', sentAt: null, minutesFromReceipt: null }),
    ]);
    expect(result.rows.some((r) => r.ballotId === 'B-yolo')).toBe(false);
  });

  it('CSV is the JSON table, as a download', async () => {
    for (const name of ['signups', 'notices', 'failures', 'attention', 'cure-log']) {
      const query = `county=sacramento&${range()}`;
      const json = await report(name, query);
      const csv = await h.call('GET', `/v1/reports/${name}?${query}&format=csv`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="${name}-sacramento-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
      );
      expect(parseCsv(csv.text), name).toEqual(asCells(json));
      const accepted = await h.call('GET', `/v1/reports/${name}?${query}`, { headers: { accept: 'text/csv' } });
      expect(accepted.text).toBe(csv.text);
    }
  });

  it('the CLI prints the same table as the API, to stdout or a file', async () => {
    const env = { DATABASE_URL: h.db.url, NODE_ENV: 'development' };
    const dir = mkdtempSync(join(tmpdir(), 'reports-'));
    const run = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const log = console.log;
      console.log = (...args: unknown[]) => void (stdout += `${args.join(' ')}\n`);
      try {
        const code = await runCli(
          argv,
          { env, devStackFile: join(dir, 'none.json') },
          { out: () => {}, err: (text) => void (stderr += text) },
        );
        return { code, stdout, stderr };
      } finally {
        console.log = log;
      }
    };
    const from = addDays(today(), -1);
    const to = addDays(today(), 1);
    const api = await report('notices', `county=sacramento&electionId=${E}&from=${from}&to=${to}`);
    const json = await run(
      'report',
      'notices',
      '--county',
      'sacramento',
      '--election',
      E,
      '--from',
      from,
      '--to',
      to,
      '--format',
      'json',
    );
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as ReportResult).rows).toEqual(api.rows);
    const file = join(dir, 'notices.csv');
    const written = await run(
      'report',
      'notices',
      '--county',
      'sacramento',
      '--election',
      E,
      '--from',
      from,
      '--to',
      to,
      '--output',
      file,
    );
    expect(written.code).toBe(0);
    const csv = await h.call(
      'GET',
      `/v1/reports/notices?county=sacramento&electionId=${E}&from=${from}&to=${to}&format=csv`,
    );
    expect(readFileSync(file, 'utf8')).toBe(csv.text);
    const refused = await run('report', 'notices', '--from', '2026-13-01');
    expect(refused.code).toBe(1);
  });

  it("reads one county's report through the indexes made for it, not a scan of a table that grows with the state", async () => {
    const statements: { text: string; params: unknown[] }[] = [];
    const traced = postgres(h.db.url, {
      max: 1,
      onnotice: () => {},
      debug: (_connection, text, params) => statements.push({ text, params }),
    });
    const INDEXES: Record<string, string[]> = {
      signups: ['contacts_created', 'contacts_verified'],
      notices: ['notice_deliveries_county_created'],
      failures: ['notice_deliveries_county_created', 'contacts_opted_out', 'subscriptions_unsubscribed'],
      attention: ['ballots_attention'],
      'cure-log': ['ballot_events_challenged'],
    };
    const big = ['notice_deliveries', 'contacts', 'subscriptions', 'ballot_events', 'ballots', 'voters'];
    try {
      const query = { county: 'sacramento', from: addDays(today(), -1), to: addDays(today(), 1) };
      for (const name of REPORT_NAMES) {
        statements.length = 0;
        await runReport(traced, OPERATOR, name, query, { defaultTimeZone: ZONE });
        const [report] = statements.filter((s) => /^\s*WITH /.test(s.text));
        // With sequential scans priced out, the planner shows which index serves each table.
        const plan = await traced.begin(async (tx) => {
          await tx`SET LOCAL enable_seqscan = off`;
          const rows = await tx.unsafe(`EXPLAIN ${report!.text}`, report!.params as postgres.ParameterOrJSON<never>[]);
          return rows.map((row) => String(row['QUERY PLAN'])).join('\n');
        });
        for (const index of INDEXES[name]!) expect(plan, `${name}: ${plan}`).toContain(index);
        for (const table of big) expect(plan, `${name}: ${plan}`).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`));
      }
    } finally {
      await traced.end();
    }
  });

  it('runs a report read-only, and stops one that runs past its time (the API answers 503 report_timeout)', async () => {
    const slow = await inReportTransaction(h.db.sql, 100, (tx) => tx`SELECT pg_sleep(2)`).catch((e: unknown) => e);
    expect(isStatementTimeout(slow)).toBe(true);
    const write = await inReportTransaction(h.db.sql, 0, (tx) => tx`DELETE FROM notice_deliveries`).catch(
      (e: unknown) => e,
    );
    expect(write).toMatchObject({ code: '25006' }); // read_only_sql_transaction
  });

  describe('county isolation', () => {
    it("a county key reads its county; another county gets the unknown county's answer", async () => {
      const own = await report('cure-log', `county=sacramento&${range()}`, sacramentoKey);
      expect(own.rows.length).toBeGreaterThan(0);
      const other = await h.call('GET', `/v1/reports/cure-log?county=yolo&${range()}`, { key: sacramentoKey });
      const unknown = await h.call('GET', `/v1/reports/cure-log?county=nowhere&${range()}`, { key: sacramentoKey });
      expect(other.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(other.body.error.code).toBe(unknown.body.error.code);
      expect(other.body.error.message.replace('yolo', '')).toBe(unknown.body.error.message.replace('nowhere', ''));
    });

    it('a county key without a county reads only its own; an all-county key reads every county', async () => {
      for (const name of ['notices', 'failures', 'signups', 'attention', 'cure-log']) {
        const mine = await report(name, range(), sacramentoKey);
        expect(mine.rows.length, name).toBeGreaterThan(0);
        expect(
          mine.rows.every((r) => r.county === 'sacramento'),
          name,
        ).toBe(true);
      }
      // Days are each county's: a key of one county reads in its zone, every county in each one's own.
      await h.db.sql`UPDATE counties SET timezone = 'America/Denver' WHERE county = 'yolo'`;
      const yolo = await report('notices', range(), await h.key({ counties: ['yolo'] }));
      expect(yolo.timeZone).toBe('America/Denver');
      expect(yolo.rows.every((r) => r.county === 'yolo')).toBe(true);
      const all = await report('notices', range());
      expect(all.timeZone).toBe('per county');
      await h.db.sql`UPDATE counties SET timezone = ${ZONE} WHERE county = 'yolo'`;
      expect(new Set(all.rows.map((r) => r.county))).toEqual(new Set(['sacramento', 'yolo']));
      expect(all.county).toBeNull();
    });

    it('a key without reports:read is refused', async () => {
      const key = await h.key({ scopes: ['ballots:read'] });
      const answer = await h.call('GET', '/v1/reports/notices', { key });
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
      expect((await h.call('GET', '/v1/reports/notices', { key: null })).status).toBe(401);
    });
  });

  describe('validation', () => {
    it.each([
      ['signups?from=2026-02-30', 400, 'invalid_parameter', /from: a calendar date/],
      ['signups?to=yesterday', 400, 'invalid_parameter', /to: a date YYYY-MM-DD/],
      ['signups?from=2026-10-05&to=2026-10-01', 400, 'invalid_range', /after/],
      ['signups?from=2025-01-01&to=2026-10-01', 400, 'invalid_range', /at most 366 days/],
      ['signups?country=sacramento', 400, 'invalid_parameter', /Unknown parameter country/],
      ['signups?county=a%20b', 400, 'invalid_parameter', /county/],
      ['signups?format=xlsx', 400, 'invalid_parameter', /format/],
      ['signups?electionId=nope', 404, 'not_found', /No election nope/],
      ['turnout', 404, 'unknown_report', /signups, notices, failures, attention, cure-log/],
    ])('GET /v1/reports/%s → %i %s', async (path, status, code, message) => {
      const answer = await h.call('GET', `/v1/reports/${path}`);
      expect(answer.status, answer.text).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message).toMatch(message);
    });

    it('an Accept header it cannot serve is 406', async () => {
      const answer = await h.call('GET', '/v1/reports/signups', { headers: { accept: 'application/xml' } });
      expect(answer.status).toBe(406);
      expect(answer.body.error.code).toBe('not_acceptable');
    });
  });
});
