-- Platform: a table the smoke-test workflow writes to, proving worker -> activity -> Postgres.
CREATE TABLE smoke_test_runs (
  run_id     text PRIMARY KEY,
  note       text NOT NULL,
  ran_at     timestamptz NOT NULL DEFAULT now()
);
