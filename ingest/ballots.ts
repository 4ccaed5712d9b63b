import type postgres from 'postgres';
import type { Sql } from '../db/client.js';
import {
  ballotKey,
  findBallots,
  pendingEvents,
  saveProgress,
  setEventOutcomes,
  type BallotRow as StoredBallot,
  type ProgressWrite,
} from '../db/ballots.js';
import { enqueue } from '../db/outbox.js';
import { foldEvents, type EventOutcome } from '../domain/ballot-status.js';
import { describeIssues } from '../domain/scan-event.js';
import { groupBy } from '../domain/group-by.js';
import { knownElections } from './elections.js';
import { rollCounties } from '../db/voter-roll.js';
import { adoptOrphanScans, lockTrackingCodes, trackingCode, usedTrackingCodes } from '../db/usps-scans.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { ballotItemSchema, initialResults, type BallotItem, type ItemResult } from './schemas.js';

export interface BallotResult extends ItemResult {
  electionId?: string;
  ballotId?: string;
}

interface BallotRow {
  election_id: string;
  ballot_id: string;
  voter_id: string;
  county: string;
  issued_at: Date | null;
  imb: string | null;
  return_imb: string | null;
}

const keyOf = ballotKey;

function sameRecord(row: BallotRow, ballot: BallotItem): boolean {
  return (
    row.voter_id === ballot.voterId &&
    row.county === ballot.county &&
    (row.imb ?? undefined) === ballot.imb &&
    (row.return_imb ?? undefined) === ballot.returnImb &&
    (row.issued_at?.getTime() ?? undefined) === (ballot.issuedAt ? Date.parse(ballot.issuedAt) : undefined)
  );
}

/**
 * Stores issued ballots and, in the same transaction, an `issuance` outbox row for each new one, so
 * the record reaches the ballot's workflow even if Temporal is down now. An identical record is
 * `duplicate`; a different record for an existing ballot is `invalid` (`conflict`): the workflow keeps
 * the first issuance, and a replacement ballot needs a new ballot ID and a `superseded` scan on the old.
 */
export async function ingestBallots(
  sql: Sql,
  principal: Principal,
  items: readonly unknown[],
  lines?: readonly number[],
): Promise<BallotResult[]> {
  const results: BallotResult[] = initialResults(items, lines, ['electionId', 'ballotId']);
  const candidates: { index: number; ballot: BallotItem }[] = [];
  items.forEach((item, index) => {
    const parsed = ballotItemSchema.safeParse(item);
    const result = results[index]!;
    if (!parsed.success) {
      result.outcome = 'invalid';
      result.error = { code: 'invalid_item', message: describeIssues(parsed.error) };
    } else if (!allowsCounty(principal, parsed.data.county)) {
      result.outcome = 'invalid';
      result.error = {
        code: 'county_forbidden',
        message: `This key may not write ballots of county ${parsed.data.county}.`,
        status: 403,
      };
    } else {
      candidates.push({ index, ballot: parsed.data });
    }
  });
  if (candidates.length === 0) return results;

  const elections = await knownElections(sql, [...new Set(candidates.map(({ ballot }) => ballot.electionId))]);
  const rolls = await rollCounties(sql, [...new Set(candidates.map(({ ballot }) => ballot.voterId))]);
  const stored = candidates.filter(({ index, ballot }) => {
    const result = results[index]!;
    if (!elections.has(ballot.electionId)) {
      result.outcome = 'invalid';
      result.error = {
        code: 'unknown_election',
        message: `Election ${ballot.electionId} does not exist; PUT /v1/elections/${ballot.electionId} first.`,
        status: 404,
      };
      return false;
    }
    const refusal = voterRefusal(principal, ballot, rolls.get(ballot.voterId));
    if (refusal) {
      result.outcome = 'invalid';
      result.error = refusal;
      return false;
    }
    return true;
  });
  if (stored.length === 0) return results;

  await sql.begin(async (tx) => {
    // A tracking code names one envelope per election, across the outbound and return IMbs: a ballot
    // whose code is already another ballot's (or an earlier item's in this batch) is left out here
    // (`imb_conflict` below); the locks keep a concurrent IV-MTR orphan from slipping past the issuance.
    const codesOf = (ballot: BallotItem) =>
      [ballot.imb, ballot.returnImb].filter((imb): imb is string => imb !== undefined).map(trackingCode);
    await lockTrackingCodes(
      tx,
      stored.flatMap(({ ballot }) => codesOf(ballot).map((code) => ({ electionId: ballot.electionId, code }))),
    );
    const used = new Set<string>();
    for (const electionId of new Set(stored.map(({ ballot }) => ballot.electionId))) {
      const codes = stored
        .filter(({ ballot }) => ballot.electionId === electionId)
        .flatMap(({ ballot }) => codesOf(ballot));
      for (const code of await usedTrackingCodes(tx, electionId, codes)) used.add(keyOf(electionId, code));
    }
    const owners = await findBallots(
      tx,
      stored.map(({ ballot }) => ballot),
    );
    const claimed = new Map<string, string>();
    const insertable = stored.filter(({ ballot }) => {
      if (owners.has(keyOf(ballot.electionId, ballot.ballotId))) return false; // an existing ballot: compared below
      const keys = codesOf(ballot).map((code) => keyOf(ballot.electionId, code));
      const taken = keys.some((key) => used.has(key) || (claimed.has(key) && claimed.get(key) !== ballot.ballotId));
      if (taken) return false;
      for (const key of keys) claimed.set(key, ballot.ballotId);
      return true;
    });
    const rows = insertable.map(({ ballot }) => ({
      election_id: ballot.electionId,
      ballot_id: ballot.ballotId,
      voter_id: ballot.voterId,
      county: ballot.county,
      issued_at: ballot.issuedAt ?? null,
      imb: ballot.imb ?? null,
      return_imb: ballot.returnImb ?? null,
      issued_by_key: principal.keyId,
    }));
    // A ballot repeated within the batch: the first occurrence is inserted, later ones compared below.
    // No conflict target: a ballot ID or an IMb already stored in this election both leave the row out.
    const inserted = await tx<BallotRow[]>`
      INSERT INTO ballots (election_id, ballot_id, voter_id, county, issued_at, imb, return_imb, issued_by_key)
      SELECT election_id, ballot_id, voter_id, county, issued_at, imb, return_imb, issued_by_key
      FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) AS (election_id text, ballot_id text, voter_id text, county text, issued_at timestamptz, imb text, return_imb text, issued_by_key text))
           WITH ORDINALITY AS r(election_id, ballot_id, voter_id, county, issued_at, imb, return_imb, issued_by_key, n)
      ORDER BY n
      ON CONFLICT DO NOTHING
      RETURNING election_id, ballot_id, voter_id, county, issued_at, imb, return_imb`;
    const fresh = new Set(inserted.map((row) => keyOf(row.election_id, row.ballot_id)));
    const issued = await findBallots(
      tx,
      inserted.map((row) => ({ electionId: row.election_id, ballotId: row.ballot_id })),
      { lock: true },
    );
    await adoptOrphanScans(
      tx,
      inserted.map((row) => ({
        electionId: row.election_id,
        ballotId: row.ballot_id,
        imb: row.imb,
        returnImb: row.return_imb,
      })),
    );
    await applyWaitingScans(tx, issued);
    // A ballot of a closed election is recorded as closed and wakes no workflow.
    await enqueue(
      tx,
      [...issued.values()]
        .filter((ballot) => !ballot.electionClosed)
        .map((ballot) => ({
          kind: 'issuance' as const,
          electionId: ballot.electionId,
          ballotId: ballot.ballotId,
          keyId: principal.keyId,
        })),
    );
    const others = stored.filter(({ ballot }) => !fresh.has(keyOf(ballot.electionId, ballot.ballotId)));
    const existing = new Map<string, BallotRow>();
    if (others.length > 0) {
      const pairs = others.map(({ ballot }) => ({ election_id: ballot.electionId, ballot_id: ballot.ballotId }));
      const found = await tx<BallotRow[]>`
        SELECT b.election_id, b.ballot_id, b.voter_id, b.county, b.issued_at, b.imb, b.return_imb
        FROM ballots b
        JOIN jsonb_to_recordset(${JSON.stringify(pairs)}::text::jsonb) AS p(election_id text, ballot_id text)
          USING (election_id, ballot_id)`;
      for (const row of found) existing.set(keyOf(row.election_id, row.ballot_id), row);
    }
    const firstSeen = new Set<string>();
    for (const { index, ballot } of stored) {
      const key = keyOf(ballot.electionId, ballot.ballotId);
      const result = results[index]!;
      if (fresh.has(key) && !firstSeen.has(key)) {
        firstSeen.add(key);
        continue;
      }
      const row = fresh.has(key) ? inserted.find((r) => keyOf(r.election_id, r.ballot_id) === key) : existing.get(key);
      if (row && sameRecord(row, ballot)) {
        result.outcome = 'duplicate';
      } else if (!row) {
        // Not inserted and no ballot under this ID: its IMb is already another ballot's in this election.
        result.outcome = 'invalid';
        result.error = {
          code: 'imb_conflict',
          message: 'This IMb is already on another ballot of this election; every ballot needs its own IMb.',
          status: 409,
        };
      } else {
        // The same answer whoever holds the ballot ID: a conflict never names another county.
        result.outcome = 'invalid';
        result.error = {
          code: 'conflict',
          message:
            'This ballot was already issued with different details; issue a replacement under a new ballotId ' +
            'and send a superseded scan for this one.',
          status: 409,
        };
      }
    }
  });
  return results;
}

/**
 * Whether the ballot's voter may receive it: a voter on the roll must be of the ballot's county; a key
 * limited to counties may issue only to voters on its own roll (the voter's county and the ballot's
 * the same, and covered by the key). The answer for a voter of another county is the answer for an
 * unknown voter, so a county key learns nothing about other counties' rolls. Keys with every county
 * may issue before the voter record arrives (as they may send scans before the issuance).
 */
function voterRefusal(
  principal: Principal,
  ballot: BallotItem,
  rollCounty: string | undefined,
): ItemResult['error'] | undefined {
  if (principal.counties === null) {
    if (rollCounty === undefined || rollCounty === ballot.county) return undefined;
    return {
      code: 'voter_county_mismatch',
      message: `Voter ${ballot.voterId} is on the roll of county ${rollCounty}, not ${ballot.county}.`,
      status: 422,
    };
  }
  if (rollCounty === ballot.county) return undefined;
  return {
    code: 'unknown_voter',
    message: `No voter ${ballot.voterId} on the roll of county ${ballot.county}; POST /v1/voters first.`,
    status: 422,
  };
}

/**
 * Newly issued ballots take the scans that arrived before them, in arrival order, as if they had
 * come after the issuance record (`foldEvents`). A ballot of an election already closed is `closed`
 * and takes them as `stale`.
 */
async function applyWaitingScans(
  tx: postgres.TransactionSql,
  ballots: ReadonlyMap<string, StoredBallot>,
): Promise<void> {
  const waiting = groupBy(await pendingEvents(tx, [...ballots.values()]), (event) =>
    ballotKey(event.electionId, event.ballotId),
  );
  const outcomes: { seq: string; outcome: EventOutcome }[] = [];
  const progress: ProgressWrite[] = [];
  for (const [key, ballot] of ballots) {
    const events = waiting.get(key) ?? [];
    if (events.length === 0 && !ballot.electionClosed) continue;
    const start = { status: ballot.electionClosed ? ('closed' as const) : ballot.status, eventCount: 0 };
    const folded = foldEvents(
      start,
      events.map((event) => event.type),
    );
    events.forEach((event, i) => outcomes.push({ seq: event.seq, outcome: folded.outcomes[i]! }));
    progress.push({
      electionId: ballot.electionId,
      ballotId: ballot.ballotId,
      status: folded.end.status!,
      statusChanged: folded.end.status !== ballot.status,
      eventCount: folded.end.eventCount,
      attention: folded.outcomes.includes('capped') ? 'event_cap' : null,
    });
  }
  await setEventOutcomes(tx, outcomes);
  await saveProgress(tx, progress);
}

/** County of each known ballot, for scoping scans and status reads. */
export async function ballotCounties(
  sql: Sql,
  pairs: readonly { electionId: string; ballotId: string }[],
): Promise<Map<string, string>> {
  if (pairs.length === 0) return new Map();
  const rows = await sql<{ election_id: string; ballot_id: string; county: string }[]>`
    SELECT b.election_id, b.ballot_id, b.county
    FROM ballots b
    JOIN jsonb_to_recordset(${JSON.stringify(pairs.map((p) => ({ election_id: p.electionId, ballot_id: p.ballotId })))}::text::jsonb)
      AS p(election_id text, ballot_id text) USING (election_id, ballot_id)`;
  return new Map(rows.map((row) => [keyOf(row.election_id, row.ballot_id), row.county]));
}
