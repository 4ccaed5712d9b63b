import { Context } from '@temporalio/activity';
import type { Sql } from '../db/client.js';
import { purgeContactData as purgeContactRecords, type ContactPurgeCounts } from '../privacy/purge.js';

export interface PurgeContactDataInput {
  retentionDays: number;
}

/** Counts only: election IDs and everything personal stay out of the workflow history. */
export interface PurgeContactDataResult extends ContactPurgeCounts {
  electionsDue: number;
  electionsNotDue: number;
}

/** Heartbeats after each batch when run as an activity; a direct call (tests) has no context. */
function heartbeatIfInActivity(details: ContactPurgeCounts): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity.
  }
}

export function createPurgeActivities({ sql }: { sql: Sql }) {
  /** Deletes contact data and consent records of elections closed `retentionDays` days ago or longer. */
  async function purgeContactData(input: PurgeContactDataInput): Promise<PurgeContactDataResult> {
    if (!Number.isInteger(input.retentionDays) || input.retentionDays < 0) {
      throw new Error('retentionDays must be a non-negative integer');
    }
    const report = await purgeContactRecords(sql, {
      retentionDays: input.retentionDays,
      onBatch: heartbeatIfInActivity,
    });
    return {
      subscriptions: report.subscriptions,
      contacts: report.contacts,
      consents: report.consents,
      electionsDue: report.elections.due.length,
      electionsNotDue: report.elections.notDue.length,
    };
  }

  return { purgeContactData };
}
