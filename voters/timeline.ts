import { voterBallots } from '../db/ballots.js';
import type { Sql } from '../db/client.js';
import type { BallotTimeline } from './contract.js';

/**
 * The voter's ballots for the status page, newest election first: the issuance, then each event
 * that moved the status, read from the record in PostgreSQL (no workflow is asked: the page works
 * with the worker stopped and long after the workflows are gone). Statuses and times only: nothing
 * personal. Times are shown in the county's zone, else the election's, else `defaultTimeZone`.
 */
export async function ballotTimelines(
  deps: { sql: Sql; defaultTimeZone: string },
  voterId: string,
): Promise<BallotTimeline[]> {
  const ballots = await voterBallots(deps.sql, voterId, deps.defaultTimeZone);
  return ballots.map((ballot) => ({
    electionId: ballot.election_id,
    electionName: ballot.election_name ?? ballot.election_id,
    ballotId: ballot.ballot_id,
    timezone: ballot.timezone,
    status: ballot.status,
    events: [
      { status: 'issued', at: new Date(ballot.issued_at ?? ballot.created_at).toISOString() },
      ...(ballot.events ?? []).map((event) => ({ status: event.type, at: new Date(event.occurred_at).toISOString() })),
    ],
  }));
}
