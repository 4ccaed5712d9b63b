/** The operator CLI as an operator runs it: a child process configured only by the environment. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pauseDelivery } from '../../db/delivery-pauses.js';
import { anyNumber } from '../helpers/matchers.js';
import { enqueue } from '../../db/outbox.js';
import { freePort } from '../global-setup.js';
import { election, eventually, startApiHarness, type ApiHarness } from './api-harness.js';
import { runCliProcess } from '../helpers/cli-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));

describe('operator CLI: keys and imports', () => {
  let h: ApiHarness;

  const cli = (...args: string[]) =>
    runCliProcess(args, {
      DATABASE_URL: h.db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
    });

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress') });
    expect((await h.call('PUT', '/v1/elections/imp-2099', { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('sets a county that every message names, and refuses a website that is not a URL', async () => {
    const saved = await cli(
      'county',
      'placer',
      '--name',
      'Placer County Elections',
      '--phone',
      '(530) 886-5650',
      '--url',
      'https://placer.example',
      '--cure-url',
      'https://placer.example/cure',
    );
    expect(saved).toMatchObject({ code: 0, stdout: 'county placer saved\n' });
    const [row] = await h.db.sql`SELECT name, phone, url, cure_url, timezone FROM counties WHERE county = 'placer'`;
    expect(row).toEqual({
      name: 'Placer County Elections',
      phone: '(530) 886-5650',
      url: 'https://placer.example',
      cure_url: 'https://placer.example/cure',
      timezone: 'America/Los_Angeles',
    });
    const refused = await cli('county', 'placer', '--name', 'X', '--phone', '1', '--url', 'placer dot gov');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--url.*must be an http\(s\) URL/);
  });

  it('sets the cure path and the wording of a county: forms per reason, deadline rule, counted time, texts', async () => {
    const base = [
      'county',
      'yolo',
      '--name',
      'Yolo County Elections',
      '--phone',
      '(530) 666-8133',
      '--url',
      'https://yolo.example',
    ];
    const saved = await cli(
      ...base,
      '--cure-form',
      'no_signature=https://yolo.example/unsigned-ballot-statement',
      '--cure-form',
      'signature_mismatch=https://yolo.example/signature-verification-statement',
      '--cure-deadline-rule',
      'two_days_before_certification',
      '--counted-from',
      '2026-11-03T20:00:00-08:00',
      '--household-initial',
      '--text',
      'reason.rejected.voter_deceased:es=El condado no tiene esta inscripción como activa.',
      '--texts-reviewed',
    );
    expect(saved).toMatchObject({ code: 0, stdout: 'county yolo saved\n' });
    const [row] = await h.db.sql`
      SELECT cure_deadline_rule, counted_from, household_initial FROM counties WHERE county = 'yolo'`;
    expect(row).toEqual({
      cure_deadline_rule: 'two_days_before_certification',
      counted_from: new Date('2026-11-04T04:00:00Z'),
      household_initial: true,
    });
    const forms = await h.db.sql`SELECT reason, url FROM county_cure_forms WHERE county = 'yolo' ORDER BY reason`;
    expect(forms).toEqual([
      { reason: 'no_signature', url: 'https://yolo.example/unsigned-ballot-statement' },
      { reason: 'signature_mismatch', url: 'https://yolo.example/signature-verification-statement' },
    ]);
    const texts = JSON.parse((await cli('county-texts', 'yolo', '--json')).stdout) as unknown[];
    expect(texts).toEqual([
      {
        path: 'reason.rejected.voter_deceased',
        language: 'es',
        text: 'El condado no tiene esta inscripción como activa.',
        reviewState: 'reviewed',
      },
    ]);
    // The same store as the API: county-show and GET /v1/counties/yolo answer the same record.
    const shown = JSON.parse((await cli('county-show', 'yolo', '--json')).stdout) as Record<string, unknown>;
    const { texts: shownTexts, ...shownRecord } = shown;
    expect(shownTexts).toEqual([
      expect.objectContaining({ path: 'reason.rejected.voter_deceased', reviewState: 'reviewed', author: 'cli' }),
    ]);
    const api = await h.call('GET', '/v1/counties/yolo');
    expect(api.body as unknown).toEqual(shownRecord);
    expect(shownRecord).toMatchObject({
      name: 'Yolo County Elections',
      cureDeadlineRule: 'two_days_before_certification',
      countedFrom: '2026-11-04T04:00:00.000Z',
      householdInitial: true,
    });
    expect((await cli('county-show', 'yolo')).stdout).toMatch(/^household initial\s+yes$/m);
    const none = await cli('county-show', 'atlantis');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/county atlantis has no record/);

    for (const [option, value, problem] of [
      ['--cure-form', 'lost_dog=https://yolo.example/x', /reason one of no_signature/],
      ['--cure-deadline-rule', 'whenever', /one of two_days_before_certification/],
      ['--counted-from', 'tomorrow', /ISO 8601/],
      ['--text', 'status.outbound:es=Hola', /path one of reason\.challenged/],
      ['--text', 'cure_rule:fr=Bonjour', /language one of en/],
    ] as const) {
      const refused = await cli(...base, option, value);
      expect(refused.code, `${option} ${value}`).not.toBe(0);
      expect(refused.stderr, `${option} ${value}`).toMatch(problem);
    }
  });

  it('creates a key shown once, lists it without the secret, and revokes it', async () => {
    const created = await cli(
      'keys',
      'create',
      '--name',
      'Acme Mail',
      '--scopes',
      'scans:write,ballots:read',
      '--counties',
      'ALA,SF',
      '--json',
    );
    expect(created.code).toBe(0);
    const { key, keyId } = JSON.parse(created.stdout) as { key: string; keyId: string };
    expect(key).toMatch(/^bt_[0-9a-f]{12}_/);
    const [row] = await h.db.sql`SELECT key_hash, scopes, counties FROM api_keys WHERE key_id = ${keyId}`;
    expect(row).toMatchObject({ scopes: ['scans:write', 'ballots:read'], counties: ['ALA', 'SF'] });
    expect(row!.key_hash).not.toContain(key.split('_')[2]);
    expect((await h.call('GET', '/v1/ballots/imp-2099/none', { key })).status).toBe(404);

    const listed = await cli('keys', 'list');
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).toContain('counties=ALA,SF');
    expect(listed.stdout).not.toContain(key);

    expect((await cli('keys', 'revoke', keyId)).stdout).toContain(`revoked ${keyId}`);
    expect((await cli('keys', 'revoke', keyId)).code).toBe(1);
    expect((await h.call('GET', '/v1/ballots/imp-2099/none', { key })).status).toBe(401);
    expect((await cli('keys', 'list')).stdout).not.toContain(keyId);
    expect((await cli('keys', 'list', '--all')).stdout).toContain('revoked=');

    const bad = await cli('keys', 'create', '--name', 'x', '--scopes', 'everything', '--counties', 'all');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown scope everything/);
  });

  it('imports voters from CSV with a summary by line, and a re-run changes nothing', async () => {
    const first = await cli('import', 'voters', `${FIXTURES}voters.csv`);
    expect(first.code).toBe(2); // some rows are invalid
    expect(first.stdout).toMatch(/accepted\s+3/);
    expect(first.stdout).toMatch(/duplicate\s+1/);
    expect(first.stdout).toMatch(/invalid\s+1/);
    expect(first.stdout).toMatch(/line 4: invalid \(invalid_item\): firstName/);
    expect(first.stdout).toMatch(/line 6: duplicate/);
    const [molly] = await h.db.sql`SELECT first_name, zip, status FROM voters WHERE voter_id = 'V-103'`;
    expect(molly).toEqual({ first_name: 'Mary "Molly"', zip: '94110', status: 'inactive' });
    const again = await cli('import', 'voters', `${FIXTURES}voters.csv`);
    expect(again.stdout).toMatch(/accepted\s+0/);
    expect(again.stdout).toMatch(/duplicate\s+4/);
  });

  it('imports ballots from NDJSON, forwards the issuance, and scans from CSV and USPS IMb rows', async () => {
    const ballots = await cli('import', 'ballots', `${FIXTURES}ballots.ndjson`);
    expect(ballots.stdout).toMatch(/accepted\s+3/);
    expect(ballots.stdout).toMatch(/line 5: invalid \(invalid_json\)/);
    expect(ballots.stdout).toMatch(/line 6: duplicate/);
    expect(ballots.stdout).toContain('forwarded to the ballot workflows');

    const scans = await cli('import', 'scans', `${FIXTURES}scans.csv`);
    expect(scans.stdout).toMatch(/accepted\s+2/);
    expect(scans.stdout).toMatch(/line 4: invalid \(invalid_item\): type/);
    expect(scans.stdout).toMatch(/line 5: duplicate/);
    // A reason is a code from domain/reasons.ts: free text is refused, with the codes in the message.
    expect(scans.stdout).toMatch(
      /line 6: invalid \(invalid_item\): reason: not a rejected reason code; use one of already_voted/,
    );

    const importImb = () =>
      cli('import', 'scans', `${FIXTURES}usps-tracing.txt`, '--operations', `${FIXTURES}usps-operations.json`);
    const imb = await importImb();
    expect(imb.stdout).toMatch(/accepted\s+3/);
    expect(imb.stdout).toMatch(/skipped\s+1/);
    expect(imb.stdout).toMatch(/line 6: invalid \(unknown_barcode\)/);
    expect(imb.stdout).toMatch(/line 7: invalid \(unknown_operation\)/);
    expect(imb.stdout).toMatch(/line 8: invalid \(invalid_row\)/);
    expect(imb.stdout).toMatch(/line 9: duplicate/);
    const rerun = await importImb();
    expect(rerun.stdout).toMatch(/accepted\s+0/);
    expect(rerun.stdout).toMatch(/duplicate\s+4/);

    const b100 = await eventually(async () => {
      const view = await h.call('GET', '/v1/ballots/imp-2099/B-100');
      return view.body?.events?.length === 1 ? view.body : undefined;
    });
    expect(b100).toMatchObject({ status: 'outbound', county: 'ALA' });
    expect(b100.events[0]).toMatchObject({ type: 'outbound', facilityZip: '94612', source: 'usps-op-919' });
    expect(Date.parse(b100.events[0]!.occurredAt)).toBe(Date.parse('2026-10-06T14:03:27-07:00'));
    const b101 = await eventually(async () => {
      const view = await h.call('GET', '/v1/ballots/imp-2099/B-101');
      return view.body?.events?.length === 2 ? view.body : undefined;
    });
    expect(b101.status).toBe('inbound');
    const b102 = await eventually(async () => {
      const view = await h.call('GET', '/v1/ballots/imp-2099/B-102');
      return view.body?.status === 'challenged' ? view.body : undefined;
    });
    expect(b102.events.map((e: { eventId: string }) => e.eventId)).toEqual(['csv-1', 'csv-2']);
    expect(b102.events[1]).toMatchObject({ type: 'challenged', reason: 'no_signature' });
  });

  it('the api process warns about the development key and honours it; production refuses to start with it', async () => {
    const devKey = 'local-dev-key-0123456789';
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: h.db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      BALLOT_TRACKER_DEV_KEY: devKey,
      LOG_LEVEL: 'warn',
    };
    const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: ROOT,
      env: { ...env, NODE_ENV: 'development' },
    });
    let output = '';
    api.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    api.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const status = await eventually(
        async () =>
          (
            await fetch(`http://127.0.0.1:${port}/v1/ballots/imp-2099/B-100`, {
              headers: { authorization: `Bearer ${devKey}` },
            })
          ).status,
        60_000,
      );
      expect(status).toBe(200);
      expect(output).toContain('BALLOT_TRACKER_DEV_KEY is set');
    } finally {
      api.kill('SIGTERM');
      await once(api, 'exit');
    }
    const production = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: ROOT,
      env: { ...env, NODE_ENV: 'production' },
    });
    let refused = '';
    production.stderr.on('data', (chunk: Buffer) => (refused += chunk.toString()));
    const [code] = (await once(production, 'exit')) as [number | null];
    expect(code).toBe(78);
    expect(refused).toMatch(/BALLOT_TRACKER_DEV_KEY: must not be set in production/);
  });

  it('shows and clears what holds delivery up: the outbox, dead letters, paused delivery, sweeps', async () => {
    const status = await cli('outbox', 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout) as unknown).toMatchObject({ pending: anyNumber(), deadBallots: 0 });

    // Queued and dead-lettered at once, before the API's own forwarder can take it.
    await h.db.sql.begin(async (tx) => {
      await enqueue(tx, [{ kind: 'plan', electionId: 'dead-2099', ballotId: 'B-dead' }]);
      await tx`UPDATE outbox_ballots SET dead_at = now(), attempts = 10, last_error = 'refused'
               WHERE election_id = 'dead-2099'`;
    });
    expect((await cli('outbox', 'dead-letters')).stdout).toMatch(/dead-2099\/B-dead\s+rows=1\s+attempts=10.*refused/);
    expect((await cli('outbox', 'retry', '--election', 'dead-2099')).stdout).toContain('1 ballot(s) queued again');
    expect((await cli('outbox', 'dead-letters')).stdout).toContain('no dead letters');

    await pauseDelivery(h.db.sql, { county: 'ALA', channel: null }, 'CountyNotConfigured');
    expect((await cli('delivery', 'pauses')).stdout).toMatch(/county=ALA\s+channel=all\s+reason=CountyNotConfigured/);
    expect((await cli('delivery', 'resume', '--county', 'ALA')).stdout).toContain('resumed 1 pause(s)');
    expect((await cli('delivery', 'pauses')).stdout).toContain('not paused anywhere');

    expect((await cli('election', 'sweeps', 'imp-2099')).stdout).toContain('no sweep has run');
    const ballot = await cli('ballot', 'imp-2099', 'B-102');
    expect(ballot.stdout).toMatch(/imp-2099\/B-102\s+county=SF\s+status=challenged\s+needs attention/);
    expect(ballot.stdout).toMatch(/event .*challenged\s+applied\s+csv-2/);
    const missing = await cli('ballot', 'imp-2099', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no ballot nope in election imp-2099');
    const wrong = await cli('delivery', 'resume', '--channel', 'fax');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('one of sms, email, voice');
  });
});
