/**
 * A broadcast in the ballot machine: once per broadcast and channel, only while the ballot is in
 * one of its statuses, in the voter's window, and never after it expires.
 */
import { describe, expect, it } from 'vitest';
import { BallotMachine, type Decision } from '../../domain/ballot-machine.js';
import { checkBroadcastDue, type ElectionFacts } from '../../domain/ballot-records.js';
import {
  BROADCAST_SEQUENCE_BASE,
  broadcastOfSequence,
  broadcastSequence,
  isBroadcastMessage,
  statusesOutsideMessage,
} from '../../domain/broadcasts.js';
import type { DeliveryPlan } from '../../domain/notices.js';

const HOUR = 3_600_000;
/** Tuesday 2026-10-06 17:00 UTC = 10:00 in Los Angeles. */
const T0 = Date.parse('2026-10-06T17:00:00Z');
const ELECTION: ElectionFacts = {
  electionDay: '2026-11-03',
  timeZone: 'America/Los_Angeles',
  cureReminderDaysBefore: [],
};
const ALWAYS: DeliveryPlan = {
  channels: ['sms', 'email'],
  language: 'es',
  window: { start: '00:00', end: '00:00' },
  timeZone: 'UTC',
};
/** Opens at 20:00 UTC, three hours after T0. */
const EVENING: DeliveryPlan = {
  channels: ['sms'],
  language: 'en',
  window: { start: '20:00', end: '22:00' },
  timeZone: 'UTC',
};
/** The evening before T0, inside every window here. */
const ISSUED = Date.parse('2026-10-05T21:00:00Z');
const KEY = `outbound#${BROADCAST_SEQUENCE_BASE + 7}`;

function outbound(plan: DeliveryPlan | null): BallotMachine {
  const machine = BallotMachine.fresh('e2026', 'b1');
  machine.receive(
    {
      issuance: { voterId: 'v1', county: 'yolo' },
      plan,
      election: ELECTION,
      events: [{ eventId: 'ev-1', type: 'outbound', occurredAt: '2026-10-06T10:00:00Z' }],
    },
    ISSUED,
  );
  // The outbound status notice goes out first (inside every window of these plans).
  sendAll(machine, machine.decide(ISSUED), ISSUED);
  return machine;
}

function sendAll(machine: BallotMachine, decision: Decision, now: number): string[] {
  for (const order of decision.sends) machine.started(order, now);
  for (const order of decision.sends) machine.finished(order, { outcome: 'sent' }, now);
  return decision.sends.map((order) => `${order.channel}:${order.notice.key}`);
}

describe('broadcasts in the ballot machine', () => {
  it('owes the broadcast once on every channel of the plan, however often it is signalled', () => {
    const machine = outbound(ALWAYS);
    machine.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    machine.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    const decision = machine.decide(T0);
    expect(decision.sends.map((order) => order.notice)).toEqual([
      { key: KEY, status: 'outbound', sequence: BROADCAST_SEQUENCE_BASE + 7, reminder: 'broadcast' },
      { key: KEY, status: 'outbound', sequence: BROADCAST_SEQUENCE_BASE + 7, reminder: 'broadcast' },
    ]);
    expect(sendAll(machine, decision, T0)).toEqual([`sms:${KEY}`, `email:${KEY}`]);
    machine.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0 + HOUR);
    expect(machine.decide(T0 + HOUR).sends).toEqual([]);
    // Another broadcast is another notice.
    machine.broadcastDue({ broadcastId: 8, statuses: ['outbound'] }, T0 + HOUR);
    expect(machine.decide(T0 + HOUR).sends.map((order) => order.notice.sequence)).toEqual([
      BROADCAST_SEQUENCE_BASE + 8,
      BROADCAST_SEQUENCE_BASE + 8,
    ]);
  });

  it('is refused by a ballot in another status, and by a ballot nobody subscribed to', () => {
    const returned = outbound(ALWAYS);
    returned.receive({ events: [{ eventId: 'ev-2', type: 'received', occurredAt: '2026-10-07T10:00:00Z' }] }, T0);
    sendAll(returned, returned.decide(T0), T0);
    returned.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    expect(returned.decide(T0).sends).toEqual([]);

    const nobody = outbound(null);
    nobody.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    const decision = nobody.decide(T0);
    expect(decision.sends).toEqual([]);
    expect(decision.wakeAt).toBeUndefined();
  });

  it('waits for the voter window, and is dropped if the ballot moves on or the broadcast expires first', () => {
    const waits = outbound(EVENING);
    waits.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    let decision = waits.decide(T0);
    expect(decision.sends).toEqual([]);
    expect(decision.wakeAt).toBe(Date.parse('2026-10-06T20:00:00Z'));
    expect(waits.notices.find((n) => n.key === KEY)).toMatchObject({ state: 'scheduled', reminder: 'broadcast' });
    decision = waits.decide(decision.wakeAt!);
    expect(sendAll(waits, decision, decision.wakeAt!)).toEqual([`sms:${KEY}`]);

    const moved = outbound(EVENING);
    moved.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    moved.decide(T0);
    moved.receive({ events: [{ eventId: 'ev-2', type: 'received', occurredAt: '2026-10-06T18:00:00Z' }] }, T0 + HOUR);
    decision = moved.decide(Date.parse('2026-10-06T20:00:00Z'));
    expect(decision.sends.map((order) => order.notice.key)).toEqual(['received#0']);

    const expires = outbound(EVENING);
    expires.broadcastDue({ broadcastId: 7, statuses: ['outbound'], expiresAt: T0 + HOUR }, T0);
    expect(expires.decide(T0).wakeAt).toBe(Date.parse('2026-10-06T20:00:00Z'));
    expect(expires.decide(Date.parse('2026-10-06T20:00:00Z')).sends).toEqual([]);
    expect(expires.notices.find((n) => n.key === KEY)).toMatchObject({ state: 'skipped' });

    const late = outbound(ALWAYS);
    late.broadcastDue({ broadcastId: 7, statuses: ['outbound'], expiresAt: T0 }, T0);
    expect(late.decide(T0).sends).toEqual([]);
  });

  it('survives continue-as-new in the snapshot', () => {
    const machine = outbound(EVENING);
    machine.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0);
    machine.decide(T0);
    const restored = BallotMachine.restore(machine.snapshot());
    restored.broadcastDue({ broadcastId: 7, statuses: ['outbound'] }, T0 + HOUR);
    const at = Date.parse('2026-10-06T20:00:00Z');
    expect(restored.decide(at).sends.map((order) => order.notice.key)).toEqual([KEY]);
  });
});

describe('broadcast rules', () => {
  it('numbers broadcast notices apart from status notices and reminders', () => {
    expect(broadcastSequence(7)).toBe(BROADCAST_SEQUENCE_BASE + 7);
    expect(broadcastOfSequence(BROADCAST_SEQUENCE_BASE + 7)).toBe(7);
    expect(broadcastOfSequence(0)).toBeUndefined();
    expect(broadcastOfSequence(2)).toBeUndefined();
  });

  it('allows only catalog messages worded in every language, for the statuses they make sense for', () => {
    expect(isBroadcastMessage('reminder.return')).toBe(true);
    expect(isBroadcastMessage('status.accepted.was_counted')).toBe(false);
    expect(isBroadcastMessage('toString')).toBe(false);
    expect(statusesOutsideMessage('reminder.return', ['outbound', 'received'])).toEqual(['received']);
  });

  it('the workflow checks a broadcast signal by hand', () => {
    expect(checkBroadcastDue({ broadcastId: 3, statuses: ['outbound'], expiresAt: 5 })).toEqual({
      ok: true,
      value: { broadcastId: 3, statuses: ['outbound'], expiresAt: 5 },
    });
    for (const bad of [
      null,
      {},
      { broadcastId: 0, statuses: ['outbound'] },
      { broadcastId: 1, statuses: ['nope'] },
      { broadcastId: 1, statuses: [] },
    ]) {
      expect(checkBroadcastDue(bad).ok).toBe(false);
    }
  });
});
