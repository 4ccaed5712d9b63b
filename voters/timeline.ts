import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { voterBallots } from '../db/ballots.js';
import type { Logger } from '../lib/logger.js';
import { statusQuery, workflowIdFor } from '../workflows/ballot.js';
import type { BallotTimeline } from './contract.js';

/**
 * The voter's ballots for the status page, newest election first: the issuance, then each event
 * that moved the status, read from the ballot's workflow. A ballot whose workflow is not there (not
 * forwarded yet) is just issued. Statuses and times only: nothing personal. Times are shown in the
 * county's zone, else the election's, else `defaultTimeZone`.
 */
export async function ballotTimelines(
  deps: { sql: Sql; temporal: Client; logger: Logger; queryTimeoutMs: number; defaultTimeZone: string },
  voterId: string,
): Promise<BallotTimeline[]> {
  const ballots = await voterBallots(deps.sql, voterId, deps.defaultTimeZone);
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
          .map((event) => ({ status: event.type, at: new Date(event.occurredAt).toISOString() }));
        return { ...base, status: state.status, events: [issued, ...events] };
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) deps.logger.warn({ err: error }, 'ballot status query failed');
        return { ...base, status: 'issued', events: [issued] };
      }
    }),
  );
}
