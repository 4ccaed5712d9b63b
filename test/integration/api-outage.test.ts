/**
 * "202 means durable": scans posted while Temporal is down are answered from Postgres and reach
 * their workflows, in order, once it is back. This file runs its own dev server (persisting to a
 * SQLite file) so it can stop and restart it without disturbing the other files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemporalDevServer, type RunningTemporal } from '../../scripts/temporal-dev-server.js';
import { ensureTemporalCli } from '../../scripts/tools.js';
import { freePort } from '../global-setup.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const OUTAGE_MS = 30_000;
const BALLOTS = 20;

describe('a Temporal outage during a scan batch', () => {
  let dir: string;
  let cliPath: string;
  let port: number;
  let temporal: RunningTemporal | undefined;
  let h: ApiHarness;

  const startTemporal = () =>
    startTemporalDevServer({ cliPath, port, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ballot-tracker-outage-'));
    cliPath = await ensureTemporalCli();
    port = await freePort();
    temporal = await startTemporal();
    h = await startApiHarness({
      temporalAddress: temporal.address,
      forwarder: { pollIntervalMs: 250, callTimeoutMs: 2_000, maxBackoffMs: 2_000 },
    });
  });

  afterAll(async () => {
    await h?.stop();
    await temporal?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'answers 202 from Postgres while Temporal is down and delivers every event in order when it returns',
    { timeout: 300_000 },
    async () => {
      const E = 'outage-2099';
      expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
      const ballots = Array.from({ length: BALLOTS }, (_, i) => ({
        electionId: E,
        ballotId: `B-${i}`,
        voterId: `V-${i}`,
        county: 'ALA',
      }));
      expect((await h.call('POST', '/v1/ballots', { body: { ballots } })).body.summary.accepted).toBe(BALLOTS);
      await eventually(async () => ((await h.forwarder.backlog()) === 0 ? true : undefined), 30_000, 300);

      await temporal!.stop();
      temporal = undefined;
      const posted = new Map<string, string[]>();
      const stoppedAt = Date.now();
      const types = ['outbound', 'inbound', 'received'];
      let round = 0;
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const events = ballots.map((ballot) => scanItem(E, ballot.ballotId, types[round % types.length]!));
        const response = await h.call('POST', '/v1/scans', { body: { events } });
        expect(response.status).toBe(202);
        expect(response.body.summary).toEqual({ accepted: BALLOTS, duplicate: 0, invalid: 0 });
        for (const event of events) posted.set(event.ballotId, [...(posted.get(event.ballotId) ?? []), event.eventId]);
        round += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      const [stuck] = await h.db.sql<{ pending: string; tried: string }[]>`
      SELECT count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS tried
      FROM workflow_outbox WHERE forwarded_at IS NULL`;
      expect(Number(stuck!.pending)).toBe(round * BALLOTS);
      expect(Number(stuck!.tried)).toBeGreaterThan(0);

      temporal = await startTemporal();
      await eventually(async () => ((await h.forwarder.backlog()) === 0 ? true : undefined), 180_000, 500);

      for (const ballot of ballots) {
        const view = await eventually(async () => {
          const response = await h.call('GET', `/v1/ballots/${E}/${ballot.ballotId}`);
          return response.status === 200 && response.body.events.length === posted.get(ballot.ballotId)!.length
            ? response.body
            : undefined;
        }, 60_000);
        expect(view.events.map((event: { eventId: string }) => event.eventId)).toEqual(posted.get(ballot.ballotId));
        expect(view.county).toBe('ALA');
      }
    },
  );
});
