import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BallotStatus, County, ElectionId, NeedsAttention } from '../../workflows/search-attributes.js';
import {
  electionClosedSignal,
  preferencesChangedSignal,
  recordEventUpdate,
  returnReminderDueSignal,
  statusQuery,
  subscriberAddedSignal,
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
    for (const type of ['outbound', 'inbound', 'received'] as const) {
      await handle.executeUpdate(recordEventUpdate, { args: [scan(type)] });
      await h.settle();
    }
    expect(await handle.executeUpdate(recordEventUpdate, { args: [scan('accepted')] })).toBe('accepted');
    const result = await handle.result();

    expect(result.status).toBe('accepted');
    expect(result.events.map((event) => event.outcome)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(h.sentFor('happy', 'sms').map((notice) => notice.noticeKey)).toEqual([
      'outbound#0',
      'inbound#0',
      'received#0',
      'accepted#0',
    ]);
    expect(h.sentFor('happy', 'email')).toHaveLength(4);
    expect(h.sentFor('happy', 'sms').at(-1)?.messageKey).toBe('status.accepted.will_be_counted');
    expect(result.notices.every((notice) => notice.state === 'sent')).toBe(true);
  });

  it('keeps search attributes current, flags ballots that need attention, and shows a details line', async () => {
    h.plans.set('voter-attn', plan({ channels: [] }));
    const handle = await h.issue('attn', { county: 'yolo' });
    await handle.executeUpdate(recordEventUpdate, { args: [scan('undeliverable')] });
    await h.settle();
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(BallotStatus)).toBe('undeliverable');
    expect(described.typedSearchAttributes.get(NeedsAttention)).toBe(true);
    expect(described.typedSearchAttributes.get(County)).toBe('yolo');
    expect(described.typedSearchAttributes.get(ElectionId)).toBe('e2026');
    await handle.executeUpdate(recordEventUpdate, { args: [scan('received')] });
    await h.settle();
    const after = await handle.describe();
    expect(after.typedSearchAttributes.get(BallotStatus)).toBe('received');
    expect(after.typedSearchAttributes.get(NeedsAttention)).toBe(false);
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/\*\*received\*\* · 2 events/);
    await handle.signal(electionClosedSignal);
    expect((await handle.result()).status).toBe('closed');
  });

  it('answers duplicate for a repeated event ID and stale for a late lower-rank event, which notifies nobody', async () => {
    h.plans.set('voter-dup', plan());
    const handle = await h.issue('dup');
    const received = scan('received');
    expect(await handle.executeUpdate(recordEventUpdate, { args: [received] })).toBe('accepted');
    expect(await handle.executeUpdate(recordEventUpdate, { args: [received] })).toBe('duplicate');
    expect(await handle.executeUpdate(recordEventUpdate, { args: [scan('inbound')] })).toBe('stale');
    await h.settle();
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('received');
    expect(view.events.map((event) => [event.type, event.outcome])).toEqual([
      ['received', 'applied'],
      ['inbound', 'stale'],
    ]);
    expect(h.sentFor('dup').map((notice) => notice.noticeKey)).toEqual(['received#0']);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('rejects a malformed event in the update validator, before it enters history', async () => {
    const handle = await h.issue('malformed');
    const bad = { eventId: 'x1', type: 'teleported', occurredAt: 'yesterday' };
    await expect(handle.executeUpdate(recordEventUpdate, { args: [bad as never] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    const history = await handle.fetchHistory();
    expect(history.events?.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    expect((await handle.query(statusQuery)).events.map((event) => event.eventId)).not.toContain('x1');
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
    expect(waiting.events.map((event) => event.outcome)).toEqual(['pending', 'pending']);
    expect(h.sentFor('orphan')).toEqual([]);

    await h.issue('orphan');
    await h.settle();
    const known = await handle.query(statusQuery);
    expect(known.status).toBe('inbound');
    expect(known.events.map((event) => event.outcome)).toEqual(['applied', 'applied']);
    expect(h.sentFor('orphan').map((notice) => notice.noticeKey)).toEqual(['inbound#0']);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('waits for the voter window, then sends one notice for the latest status instead of three', async () => {
    const now = await h.env.currentTimeMs();
    const { window, opensAt } = windowOpeningIn(now, 5);
    h.plans.set('voter-night', plan({ window }));
    const handle = await h.issue('night');
    for (const type of ['outbound', 'inbound', 'received'] as const) await h.scan('night', scan(type));
    await h.settle();
    const view = await handle.query(statusQuery);
    const scheduled = view.notices.filter((notice) => notice.state === 'scheduled');
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.key).toBe('received#0');
    expect(Date.parse(scheduled[0]!.at)).toBe(opensAt);
    expect(h.sentFor('night')).toEqual([]);

    await h.env.sleep(5 * HOUR + 60_000);
    const sent = h.sentFor('night');
    expect(sent.map((notice) => notice.noticeKey)).toEqual(['received#0']);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(opensAt);
    expect(sent[0]!.at).toBeLessThan(opensAt + HOUR);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('drops an action-needed notice that is no longer current when the window opens', async () => {
    const now = await h.env.currentTimeMs();
    const { window } = windowOpeningIn(now, 3);
    h.plans.set('voter-cured', plan({ window }));
    const handle = await h.issue('cured');
    await h.scan('cured', scan('challenged', { reason: 'signature_mismatch', cureDeadline: '2099-11-10' }));
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
    await handle.signal(preferencesChangedSignal);
    await h.env.sleep(HOUR + 120_000);
    expect(h.sentFor('prefs').map((notice) => [notice.noticeKey, notice.language])).toEqual([['outbound#0', 'es']]);

    h.plans.set('voter-prefs', plan({ window: windowOpeningIn(await h.env.currentTimeMs(), 6).window }));
    await handle.signal(preferencesChangedSignal);
    await h.scan('prefs', scan('received'));
    await h.settle();
    expect((await handle.query(statusQuery)).notices.find((notice) => notice.key === 'received#0')?.state).toBe(
      'scheduled',
    );
    h.plans.set('voter-prefs', plan({ channels: [] }));
    await handle.signal(preferencesChangedSignal);
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
    h.plans.set('voter-late', plan({ channels: [] }));
    const handle = await h.issue('late');
    for (const type of ['outbound', 'inbound', 'received'] as const) await h.scan('late', scan(type));
    await h.settle();
    expect(h.sentFor('late')).toEqual([]);
    h.plans.set('voter-late', plan({ channels: ['email'] }));
    await handle.signal(subscriberAddedSignal);
    await h.settle();
    await handle.signal(subscriberAddedSignal);
    await h.settle();
    expect(h.sentFor('late').map((notice) => [notice.channel, notice.noticeKey])).toEqual([['email', 'received#0']]);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('sends a return reminder only to a ballot that is still outbound', async () => {
    h.plans.set('voter-remind', plan());
    h.plans.set('voter-moved', plan());
    const [remind, moved] = [await h.issue('remind'), await h.issue('moved')];
    await h.scan('remind', scan('outbound'));
    await h.scan('moved', scan('outbound'));
    await h.settle();
    await h.scan('moved', scan('inbound'));
    await h.settle();
    await remind.signal(returnReminderDueSignal);
    await moved.signal(returnReminderDueSignal);
    await h.settle();
    expect(h.sentFor('remind').map((notice) => [notice.noticeKey, notice.messageKey])).toEqual([
      ['outbound#0', 'status.outbound'],
      ['outbound#1', 'reminder.return'],
    ]);
    expect(h.sentFor('moved').map((notice) => notice.noticeKey)).toEqual(['outbound#0', 'inbound#0']);
    for (const handle of [remind, moved]) await handle.signal(electionClosedSignal);
  });

  it('sends cure reminders before the deadline until the ballot is cured, then goes on to accepted', async () => {
    const now = await h.env.currentTimeMs();
    h.plans.set('voter-cure', plan());
    const handle = await h.issue('cure');
    const deadline = new Date(now + 5 * DAY).toISOString();
    await h.scan('cure', scan('challenged', { reason: 'no_signature', cureDeadline: deadline }));
    await h.settle();
    await h.env.sleep(2 * DAY + HOUR); // past the 3-days-before reminder
    expect(h.sentFor('cure').map((notice) => notice.noticeKey)).toEqual(['challenged#0', 'challenged#1']);
    await h.scan('cure', scan('cured'));
    await h.env.sleep(3 * DAY); // past the 1-day-before instant: no reminder once cured
    expect(h.sentFor('cure').map((notice) => notice.noticeKey)).toEqual(['challenged#0', 'challenged#1', 'cured#0']);
    await h.scan('cure', scan('accepted'));
    const result = await handle.result();
    expect(result.status).toBe('accepted');
    expect(
      h
        .sentFor('cure')
        .map((notice) => notice.noticeKey)
        .at(-1),
    ).toBe('accepted#0');
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

  it('closes at the election closing date: open notices are skipped and the status becomes closed', async () => {
    const now = await h.env.currentTimeMs();
    h.elections.set('e-closing', election({ closesAt: new Date(now + DAY).toISOString() }));
    h.plans.set('voter-closing', plan({ window: windowOpeningIn(now, 30).window }));
    const handle = await h.issue('closing', {}, 'e-closing');
    await h.scan('closing', scan('outbound'), 'e-closing');
    await h.settle();
    await handle.signal(electionClosedSignal);
    const result = await handle.result();
    expect(result.status).toBe('closed');
    expect(result.notices.map((notice) => [notice.key, notice.state, notice.reason])).toEqual([
      ['outbound#0', 'skipped', 'election closed'],
    ]);
    expect(h.sentFor('closing')).toEqual([]);
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
      ).toEqual([['outbound#0', 'failed', 'LandlineNumber']]);
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

  it('words an accepted ballot "will be counted" before Election Day and "was counted" from Election Day on', async () => {
    const now = await h.env.currentTimeMs();
    const today = new Date(now).toISOString().slice(0, 10);
    h.elections.set('e-past', election({ electionDay: today, timezone: 'UTC' }));
    h.plans.set('voter-counted', plan());
    const handle = await h.issue('counted', {}, 'e-past');
    await h.scan('counted', scan('accepted'), 'e-past');
    await handle.result();
    expect(h.sentFor('counted')[0]?.messageKey).toBe('status.accepted.was_counted');
  });
});
