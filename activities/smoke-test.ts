import type { Sql } from '../db/client.js';
import { recordSmokeTestRun } from '../db/smoke-test-runs.js';

/** Proves the whole path worker -> activity -> Postgres; idempotent on the run ID. */
export function createSmokeTestActivities({ sql }: { sql: Sql }) {
  return {
    async recordSmokeTest(input: { runId: string; note: string }): Promise<{ ranAt: string }> {
      return { ranAt: (await recordSmokeTestRun(sql, input.runId, input.note)).toISOString() };
    },
  };
}
