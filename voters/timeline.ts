import type { Sql } from '../db/client.js';
import type { BallotTimeline } from './contract.js';

/** The zone of a county or election that names none (status page, new subscriptions). */
export const FALLBACK_TIME_ZONE = 'America/Los_Angeles';

/**
 * The voter's ballots for the status page, newest election first: the issuance, then each event
 * that moved the status, read from the record in PostgreSQL (no workflow is asked: the page works
 * with the worker stopped and long after the workflows are gone). Statuses and times only.
 */
export async function ballotTimelines(sql: Sql, voterId: string): Promise<BallotTimeline[]> {
  const rows = await sql<
    {
      election_id: string;
      ballot_id: string;
      election_name: string | null;
      timezone: string;
      status: string;
      issued_at: Date | null;
      created_at: Date;
      events: { type: string; occurred_at: string }[] | null;
    }[]
  >`
    SELECT b.election_id, b.ballot_id, e.name AS election_name, b.issued_at, b.created_at, b.status,
           coalesce(k.timezone, e.timezone, ${FALLBACK_TIME_ZONE}) AS timezone,
           (SELECT json_agg(json_build_object('type', x.type, 'occurred_at', x.occurred_at) ORDER BY x.seq)
              FROM ballot_events x
              WHERE x.election_id = b.election_id AND x.ballot_id = b.ballot_id AND x.outcome = 'applied') AS events
    FROM ballots b
    LEFT JOIN elections e ON e.election_id = b.election_id
    LEFT JOIN counties k ON k.county = b.county
    WHERE b.voter_id = ${voterId}
    ORDER BY e.election_day DESC NULLS LAST, b.created_at DESC`;
  return rows.map((row) => ({
    electionId: row.election_id,
    electionName: row.election_name ?? row.election_id,
    ballotId: row.ballot_id,
    timezone: row.timezone,
    status: row.status,
    events: [
      { status: 'issued', at: new Date(row.issued_at ?? row.created_at).toISOString() },
      ...(row.events ?? []).map((event) => ({ status: event.type, at: new Date(event.occurred_at).toISOString() })),
    ],
  }));
}
