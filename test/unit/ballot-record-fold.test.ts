/**
 * The accepting transaction's rule (`foldEvents`): for every arrival order of realistic event sets,
 * the ballot reaches the same status, and exactly the events that raise the rank are `applied` (the
 * only ones forwarded to the workflow); the rest are `stale`. Before the issuance record every event
 * waits (`pending`); past the cap, events are `capped`.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_BALLOT, foldEvents, type EventType } from '../../domain/ballot-status.js';

/** Forward rank, written out here (not taken from the code under test). */
const RANK: Record<EventType, number> = {
  outbound: 1,
  undeliverable: 2,
  inbound: 3,
  collected: 4,
  received: 5,
  challenged: 6,
  cured: 7,
  accepted: 8,
  rejected: 8,
  voted_in_person: 8,
  superseded: 8,
};

const SCENARIOS: { events: EventType[]; status: string }[] = [
  { events: ['outbound', 'inbound', 'received', 'accepted'], status: 'accepted' },
  { events: ['outbound', 'received', 'challenged', 'cured', 'accepted'], status: 'accepted' },
  { events: ['outbound', 'undeliverable', 'superseded'], status: 'superseded' },
  { events: ['outbound', 'undeliverable', 'inbound', 'received'], status: 'received' },
  { events: ['outbound', 'received', 'challenged', 'rejected'], status: 'rejected' },
  { events: ['outbound', 'voted_in_person'], status: 'voted_in_person' },
  // A drop-box return: no inbound scan; the county reports the pickup, then the receipt.
  { events: ['outbound', 'collected', 'received', 'accepted'], status: 'accepted' },
];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

function expectedOutcomes(order: readonly EventType[]): string[] {
  let highest = 0;
  return order.map((type) => {
    const applied = RANK[type] > highest;
    highest = Math.max(highest, RANK[type]);
    return applied ? 'applied' : 'stale';
  });
}

describe('folding accepted events into a ballot status', () => {
  it.each(SCENARIOS.map((scenario) => ({ name: scenario.events.join(' > '), ...scenario })))(
    '$name: the same status and the rank-raising events applied, in every order',
    ({ events, status }) => {
      for (const order of permutations(events)) {
        const { outcomes, end } = foldEvents({ status: 'issued', eventCount: 0 }, order);
        expect.soft(end.status, order.join(' > ')).toBe(status);
        expect.soft(outcomes, order.join(' > ')).toEqual(expectedOutcomes(order));
      }
    },
  );

  it('keeps events pending before the issuance record, then applies them when it arrives', () => {
    const waiting = foldEvents({ status: undefined, eventCount: 0 }, ['inbound', 'outbound']);
    expect(waiting.outcomes).toEqual(['pending', 'pending']);
    expect(foldEvents({ status: 'issued', eventCount: 0 }, ['inbound', 'outbound']).outcomes).toEqual([
      'applied',
      'stale',
    ]);
  });

  it('takes nothing once the ballot is final or its election closed', () => {
    expect(foldEvents({ status: 'accepted', eventCount: 4 }, ['rejected', 'received']).outcomes).toEqual([
      'stale',
      'stale',
    ]);
    expect(foldEvents({ status: 'closed', eventCount: 1 }, ['received']).end.status).toBe('closed');
  });

  it('caps the events one ballot stores with effect, and counts them all', () => {
    const { outcomes, end } = foldEvents({ status: 'outbound', eventCount: MAX_EVENTS_PER_BALLOT - 1 }, [
      'inbound',
      'received',
      'accepted',
    ]);
    expect(outcomes).toEqual(['applied', 'capped', 'capped']);
    expect(end).toEqual({ status: 'inbound', eventCount: MAX_EVENTS_PER_BALLOT + 2 });
  });
});
