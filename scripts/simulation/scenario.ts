/**
 * The simulated county election, as data: a voter roll, ballots, the path each ballot takes, the
 * scan stream with a feed's quirks (re-sent, duplicated, late and out-of-order events, scans before
 * the mailing file), who signs up and when, and the model of what the API must answer and what
 * each ballot's status and notices must be. Pure and seeded: the same seed gives the same election
 * (only the run tag in the IDs differs between runs, so runs on one stack never collide).
 *
 * The stream is cut into lanes: a voter and all of their ballots belong to one lane, and a lane
 * sends its requests one after another, so the order in which the API sees one ballot's records is
 * known and the model can fold them with the API's own rule (`foldEvents`).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  foldEvents,
  isFinal,
  isNotifiable,
  STATUS_RANK,
  type BallotProgress,
  type BallotStatus,
  type EventOutcome,
  type EventType,
} from '../../domain/ballot-status.js';
import type { Channel } from '../../domain/notices.js';
import type { Language } from '../../delivery/templates/languages.js';

/** mulberry32: small, fast and seeded. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  const weighted = <K extends string>(weights: Readonly<Record<K, number>>): K => {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = next() * total;
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries.at(-1)![0];
  };
  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  return { next, int, pick, chance, weighted, shuffle };
}
export type Random = ReturnType<typeof seededRandom>;

/**
 * The paths a ballot can take (the replaced path is two ballots: the first is superseded, the
 * replacement follows a path of its own).
 */
export const PATHS = {
  /** Mailed, back through the mail (inbound scan), received, accepted. */
  accepted_by_mail: ['outbound', 'inbound', 'received', 'accepted'],
  /** Dropped in a drop box: no inbound scan; county staff collect it from the box. */
  accepted_drop_box: ['outbound', 'collected', 'received', 'accepted'],
  /** Signature problem, cured in time. */
  challenged_cured: ['outbound', 'inbound', 'received', 'challenged', 'cured', 'accepted'],
  /** Signature problem, never cured. */
  challenged_not_cured: ['outbound', 'received', 'challenged', 'rejected'],
  /** Rejected outright (late, no ballot in the envelope, ...). */
  rejected: ['outbound', 'inbound', 'received', 'rejected'],
  /** Returned by USPS as undeliverable, and nothing more. */
  undeliverable: ['outbound', 'undeliverable'],
  /** Returned as undeliverable, yet the voter had it and returned it. */
  undeliverable_then_returned: ['outbound', 'undeliverable', 'inbound', 'received', 'accepted'],
  /** Replaced by a new ballot (new ID): the first is superseded, the second returned by drop box. */
  replaced: ['outbound', 'superseded'],
  /** Voted in person: the mail ballot is void. */
  voted_in_person: ['outbound', 'voted_in_person'],
  /** Mailed and never returned. */
  never_returned: ['outbound'],
} as const satisfies Record<string, readonly EventType[]>;
export type PathName = keyof typeof PATHS;
export const PATH_NAMES = Object.keys(PATHS) as PathName[];
/** The replacement ballot's own path. */
const REPLACEMENT_PATH: readonly EventType[] = ['outbound', 'collected', 'received', 'accepted'];

/** The default mix, in percent (roughly a general election's shape). */
export const DEFAULT_MIX: Record<PathName, number> = {
  accepted_by_mail: 38,
  accepted_drop_box: 22,
  challenged_cured: 3,
  challenged_not_cured: 1,
  rejected: 2,
  undeliverable: 2,
  undeliverable_then_returned: 1,
  replaced: 3,
  voted_in_person: 6,
  never_returned: 22,
};

/** `accepted_by_mail=50,never_returned=20`: the named weights replace the defaults (others stay). */
export function parseMix(text: string | undefined): Record<PathName, number> {
  const mix = { ...DEFAULT_MIX };
  if (!text) return mix;
  for (const part of text.split(',').filter(Boolean)) {
    const [name, value] = part.split('=');
    if (!name || !(PATH_NAMES as string[]).includes(name) || !(Number(value) >= 0)) {
      throw new Error(`--mix: "${part}" is not path=weight (paths: ${PATH_NAMES.join(', ')})`);
    }
    mix[name as PathName] = Number(value);
  }
  if (Object.values(mix).every((weight) => weight === 0)) throw new Error('--mix: every weight is zero');
  return mix;
}

/** Notice languages, drawn with weights (English and Spanish most, every one present). */
const LANGUAGE_WEIGHTS: Record<Language, number> = {
  en: 55,
  es: 20,
  'zh-Hant': 5,
  vi: 4,
  ko: 3,
  tl: 4,
  ja: 2,
  hi: 2,
  km: 2,
  th: 3,
};

// prettier-ignore
const FIRST_NAMES = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Nancy',
  'José', 'María', 'Juan', 'Guadalupe', 'Luis', 'Ana', 'Carlos', 'Rosa', 'Minh', 'Thi', 'Wei', 'Mei', 'Hana', 'Ji-woo',
  'Priya', 'Arjun', 'Aaliyah', 'DeShawn', 'Mary-Jane', "D'Andre", 'Siobhán', 'Zoë', 'Renée', 'Fatima', 'Omar', 'Tenzin',
  'Sokha', 'Somchai', 'Kenji', 'Yuki', 'Rizal', 'Marisol'];
// prettier-ignore
const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Taylor', 'Moore', 'Jackson', 'Lee', 'Perez', 'Thompson',
  'Nguyen', 'Tran', 'Pham', 'Kim', 'Park', 'Chen', 'Wang', 'Li', 'Patel', 'Singh', "O'Brien", 'De La Cruz',
  'García-Márquez', 'Okafor', 'Yamamoto', 'Haddad', 'Mendoza', 'Vásquez', 'Reyes', 'Cruz', 'Santos', 'Chhay', 'Srisai'];

const CHALLENGE_REASONS = ['no_signature', 'signature_mismatch'];
const REJECTION_REASONS = ['no_signature', 'signature_mismatch', 'received_late', 'ballot_missing'];

/** The options that shape the election (the runner adds the stack's addresses and the key). */
export interface ScenarioOptions {
  voters: number;
  /** Share of voters who sign up (0..1). */
  subscribedShare: number;
  mix: Record<PathName, number>;
  seed: number;
  /** Channels subscribers choose from (each picks one or more). */
  channels: Channel[];
  counties: string[];
  /** Lanes the stream is cut into (requests in flight at once). */
  lanes: number;
  /** Largest batch of ballots or scans in one request. */
  batchSize: number;
  /** Makes every ID of this run unique on a stack that keeps earlier runs. */
  runTag: string;
  /** Today, as the election calendar's anchor (ms). */
  now: number;
}

export interface SimVoter {
  index: number;
  voterId: string;
  county: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  zip: string;
  language: Language;
  lane: number;
  path: PathName;
  ballotIds: string[];
  /** Set for a voter who signs up: the channels in the order they are confirmed, and where. */
  subscription?: {
    channels: Channel[];
    phone?: string;
    email?: string;
    /** Synthetic client address (X-Forwarded-For) of this voter's browser. */
    clientAddress: string;
    tick: number;
  };
}

export interface ScanRecord {
  electionId: string;
  ballotId: string;
  eventId: string;
  type: EventType;
  occurredAt: string;
  reason?: string;
  cureDeadline?: string;
  expectedDeliveryDate?: string;
  facilityZip?: string;
  source?: string;
}

export interface IssuanceRecord {
  electionId: string;
  ballotId: string;
  voterId: string;
  county: string;
  issuedAt: string;
}

/** One request of a lane, in the order the lane sends them. */
export type LaneAction =
  | { kind: 'ballots'; tick: number; items: IssuanceRecord[] }
  | { kind: 'scans'; tick: number; items: ScanRecord[] }
  | { kind: 'subscribe'; tick: number; voters: SimVoter[] };

/** What the model says about one ballot, from the lane's order of records. */
export interface BallotExpectation {
  ballotId: string;
  voterId: string;
  path: PathName;
  /** The status of record once everything is in. */
  finalStatus: BallotStatus;
  /** Every accepted event, in the order the API saw it, with its final outcome. */
  events: { eventId: string; type: EventType; outcome: EventOutcome }[];
  /** Statuses the ballot had (applied events), in order. */
  applied: BallotStatus[];
  /** The status when its voter's contacts were confirmed (`issued` before the issuance); unset: nobody signed up. */
  statusAtSignUp?: BallotStatus;
  /** The ballot was final before its voter signed up: its final status may be told once, or not at all. */
  finalBeforeSignUp?: boolean;
}

/** The answer the model expects for one item of a request. */
export interface ExpectedAnswer {
  outcome: 'accepted' | 'duplicate';
  effect?: EventOutcome;
}

export interface Scenario {
  electionId: string;
  electionDay: string;
  cureDeadline: string;
  voters: SimVoter[];
  lanes: LaneAction[][];
  ballots: Map<string, BallotExpectation>;
  /** Per lane and action index: the answer each item must get (ballots and scans actions). */
  answers: Map<string, ExpectedAnswer[]>;
  counts: {
    issuances: number;
    issuancesResent: number;
    scans: number;
    resent: number;
    duplicated: number;
    late: number;
    beforeIssuance: number;
  };
}

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Area codes of the synthetic phone numbers (California); a run's numbers are consecutive from a tag-derived start. */
const AREA_CODES = ['916', '530', '209', '707', '559', '661', '805', '408'];

function hashOf(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h >>> 0;
}

/** A valid North American mobile-looking number, unique within the run. */
function phoneNumbers(runTag: string) {
  const start = hashOf(runTag) % 7_000_000;
  const area = AREA_CODES[hashOf(`${runTag}:area`) % AREA_CODES.length]!;
  let offset = 0;
  return () => {
    for (;;) {
      const n = (start + offset++) % 8_000_000;
      const exchange = 200 + Math.floor(n / 10_000);
      const number = `+1${area}${exchange}${String(n % 10_000).padStart(4, '0')}`;
      if (parsePhoneNumberFromString(number)?.isValid()) return number;
    }
  };
}

/** X-Forwarded-For of voter i: one address each, in the RFC 2544 benchmarking range. */
export function clientAddress(index: number): string {
  return `198.${18 + ((index >> 16) & 1)}.${(index >> 8) & 255}.${index & 255}`;
}

/** ZIPs per county (five counties' worth of Sacramento-area codes; other counties reuse the range). */
function zipsOf(county: string, countyIndex: number): string[] {
  return Array.from({ length: 40 }, (_, i) => String(95600 + countyIndex * 80 + i * 2 + (hashOf(county) % 2)));
}

/** Builds the election: who, which path, which records at which tick, and the model's expectations. */
export function buildScenario(options: ScenarioOptions): Scenario {
  const random = seededRandom(options.seed);
  const prefix = `sim${options.runTag}`;
  const electionId = `sim-${options.runTag}`;
  // Far enough away that neither the return reminder nor a cure reminder falls due during a run.
  const electionDay = isoDate(options.now + 45 * DAY);
  const cureDeadline = isoDate(options.now + 55 * DAY);
  const nextPhone = phoneNumbers(options.runTag);
  const lanes = Math.max(1, Math.min(options.lanes, options.voters));
  const identities = new Set<string>();

  const voters: SimVoter[] = [];
  for (let index = 0; index < options.voters; index++) {
    const countyIndex = random.int(options.counties.length);
    const county = options.counties[countyIndex]!;
    let identity: { firstName: string; lastName: string; dateOfBirth: string; zip: string };
    do {
      identity = {
        firstName: random.pick(FIRST_NAMES),
        lastName: random.pick(LAST_NAMES),
        dateOfBirth: isoDate(Date.UTC(1930, 0, 1) + random.int(76 * 365) * DAY),
        zip: random.pick(zipsOf(county, countyIndex)),
      };
    } while (identities.has(JSON.stringify(identity)));
    identities.add(JSON.stringify(identity));
    const voter: SimVoter = {
      index,
      voterId: `${prefix}-v${index}`,
      county,
      ...identity,
      language: random.weighted(LANGUAGE_WEIGHTS),
      lane: index % lanes,
      path: random.weighted(options.mix),
      ballotIds: [`${prefix}-b${index}`],
    };
    if (voter.path === 'replaced') voter.ballotIds.push(`${prefix}-b${index}r`);
    if (random.chance(options.subscribedShare)) {
      const channels = chooseChannels(random, options.channels);
      const phone = channels.includes('sms') || channels.includes('voice') ? nextPhone() : undefined;
      voter.subscription = {
        channels,
        ...(phone ? { phone } : {}),
        ...(channels.includes('email') ? { email: `${prefix}.v${index}@sim.example` } : {}),
        clientAddress: clientAddress(index),
        tick: 0, // set below, once the ballot's timeline is known
      };
    }
    voters.push(voter);
  }

  // Each record at a tick of the election calendar; a lane sends tick by tick.
  interface Timed<T> {
    tick: number;
    order: number;
    record: T;
  }
  const issuances: Timed<IssuanceRecord>[] = [];
  const scans: Timed<ScanRecord>[] = [];
  const counts = { issuances: 0, issuancesResent: 0, scans: 0, resent: 0, duplicated: 0, late: 0, beforeIssuance: 0 };
  let order = 0;
  let eventCounter = 0;
  const occurredAt = (tick: number) => new Date(options.now - (40 - tick) * 3_600_000).toISOString();
  const scan = (ballotId: string, type: EventType, tick: number): ScanRecord => {
    eventCounter += 1;
    const record: ScanRecord = {
      electionId,
      ballotId,
      eventId: `${prefix}-e${eventCounter}`,
      type,
      occurredAt: occurredAt(tick),
      source: type === 'inbound' || type === 'outbound' || type === 'undeliverable' ? 'usps' : 'county',
    };
    if (type === 'challenged') Object.assign(record, { reason: random.pick(CHALLENGE_REASONS), cureDeadline });
    if (type === 'rejected') record.reason = random.pick(REJECTION_REASONS);
    if (type === 'outbound' && random.chance(0.5)) record.expectedDeliveryDate = isoDate(options.now + 4 * DAY);
    if (record.source === 'usps') record.facilityZip = String(95800 + random.int(100));
    return record;
  };

  for (const voter of voters) {
    let lastTick = 0;
    const timeline = (ballotId: string, types: readonly EventType[], issuedAt: number) => {
      const issuance: IssuanceRecord = {
        electionId,
        ballotId,
        voterId: voter.voterId,
        county: voter.county,
        issuedAt: occurredAt(issuedAt),
      };
      issuances.push({ tick: issuedAt, order: order++, record: issuance });
      counts.issuances += 1;
      if (random.chance(0.02)) {
        // The mailing file sent again: the same record, a duplicate.
        issuances.push({ tick: issuedAt + 1 + random.int(3), order: order++, record: issuance });
        counts.issuancesResent += 1;
      }
      const events: Timed<ScanRecord>[] = [];
      let tick = issuedAt;
      types.forEach((type, i) => {
        if (i === 0) {
          // Scans that arrive before the mailing file names the ballot's voter.
          tick = random.chance(0.05) ? issuedAt - 1 : issuedAt + random.int(2);
          if (tick < issuedAt) counts.beforeIssuance += 1;
        } else {
          // Sometimes two scans land in one batch, shuffled within it.
          tick += random.chance(0.05) ? 0 : 1 + random.int(4);
        }
        events.push({ tick, order: order++, record: scan(ballotId, type, tick) });
      });
      // A late scan: one that is not the last arrives after the next one (recorded, never applied).
      if (events.length >= 3 && random.chance(0.08)) {
        const which = random.int(events.length - 1);
        const late = events[which]!;
        late.tick = events[which + 1]!.tick + 1 + random.int(3);
        counts.late += 1;
      }
      for (const event of [...events]) {
        if (random.chance(0.04)) {
          // The feed sends the same event again (same ID): a duplicate.
          events.push({ tick: event.tick + random.int(6), order: order++, record: event.record });
          counts.resent += 1;
        } else if (random.chance(0.03)) {
          // The same scan under a new ID (another feed, a re-export): accepted, recorded, changes nothing.
          eventCounter += 1;
          events.push({
            tick: event.tick + 1 + random.int(5),
            order: order++,
            record: { ...event.record, eventId: `${prefix}-e${eventCounter}` },
          });
          counts.duplicated += 1;
        }
      }
      for (const event of events) lastTick = Math.max(lastTick, event.tick);
      scans.push(...events);
      return events;
    };

    const issuedAt = 1 + random.int(3);
    const first = timeline(voter.ballotIds[0]!, PATHS[voter.path], issuedAt);
    if (voter.path === 'replaced') {
      const superseded = first.find((event) => event.record.type === 'superseded')!;
      timeline(voter.ballotIds[1]!, REPLACEMENT_PATH, superseded.tick);
    }
    if (voter.subscription) {
      // Most sign up while the ballot is on its way; some after it reached its final status.
      voter.subscription.tick = random.chance(0.85) ? random.int(Math.max(1, lastTick)) : lastTick + random.int(3);
    }
  }
  counts.scans = scans.length;

  // Cut into lanes: tick by tick, the mailing file first, then sign-ups, then the scans (shuffled).
  const laneActions: LaneAction[][] = Array.from({ length: lanes }, () => []);
  const byLaneAndTick = <T>(items: Timed<T>[], laneOf: (record: T) => number) => {
    const map = new Map<string, Timed<T>[]>();
    for (const item of items) {
      const key = `${laneOf(item.record)}:${item.tick}`;
      const list = map.get(key) ?? [];
      list.push(item);
      map.set(key, list);
    }
    return map;
  };
  const voterByBallot = new Map<string, SimVoter>();
  for (const voter of voters) for (const ballotId of voter.ballotIds) voterByBallot.set(ballotId, voter);
  const laneOfBallot = (record: { ballotId: string }) => voterByBallot.get(record.ballotId)!.lane;
  const issuanceGroups = byLaneAndTick(issuances, laneOfBallot);
  const scanGroups = byLaneAndTick(scans, laneOfBallot);
  const signUpGroups = byLaneAndTick(
    voters.filter((v) => v.subscription).map((v) => ({ tick: v.subscription!.tick, order: v.index, record: v })),
    (voter) => voter.lane,
  );
  const ticks = [...issuances, ...scans].map((item) => item.tick);
  const signUpTicks = voters.map((v) => v.subscription?.tick ?? 0);
  const minTick = Math.min(0, ...ticks);
  const maxTick = Math.max(0, ...ticks, ...signUpTicks);
  const chunks = <T>(items: T[]) => {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += options.batchSize) out.push(items.slice(i, i + options.batchSize));
    return out;
  };
  for (let lane = 0; lane < lanes; lane++) {
    for (let tick = minTick; tick <= maxTick; tick++) {
      const key = `${lane}:${tick}`;
      const issued = (issuanceGroups.get(key) ?? []).sort((a, b) => a.order - b.order).map((item) => item.record);
      for (const items of chunks(issued)) laneActions[lane]!.push({ kind: 'ballots', tick, items });
      const signingUp = (signUpGroups.get(key) ?? []).map((item) => item.record);
      if (signingUp.length > 0) laneActions[lane]!.push({ kind: 'subscribe', tick, voters: signingUp });
      const scanned = random.shuffle((scanGroups.get(key) ?? []).map((item) => item.record));
      for (const items of chunks(scanned)) laneActions[lane]!.push({ kind: 'scans', tick, items });
    }
  }

  const { ballots, answers } = expectations(voters, laneActions);
  return { electionId, electionDay, cureDeadline, voters, lanes: laneActions, ballots, answers, counts };
}

function chooseChannels(random: Random, offered: readonly Channel[]): Channel[] {
  const text = offered.filter((c) => c !== 'voice');
  const chosen: Channel[] = [];
  if (text.length > 0) {
    const roll = random.next();
    if (text.length === 1 || roll < 0.35) chosen.push(text[0]!);
    else if (roll < 0.7) chosen.push(text[1]!);
    else chosen.push(...text);
  }
  if (offered.includes('voice') && (chosen.length === 0 || random.chance(0.15))) chosen.push('voice');
  // Confirmed in a random order (each confirmation alerts the contacts confirmed before it).
  return random.shuffle(chosen);
}

/**
 * Runs the lanes through the API's rules, in the lanes' order: what each item is answered, each
 * event's final outcome, each ballot's statuses, and the status each ballot had when its voter's
 * contacts were confirmed.
 */
function expectations(
  voters: readonly SimVoter[],
  lanes: readonly LaneAction[][],
): { ballots: Map<string, BallotExpectation>; answers: Map<string, ExpectedAnswer[]> } {
  const ballots = new Map<string, BallotExpectation>();
  const progress = new Map<string, BallotProgress>();
  const pending = new Map<string, { eventId: string; type: EventType }[]>();
  const seenEvents = new Set<string>();
  const answers = new Map<string, ExpectedAnswer[]>();
  for (const voter of voters) {
    voter.ballotIds.forEach((ballotId, i) =>
      ballots.set(ballotId, {
        ballotId,
        voterId: voter.voterId,
        path: i === 0 ? voter.path : 'accepted_drop_box',
        finalStatus: 'issued',
        events: [],
        applied: [],
      }),
    );
  }
  const apply = (ballotId: string, eventId: string, type: EventType): EventOutcome => {
    const ballot = ballots.get(ballotId)!;
    const { outcomes, end } = foldEvents(progress.get(ballotId)!, [type]);
    progress.set(ballotId, end);
    const outcome = outcomes[0]!;
    ballot.events.push({ eventId, type, outcome });
    if (outcome === 'applied') ballot.applied.push(type);
    ballot.finalStatus = end.status!;
    return outcome;
  };

  lanes.forEach((actions, lane) => {
    actions.forEach((action, index) => {
      const key = `${lane}:${index}`;
      if (action.kind === 'ballots') {
        answers.set(
          key,
          action.items.map((item): ExpectedAnswer => {
            if (progress.has(item.ballotId)) return { outcome: 'duplicate' };
            progress.set(item.ballotId, { status: 'issued', eventCount: 0 });
            ballots.get(item.ballotId)!.finalStatus = 'issued';
            // The scans that waited for the mailing file, in arrival order (`applyWaitingScans`).
            const waiting = pending.get(item.ballotId) ?? [];
            const ballot = ballots.get(item.ballotId)!;
            const arrived = ballot.events.length;
            ballot.events.length = 0;
            ballot.applied.length = 0;
            for (const event of waiting) apply(item.ballotId, event.eventId, event.type);
            if (arrived !== waiting.length) throw new Error('model: pending events out of step');
            pending.delete(item.ballotId);
            return { outcome: 'accepted' };
          }),
        );
      } else if (action.kind === 'scans') {
        answers.set(
          key,
          action.items.map((item): ExpectedAnswer => {
            if (seenEvents.has(item.eventId)) return { outcome: 'duplicate' };
            seenEvents.add(item.eventId);
            if (!progress.has(item.ballotId)) {
              const waiting = pending.get(item.ballotId) ?? [];
              waiting.push({ eventId: item.eventId, type: item.type });
              pending.set(item.ballotId, waiting);
              ballots.get(item.ballotId)!.events.push({ eventId: item.eventId, type: item.type, outcome: 'pending' });
              return { outcome: 'accepted', effect: 'pending' };
            }
            return { outcome: 'accepted', effect: apply(item.ballotId, item.eventId, item.type) };
          }),
        );
      } else {
        for (const voter of action.voters) {
          for (const ballotId of voter.ballotIds) {
            const ballot = ballots.get(ballotId)!;
            const status = progress.get(ballotId)?.status ?? 'issued';
            ballot.statusAtSignUp = status;
            ballot.finalBeforeSignUp = isFinal(status);
          }
        }
      }
    });
  });
  return { ballots, answers };
}

/** Statuses a subscribed channel may be told: the ones the ballot had from its sign-up on. */
export function tellable(ballot: BallotExpectation): Set<BallotStatus> {
  const from = STATUS_RANK[ballot.statusAtSignUp ?? 'issued'];
  const had: BallotStatus[] = [ballot.statusAtSignUp ?? 'issued', ...ballot.applied];
  return new Set(had.filter((status) => isNotifiable(status) && STATUS_RANK[status] >= from));
}
