/**
 * Runs a simulated election against a running stack through its public HTTP surface only (the
 * vendor API with a key, the voter API, the development outbox), waits for it to settle, and checks
 * every ballot and every voter's phone and mailbox against the model (`scenario.ts`):
 *
 * - each request item got the answer the model expects (accepted, duplicate; applied, stale, pending);
 * - each ballot's status, events and event outcomes are the model's;
 * - each subscribed channel was told the ballot's final status exactly once (also when the
 *   ballot was final before the voter signed up: its plan wakes the finished ballot), nothing of a status the ballot never had (one it
 *   had left before the sign-up is counted, not failed: see `checkBallot`),
 *   no reminder, and nothing is left sending, retrying, scheduled or failed; nobody else was told;
 * - the providers received exactly what the ledger says was sent (none missing, none extra, no
 *   duplicate), in the voter's language, plus one code per contact, one opt-in confirmation per
 *   mobile number and no "contact added" alert (contacts given in one sign-up alert nobody).
 */
import type { BallotStatus, EventOutcome } from '../../domain/ballot-status.js';
import type { Channel } from '../../domain/notices.js';
import { ApiClient, Pace, inPool, sleep } from './http.js';
import {
  OutboxReader,
  codeOf,
  createRecogniser,
  languageOnChannel,
  type OutboxEntry,
  type Recognised,
} from './outbox.js';
import {
  PATH_NAMES,
  buildScenario,
  tellable,
  type BallotExpectation,
  type ExpectedAnswer,
  type LaneAction,
  type PathName,
  type Scenario,
  type ScenarioOptions,
  type SimVoter,
} from './scenario.js';

export interface SimulationOptions extends Omit<ScenarioOptions, 'runTag' | 'now'> {
  /** API processes; lanes are spread over them. */
  apiUrls: string[];
  /** A vendor key with every scope and the simulated counties. */
  key: string;
  /** The development outbox (`/dev/outbox.json` of an API started by `npm start`). */
  outboxUrl: string;
  /** Scan events per second over all lanes; undefined: as fast as the API accepts them. */
  pace?: number;
  /** Subscribers' daily window (00:00-00:00: always open, so the checks are deterministic). */
  quietHours: { start: string; end: string };
  timezone: string;
  /** Stop waiting for the stack to settle after this long without progress. */
  settleTimeoutMs: number;
  runTag?: string;
  log: (line: string) => void;
}

export interface Mismatch {
  /** What kind of check failed. */
  check: string;
  ballotId?: string;
  voterId?: string;
  contact?: string;
  detail: string;
}

/** A ballot's notice as the status API lists it. */
interface NoticeView {
  status: string;
  sequence: number;
  channel: string;
  state: string;
  reason?: string;
}
interface BallotView {
  status: BallotStatus;
  awaitingIssuance: boolean;
  events: { eventId: string; type: string; outcome: EventOutcome }[];
  notices: NoticeView[];
}

export interface SimulationReport {
  electionId: string;
  seed: number;
  voters: number;
  ballots: number;
  subscribed: number;
  contacts: Record<Channel, number>;
  paths: Record<PathName, number>;
  finalStatuses: Record<string, number>;
  records: Scenario['counts'];
  answers: { accepted: number; duplicate: number; effects: Record<EventOutcome, number> };
  /** Ledger rows (the status API's notices) by state, by ballot status and by channel. */
  notices: {
    byState: Record<string, number>;
    byStatus: Record<string, number>;
    byChannel: Record<string, number>;
  };
  /** What the sandbox providers received for this run's contacts, by kind and by channel. */
  providers: { byKind: Record<string, number>; byChannel: Record<string, number>; byLanguage: Record<string, number> };
  /** Voters who signed up after their ballot was final: each is told the final status once (not told: a mismatch too). */
  lateSignUps: {
    ballots: number;
    told: number;
    notTold: number;
    /** Notices of a status the ballot had already left when its voter confirmed (see `checkBallot`). */
    toldFromBefore: number;
  };
  requests: { total: number; throttled: number };
  timings: { setupMs: number; streamMs: number; settleMs: number; checkMs: number; totalMs: number };
  eventsPerSecond: number;
  settled: boolean;
  mismatches: number;
  mismatchList: Mismatch[];
}

const TERMINAL_NOTICE_STATES = new Set(['sent', 'skipped']);
const CHANNELS: Channel[] = ['sms', 'email', 'voice'];

function tally(into: Record<string, number>, key: string, by = 1) {
  into[key] = (into[key] ?? 0) + by;
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const log = options.log;
  const started = Date.now();
  const runTag = options.runTag ?? `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const scenario = buildScenario({ ...options, runTag, now: started });
  const clients = options.apiUrls.map((url) => new ApiClient(url.replace(/\/$/, ''), options.key));
  const clientOf = (lane: number) => clients[lane % clients.length]!;
  const outbox = new OutboxReader(options.outboxUrl);
  const recognise = createRecogniser();
  const pace = new Pace(options.pace);
  const mismatches: Mismatch[] = [];
  const mismatch = (m: Mismatch) => {
    mismatches.push(m);
    if (mismatches.length <= 20) log(`mismatch: ${describe(m)}`);
  };
  const allBallots = [...scenario.ballots.values()];
  const subscribers = scenario.voters.filter((voter) => voter.subscription);
  log(
    `election ${scenario.electionId}: ${scenario.voters.length} voters, ${allBallots.length} ballots, ` +
      `${subscribers.length} subscribers, ${scenario.counts.scans} scan records over ${scenario.lanes.length} lanes` +
      ` to ${options.apiUrls.join(', ')}`,
  );

  // ---- the election and the roll ---------------------------------------------------------------
  await outbox.read().catch((error: unknown) => {
    throw new Error(
      `cannot read the development outbox at ${options.outboxUrl} (${String(error)}): the simulator needs the ` +
        'sandbox providers of `npm start` in development, or --outbox-url',
      { cause: error },
    );
  });
  const first = clients[0]!;
  const put = await first.call('PUT', `/v1/elections/${scenario.electionId}`, {
    body: {
      name: `Simulated election ${scenario.electionId}`,
      electionDay: scenario.electionDay,
      timezone: options.timezone,
    },
  });
  if (put.status !== 201 && put.status !== 200) {
    throw new Error(`PUT /v1/elections: ${put.status} ${JSON.stringify(put.body)} (is the key right?)`);
  }
  const roll = scenario.voters.map((voter) => ({
    voterId: voter.voterId,
    county: voter.county,
    firstName: voter.firstName,
    lastName: voter.lastName,
    dateOfBirth: voter.dateOfBirth,
    zip: voter.zip,
    language: voter.language,
  }));
  const rollBatches: (typeof roll)[] = [];
  for (let i = 0; i < roll.length; i += 1000) rollBatches.push(roll.slice(i, i + 1000));
  await inPool(
    rollBatches.map((batch, i) => ({ batch, i })),
    clients.length,
    async ({ batch, i }) => {
      const answer = await clientOf(i).call<{ summary: { accepted: number } }>('POST', '/v1/voters', {
        body: { voters: batch },
      });
      if (answer.status !== 202 || answer.body.summary.accepted !== batch.length) {
        throw new Error(`POST /v1/voters: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
      }
    },
  );
  const setupMs = Date.now() - started;

  // ---- the stream: each lane in order, the lanes side by side -----------------------------------
  const answers = { accepted: 0, duplicate: 0, effects: {} as Record<EventOutcome, number> };
  const streamStarted = Date.now();
  let sentScans = 0;
  let lastProgress = Date.now();
  const verifiedContacts: { voter: SimVoter; channel: Channel; address: string }[] = [];

  const checkAnswers = (
    action: LaneAction,
    expected: ExpectedAnswer[],
    results: { outcome: string; effect?: EventOutcome; error?: { message: string } }[],
  ) => {
    const items = action.kind === 'subscribe' ? [] : action.items;
    items.forEach((item, i) => {
      const want = expected[i]!;
      const got = results[i];
      if (got?.outcome === 'accepted' || got?.outcome === 'duplicate') answers[got.outcome] += 1;
      if (got?.effect) tally(answers.effects, got.effect);
      if (!got || got.outcome !== want.outcome || (want.effect !== undefined && got.effect !== want.effect)) {
        mismatch({
          check: `answer to POST /v1/${action.kind}`,
          ballotId: item.ballotId,
          detail:
            `${'eventId' in item ? `event ${item.eventId} (${item.type})` : 'issuance'}: expected ${want.outcome}` +
            `${want.effect ? `/${want.effect}` : ''}, got ${got?.outcome ?? 'nothing'}${got?.effect ? `/${got.effect}` : ''}` +
            `${got?.error ? ` (${got.error.message})` : ''}`,
        });
      }
    });
  };

  const signUp = async (client: ApiClient, voter: SimVoter) => {
    const sub = voter.subscription!;
    const body = {
      firstName: voter.firstName,
      lastName: voter.lastName,
      dateOfBirth: voter.dateOfBirth,
      zip: voter.zip,
      contacts: {
        ...(sub.channels.includes('sms') ? { sms: sub.phone } : {}),
        ...(sub.channels.includes('voice') ? { voice: sub.phone } : {}),
        ...(sub.channels.includes('email') ? { email: sub.email } : {}),
      },
      language: voter.language,
      quietHours: options.quietHours,
      timezone: options.timezone,
      consentTextVersion: 'simulator-1',
    };
    const headers = { 'x-forwarded-for': sub.clientAddress };
    let answer = await client.call<{ subscriptionId: string; error?: { code: string } }>('POST', '/v1/subscriptions', {
      body,
      key: false,
      headers,
    });
    // Another run on this stack left a namesake on the roll: the second step names the voter.
    if (answer.status === 409) {
      answer = await client.call('POST', '/v1/subscriptions', {
        body: { ...body, voterId: voter.voterId },
        key: false,
        headers,
      });
    }
    if (answer.status !== 202) {
      mismatch({
        check: 'sign-up',
        voterId: voter.voterId,
        detail: `POST /v1/subscriptions answered ${answer.status} ${JSON.stringify(answer.body)}`,
      });
      return undefined;
    }
    return answer.body.subscriptionId;
  };

  const addressOf = (voter: SimVoter, channel: Channel) =>
    channel === 'email' ? voter.subscription!.email! : voter.subscription!.phone!;

  /** Signs the voters up, reads each contact's code from the outbox, confirms them in order. */
  const subscribe = async (client: ApiClient, voters: SimVoter[]) => {
    const signedUp: { voter: SimVoter; subscriptionId: string }[] = [];
    await inPool(voters, 4, async (voter) => {
      const subscriptionId = await signUp(client, voter);
      if (subscriptionId) signedUp.push({ voter, subscriptionId });
    });
    const since = Date.now();
    const codes = new Map<string, string>();
    const wanted = signedUp.flatMap(({ voter }) =>
      voter.subscription!.channels.map((channel) => `${channel}:${addressOf(voter, channel).toLowerCase()}`),
    );
    for (let attempt = 0; wanted.some((key) => !codes.has(key)); attempt++) {
      if (attempt > 0) await sleep(250);
      if (attempt > 120) break;
      for (const entry of await outbox.read(attempt === 0 ? since : Date.now())) {
        const key = `${entry.channel}:${entry.to.toLowerCase()}`;
        if (!wanted.includes(key) || codes.has(key)) continue;
        if (recognise(entry)?.kind === 'code') {
          const code = codeOf(entry);
          if (code) codes.set(key, code);
        }
      }
    }
    await inPool(signedUp, 4, async ({ voter, subscriptionId }) => {
      for (const channel of voter.subscription!.channels) {
        const address = addressOf(voter, channel);
        const code = codes.get(`${channel}:${address.toLowerCase()}`);
        if (!code) {
          mismatch({
            check: 'verification code',
            voterId: voter.voterId,
            contact: `${channel} ${address}`,
            detail: 'no code arrived',
          });
          continue;
        }
        const answer = await client.call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
          body: { channel, code },
          key: false,
          headers: { 'x-forwarded-for': voter.subscription!.clientAddress },
        });
        if (answer.status !== 200) {
          mismatch({
            check: 'verification',
            voterId: voter.voterId,
            contact: `${channel} ${address}`,
            detail: `verify answered ${answer.status} ${JSON.stringify(answer.body)}`,
          });
          continue;
        }
        verifiedContacts.push({ voter, channel, address });
      }
    });
  };

  const progress = setInterval(() => {
    log(
      `streaming: ${sentScans}/${scenario.counts.scans} scans sent, ${verifiedContacts.length} contacts confirmed, ` +
        `${mismatches.length} mismatches so far`,
    );
  }, 10_000);
  try {
    await Promise.all(
      scenario.lanes.map(async (actions, lane) => {
        const client = clientOf(lane);
        for (const [index, action] of actions.entries()) {
          const expected = scenario.answers.get(`${lane}:${index}`) ?? [];
          if (action.kind === 'ballots') {
            const answer = await client.call<{ results: { outcome: string; error?: { message: string } }[] }>(
              'POST',
              '/v1/ballots',
              { body: { ballots: action.items } },
            );
            if (answer.status !== 202)
              throw new Error(`POST /v1/ballots: ${answer.status} ${JSON.stringify(answer.body)}`);
            checkAnswers(action, expected, answer.body.results);
          } else if (action.kind === 'scans') {
            await pace.take(action.items.length);
            const answer = await client.call<{ results: { outcome: string; effect?: EventOutcome }[] }>(
              'POST',
              '/v1/scans',
              { body: { events: action.items } },
            );
            if (answer.status !== 202)
              throw new Error(`POST /v1/scans: ${answer.status} ${JSON.stringify(answer.body)}`);
            checkAnswers(action, expected, answer.body.results);
            sentScans += action.items.length;
          } else {
            await subscribe(client, action.voters);
          }
          lastProgress = Date.now();
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const streamMs = Date.now() - streamStarted;
  log(
    `stream done in ${(streamMs / 1000).toFixed(1)} s (${Math.round((sentScans / streamMs) * 1000)} scans/s); ` +
      `${verifiedContacts.length} contacts confirmed; waiting for the notices to settle`,
  );

  // ---- settle: the providers have every notice the model requires, and nothing more is coming --
  const settleStarted = Date.now();
  const ours = new Map<string, { voter: SimVoter; channel: Channel; address: string }>();
  for (const contact of verifiedContacts) ours.set(`${contact.channel}:${contact.address.toLowerCase()}`, contact);
  const ballotsOf = (voter: SimVoter) => voter.ballotIds.map((id) => scenario.ballots.get(id)!);
  const alwaysOpen = options.quietHours.start === options.quietHours.end;
  /** Final statuses each confirmed contact must hear (a multiset, as a sorted list). */
  const required = new Map<string, BallotStatus[]>();
  for (const [key, { voter }] of ours) {
    required.set(
      key,
      ballotsOf(voter)
        .filter((ballot) => !ballot.finalBeforeSignUp && tellable(ballot).has(ballot.finalStatus))
        .map((ballot) => ballot.finalStatus),
    );
  }
  // Every address this run signed up (a contact whose confirmation failed still gets its code).
  const ourAddresses = new Set(
    subscribers.flatMap((voter) =>
      voter.subscription!.channels.map((c) => `${c}:${addressOf(voter, c).toLowerCase()}`),
    ),
  );
  const noticesAt = (entries: OutboxEntry[]) => {
    const byContact = new Map<string, { entry: OutboxEntry; recognised: Recognised | undefined }[]>();
    for (const entry of entries) {
      const key = `${entry.channel}:${entry.to.toLowerCase()}`;
      if (!ourAddresses.has(key)) continue;
      const list = byContact.get(key) ?? [];
      list.push({ entry, recognised: recognise(entry) });
      byContact.set(key, list);
    }
    return byContact;
  };
  const missingFinals = (byContact: ReturnType<typeof noticesAt>) => {
    let missing = 0;
    for (const [key, finals] of required) {
      const told = (byContact.get(key) ?? [])
        .filter((m) => m.recognised?.kind === 'notice')
        .map((m) => m.recognised!.status!);
      for (const status of finals) {
        const at = told.indexOf(status);
        if (at === -1) missing += 1;
        else told.splice(at, 1);
      }
    }
    return missing;
  };

  // Unsubscribed ballots are settled as soon as they are recorded: read them while notices flow.
  const views = new Map<string, BallotView>();
  const voterById = new Map(scenario.voters.map((voter) => [voter.voterId, voter]));
  const readBallot = async (ballot: BallotExpectation) => {
    const answer = await clientOf(voterById.get(ballot.voterId)!.lane).call<BallotView>(
      'GET',
      `/v1/ballots/${encodeURIComponent(scenario.electionId)}/${encodeURIComponent(ballot.ballotId)}`,
    );
    if (answer.status === 200) views.set(ballot.ballotId, answer.body);
    else mismatch({ check: 'status API', ballotId: ballot.ballotId, detail: `GET answered ${answer.status}` });
  };
  const subscribedVoters = new Set([...ours.values()].map((c) => c.voter.voterId));
  const quiet = allBallots.filter((ballot) => !subscribedVoters.has(ballot.voterId));
  const quietReads = inPool(quiet, 4, readBallot);

  let settled = false;
  let lastCount = -1;
  let stableReads = 0;
  let lastLog = 0;
  lastProgress = Date.now();
  for (;;) {
    const byContact = noticesAt(await outbox.read(Date.now()));
    const count = [...byContact.values()].reduce((sum, list) => sum + list.length, 0);
    const missing = missingFinals(byContact);
    if (count !== lastCount) {
      lastCount = count;
      lastProgress = Date.now();
      stableReads = 0;
    } else {
      stableReads += 1;
    }
    if ((missing === 0 || !alwaysOpen) && stableReads >= 3) {
      settled = true;
      break;
    }
    if (Date.now() - lastProgress > options.settleTimeoutMs) {
      log(
        `no progress for ${options.settleTimeoutMs / 1000} s: checking what is there (${missing} final notices missing)`,
      );
      break;
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(
        `settling: ${count} messages at the providers for this run's contacts, ${missing} final notices still to come`,
      );
    }
    await sleep(1_000);
  }
  await quietReads;

  // Subscribed ballots: read until nothing is left sending, retrying or (always-open window) scheduled.
  const unsettled = (view: BallotView | undefined) =>
    !view ||
    view.notices.some((n) => !TERMINAL_NOTICE_STATES.has(n.state) && !(n.state === 'scheduled' && !alwaysOpen));
  let loud = allBallots.filter((ballot) => subscribedVoters.has(ballot.voterId));
  const readDeadline = Date.now() + options.settleTimeoutMs;
  for (;;) {
    await inPool(loud, 4, readBallot);
    loud = loud.filter((ballot) => {
      const view = views.get(ballot.ballotId);
      // A late sign-up's final notice may stay listed as scheduled: it is never sent (README).
      if (ballot.finalBeforeSignUp && view?.notices.every((n) => n.state !== 'sending' && n.state !== 'retrying'))
        return false;
      return unsettled(view);
    });
    if (loud.length === 0 || Date.now() > readDeadline) break;
    await sleep(2_000);
  }
  const settleMs = Date.now() - settleStarted;

  // ---- check ----------------------------------------------------------------------------------
  const checkStarted = Date.now();
  const noticeTally: SimulationReport['notices'] = { byState: {}, byStatus: {}, byChannel: {} };
  const lateSignUps = { ballots: 0, told: 0, notTold: 0, toldFromBefore: 0 };
  const contactsOfVoter = new Map<string, Channel[]>();
  for (const { voter, channel } of ours.values()) {
    contactsOfVoter.set(voter.voterId, [...(contactsOfVoter.get(voter.voterId) ?? []), channel]);
  }
  const finalStatuses: Record<string, number> = {};
  for (const ballot of allBallots) {
    tally(finalStatuses, ballot.finalStatus);
    const view = views.get(ballot.ballotId);
    if (!view) continue;
    checkBallot(ballot, view, contactsOfVoter.get(ballot.voterId) ?? [], alwaysOpen, mismatch, lateSignUps);
    for (const notice of view.notices) {
      tally(noticeTally.byState, notice.state);
      tally(noticeTally.byStatus, notice.status);
      tally(noticeTally.byChannel, notice.channel);
    }
  }

  // The providers: per contact, exactly the ledger's sent notices, in the voter's language.
  const providers: SimulationReport['providers'] = { byKind: {}, byChannel: {}, byLanguage: {} };
  const byContact = noticesAt(await outbox.read(Date.now()));
  for (const [key, messages] of byContact) {
    const contact = ours.get(key);
    for (const { entry, recognised } of messages) {
      tally(providers.byKind, recognised?.kind ?? 'unrecognised');
      tally(providers.byChannel, entry.channel);
      tally(providers.byLanguage, recognised?.languages.join('|') ?? entry.language);
    }
    if (!contact) {
      mismatch({
        check: 'providers',
        contact: key,
        detail: `${messages.length} messages to a contact that was never confirmed`,
      });
      continue;
    }
    const { voter, channel } = contact;
    const language = languageOnChannel(channel, voter.language);
    const where = { voterId: voter.voterId, contact: `${channel} ${contact.address}` };
    for (const { entry, recognised } of messages) {
      if (!recognised)
        mismatch({
          check: 'providers',
          ...where,
          detail: `unrecognised message: ${JSON.stringify(entry.subject ?? entry.body).slice(0, 160)}`,
        });
      else if (!recognised.languages.includes(language)) {
        mismatch({
          check: 'language',
          ...where,
          detail: `${recognised.key} in ${recognised.languages.join('/')}, expected ${language}`,
        });
      } else if (recognised.kind === 'reminder' || recognised.kind === 'other') {
        mismatch({ check: 'providers', ...where, detail: `unexpected ${recognised.key}` });
      }
    }
    const count = (kind: string) => messages.filter((m) => m.recognised?.kind === kind).length;
    if (count('code') !== 1)
      mismatch({ check: 'verification code', ...where, detail: `${count('code')} codes, expected 1` });
    // Contacts given in one sign-up alert nobody when confirmed (each voter signs up once).
    if (count('alert') !== 0)
      mismatch({
        check: 'contact alerts',
        ...where,
        detail: `${count('alert')} "contact added" alerts, expected none`,
      });
    // CTIA: a confirmed mobile number is told once what it signed up for.
    const optIns = channel === 'sms' ? 1 : 0;
    if (count('opt_in') !== optIns)
      mismatch({
        check: 'sms opt-in',
        ...where,
        detail: `${count('opt_in')} opt-in confirmations, expected ${optIns}`,
      });
    const atProvider = messages
      .filter((m) => m.recognised?.kind === 'notice')
      .map((m) => m.recognised!.status!)
      .sort();
    const inLedger = ballotsOf(voter)
      .flatMap((ballot) => views.get(ballot.ballotId)?.notices ?? [])
      .filter((n) => n.channel === channel && n.state === 'sent')
      .map((n) => n.status as BallotStatus)
      .sort();
    const { onlyLeft, onlyRight } = multisetDifference(inLedger, atProvider);
    if (onlyLeft.length > 0) {
      mismatch({ check: 'providers', ...where, detail: `sent in the ledger but not received: ${onlyLeft.join(', ')}` });
    }
    if (onlyRight.length > 0) {
      mismatch({
        check: 'providers',
        ...where,
        detail: `received but not sent in the ledger (a duplicate?): ${onlyRight.join(', ')}`,
      });
    }
  }
  for (const [key, contact] of ours) {
    if (!byContact.has(key)) {
      mismatch({
        check: 'providers',
        voterId: contact.voter.voterId,
        contact: `${contact.channel} ${contact.address}`,
        detail: 'nothing received, not even the code',
      });
    }
  }

  const paths = Object.fromEntries(PATH_NAMES.map((name) => [name, 0])) as Record<PathName, number>;
  for (const voter of scenario.voters) paths[voter.path] += 1;
  const contacts = { sms: 0, email: 0, voice: 0 } as Record<Channel, number>;
  for (const { channel } of verifiedContacts) contacts[channel] += 1;
  const totalMs = Date.now() - started;
  return {
    electionId: scenario.electionId,
    seed: options.seed,
    voters: scenario.voters.length,
    ballots: allBallots.length,
    subscribed: subscribers.length,
    contacts,
    paths,
    finalStatuses,
    records: scenario.counts,
    answers,
    notices: noticeTally,
    providers,
    lateSignUps,
    requests: {
      total: clients.reduce((sum, c) => sum + c.requests, 0),
      throttled: clients.reduce((sum, c) => sum + c.throttled, 0),
    },
    timings: { setupMs, streamMs, settleMs, checkMs: Date.now() - checkStarted, totalMs },
    eventsPerSecond: Math.round((sentScans / streamMs) * 1000),
    settled,
    mismatches: mismatches.length,
    mismatchList: mismatches,
  };
}

/** Checks one ballot's status API answer against the model. */
function checkBallot(
  ballot: BallotExpectation,
  view: BallotView,
  channels: readonly Channel[],
  alwaysOpen: boolean,
  mismatch: (m: Mismatch) => void,
  lateSignUps: SimulationReport['lateSignUps'],
): void {
  const at = { ballotId: ballot.ballotId, voterId: ballot.voterId };
  if (view.status !== ballot.finalStatus) {
    mismatch({
      check: 'status',
      ...at,
      detail: `status ${view.status}, expected ${ballot.finalStatus} (path ${ballot.path})`,
    });
  }
  if (view.awaitingIssuance) mismatch({ check: 'status', ...at, detail: 'still awaiting its issuance record' });
  const expected = new Map(ballot.events.map((e) => [e.eventId, e]));
  const seen = new Set<string>();
  for (const event of view.events) {
    const want = expected.get(event.eventId);
    seen.add(event.eventId);
    if (!want) mismatch({ check: 'events', ...at, detail: `event ${event.eventId} (${event.type}) was never sent` });
    else if (want.outcome !== event.outcome) {
      mismatch({
        check: 'events',
        ...at,
        detail: `event ${event.eventId} (${event.type}) is ${event.outcome}, expected ${want.outcome}`,
      });
    }
  }
  for (const event of ballot.events) {
    if (!seen.has(event.eventId))
      mismatch({ check: 'events', ...at, detail: `event ${event.eventId} (${event.type}) is missing` });
  }

  const allowed = tellable(ballot);
  const had = new Set<string>(ballot.applied);
  for (const notice of view.notices) {
    const where = { ...at, contact: notice.channel };
    if (!channels.includes(notice.channel as Channel)) {
      mismatch({
        check: 'notices',
        ...where,
        detail: `${notice.status} ${notice.state} on a channel nobody confirmed`,
      });
      continue;
    }
    if (notice.sequence !== 0)
      mismatch({ check: 'notices', ...where, detail: `reminder ${notice.status}#${notice.sequence}` });
    if (notice.state === 'sent' && !had.has(notice.status)) {
      mismatch({ check: 'notices', ...where, detail: `told ${notice.status}, a status the ballot never had` });
    } else if (notice.state === 'sent' && !allowed.has(notice.status as BallotStatus)) {
      // The forwarder reads a ballot's events and its voter's plan in two statements: a plan confirmed
      // between them can reach the workflow with the events of just before (a race, not a rule broken).
      lateSignUps.toldFromBefore += 1;
    }
    if (notice.state === 'skipped' && !had.has(notice.status)) {
      mismatch({ check: 'notices', ...where, detail: `skipped ${notice.status}, a status the ballot never had` });
    }
    if (notice.state === 'failed')
      mismatch({ check: 'notices', ...where, detail: `${notice.status} failed: ${notice.reason ?? ''}` });
    if (notice.state === 'sending' || notice.state === 'retrying') {
      mismatch({
        check: 'notices',
        ...where,
        detail: `${notice.status} still ${notice.state}${notice.reason ? ` (${notice.reason})` : ''}`,
      });
    }
  }
  if (ballot.finalBeforeSignUp && channels.length > 0) lateSignUps.ballots += 1;
  let lateTold = false;
  for (const channel of CHANNELS) {
    const where = { ...at, contact: channel };
    const onChannel = view.notices.filter((n) => n.channel === channel);
    if (!channels.includes(channel)) continue;
    const finals = onChannel.filter((n) => n.status === ballot.finalStatus && n.state === 'sent').length;
    const scheduled = onChannel.filter((n) => n.state === 'scheduled');
    // A sign-up after the final status is told it once too (its plan wakes the finished ballot).
    if (ballot.finalBeforeSignUp && finals === 1) lateTold = true;
    if (!allowed.has(ballot.finalStatus)) continue;
    if (scheduled.length > 0 && !alwaysOpen && finals === 0) continue;
    if (scheduled.length > 0) {
      mismatch({ check: 'notices', ...where, detail: `${scheduled.map((n) => n.status).join(', ')} still scheduled` });
    }
    if (finals !== 1)
      mismatch({
        check: 'notices',
        ...where,
        detail: `final ${ballot.finalStatus} told ${finals} times, expected once`,
      });
  }
  if (ballot.finalBeforeSignUp && channels.length > 0) {
    if (lateTold) lateSignUps.told += 1;
    else lateSignUps.notTold += 1;
  }
}

function multisetDifference<T>(left: readonly T[], right: readonly T[]): { onlyLeft: T[]; onlyRight: T[] } {
  const rest = [...right];
  const onlyLeft: T[] = [];
  for (const item of left) {
    const at = rest.indexOf(item);
    if (at === -1) onlyLeft.push(item);
    else rest.splice(at, 1);
  }
  return { onlyLeft, onlyRight: rest };
}

export function describe(m: Mismatch): string {
  const where = [m.ballotId && `ballot ${m.ballotId}`, m.voterId && `voter ${m.voterId}`, m.contact].filter(Boolean);
  return `[${m.check}] ${where.join(', ')}: ${m.detail}`;
}
