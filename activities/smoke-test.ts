import type { Sql } from '../db/client.js';

/** Proves the whole path worker -> activity -> Postgres; idempotent on the run ID. */
export function createSmokeTestActivities({ sql }: { sql: Sql }) {
  return {
    async recordSmokeTest(input: { runId: string; note: string }): Promise<{ ranAt: string }> {
      const [row] = await sql<{ ran_at: Date }[]>`
        INSERT INTO smoke_test_runs (run_id, note) VALUES (${input.runId}, ${input.note})
        ON CONFLICT (run_id) DO UPDATE SET note = EXCLUDED.note
        RETURNING ran_at`;
      return { ranAt: row!.ran_at.toISOString() };
    },
  };
}
