import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BallotStatus,
  County,
  DeliveryProblem,
  ElectionId,
  NeedsAttention,
} from '../../workflows/search-attributes.js';
import {
  electionClosedSignal,
  returnReminderDueSignal,
  statusQuery,
  type ballotLifecycle,
} from '../../workflows/ballot.js';
import { BallotHarness, election, permanentFailure, plan, scan } from '../helpers/ballot-harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A UTC window that opens `hours` from `nowMs` (rounded down to the minute) and stays open two hours. */
function windowOpeningIn(nowMs: number, hours: number) {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const start = Math.floor((nowMs + hours * HOUR) / 60_000) * 60_000;
  return { window: { start: hhmm(start), end: hhmm(start + 2 * HOUR) }, opensAt: start };
}

describe('ballot lifecycle workflow (time-skipping)', () => {
  let h: BallotHarness;

  beforeAll(async () => {
    h = await BallotHarness.create();
  });

  afterAll(async () => {
    await h?.teardown();
  });

  it('tells the voter each step of the happy path and completes with the accepted status', async () => {
    h.plans.set('voter-happy', plan({ channels: ['sms', 'email'] }));
    const handle = await h.issue('happy');
    for (const type of ['outbound', 'inbound', 'received', 'accepted'] as const) {
      await h.scan('happy', scan(type));
      await h.settle();
    }
    const result = await handle.result();
    expect(result.status).toBe('accepted');
    expect(result.eventsReceived).toBe(4);
    expect(h.sentFor('happy', 'sms').map((notice) => notice.noticeKey)).toEqual([
      'outbound#0',
      'inbound#0',
      'received#0',
      'accepted#0',
    ]);
    expect(h.sentFor('happy', 'email')).toHaveLength(4);
    expect(result.notices.every((notice) => notice.state === 'sent')).toBe(true);
  });

  it('a ballot nobody subscribed to records its events and search attributes with no activity and no timer', async () => {
    const handle = await h.issue('nobody', { county: 'yolo' });
    for (const type of ['outbound', 'undeliverable'] as const) await h.scan('nobody', scan(type));
    await h.settle();
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(BallotStatus)).toBe('undeliverable');
    expect(described.typedSearchAttributes.get(NeedsAttention)).toBe(true);
    expect(described.typedSearchAttributes.get(County)).toBe('yolo');
    expect(described.typedSearchAttributes.get(ElectionId)).toBe('e2026');
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/\*\*undeliverable\*\* · no subscriber · waiting for the next scan/);
    await h.scan('nobody', scan('received'));
    await h.scan('nobody', scan('accepted'));
    expect((await handle.result()).status).toBe('accepted');
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((event) => event.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(events.filter((event) => event.timerStartedEventAttributes)).toEqual([]);
    expect(h.sentFor('nobody')).toEqual([]);
  });

  it('ignores a repeated event ID and a late lower-rank event, which notifies nobody', async () => {
    h.plans.set('voter-dup', plan());
    const handle = await h.issue('dup');
    const received = scan('received');
    await h.scan('dup', received);
    await h.scan('dup', received);
    await h.scan('dup', scan('inbound'));
    await h.settle();
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('received');
    expect(view.eventsReceived).toBe(2);
    expect(h.sentFor('dup').map((notice) => notice.noticeKey)).toEqual(['received#0']);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('ignores malformed records instead of failing the workflow', async () => {
    const handle = await h.issue('malformed');
    await h.deliver('malformed', { events: [{ eventId: 'x1', type: 'teleported', occurredAt: 'yesterday' }] } as never);
    await h.settle();
    const view = await handle.query(statusQuery);
    expect(view.eventsReceived).toBe(0);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('keeps scans that arrive before the issuance record and sends nothing until the voter is known', async () => {
    h.plans.set('voter-orphan', plan());
    const handle = await h.scan('orphan', scan('outbound'));
    await h.scan('orphan', scan('inbound'));
    await h.settle();
    const waiting = await handle.query(statusQuery);
    expect(waiting.awaitingIssuance).toBe(true);
    expect(h.sentFor('orphan')).toEqual([]);

    await h.issue('orphan');
    await h.settle();
    expect((await handle.query(statusQuery)).status).toBe('inbound');
    expect(h.sentFor('orphan').map((notice) => notice.noticeKey)).toEqual(['inbound#0']);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('waits for the voter window, then sends one notice for the latest status instead of three', async () => {
    const now = await h.env.currentTimeMs();
    const { window, opensAt } = windowOpeningIn(now, 5);
    h.plans.set('voter-night', plan({ window }));
    const handle = await h.issue('night');
    for (const type of ['outbound', 'inbound', 'received'] as const) {
      await h.scan('night', scan(type));
      await h.settle();
    }
    const view = await handle.query(statusQuery);
    const scheduled = view.notices.filter((notice) => notice.state === 'scheduled');
    expect(scheduled.map((notice) => notice.key)).toEqual(['received#0']);
    expect(Date.parse(scheduled[0]!.at)).toBe(opensAt);
    expect(h.sentFor('night')).toEqual([]);

    await h.env.sleep(5 * HOUR + 60_000);
    const sent = h.sentFor('night');
    expect(sent.map((notice) => notice.noticeKey)).toEqual(['received#0']);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(opensAt);
    expect(sent[0]!.at).toBeLessThan(opensAt + HOUR);
    expect(sent[0]!.replaces).toEqual(['outbound#0', 'inbound#0']);
    const timers = ((await handle.fetchHistory()).events ?? []).filter((event) => event.timerStartedEventAttributes);
    expect(timers).toHaveLength(1);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('drops an action-needed notice that is no longer current when the window opens', async () => {
    const now = await h.env.currentTimeMs();
    const { window } = windowOpeningIn(now, 3);
    h.plans.set('voter-cured', plan({ window }));
    const handle = await h.issue('cured');
    await h.scan('cured', scan('challenged', { cureDeadline: '2099-11-10' }));
    await h.settle();
    expect((await handle.query(statusQuery)).notices.map((notice) => [notice.key, notice.state])).toEqual([
      ['challenged#0', 'scheduled'],
    ]);
    await h.scan('cured', scan('cured'));
    await h.env.sleep(3 * HOUR + 60_000);
    expect(h.sentFor('cured').map((notice) => notice.noticeKey)).toEqual(['cured#0']);
    const notices = (await handle.query(statusQuery)).notices;
    expect(notices.find((notice) => notice.key === 'challenged#0')).toMatchObject({
      state: 'skipped',
      reason: 'replaced by a newer notice',
    });
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('applies a changed window to a notice that is waiting, and an unsubscribe cancels it', async () => {
    const now = await h.env.currentTimeMs();
    h.plans.set('voter-prefs', plan({ window: windowOpeningIn(now, 6).window }));
    const handle = await h.issue('prefs');
    await h.scan('prefs', scan('outbound'));
    await h.settle();
    expect(h.sentFor('prefs')).toEqual([]);
    h.plans.set('voter-prefs', plan({ window: windowOpeningIn(now, 1).window, language: 'es' }));
    await h.planChanged('prefs');
    await h.env.sleep(HOUR + 120_000);
    expect(h.sentFor('prefs').map((notice) => [notice.noticeKey, notice.language])).toEqual([['outbound#0', 'es']]);

    h.plans.set('voter-prefs', plan({ window: windowOpeningIn(await h.env.currentTimeMs(), 6).window }));
    await h.planChanged('prefs');
    await h.scan('prefs', scan('received'));
    await h.settle();
    expect((await handle.query(statusQuery)).notices.find((notice) => notice.key === 'received#0')?.state).toBe(
      'scheduled',
    );
    h.plans.delete('voter-prefs');
    await h.planChanged('prefs');
    await h.env.sleep(DAY);
    expect((await handle.query(statusQuery)).notices.find((notice) => notice.key === 'received#0')).toMatchObject({
      state: 'skipped',
      reason: 'channel no longer chosen or unsubscribed',
    });
    expect(h.sentFor('prefs').map((notice) => notice.noticeKey)).toEqual(['outbound#0']);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('tells a late subscriber the current status once, never the history', async () => {
    const handle = await h.issue('late');
    for (const type of ['outbound', 'inbound', 'received'] as const) await h.scan('late', scan(type));
    await h.settle();
    expect(h.sentFor('late')).toEqual([]);
    h.plans.set('voter-late', plan({ channels: ['email'] }));
    await h.planChanged('late');
    await h.settle();
    await h.planChanged('late');
    await h.settle();
    expect(h.sentFor('late').map((notice) => [notice.channel, notice.noticeKey])).toEqual([['email', 'received#0']]);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('sends a return reminder only to a ballot that is still outbound, and never from Election Day on', async () => {
    const today = new Date(await h.env.currentTimeMs()).toISOString().slice(0, 10);
    h.elections.set('e-today', election({ electionDay: today, timeZone: 'UTC' }));
    for (const voter of ['remind', 'moved', 'too-late']) h.plans.set(`voter-${voter}`, plan());
    const [remind, moved] = [await h.issue('remind'), await h.issue('moved')];
    const tooLate = await h.issue('too-late', {}, 'e-today');
    await h.scan('remind', scan('outbound'));
    await h.scan('moved', scan('outbound'));
    await h.scan('too-late', scan('outbound'), 'e-today');
    await h.settle();
    await h.scan('moved', scan('inbound'));
    await h.settle();
    for (const handle of [remind, moved, tooLate]) await handle.signal(returnReminderDueSignal, {});
    await h.settle();
    expect(h.sentFor('remind').map((notice) => notice.noticeKey)).toEqual(['outbound#0', 'outbound#1']);
    expect(h.sentFor('moved').map((notice) => notice.noticeKey)).toEqual(['outbound#0', 'inbound#0']);
    expect(h.sentFor('too-late').map((notice) => notice.noticeKey)).toEqual(['outbound#0']);
    for (const handle of [remind, moved, tooLate]) await handle.signal(electionClosedSignal);
  });

  it('sends cure reminders before the deadline until the ballot is cured, then goes on to accepted', async () => {
    const now = await h.env.currentTimeMs();
    h.plans.set('voter-cure', plan());
    const handle = await h.issue('cure');
    const deadline = new Date(now + 5 * DAY).toISOString();
    await h.scan('cure', scan('challenged', { cureDeadline: deadline }));
    await h.settle();
    await h.env.sleep(2 * DAY + HOUR); // past the 3-days-before reminder
    expect(h.sentFor('cure').map((notice) => notice.noticeKey)).toEqual(['challenged#0', 'challenged#1']);
    await h.scan('cure', scan('cured'));
    await h.env.sleep(3 * DAY); // past the 1-day-before instant: no reminder once cured
    expect(h.sentFor('cure').map((notice) => notice.noticeKey)).toEqual(['challenged#0', 'challenged#1', 'cured#0']);
    await h.scan('cure', scan('accepted'));
    const result = await handle.result();
    expect(result.status).toBe('accepted');
    expect(h.sentFor('cure').at(-1)?.noticeKey).toBe('accepted#0');
  });

  it('completes at a terminal superseded status after telling the voter', async () => {
    h.plans.set('voter-super', plan());
    const handle = await h.issue('super');
    for (const type of ['outbound', 'undeliverable'] as const) {
      await h.scan('super', scan(type));
      await h.settle();
    }
    await h.scan('super', scan('superseded'));
    const result = await handle.result();
    expect(result.status).toBe('superseded');
    expect(h.sentFor('super').map((notice) => notice.noticeKey)).toEqual([
      'outbound#0',
      'undeliverable#0',
      'superseded#0',
    ]);
  });

  it('closes when the election closes: waiting notices are skipped and the status becomes closed', async () => {
    const now = await h.env.currentTimeMs();
    h.plans.set('voter-closing', plan({ window: windowOpeningIn(now, 30).window }));
    const handle = await h.issue('closing');
    await h.scan('closing', scan('outbound'));
    await h.settle();
    await handle.signal(electionClosedSignal);
    const result = await handle.result();
    expect(result.status).toBe('closed');
    expect(result.notices.map((notice) => [notice.key, notice.state, notice.reason])).toEqual([
      ['outbound#0', 'skipped', 'election closed'],
    ]);
    expect(h.sentFor('closing')).toEqual([]);
  });

  it('a ballot started after its election closed closes at once', async () => {
    h.elections.set('e-over', election({ closesAt: new Date((await h.env.currentTimeMs()) - DAY).toISOString() }));
    const handle = await h.issue('after-close', {}, 'e-over');
    expect((await handle.result()).status).toBe('closed');
  });

  it('records a permanent failure on one channel, does not retry it, and the other channels go on', async () => {
    h.plans.set('voter-landline', plan({ channels: ['sms', 'email'] }));
    h.sendBehaviour = (input) =>
      input.ballotId === 'landline' && input.channel === 'sms'
        ? permanentFailure('LandlineNumber')
        : { outcome: 'sent' };
    try {
      const handle = await h.issue('landline');
      await h.scan('landline', scan('outbound'));
      await h.settle();
      await h.scan('landline', scan('received'));
      await h.settle();
      const view = await handle.query(statusQuery);
      expect(
        view.notices
          .filter((notice) => notice.channel === 'sms')
          .map((notice) => [notice.key, notice.state, notice.reason]),
      ).toEqual([
        ['outbound#0', 'failed', 'LandlineNumber'],
        // The disabled channel shows the notice of the next status as skipped, and why.
        ['received#0', 'skipped', 'contact disabled (LandlineNumber)'],
      ]);
      expect(h.sentFor('landline', 'email').map((notice) => notice.noticeKey)).toEqual(['outbound#0', 'received#0']);
      await handle.signal(electionClosedSignal);
      await handle.result();
    } finally {
      h.sendBehaviour = () => ({ outcome: 'sent' });
    }
  });

  it('retries a transient failure with backoff until the send succeeds', async () => {
    h.plans.set('voter-flaky', plan());
    h.sendBehaviour = (input, attempt) => {
      if (input.ballotId === 'flaky' && attempt < 3) throw new Error('503 from provider');
      return { outcome: 'sent' };
    };
    try {
      const handle = await h.issue('flaky');
      await h.scan('flaky', scan('accepted'));
      const result = await handle.result();
      expect(result.notices.map((notice) => [notice.key, notice.state])).toEqual([['accepted#0', 'sent']]);
      expect(h.sentFor('flaky')).toHaveLength(1);
    } finally {
      h.sendBehaviour = () => ({ outcome: 'sent' });
    }
  });

  it('flags a ballot whose notice has been retried for over an hour, and clears the flag once it goes out', async () => {
    h.plans.set('voter-outage', plan());
    let failing = true;
    h.sendBehaviour = (input) => {
      if (input.ballotId === 'outage' && failing) throw new Error('503 from provider');
      return { outcome: 'sent' };
    };
    try {
      const handle = await h.issue('outage');
      await h.scan('outage', scan('outbound'));
      await h.env.sleep(HOUR - 60_000);
      expect((await handle.describe()).typedSearchAttributes.get(DeliveryProblem)).toBeUndefined();
      // Backoff from 5 s to 15 min: about a dozen attempts in the first hour, then four an hour.
      expect(h.attempts.get('e2026/outage/sms/outbound#0')).toBeLessThanOrEqual(12);
      // The first attempt after the hour (at most one backoff, 15 minutes, later) flags it.
      await h.env.sleep(17 * 60_000);
      expect((await handle.describe()).typedSearchAttributes.get(DeliveryProblem)).toBe('retrying');
      const afterAnHour = h.attempts.get('e2026/outage/sms/outbound#0')!;
      await h.env.sleep(HOUR);
      expect(h.attempts.get('e2026/outage/sms/outbound#0')! - afterAnHour).toBeLessThanOrEqual(5);
      failing = false;
      await h.env.sleep(20 * 60_000);
      expect(h.sentFor('outage').map((notice) => notice.noticeKey)).toEqual(['outbound#0']);
      expect((await handle.describe()).typedSearchAttributes.get(DeliveryProblem)).toBeUndefined();
      await handle.signal(electionClosedSignal);
      await handle.result();
    } finally {
      h.sendBehaviour = () => ({ outcome: 'sent' });
    }
  });

  it('a configuration failure pauses the channel until an operator resumes delivery', async () => {
    h.plans.set('voter-paused', plan());
    let configured = false;
    h.sendBehaviour = (input) => {
      if (input.ballotId === 'paused' && !configured) permanentFailure('CountyNotConfigured');
      return { outcome: 'sent' };
    };
    try {
      const handle = await h.issue('paused');
      await h.scan('paused', scan('received'));
      await h.env.sleep(DAY);
      expect(h.attempts.get('e2026/paused/sms/received#0')).toBe(1);
      expect((await handle.describe()).typedSearchAttributes.get(DeliveryProblem)).toBe('paused');
      const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toMatch(/paused \(CountyNotConfigured\) until an operator resumes delivery/);
      configured = true;
      await h.deliver('paused', { resumed: true });
      await h.settle();
      expect(h.sentFor('paused').map((notice) => notice.noticeKey)).toEqual(['received#0']);
      expect((await handle.describe()).typedSearchAttributes.get(DeliveryProblem)).toBeUndefined();
      await handle.signal(electionClosedSignal);
      await handle.result();
    } finally {
      h.sendBehaviour = () => ({ outcome: 'sent' });
    }
  });

  it('continues as new before its history grows large, and keeps its story', async () => {
    h.plans.set('voter-busy', plan({ channels: ['email'] }));
    const handle = await h.issue('busy');
    await h.scan('busy', scan('outbound'));
    await h.settle();
    const firstRun = (await handle.describe()).runId;
    for (let round = 0; round < 20; round += 1) {
      await Promise.all(Array.from({ length: 100 }, () => h.planChanged('busy')));
      await h.settle();
    }
    const described = await handle.describe();
    expect(described.runId).not.toBe(firstRun);
    expect(described.historyLength).toBeLessThan(2_000);
    await h.scan('busy', scan('accepted'));
    const result = await h.env.client.workflow.getHandle<typeof ballotLifecycle>(handle.workflowId).result();
    expect(result.status).toBe('accepted');
    expect(h.sentFor('busy').map((notice) => notice.noticeKey)).toEqual(['outbound#0', 'accepted#0']);
  });
});
