import type { Sql } from '../db/client.js';
import { createSmokeTestActivities } from './smoke-test.js';

export interface ActivityDeps {
  sql: Sql;
}

/** Every activity the worker registers, built from narrowly typed dependencies (tests pass their own). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSmokeTestActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
