import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { statusQuery, workflowIdFor } from '../workflows/ballot.js';
import type { BallotTimeline } from './contract.js';

/** The zone of a county or election that names none (status page, new subscriptions). */
export const FALLBACK_TIME_ZONE = 'America/Los_Angeles';

/**
 * The voter's ballots for the status page, newest election first: the issuance, then each event
 * that moved the status, read from the ballot's workflow. A ballot whose workflow is not there (not
 * forwarded yet) is just issued. Statuses and times only: nothing personal.
 */
export async function ballotTimelines(
  deps: { sql: Sql; temporal: Client; logger: Logger; queryTimeoutMs: number },
  voterId: string,
): Promise<BallotTimeline[]> {
  const ballots = await deps.sql<
    {
      election_id: string;
      ballot_id: string;
      election_name: string | null;
      timezone: string;
      issued_at: Date | null;
      created_at: Date;
    }[]
  >`
    SELECT b.election_id, b.ballot_id, e.name AS election_name, b.issued_at, b.created_at,
           coalesce(k.timezone, e.timezone, ${FALLBACK_TIME_ZONE}) AS timezone
    FROM ballots b
    LEFT JOIN elections e ON e.election_id = b.election_id
    LEFT JOIN counties k ON k.county = b.county
    WHERE b.voter_id = ${voterId}
    ORDER BY e.election_day DESC NULLS LAST, b.created_at DESC`;
  return Promise.all(
    ballots.map(async (ballot): Promise<BallotTimeline> => {
      const issued = { status: 'issued', at: new Date(ballot.issued_at ?? ballot.created_at).toISOString() };
      const base = {
        electionId: ballot.election_id,
        electionName: ballot.election_name ?? ballot.election_id,
        ballotId: ballot.ballot_id,
        timezone: ballot.timezone,
      };
      try {
        const handle = deps.temporal.workflow.getHandle(workflowIdFor(ballot.election_id, ballot.ballot_id));
        const state = await deps.temporal.connection.withDeadline(Date.now() + deps.queryTimeoutMs, () =>
          handle.query(statusQuery),
        );
        const events = state.events
          .filter((event) => event.outcome === 'applied')
          .map((event) => ({ status: event.type as string, at: new Date(event.occurredAt).toISOString() }));
        return { ...base, status: state.status, events: [issued, ...events] };
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) deps.logger.warn({ err: error }, 'ballot status query failed');
        return { ...base, status: 'issued', events: [issued] };
      }
    }),
  );
}
