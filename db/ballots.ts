/**
 * Reads of the `ballots` table that several areas share (the status page, the sender, the IMb
 * importer). Ballots are written, with their outbox rows, by ingest/ballots.ts.
 */
import type { Sql } from './client.js';

/** One of a voter's ballots as the status page lists it: IDs, names, times and a zone, nothing personal. */
export interface VoterBallotRow {
  election_id: string;
  ballot_id: string;
  election_name: string | null;
  /** The county's zone, else the election's, else `defaultTimeZone`. */
  timezone: string;
  issued_at: Date | null;
  created_at: Date;
}

/** The voter's ballots, newest election first. */
export async function voterBallots(sql: Sql, voterId: string, defaultTimeZone: string): Promise<VoterBallotRow[]> {
  return sql<VoterBallotRow[]>`
    SELECT b.election_id, b.ballot_id, e.name AS election_name, b.issued_at, b.created_at,
           coalesce(k.timezone, e.timezone, ${defaultTimeZone}) AS timezone
    FROM ballots b
    LEFT JOIN elections e ON e.election_id = b.election_id
    LEFT JOIN counties k ON k.county = b.county
    WHERE b.voter_id = ${voterId}
    ORDER BY e.election_day DESC NULLS LAST, b.created_at DESC`;
}

/** The voter a ballot was issued to, when it is stored. */
export async function ballotVoterId(sql: Sql, electionId: string, ballotId: string): Promise<string | undefined> {
  const [row] = await sql<{ voter_id: string }[]>`
    SELECT voter_id FROM ballots WHERE election_id = ${electionId} AND ballot_id = ${ballotId}`;
  return row?.voter_id;
}

/** Issued ballots by the first 20 digits of their IMb (the tracking code a USPS scan carries). */
export async function ballotsByTrackingCode(
  sql: Sql,
  codes: readonly string[],
): Promise<Map<string, { electionId: string; ballotId: string }>> {
  const rows = await sql<{ code: string; election_id: string; ballot_id: string }[]>`
    SELECT left(imb, 20) AS code, election_id, ballot_id FROM ballots WHERE left(imb, 20) = ANY(${[...codes]})`;
  return new Map(rows.map((row) => [row.code, { electionId: row.election_id, ballotId: row.ballot_id }]));
}
