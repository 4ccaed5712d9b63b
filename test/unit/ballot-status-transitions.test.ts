import { describe, expect, it } from 'vitest';
import {
  BALLOT_STATUSES,
  EVENT_TYPES,
  isFinal,
  isNotifiable,
  isTerminal,
  needsAttention,
  nextStatus,
  type BallotStatus,
  type EventType,
} from '../../domain/ballot-status.js';

/** The event is recorded but changes nothing. */
const STALE = 'stale';
type Outcome = BallotStatus | typeof STALE;

/** Column order of every row of the table below. */
const COLUMNS = [
  'outbound',
  'undeliverable',
  'inbound',
  'collected',
  'received',
  'challenged',
  'cured',
  'accepted',
  'rejected',
  'voted_in_person',
  'superseded',
] as const satisfies readonly EventType[];

type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

// prettier-ignore
/**
 * The expected status after each event, written out by hand (never computed by `nextStatus`): the
 * status only moves forward; `undeliverable` can still be followed by the voter's own return
 * (`inbound`, `collected` from a drop box, `received`) or a replacement ballot (`superseded`);
 * `collected` sits between `inbound` and `received`; `challenged` goes on to `cured`,
 * `accepted` or `rejected`; `cured` goes on to a terminal status; terminal statuses and `closed`
 * absorb everything.
 */
const TABLE: Record<BallotStatus, Row> = {
  //                 outbound    undeliverable    inbound    collected    received    challenged    cured    accepted    rejected    voted_in_person    superseded
  issued:          ['outbound', 'undeliverable', 'inbound', 'collected', 'received', 'challenged', 'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  outbound:        [STALE,      'undeliverable', 'inbound', 'collected', 'received', 'challenged', 'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  undeliverable:   [STALE,      STALE,           'inbound', 'collected', 'received', 'challenged', 'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  inbound:         [STALE,      STALE,           STALE,     'collected', 'received', 'challenged', 'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  collected:       [STALE,      STALE,           STALE,     STALE,       'received', 'challenged', 'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  received:        [STALE,      STALE,           STALE,     STALE,       STALE,      'challenged', 'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  challenged:      [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        'cured', 'accepted', 'rejected', 'voted_in_person', 'superseded'],
  cured:           [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        STALE,   'accepted', 'rejected', 'voted_in_person', 'superseded'],
  accepted:        [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        STALE,   STALE,      STALE,      STALE,             STALE],
  rejected:        [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        STALE,   STALE,      STALE,      STALE,             STALE],
  voted_in_person: [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        STALE,   STALE,      STALE,      STALE,             STALE],
  superseded:      [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        STALE,   STALE,      STALE,      STALE,             STALE],
  closed:          [STALE,      STALE,           STALE,     STALE,       STALE,      STALE,        STALE,   STALE,      STALE,      STALE,             STALE],
};

const CASES = Object.entries(TABLE).flatMap(([current, row]) =>
  row.map((expected, column) => ({ current: current as BallotStatus, event: COLUMNS[column]!, expected })),
);

describe('nextStatus over every (status, event) pair', () => {
  it('the table covers all 13 statuses x 11 event types, each once', () => {
    expect(COLUMNS).toEqual(EVENT_TYPES);
    expect(Object.keys(TABLE).sort()).toEqual([...BALLOT_STATUSES].sort());
    expect(CASES).toHaveLength(143);
    expect(new Set(CASES.map(({ current, event }) => `${current}|${event}`)).size).toBe(143);
  });

  it.each(CASES)('$current + $event -> $expected', ({ current, event, expected }) => {
    expect(nextStatus(current, event)).toBe(expected === STALE ? undefined : expected);
  });
});

describe('status predicates', () => {
  // Literal expectations per status: [isTerminal, isFinal, needsAttention, isNotifiable].
  // prettier-ignore
  const PREDICATES: Record<BallotStatus, readonly [boolean, boolean, boolean, boolean]> = {
    issued:          [false, false, false, false],
    outbound:        [false, false, false, true],
    undeliverable:   [false, false, true,  true],
    inbound:         [false, false, false, true],
    collected:       [false, false, false, true],
    received:        [false, false, false, true],
    challenged:      [false, false, true,  true],
    cured:           [false, false, false, true],
    accepted:        [true,  true,  false, true],
    rejected:        [true,  true,  false, true],
    voted_in_person: [true,  true,  false, true],
    superseded:      [true,  true,  false, true],
    closed:          [false, true,  false, false],
  };

  it('lists every status', () => {
    expect(Object.keys(PREDICATES).sort()).toEqual([...BALLOT_STATUSES].sort());
  });

  it.each(Object.entries(PREDICATES).map(([status, flags]) => ({ status: status as BallotStatus, flags })))(
    '$status: terminal/final/needsAttention/notifiable = $flags',
    ({ status, flags: [terminal, final, attention, notifiable] }) => {
      expect(isTerminal(status)).toBe(terminal);
      expect(isFinal(status)).toBe(final);
      expect(needsAttention(status)).toBe(attention);
      expect(isNotifiable(status)).toBe(notifiable);
    },
  );
});
