/**
 * "202 means durable": scans posted while Temporal is down are answered from Postgres and reach
 * their workflows once it is back; the status of record answers all along. This file runs its own dev server (persisting to a
 * SQLite file) so it can stop and restart it without disturbing the other files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemporalDevServer, type RunningTemporal } from '../../scripts/temporal-dev-server.js';
import { ensureTemporalCli } from '../../scripts/tools.js';
import { statusQuery, workflowIdFor } from '../../workflows/ballot.js';
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
      // Every issuance row acknowledged too (the count below is of rows, not of the per-ballot counters).
      await eventually(
        async () => {
          const [row] = await h.db.sql<{ n: string }[]>`
            SELECT count(*) AS n FROM workflow_outbox WHERE election_id = ${E} AND forwarded_at IS NULL`;
          return Number(row!.n) === 0 ? true : undefined;
        },
        30_000,
        300,
      );

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
      // Every scan is recorded; the three that moved each ballot (outbound, inbound, received) wait to
      // be forwarded. The forwarder kept trying, and an outage never dead-letters a ballot.
      const [stuck] = await h.db.sql<{ events: string; pending: string; tried: string; dead: string }[]>`
        SELECT (SELECT count(*) FROM ballot_events WHERE election_id = ${E}) AS events,
               (SELECT count(*) FROM workflow_outbox WHERE election_id = ${E} AND forwarded_at IS NULL) AS pending,
               (SELECT count(*) FROM outbox_ballots WHERE election_id = ${E} AND last_error IS NOT NULL) AS tried,
               (SELECT count(*) FROM outbox_ballots WHERE dead_at IS NOT NULL) AS dead`;
      expect(Number(stuck!.events)).toBe(round * BALLOTS);
      expect(Number(stuck!.pending)).toBe(Math.min(round, types.length) * BALLOTS);
      expect(Number(stuck!.tried)).toBeGreaterThan(0);
      expect(Number(stuck!.dead)).toBe(0);
      // The status of record answers all along.
      expect((await h.call('GET', `/v1/ballots/${E}/B-0`)).body).toMatchObject({ status: 'received' });

      temporal = await startTemporal();
      await eventually(async () => ((await h.forwarder.backlog()) === 0 ? true : undefined), 180_000, 500);

      for (const ballot of ballots) {
        const view = (await h.call('GET', `/v1/ballots/${E}/${ballot.ballotId}`)).body;
        expect(view.events.map((event) => event.eventId)).toEqual(posted.get(ballot.ballotId));
        expect(view.county).toBe('ALA');
        const workflow = await eventually(async () => {
          const state = await h.temporal.workflow.getHandle(workflowIdFor(E, ballot.ballotId)).query(statusQuery);
          return state.status === 'received' ? state : undefined;
        }, 60_000);
        expect(workflow.eventsReceived).toBe(types.length);
      }
    },
  );
});
