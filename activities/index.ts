import type { Client } from '@temporalio/client';
import type { ActionBudget } from '../db/action-budget.js';
import type { Sql } from '../db/client.js';
import type { CountyFallback } from '../delivery/county.js';
import type { NoticeLinks, Senders } from '../delivery/senders.js';
import { createBallotContextActivities } from './ballot-context.js';
import { createBroadcastActivities } from './broadcasts.js';
import { createDeliverNoticeActivities } from './deliver-notice.js';
import { createElectionActivities } from './election.js';
import { createNoticeActivities } from './notices.js';
import { createPurgeActivities } from './purge.js';
import { createSmokeTestActivities } from './smoke-test.js';
import { createSweepActivities } from './sweeps.js';
import { withRedactedFailures } from './redact.js';

export interface ActivityDeps {
  sql: Sql;
  /** For activities that signal other workflows (the election's sweeps). */
  temporal: Client;
  /** One adapter per configured channel (the sandbox fakes in development and tests). */
  senders: Senders;
  links: NoticeLinks;
  /** Name, phone and URL for a county without a (complete) `counties` row; none when absent. */
  countyFallback?: CountyFallback;
  /** Election sweeps: partitions per sweep and the shared action budget (none: unpaced). */
  sweeps?: { partitions: number; budget?: ActionBudget };
  /** DEFAULT_TIME_ZONE: dates in messages when the county names no zone. */
  defaultTimeZone?: string;
}

/**
 * Every activity the worker registers, built from narrowly typed dependencies (tests pass their own);
 * each fails only with redacted failures (./redact.ts).
 */
export function createActivities(deps: ActivityDeps) {
  return withRedactedFailures(createRawActivities(deps));
}

function createRawActivities(deps: ActivityDeps) {
  const notices = createNoticeActivities(deps);
  return {
    ...createSmokeTestActivities(deps),
    ...createBallotContextActivities(deps),
    ...notices,
    ...createDeliverNoticeActivities({ sql: deps.sql, sendNotice: notices.sendNotice }),
    ...createElectionActivities(deps),
    ...createSweepActivities({
      sql: deps.sql,
      temporal: deps.temporal,
      partitions: deps.sweeps?.partitions ?? 4,
      ...(deps.sweeps?.budget ? { budget: deps.sweeps.budget } : {}),
    }),
    ...createPurgeActivities(deps),
    ...createBroadcastActivities({
      sql: deps.sql,
      temporal: deps.temporal,
      partitions: deps.sweeps?.partitions ?? 4,
      ...(deps.sweeps?.budget ? { budget: deps.sweeps.budget } : {}),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
