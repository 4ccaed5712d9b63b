import type { Sql } from '../db/client.js';
import { createBallotContextActivities } from './ballot-context.js';
import { createNoticeActivities } from './notices.js';
import { createSmokeTestActivities } from './smoke-test.js';

export interface ActivityDeps {
  sql: Sql;
}

/** Every activity the worker registers, built from narrowly typed dependencies (tests pass their own). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSmokeTestActivities(deps),
    ...createBallotContextActivities(deps),
    ...createNoticeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
