/**
 * A broadcast reaching ballot workflows on the time-skipping server: the workflow sends it in the
 * voter's window (a closed window: when it opens), once per channel however often it is signalled,
 * and only to a ballot still in one of the broadcast's statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROADCAST_SEQUENCE_BASE } from '../../domain/broadcasts.js';
import { broadcastDueSignal, electionClosedSignal, statusQuery } from '../../workflows/ballot.js';
import { BallotHarness, plan, scan } from '../helpers/ballot-harness.js';

const HOUR = 3_600_000;
const KEY = `outbound#${BROADCAST_SEQUENCE_BASE + 41}`;
const DUE = { broadcastId: 41, statuses: ['outbound' as const] };

/** A UTC window that opens `hours` from `nowMs` (rounded down to the minute) and stays open two hours. */
function windowOpeningIn(nowMs: number, hours: number) {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const start = Math.floor((nowMs + hours * HOUR) / 60_000) * 60_000;
  return { window: { start: hhmm(start), end: hhmm(start + 2 * HOUR) }, opensAt: start };
}

describe('broadcasts in the ballot workflow (time-skipping)', () => {
  let h: BallotHarness;

  beforeAll(async () => {
    h = await BallotHarness.create();
  });

  afterAll(async () => {
    await h?.teardown();
  });

  it('never reaches a voter outside their window: the notice waits, scheduled, and goes out when it opens', async () => {
    const now = await h.env.currentTimeMs();
    const { window, opensAt } = windowOpeningIn(now, 6);
    // Told "outbound" by day; then the voter's window is one that is closed when the broadcast comes.
    h.plans.set('voter-bc-night', plan({ channels: ['sms', 'email'] }));
    const handle = await h.issue('bc-night');
    await h.scan('bc-night', scan('outbound'));
    await h.settle();
    h.plans.set('voter-bc-night', plan({ channels: ['sms', 'email'], window }));
    await h.planChanged('bc-night');
    await h.settle();
    await handle.signal(broadcastDueSignal, DUE);
    await h.settle();
    const view = await handle.query(statusQuery);
    const scheduled = view.notices.filter((notice) => notice.key === KEY);
    expect(scheduled.map((notice) => [notice.channel, notice.state, Date.parse(notice.at)])).toEqual([
      ['sms', 'scheduled', opensAt],
      ['email', 'scheduled', opensAt],
    ]);
    expect(h.sentFor('bc-night').filter((notice) => notice.noticeKey === KEY)).toEqual([]);

    await h.env.sleep(6 * HOUR + 60_000);
    const sent = h.sentFor('bc-night').filter((notice) => notice.noticeKey === KEY);
    expect(sent.map((notice) => notice.channel).sort()).toEqual(['email', 'sms']);
    for (const notice of sent) {
      expect(notice.at).toBeGreaterThanOrEqual(opensAt);
      expect(notice.at).toBeLessThan(opensAt + 2 * HOUR);
    }
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('sends once per channel however often the broadcast is signalled (a re-run), and a new broadcast again', async () => {
    h.plans.set('voter-bc-twice', plan({ channels: ['sms'] }));
    const handle = await h.issue('bc-twice');
    await h.scan('bc-twice', scan('outbound'));
    await h.settle();
    for (let i = 0; i < 3; i++) {
      await handle.signal(broadcastDueSignal, DUE);
      await h.settle();
    }
    await handle.signal(broadcastDueSignal, { ...DUE, broadcastId: 42 });
    await h.settle();
    expect(h.sentFor('bc-twice').map((notice) => notice.noticeKey)).toEqual([
      'outbound#0',
      KEY,
      `outbound#${BROADCAST_SEQUENCE_BASE + 42}`,
    ]);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });

  it('a ballot in another status, or a malformed signal, gets nothing', async () => {
    h.plans.set('voter-bc-back', plan({ channels: ['sms'] }));
    const handle = await h.issue('bc-back');
    await h.scan('bc-back', scan('outbound'));
    await h.scan('bc-back', scan('received'));
    await h.settle();
    await handle.signal(broadcastDueSignal, DUE);
    await handle.signal(broadcastDueSignal, { broadcastId: 'x' } as never);
    await h.settle();
    // Whether outbound#0 went out before received arrived depends on timing; no broadcast notice does.
    const keys = h.sentFor('bc-back').map((notice) => notice.noticeKey);
    expect(keys).toContain('received#0');
    expect(keys.filter((key) => Number(key.split('#')[1]) >= BROADCAST_SEQUENCE_BASE)).toEqual([]);
    await handle.signal(electionClosedSignal);
    await handle.result();
  });
});
