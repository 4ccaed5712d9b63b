/**
 * Broadcasts end to end: the API (create, preview, dry run, approve by a second key, start, status,
 * stop), the run workflow on the dev server walking PostgreSQL, the ballot workflows and the real
 * sender against the local fake providers.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createBroadcastActivities,
  type BroadcastPartitionInput,
  type BroadcastPartitionResult,
} from '../../activities/broadcasts.js';
import type { ActionBudget } from '../../db/action-budget.js';
import { createBroadcast, markBroadcastRunning, markBroadcastStopped } from '../../db/broadcasts.js';
import type { Sql } from '../../db/client.js';
import { enqueuePlanChange } from '../../db/outbox.js';
import { BROADCAST_SEQUENCE_BASE } from '../../domain/broadcasts.js';
import { broadcastWorkflow } from '../../workflows/broadcast.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const E = 'gen-bc';
const ALWAYS = { start: '00:00', end: '00:00' };

interface View {
  broadcastId: number;
  state: string;
  counties: string[] | null;
  createdBy: string;
  approvedBy: string | null;
  progress?: {
    selected: number | null;
    signalled: number;
    sent: number;
    skipped: number;
    skippedBecause: Record<string, number>;
  };
}

/** A window that is closed now (it opened and closed earlier today, UTC). */
function closedWindow(): { start: string; end: string } {
  const hour = new Date().getUTCHours();
  const start = (hour + 2) % 24;
  const pad = (n: number) => String(n).padStart(2, '0');
  return { start: `${pad(start)}:00`, end: `${pad((start + 1) % 24)}:00` };
}

async function seedVoter(
  sql: Sql,
  voterId: string,
  county: string,
  window = ALWAYS,
  channels: ('sms' | 'email')[] = ['sms'],
): Promise<void> {
  await sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
            VALUES (${voterId}, ${county}, 'Ana', 'Reyes', '1970-01-01', '95814')`;
  const [subscription] = await sql<{ subscription_id: string }[]>`
    INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
    VALUES (${voterId}, 'es', ${window.start}, ${window.end}, 'UTC') RETURNING subscription_id`;
  for (const channel of channels) {
    const address =
      channel === 'sms'
        ? `+1916555${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}`
        : `${voterId}@example.org`;
    await sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
              VALUES (${subscription!.subscription_id}, ${channel}, ${address}, now())`;
  }
}

async function ledger(sql: Sql, broadcastId: number) {
  return sql<{ ballot_id: string; channel: string; state: string; skip_reason: string | null; message_key: string }[]>`
    SELECT ballot_id, channel, state, skip_reason, message_key FROM notice_deliveries
    WHERE election_id = ${E} AND sequence = ${BROADCAST_SEQUENCE_BASE + broadcastId} ORDER BY ballot_id, channel`;
}

describe('broadcasts (API, run workflow, ballot workflows, sender)', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;
  let writer: string;
  let approver: string;
  let both: string;
  let yolo: string;

  async function issue(ballotId: string, voterId: string, county: string, statuses: string[] = ['outbound']) {
    const ballots = await h.call('POST', '/v1/ballots', {
      body: { ballots: [{ electionId: E, ballotId, voterId, county }] },
    });
    expect(ballots.body.results[0]?.outcome).toBe('accepted');
    const scans = await h.call('POST', '/v1/scans', {
      body: { events: statuses.map((type) => scanItem(E, ballotId, type)) },
    });
    expect(scans.body.summary.accepted).toBe(statuses.length);
  }

  const view = async (id: number, key = writer) =>
    (await h.call('GET', `/v1/broadcasts/${id}`, { key })).body as unknown as View;

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery } });
    const electionDay = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    expect(
      (await h.call('PUT', `/v1/elections/${E}`, { body: election({ electionDay, timezone: 'UTC' }) })).status,
    ).toBe(201);
    await seedCounty(h.db.sql, 'sacramento');
    await seedCounty(h.db.sql, 'yolo');
    writer = await h.key({ scopes: ['broadcasts:write'], counties: null });
    approver = await h.key({ scopes: ['broadcasts:approve'], counties: null });
    both = await h.key({ scopes: ['broadcasts:write', 'broadcasts:approve'], counties: null });
    yolo = await h.key({ scopes: ['broadcasts:write', 'broadcasts:approve'], counties: ['yolo'] });

    await seedVoter(h.db.sql, 'v-s1', 'sacramento', ALWAYS, ['sms', 'email']);
    await seedVoter(h.db.sql, 'v-s2', 'sacramento');
    await seedVoter(h.db.sql, 'v-night', 'sacramento');
    await seedVoter(h.db.sql, 'v-back', 'sacramento');
    await seedVoter(h.db.sql, 'v-y1', 'yolo');
    await h.db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
                   VALUES ('v-nobody', 'sacramento', 'Al', 'Ng', '1970-01-01', '95814')`;
    await issue('S-1', 'v-s1', 'sacramento');
    await issue('S-2', 'v-s2', 'sacramento');
    await issue('S-NIGHT', 'v-night', 'sacramento');
    await issue('S-BACK', 'v-back', 'sacramento', ['outbound', 'received']);
    await issue('S-NOBODY', 'v-nobody', 'sacramento');
    await issue('Y-1', 'v-y1', 'yolo');
    // Every voter has been told its status before the broadcast ...
    await eventually(async () => {
      const [row] = await h.db.sql<{ n: string }[]>`SELECT count(*) AS n FROM notice_deliveries WHERE state = 'sent'`;
      return Number(row!.n) >= 6 ? true : undefined;
    });
    // ... and then the night voter's window is one that is closed now.
    const night = closedWindow();
    await h.db
      .sql`UPDATE subscriptions SET window_start = ${night.start}, window_end = ${night.end} WHERE voter_id = 'v-night'`;
    await enqueuePlanChange(h.db.sql, 'v-night');
    h.forwarder.kick();
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  it('needs approval by a second key: the creator is refused, and a draft cannot start', async () => {
    const created = await h.call('POST', '/v1/broadcasts', {
      key: both,
      body: { electionId: E, counties: ['sacramento'], statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    expect(created.status).toBe(201);
    const draft = created.body as unknown as View;
    expect(draft).toMatchObject({ state: 'draft', counties: ['sacramento'], approvedBy: null });

    const self = await h.call('POST', `/v1/broadcasts/${draft.broadcastId}/approve`, { key: both });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('second_key_required');
    const early = await h.call('POST', `/v1/broadcasts/${draft.broadcastId}/start`, { key: both });
    expect(early.status).toBe(409);
    const noScope = await h.call('POST', `/v1/broadcasts/${draft.broadcastId}/approve`, { key: writer });
    expect(noScope.status).toBe(403);
    expect(noScope.body.error.code).toBe('forbidden');

    const approved = await h.call('POST', `/v1/broadcasts/${draft.broadcastId}/approve`, { key: approver });
    expect(approved.status).toBe(200);
    expect((approved.body as unknown as View).state).toBe('approved');
    expect((approved.body as unknown as View).approvedBy).toMatch(/\S/);
    expect((approved.body as unknown as View).approvedBy).not.toBe(draft.createdBy);
    const twice = await h.call('POST', `/v1/broadcasts/${draft.broadcastId}/approve`, { key: approver });
    expect(twice.status).toBe(409);
    await h.call('POST', `/v1/broadcasts/${draft.broadcastId}/stop`, { key: both });
  });

  it('refuses a message for statuses it does not fit, and a message outside the list', async () => {
    for (const body of [
      { electionId: E, statuses: ['received'], messageKey: 'reminder.return' },
      { electionId: E, statuses: ['outbound'], messageKey: 'status.accepted.was_counted' },
      { electionId: E, statuses: ['outbound'], messageKey: 'reminder.return', text: 'free text' },
    ]) {
      const response = await h.call('POST', '/v1/broadcasts', { key: writer, body });
      expect(response.status).toBe(400);
    }
    const unknown = await h.call('POST', '/v1/broadcasts', {
      key: writer,
      body: { electionId: 'no-such', statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    expect(unknown.status).toBe(404);
  });

  it('previews and dry-runs without sending, then runs once per ballot and channel, in each voter window, also across a re-run', async () => {
    const created = await h.call('POST', '/v1/broadcasts', {
      key: writer,
      body: { electionId: E, counties: ['sacramento'], statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    const id = (created.body as unknown as View).broadcastId;

    const preview = await h.call('GET', `/v1/broadcasts/${id}/preview`, { key: approver });
    expect(preview.status).toBe(200);
    const shown = preview.body as unknown as {
      ballots: number;
      audience: { channel: string; language: string; ballots: number; voters: number; contacts: number }[];
      messages: { county: string; language: string; sms?: string; email?: { subject: string } }[];
    };
    // S-1, S-2 and S-NIGHT: outbound with a subscribed voter (not S-BACK, received; not S-NOBODY; not yolo).
    expect(shown.ballots).toBe(3);
    expect(shown.audience).toEqual(
      expect.arrayContaining([
        { channel: 'sms', language: 'es', ballots: 3, voters: 3, contacts: 3 },
        { channel: 'email', language: 'es', ballots: 1, voters: 1, contacts: 1 },
      ]),
    );
    expect(shown.messages).toHaveLength(1);
    expect(shown.messages[0]).toMatchObject({ county: 'sacramento', language: 'es', countyConfigured: true });
    expect(shown.messages[0]!.sms).toContain('Sacramento County Elections');
    expect(shown.messages[0]!.email!.subject).toContain('Sacramento County Elections');

    const dry = await h.call('POST', `/v1/broadcasts/${id}/dry-run`, { key: writer });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, ballots: 3, signalled: 0, sent: 0 });
    const sms = (
      dry.body as unknown as { sends: { channel: string; inWindowNow: number; waitingForWindow: number }[] }
    ).sends.find((line) => line.channel === 'sms');
    expect(sms).toMatchObject({ inWindowNow: 2, waitingForWindow: 1 });
    expect(await ledger(h.db.sql, id)).toEqual([]);
    expect((await view(id)).state).toBe('draft');

    expect((await h.call('POST', `/v1/broadcasts/${id}/approve`, { key: approver })).status).toBe(200);
    const started = await h.call('POST', `/v1/broadcasts/${id}/start`, { key: writer });
    expect(started.status).toBe(202);
    expect((started.body as unknown as View).state).toBe('running');

    const done = await eventually(async () => {
      const current = await view(id);
      return current.state === 'done' && current.progress!.sent === 3 ? current : undefined;
    }, 60_000);
    expect(done.progress).toMatchObject({ selected: 3, signalled: 3, sent: 3 });
    const rows = await ledger(h.db.sql, id);
    expect(rows.map((row) => [row.ballot_id, row.channel, row.state, row.message_key])).toEqual([
      ['S-1', 'email', 'sent', 'reminder.return'],
      ['S-1', 'sms', 'sent', 'reminder.return'],
      ['S-2', 'sms', 'sent', 'reminder.return'],
    ]);
    // The voter whose window is closed is not reached: the notice waits, scheduled, in its workflow.
    const night = await h.call('GET', `/v1/ballots/${E}/S-NIGHT`);
    expect(night.body.notices.filter((notice) => notice.reminder === 'broadcast')).toEqual([]);
    const nightWorkflow = await h.temporal.workflow
      .getHandle(`ballot-${E}-S-NIGHT`)
      .query<{ notices: { key: string; state: string }[] }>('status');
    expect(
      nightWorkflow.notices.find((notice) => notice.key === `outbound#${BROADCAST_SEQUENCE_BASE + id}`),
    ).toMatchObject({ state: 'scheduled' });

    // A re-run (an operator runs it again): no ballot hears it twice.
    const again = await h.call('POST', `/v1/broadcasts/${id}/start`, { key: writer });
    expect(again.status).toBe(409);
    await h.db.sql`UPDATE broadcasts SET state = 'running' WHERE broadcast_id = ${id}`;
    await h.temporal.workflow.execute(broadcastWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `broadcast-${id}-rerun`,
      args: [{ broadcastId: id }],
    });
    // The re-run's signals carry the first run's request IDs: each ballot holds one broadcast signal,
    // so no notice can follow (read from the recorded histories, not after a pause).
    for (const ballotId of ['S-1', 'S-2', 'S-NIGHT']) {
      const history = await h.temporal.workflow.getHandle(`ballot-${E}-${ballotId}`).fetchHistory();
      const due = (history.events ?? []).filter(
        (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'broadcastDue',
      );
      expect(due, ballotId).toHaveLength(1);
    }
    expect(await ledger(h.db.sql, id)).toEqual(rows);
  });

  it('a stop halts it at once: notices still waiting for a window are skipped (broadcast_stopped), never sent', async () => {
    const created = await h.call('POST', '/v1/broadcasts', {
      key: writer,
      body: { electionId: E, counties: ['sacramento'], statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    const id = (created.body as unknown as View).broadcastId;
    await h.call('POST', `/v1/broadcasts/${id}/approve`, { key: approver });
    // Every voter's window is closed now: the run signals them all, and their notices wait.
    await h.db.sql`UPDATE subscriptions SET window_start = ${closedWindow().start}, window_end = ${closedWindow().end}`;
    for (const voter of ['v-s1', 'v-s2', 'v-night']) await enqueuePlanChange(h.db.sql, voter);
    h.forwarder.kick();
    // The new plans reach the workflows before the run's signals (a workflow takes its signals in order).
    await eventually(async () => ((await h.forwarder.backlog()) === 0 ? true : undefined), 30_000);
    await h.call('POST', `/v1/broadcasts/${id}/start`, { key: writer });
    await eventually(async () => ((await view(id)).state === 'done' ? true : undefined), 60_000);

    // The run is done (every ballot signalled) but no notice went out: they wait for the windows.
    expect(await ledger(h.db.sql, id)).toEqual([]);
    const stopped = await h.call('POST', `/v1/broadcasts/${id}/stop`, { key: writer });
    expect(stopped.status).toBe(200);
    expect((stopped.body as unknown as View).state).toBe('stopped');
    expect((await h.call('POST', `/v1/broadcasts/${id}/stop`, { key: writer })).status).toBe(409);

    // The windows open: every waiting notice reaches the sender, which skips it.
    await h.db.sql`UPDATE subscriptions SET window_start = '00:00', window_end = '00:00'`;
    for (const voter of ['v-s1', 'v-s2', 'v-night']) await enqueuePlanChange(h.db.sql, voter);
    h.forwarder.kick();
    const rows = await eventually(async () => {
      const found = await ledger(h.db.sql, id);
      return found.length === 4 ? found : undefined;
    }, 60_000);
    expect(rows.map((row) => [row.ballot_id, row.channel, row.state, row.skip_reason])).toEqual([
      ['S-1', 'email', 'skipped', 'broadcast_stopped'],
      ['S-1', 'sms', 'skipped', 'broadcast_stopped'],
      ['S-2', 'sms', 'skipped', 'broadcast_stopped'],
      ['S-NIGHT', 'sms', 'skipped', 'broadcast_stopped'],
    ]);
    expect((await view(id)).progress).toMatchObject({ sent: 0, skippedBecause: { broadcast_stopped: 4 } });
  });

  it('a partition signals no further ballot once the stop is committed', async () => {
    const sql = h.db.sql;
    const broadcast = await createBroadcast(sql, {
      electionId: E,
      counties: ['sacramento'],
      statuses: ['outbound'],
      messageKey: 'reminder.return',
      createdBy: 'test',
    });
    await sql`UPDATE broadcasts SET state = 'approved', approved_by = 'other' WHERE broadcast_id = ${broadcast.broadcastId}`;
    await markBroadcastRunning(sql, broadcast.broadcastId, { keyId: 'test', expiresAt: null });
    let takes = 0;
    const budget = {
      take: async () => {
        takes += 1;
        if (takes === 2) await markBroadcastStopped(sql, broadcast.broadcastId, 'test');
      },
    } as unknown as ActionBudget;
    const activities = createBroadcastActivities({
      sql,
      temporal: h.temporal,
      partitions: 1,
      signalsInFlight: 1,
      budget,
    });
    const result: BroadcastPartitionResult = await new MockActivityEnvironment().run(
      (input: BroadcastPartitionInput) => activities.broadcastPartition(input),
      {
        broadcastId: broadcast.broadcastId,
        partition: 0,
        partitions: 1,
      },
    );
    expect(result.stopped).toBe(true);
    expect(result.signalled + result.gone).toBe(1);
  });

  it('keeps counties apart: another county key cannot see, approve or stop it, and its own broadcast selects only its county', async () => {
    const created = await h.call('POST', '/v1/broadcasts', {
      key: writer,
      body: { electionId: E, counties: ['sacramento'], statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    const id = (created.body as unknown as View).broadcastId;
    const unknown = await h.call('GET', '/v1/broadcasts/999999', { key: yolo });
    for (const [method, path] of [
      ['GET', `/v1/broadcasts/${id}`],
      ['GET', `/v1/broadcasts/${id}/preview`],
      ['POST', `/v1/broadcasts/${id}/dry-run`],
      ['POST', `/v1/broadcasts/${id}/approve`],
      ['POST', `/v1/broadcasts/${id}/start`],
      ['POST', `/v1/broadcasts/${id}/stop`],
    ] as const) {
      const response = await h.call(method, path, { key: yolo });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.message).toBe(unknown.body.error.message.replace('999999', String(id)));
    }
    const list = (await h.call('GET', `/v1/broadcasts?electionId=${E}`, { key: yolo })).body as unknown as {
      broadcasts: View[];
    };
    expect(list.broadcasts.map((b) => b.counties)).not.toContainEqual(['sacramento']);
    const foreign = await h.call('POST', '/v1/broadcasts', {
      key: yolo,
      body: { electionId: E, counties: ['sacramento'], statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    expect(foreign.status).toBe(403);
    const own = await h.call('POST', '/v1/broadcasts', {
      key: yolo,
      body: { electionId: E, statuses: ['outbound'], messageKey: 'reminder.return' },
    });
    expect(own.status).toBe(201);
    expect((own.body as unknown as View).counties).toEqual(['yolo']);
    const preview = await h.call('GET', `/v1/broadcasts/${(own.body as unknown as View).broadcastId}/preview`, {
      key: yolo,
    });
    expect(preview.body).toMatchObject({ ballots: 1, messages: [{ county: 'yolo' }] });
    expect((await h.call('GET', `/v1/broadcasts/${id}`, { key: writer })).status).toBe(200);
  });
});
