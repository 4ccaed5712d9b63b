import type postgres from 'postgres';
import type { Sql } from '../db/client.js';
import {
  ballotKey,
  findBallots,
  insertEvents,
  saveProgress,
  setEventOutcomes,
  type EventWrite,
  type ProgressWrite,
} from '../db/ballots.js';
import { enqueue, type OutboxWrite } from '../db/outbox.js';
import { foldEvents, isFinal, type EventOutcome } from '../domain/ballot-status.js';
import { describeIssues } from '../domain/scan-event.js';
import { forwardedEvent } from '../db/ballot-records.js';
import { groupBy } from '../domain/group-by.js';
import { ballotCounties } from './ballots.js';
import { knownElections } from './elections.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { initialResults, scanItemSchema, type ItemResult, type ScanItem } from './schemas.js';

export interface ScanResult extends ItemResult {
  eventId?: string;
  /**
   * What an accepted event did to its ballot: `applied` (moved the status), `stale` (recorded only:
   * a lower or equal rank, or the ballot is final or its election closed), `pending` (kept until the
   * ballot's issuance record arrives), `capped` (recorded after the ballot's event cap).
   */
  effect?: EventOutcome;
}

/**
 * Records scan events as the ballot's record: durable before the caller answers, duplicates detected
 * synchronously by the unique (election, eventId) index (within the batch too: the first wins).
 *
 * County scoping: a ballot's county comes from the ballots table. A key limited to some counties may
 * only send scans for ballots already issued in one of them; scans for ballots not (yet) issued need a
 * key with every county (403 `unknown_ballot` for that item otherwise, the same answer as for another
 * county's ballot), because nothing else says which county they belong to. Keys with every county may send scans before the issuance (the workflow keeps them).
 */
export async function ingestScans(
  sql: Sql,
  principal: Principal,
  items: readonly unknown[],
  lines?: readonly number[],
): Promise<ScanResult[]> {
  const results: ScanResult[] = initialResults(items, lines, ['eventId']);
  let candidates: { index: number; scan: ScanItem }[] = [];
  items.forEach((item, index) => {
    const parsed = scanItemSchema.safeParse(item);
    if (parsed.success) {
      candidates.push({ index, scan: parsed.data });
    } else {
      results[index]!.outcome = 'invalid';
      results[index]!.error = { code: 'invalid_item', message: describeIssues(parsed.error) };
    }
  });
  if (candidates.length === 0) return results;

  const elections = await knownElections(sql, [...new Set(candidates.map(({ scan }) => scan.electionId))]);
  candidates = candidates.filter(({ index, scan }) => {
    if (elections.has(scan.electionId)) return true;
    results[index]!.outcome = 'invalid';
    results[index]!.error = {
      code: 'unknown_election',
      message: `Election ${scan.electionId} does not exist.`,
      status: 404,
    };
    return false;
  });

  if (principal.counties !== null && candidates.length > 0) {
    const counties = await ballotCounties(
      sql,
      candidates.map(({ scan }) => scan),
    );
    candidates = candidates.filter(({ index, scan }) => {
      const county = counties.get(ballotKey(scan.electionId, scan.ballotId));
      if (county !== undefined && allowsCounty(principal, county)) return true;
      results[index]!.outcome = 'invalid';
      // A ballot of another county gets the answer of a ballot never issued: no existence oracle.
      results[index]!.error = {
        code: 'unknown_ballot',
        message:
          'No issued ballot with this ID in the key counties; a key limited to counties may only report scans of their issued ballots.',
        status: 403,
      };
      return false;
    });
  }

  const firstInBatch = new Map<string, number>();
  const writes: EventWrite[] = [];
  for (const { index, scan } of candidates) {
    const key = `${scan.electionId}\u0000${scan.eventId}`;
    if (firstInBatch.has(key)) {
      results[index]!.outcome = 'duplicate';
      continue;
    }
    firstInBatch.set(key, index);
    const { electionId, ballotId, eventId, type, occurredAt, ...details } = scan;
    writes.push({ electionId, ballotId, eventId, type, occurredAt, details, keyId: principal.keyId });
  }
  if (writes.length === 0) return results;

  const effects = await sql.begin((tx) => recordScans(tx, writes));
  for (const [key, index] of firstInBatch) {
    const effect = effects.get(key);
    if (effect) results[index]!.effect = effect;
    else results[index]!.outcome = 'duplicate';
  }
  return results;
}

/**
 * The accepting transaction: stores the events (an event ID already stored is a duplicate), locks
 * their ballots, folds the events into each ballot's status (`foldEvents`, the workflow's own rule),
 * and queues the status-changing ones for the ballot's workflow. A ballot of a closed election takes
 * events as `stale` and wakes no workflow. Returns each stored event's outcome by election and event ID.
 */
export async function recordScans(
  tx: postgres.TransactionSql,
  writes: readonly EventWrite[],
): Promise<Map<string, EventOutcome>> {
  const stored = await insertEvents(tx, writes);
  const ballots = await findBallots(tx, stored, { lock: true });
  const byBallot = groupBy(stored, (event) => ballotKey(event.electionId, event.ballotId));
  const outcomes: { seq: string; outcome: EventOutcome }[] = [];
  const progress: ProgressWrite[] = [];
  const outbox: OutboxWrite[] = [];
  for (const [key, events] of byBallot) {
    const ballot = ballots.get(key);
    const closed = ballot !== undefined && ballot.electionClosed && !isFinal(ballot.status);
    const start = ballot
      ? { status: closed ? ('closed' as const) : ballot.status, eventCount: ballot.eventCount }
      : undefined;
    const folded = foldEvents(
      start ?? { status: undefined, eventCount: 0 },
      events.map((event) => event.type),
    );
    events.forEach((event, i) => outcomes.push({ seq: event.seq, outcome: folded.outcomes[i]! }));
    if (!ballot) continue;
    const status = closed ? ballot.status : folded.end.status!;
    progress.push({
      electionId: ballot.electionId,
      ballotId: ballot.ballotId,
      status,
      statusChanged: status !== ballot.status,
      eventCount: folded.end.eventCount,
      attention: folded.outcomes.includes('capped') ? 'event_cap' : ballot.attention,
    });
    events.forEach((event, i) => {
      if (folded.outcomes[i] === 'applied') {
        outbox.push({
          kind: 'scan',
          electionId: event.electionId,
          ballotId: event.ballotId,
          eventId: event.eventId,
          payload: forwardedEvent(event),
        });
      }
    });
  }
  await setEventOutcomes(tx, outcomes);
  await saveProgress(tx, progress);
  await enqueue(tx, outbox);
  const bySeq = new Map(outcomes.map((o) => [o.seq, o.outcome]));
  return new Map(stored.map((event) => [`${event.electionId}\u0000${event.eventId}`, bySeq.get(event.seq)!]));
}
