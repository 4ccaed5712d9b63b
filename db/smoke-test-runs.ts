/** The `smoke_test_runs` table: one row per smoke-test run (worker -> activity -> Postgres). */
import type { Sql } from './client.js';

/** Records the run (idempotent on its ID); returns when it was first recorded. */
export async function recordSmokeTestRun(sql: Sql, runId: string, note: string): Promise<Date> {
  const [row] = await sql<{ ran_at: Date }[]>`
    INSERT INTO smoke_test_runs (run_id, note) VALUES (${runId}, ${note})
    ON CONFLICT (run_id) DO UPDATE SET note = EXCLUDED.note
    RETURNING ran_at`;
  return row!.ran_at;
}
