/**
 * The ballot state machine on its own: records in, decisions out, no Temporal. Each story names
 * what the workflow shell would do with the decisions (send now, set one timer, upsert, complete).
 */
import { describe, expect, it } from 'vitest';
import { BallotMachine, MAX_SEND_SPAN_MS, type BallotSnapshot, type Decision } from '../../domain/ballot-machine.js';
import type { BallotEventRecord, BallotRecords, ElectionFacts } from '../../domain/ballot-records.js';
import { MAX_EVENTS_PER_BALLOT, type EventType } from '../../domain/ballot-status.js';
import type { DeliveryPlan } from '../../domain/notices.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Tuesday 2026-10-06 17:00 UTC = 10:00 in Los Angeles. */
const T0 = Date.parse('2026-10-06T17:00:00Z');

const ALWAYS: DeliveryPlan = {
  channels: ['sms'],
  language: 'en',
  window: { start: '00:00', end: '00:00' },
  timeZone: 'UTC',
};
/** 08:00-21:00 in Los Angeles: at T0 the window is open until 04:00 UTC. */
const DAYTIME: DeliveryPlan = {
  channels: ['sms', 'email'],
  language: 'es',
  window: { start: '08:00', end: '21:00' },
  timeZone: 'America/Los_Angeles',
};
const ELECTION: ElectionFacts = {
  electionDay: '2026-11-03',
  timeZone: 'America/Los_Angeles',
  cureReminderDaysBefore: [3, 1],
};

let counter = 0;
function event(type: EventType, extra: Partial<BallotEventRecord> = {}): BallotEventRecord {
  counter += 1;
  return { eventId: `ev-${counter}`, type, occurredAt: '2026-10-06T10:00:00-07:00', ...extra };
}

function issued(plan: DeliveryPlan | null, records: BallotRecords = {}, now = T0): BallotMachine {
  const machine = BallotMachine.fresh('e2026', 'b1');
  machine.receive({ issuance: { voterId: 'v1', county: 'yolo' }, plan, election: ELECTION, ...records }, now);
  return machine;
}

/** Sends every ordered notice successfully; returns the keys per channel. */
function sendAll(machine: BallotMachine, decision: Decision, now: number): string[] {
  for (const order of decision.sends) machine.started(order, now);
  for (const order of decision.sends) machine.finished(order, { outcome: 'sent' }, now);
  return decision.sends.map((order) => `${order.channel}:${order.notice.key}`);
}

describe('ballot machine: a ballot nobody subscribed to', () => {
  it('moves its status forward, orders no send and no timer, and is done at a final status', () => {
    const machine = issued(null);
    machine.receive({ events: [event('outbound'), event('inbound')] }, T0);
    let decision = machine.decide(T0);
    expect(decision).toMatchObject({ sends: [], done: false, searchAttributes: { status: 'inbound', county: 'yolo' } });
    expect(decision.wakeAt).toBeUndefined();
    machine.receive({ events: [event('received'), event('accepted')] }, T0 + HOUR);
    decision = machine.decide(T0 + HOUR);
    expect(decision.sends).toEqual([]);
    expect(decision.done).toBe(true);
    expect(machine.status).toBe('accepted');
  });

  it('keeps scans that arrive before the issuance record and applies them when it comes', () => {
    const machine = BallotMachine.fresh('e2026', 'b1');
    machine.receive({ events: [event('inbound'), event('outbound')] }, T0);
    expect(machine.decide(T0)).toMatchObject({ done: false, searchAttributes: { status: 'issued' } });
    expect(machine.decide(T0).waitingFor).toMatch(/issuance record \(2 scans kept\)/);
    machine.receive({ issuance: { voterId: 'v1', county: 'yolo' }, plan: null }, T0);
    expect(machine.status).toBe('inbound');
  });

  it('ignores a repeated event ID and a late lower-rank event', () => {
    const machine = issued(null);
    const received = event('received');
    machine.receive({ events: [received, event('outbound'), received] }, T0);
    expect(machine.status).toBe('received');
    expect(machine.view().eventsReceived).toBe(2);
  });

  it('flags undeliverable and challenged ballots for attention', () => {
    const machine = issued(null, { events: [event('undeliverable')] });
    expect(machine.decide(T0).searchAttributes.needsAttention).toBe(true);
    machine.receive({ events: [event('received')] }, T0);
    expect(machine.decide(T0).searchAttributes.needsAttention).toBe(false);
  });

  it('applies no more than MAX_EVENTS_PER_BALLOT events', () => {
    const machine = issued(null);
    const many = Array.from({ length: 100 }, () => event('outbound'));
    for (let i = 0; i < 3; i += 1)
      machine.receive({ events: many.slice(0, 100).map((e) => ({ ...e, eventId: `${e.eventId}-${i}` })) }, T0);
    expect(machine.view().eventsReceived).toBe(MAX_EVENTS_PER_BALLOT);
  });
});

describe('ballot machine: telling a subscribed voter', () => {
  it('orders one send per chosen channel while the window is open, then nothing until the next status', () => {
    const machine = issued({ ...ALWAYS, channels: ['sms', 'email'] }, { events: [event('outbound')] });
    const decision = machine.decide(T0);
    expect(sendAll(machine, decision, T0)).toEqual(['sms:outbound#0', 'email:outbound#0']);
    expect(decision.sends[0]).toMatchObject({ language: 'en', replaces: [], retryUntil: T0 + MAX_SEND_SPAN_MS });
    expect(decision.sends[0]!.windowClosesAt).toBeUndefined();
    expect(machine.decide(T0).sends).toEqual([]);
    machine.receive({ events: [event('inbound')] }, T0);
    expect(sendAll(machine, machine.decide(T0), T0)).toEqual(['sms:inbound#0', 'email:inbound#0']);
  });

  it('does not order a second send while one is in flight on the channel, and is not done until it finishes', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    const first = machine.decide(T0);
    machine.started(first.sends[0]!, T0);
    machine.receive({ events: [event('accepted')] }, T0);
    const during = machine.decide(T0);
    expect(during.sends).toEqual([]);
    expect(during.done).toBe(false);
    expect(during.waitingFor).toMatch(/sms: sending outbound#0/);
    machine.finished(first.sends[0]!, { outcome: 'sent' }, T0);
    expect(sendAll(machine, machine.decide(T0), T0)).toEqual(['sms:accepted#0']);
    expect(machine.decide(T0).done).toBe(true);
  });

  it('waits for the window, coalesces statuses that pile up, and says the replaced notice was skipped', () => {
    const night = Date.parse('2026-10-07T06:00:00Z'); // 23:00 in Los Angeles
    const opens = Date.parse('2026-10-07T15:00:00Z'); // 08:00 in Los Angeles
    const machine = issued(DAYTIME, { events: [event('outbound')] }, night);
    let decision = machine.decide(night);
    expect(decision.sends).toEqual([]);
    expect(decision.wakeAt).toBe(opens);
    expect(decision.waitingFor).toMatch(/outbound#0 when the voter's window opens at 08:00 America\/Los_Angeles/);
    machine.receive({ events: [event('inbound')] }, night + HOUR);
    decision = machine.decide(night + HOUR);
    expect(decision.wakeAt).toBe(opens);
    decision = machine.decide(opens);
    expect(decision.sends.map((order) => [order.notice.key, order.replaces])).toEqual([
      ['inbound#0', ['outbound#0']],
      ['inbound#0', ['outbound#0']],
    ]);
    expect(decision.sends[0]!.windowClosesAt).toBe(Date.parse('2026-10-08T04:00:00Z'));
    expect(machine.notices.filter((n) => n.key === 'outbound#0').map((n) => [n.state, n.reason])).toEqual([
      ['skipped', 'replaced by a newer notice'],
      ['skipped', 'replaced by a newer notice'],
    ]);
  });

  it('does not start a send in the last minute of the window', () => {
    const lastMinute = Date.parse('2026-10-07T03:59:30Z'); // 20:59:30 in Los Angeles
    const machine = issued(DAYTIME, { events: [event('outbound')] }, lastMinute);
    const decision = machine.decide(lastMinute);
    expect(decision.sends).toEqual([]);
    expect(decision.wakeAt).toBe(Date.parse('2026-10-07T15:00:00Z'));
  });

  it('stops retrying at the window end, not an hour later, when the window closes first', () => {
    const late = Date.parse('2026-10-07T03:30:00Z'); // 20:30 in Los Angeles
    const machine = issued(DAYTIME, { events: [event('outbound')] }, late);
    expect(machine.decide(late).sends[0]!.retryUntil).toBe(Date.parse('2026-10-07T04:00:00Z'));
  });

  it('records skipped notices for an opted-out channel once, and never sends to it', () => {
    const machine = issued({ ...ALWAYS, channels: ['email'], optedOut: ['sms'] }, { events: [event('outbound')] });
    const decision = machine.decide(T0);
    expect(decision.sends.map((order) => order.channel)).toEqual(['email']);
    expect(machine.notices.find((n) => n.channel === 'sms')).toMatchObject({
      key: 'outbound#0',
      state: 'skipped',
      reason: 'opted out',
    });
    machine.decide(T0);
    expect(machine.notices.filter((n) => n.channel === 'sms')).toHaveLength(1);
  });

  it('drops a waiting notice when its channel leaves the plan, and tells a channel added later the current status once', () => {
    const night = Date.parse('2026-10-07T06:00:00Z');
    const machine = issued(DAYTIME, { events: [event('outbound')] }, night);
    machine.decide(night);
    machine.receive({ plan: { ...DAYTIME, channels: ['email'] } }, night);
    machine.decide(night);
    expect(machine.notices.find((n) => n.channel === 'sms')).toMatchObject({
      state: 'skipped',
      reason: 'channel no longer chosen or unsubscribed',
    });
    machine.receive({ plan: { ...ALWAYS, channels: ['email', 'voice'] } }, night);
    expect(sendAll(machine, machine.decide(night), night)).toEqual(['email:outbound#0', 'voice:outbound#0']);
  });

  it('shows the notice an unsubscribed channel skips (recorded, not told), so subscribing again still hears it', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    expect(sendAll(machine, machine.decide(T0), T0)).toEqual(['sms:outbound#0']);
    machine.receive({ plan: null, events: [event('inbound')] }, T0);
    const decision = machine.decide(T0);
    expect(decision.sends).toEqual([]);
    expect(machine.notices.find((n) => n.key === 'inbound#0')).toMatchObject({
      channel: 'sms',
      state: 'skipped',
      reason: 'unsubscribed',
    });
    machine.decide(T0);
    expect(machine.notices.filter((n) => n.key === 'inbound#0')).toHaveLength(1);
    machine.receive({ plan: ALWAYS }, T0);
    expect(sendAll(machine, machine.decide(T0), T0)).toEqual(['sms:inbound#0']);
    expect(machine.notices.find((n) => n.key === 'inbound#0')).toMatchObject({ state: 'sent' });
  });

  it('shows a channel removed from the plan skipping the next status', () => {
    const machine = issued({ ...ALWAYS, channels: ['sms', 'email'] }, { events: [event('outbound')] });
    sendAll(machine, machine.decide(T0), T0);
    machine.receive({ plan: { ...ALWAYS, channels: ['email'] }, events: [event('received')] }, T0);
    expect(sendAll(machine, machine.decide(T0), T0)).toEqual(['email:received#0']);
    expect(machine.notices.find((n) => n.channel === 'sms' && n.key === 'received#0')).toMatchObject({
      state: 'skipped',
      reason: 'channel no longer chosen',
    });
  });

  it('a late subscriber hears only the current status', () => {
    const machine = issued(null, { events: [event('outbound'), event('inbound'), event('received')] });
    expect(machine.decide(T0).sends).toEqual([]);
    machine.receive({ plan: ALWAYS }, T0);
    expect(sendAll(machine, machine.decide(T0), T0)).toEqual(['sms:received#0']);
  });
});

describe('ballot machine: failures', () => {
  it('a recipient that will never work stops the channel and records the failure', () => {
    const machine = issued({ ...ALWAYS, channels: ['sms', 'email'] }, { events: [event('outbound')] });
    const decision = machine.decide(T0);
    for (const order of decision.sends) machine.started(order, T0);
    machine.failed(decision.sends[0]!, { kind: 'recipient', type: 'LandlineNumber' }, T0);
    machine.finished(decision.sends[1]!, { outcome: 'sent' }, T0);
    machine.receive({ events: [event('inbound')] }, T0);
    expect(machine.decide(T0).sends.map((order) => order.channel)).toEqual(['email']);
    expect(machine.notices.find((n) => n.channel === 'sms')).toMatchObject({
      state: 'failed',
      reason: 'LandlineNumber',
    });
    expect(machine.notices.find((n) => n.channel === 'sms' && n.key === 'inbound#0')).toMatchObject({
      state: 'skipped',
      reason: 'contact disabled (LandlineNumber)',
    });
  });

  it('a configuration failure pauses the channel (searchable) until an operator resumes delivery', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    const order = machine.decide(T0).sends[0]!;
    machine.started(order, T0);
    machine.failed(order, { kind: 'paused', type: 'CountyNotConfigured' }, T0);
    let decision = machine.decide(T0);
    expect(decision.sends).toEqual([]);
    expect(decision.wakeAt).toBeUndefined();
    expect(decision.searchAttributes.deliveryProblem).toBe('paused');
    expect(decision.waitingFor).toMatch(/paused \(CountyNotConfigured\)/);
    machine.receive({ events: [event('accepted')] }, T0);
    expect(machine.decide(T0).done).toBe(false);
    machine.receive({ resumed: true }, T0 + DAY);
    decision = machine.decide(T0 + DAY);
    expect(decision.searchAttributes.deliveryProblem).toBeUndefined();
    expect(sendAll(machine, decision, T0 + DAY)).toEqual(['sms:accepted#0']);
    expect(machine.decide(T0 + DAY).done).toBe(true);
  });

  it('after an hour of retries inside the window, flags the ballot and retries on slowly; success clears the flag', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    const order = machine.decide(T0).sends[0]!;
    expect(order.persistent).toBeUndefined();
    machine.started(order, T0);
    machine.failed(order, { kind: 'stillFailing' }, T0 + HOUR);
    const again = machine.decide(T0 + HOUR);
    expect(again.searchAttributes.deliveryProblem).toBe('retrying');
    expect(again.sends.map((o) => [o.notice.key, o.persistent])).toEqual([['outbound#0', true]]);
    sendAll(machine, again, T0 + HOUR);
    expect(machine.decide(T0 + HOUR).searchAttributes.deliveryProblem).toBeUndefined();
  });

  it('says in its details which error class it has been retrying after for over an hour, until a send succeeds', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    const order = machine.decide(T0).sends[0]!;
    machine.started(order, T0);
    machine.failed(order, { kind: 'stillFailing', lastError: 'ProviderUnavailable' }, T0 + HOUR);
    expect(machine.view().notices.find((n) => n.status === 'outbound')?.reason).toBe(
      'retrying for over an hour after ProviderUnavailable',
    );
    const again = machine.decide(T0 + HOUR);
    machine.started(again.sends[0]!, T0 + HOUR);
    expect(machine.decide(T0 + HOUR).waitingFor).toContain(
      'sms: sending outbound#0 (retrying for over an hour after ProviderUnavailable)',
    );
    machine.finished(again.sends[0]!, { outcome: 'sent' }, T0 + HOUR + 5_000);
    expect(machine.decide(T0 + HOUR + 5_000).waitingFor).not.toContain('ProviderUnavailable');
  });

  it('when the window closes during retries, the notice waits for the next window', () => {
    const late = Date.parse('2026-10-07T03:30:00Z');
    const machine = issued(DAYTIME, { events: [event('outbound')] }, late);
    const order = machine.decide(late).sends[0]!;
    machine.started(order, late);
    machine.failed(order, { kind: 'timeout' }, order.retryUntil);
    const decision = machine.decide(order.retryUntil);
    expect(decision.searchAttributes.deliveryProblem).toBeUndefined();
    expect(decision.wakeAt).toBe(Date.parse('2026-10-07T15:00:00Z'));
  });
});

describe('ballot machine: reminders and closing', () => {
  it('tells a drop-box pickup (collected) and sends no return reminder to that ballot', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    sendAll(machine, machine.decide(T0), T0);
    machine.receive({ events: [event('collected')] }, T0 + HOUR);
    expect(sendAll(machine, machine.decide(T0 + HOUR), T0 + HOUR)).toEqual(['sms:collected#0']);
    machine.returnReminderDue({}, T0 + DAY);
    expect(machine.decide(T0 + DAY).sends).toEqual([]);
    machine.receive({ events: [event('inbound')] }, T0 + DAY);
    expect(machine.status).toBe('collected');
  });

  it('accepts a return reminder for an outbound ballot before Election Day and sends it after the status notice', () => {
    const machine = issued(ALWAYS, { events: [event('outbound')] });
    sendAll(machine, machine.decide(T0), T0);
    machine.returnReminderDue({}, T0 + DAY);
    expect(sendAll(machine, machine.decide(T0 + DAY), T0 + DAY)).toEqual(['sms:outbound#1']);
    machine.returnReminderDue({}, T0 + DAY);
    expect(machine.decide(T0 + DAY).sends).toEqual([]);
  });

  it('refuses a return reminder on or after Election Day, and drops one still waiting when Election Day begins', () => {
    const electionDay = Date.parse('2026-11-03T07:00:00Z'); // 00:00 in Los Angeles
    const machine = issued(DAYTIME, { events: [event('outbound')] });
    sendAll(machine, machine.decide(T0), T0);
    machine.returnReminderDue({}, electionDay);
    expect(machine.decide(electionDay).sends).toEqual([]);

    const waiting = issued(DAYTIME, { events: [event('outbound')] });
    sendAll(waiting, waiting.decide(T0), T0);
    const evening = Date.parse('2026-11-03T05:00:00Z'); // 21:00 on Nov 2 in Los Angeles: window closed
    waiting.returnReminderDue({}, evening);
    expect(waiting.decide(evening).wakeAt).toBe(Date.parse('2026-11-03T16:00:00Z'));
    expect(waiting.decide(Date.parse('2026-11-03T16:00:00Z')).sends).toEqual([]);
  });

  it('sets a timer for the next cure reminder of a subscribed challenged ballot, and none for an unsubscribed one', () => {
    const deadline = '2026-11-10'; // 17:00 Los Angeles = 2026-11-11T01:00Z
    const machine = issued(ALWAYS, { events: [event('challenged', { cureDeadline: deadline })] });
    const first = machine.decide(T0);
    sendAll(machine, first, T0);
    const threeDaysBefore = Date.parse('2026-11-08T01:00:00Z');
    expect(machine.decide(T0).wakeAt).toBe(threeDaysBefore);
    expect(sendAll(machine, machine.decide(threeDaysBefore), threeDaysBefore)).toEqual(['sms:challenged#1']);
    expect(machine.decide(threeDaysBefore).wakeAt).toBe(Date.parse('2026-11-10T01:00:00Z'));

    const nobody = issued(null, { events: [event('challenged', { cureDeadline: deadline })] });
    expect(nobody.decide(T0).wakeAt).toBeUndefined();
  });

  it('uses the election cure deadline when the challenge names none, and sets no reminder without either', () => {
    const withElection = issued(ALWAYS, {
      election: { ...ELECTION, cureDeadline: '2026-11-10' },
      events: [event('challenged')],
    });
    sendAll(withElection, withElection.decide(T0), T0);
    expect(withElection.decide(T0).wakeAt).toBe(Date.parse('2026-11-08T01:00:00Z'));
    const without = issued(ALWAYS, { events: [event('challenged')] });
    sendAll(without, without.decide(T0), T0);
    expect(without.decide(T0).wakeAt).toBeUndefined();
  });

  it('closing makes an open ballot closed, skips what waited and finishes', () => {
    const night = Date.parse('2026-10-07T06:00:00Z');
    const machine = issued(DAYTIME, { events: [event('outbound')] }, night);
    machine.decide(night);
    machine.close(night);
    const decision = machine.decide(night);
    expect(decision).toMatchObject({ done: true, sends: [], searchAttributes: { status: 'closed' } });
    expect(machine.notices.every((n) => n.state === 'skipped' && n.reason === 'election closed')).toBe(true);
    machine.receive({ events: [event('received')] }, night);
    expect(machine.status).toBe('closed');
  });

  it('a terminal status stays when the election closes', () => {
    const machine = issued(null, { events: [event('rejected')] });
    machine.close(T0);
    expect(machine.status).toBe('rejected');
  });

  it('closes by itself when it learns the closing date has passed', () => {
    const machine = issued(null, {
      election: { ...ELECTION, closesAt: '2026-10-06T00:00:00Z' },
      events: [event('outbound')],
    });
    expect(machine.decide(T0)).toMatchObject({ done: true, searchAttributes: { status: 'closed' } });
  });
});

describe('ballot machine: snapshots', () => {
  it('continues from its snapshot exactly where it was', () => {
    const night = Date.parse('2026-10-07T06:00:00Z');
    const machine = issued(DAYTIME, { events: [event('outbound')] }, night);
    machine.decide(night);
    const restored = BallotMachine.restore(JSON.parse(JSON.stringify(machine.snapshot())) as BallotSnapshot);
    expect(restored.decide(night)).toEqual(machine.decide(night));
    expect(restored.view()).toEqual(machine.view());
  });
});
