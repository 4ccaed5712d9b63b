-- Broadcasts (issue 16): a message to the subscribed voters of a selection of ballots (an election,
-- some of its counties, some statuses), approved by a second key, walked like the election sweeps
-- (keyset over `ballots.sweep_bucket` in partitions, a checkpoint per partition), and stoppable at
-- once: the sender reads `state` before every send and skips the notice of a stopped broadcast.
CREATE TABLE broadcasts (
  broadcast_id  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  election_id   text NOT NULL,
  -- NULL: every county (only an all-county key may create or see such a broadcast).
  counties      text[],
  statuses      text[] NOT NULL,
  message_key   text NOT NULL,
  note          text,
  state         text NOT NULL DEFAULT 'draft'
                CHECK (state IN ('draft', 'approved', 'running', 'done', 'stopped')),
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  approved_by   text,
  approved_at   timestamptz,
  dry_run_at    timestamptz,
  started_by    text,
  started_at    timestamptz,
  -- Ballots the selection held when the run started.
  selected      bigint,
  -- A broadcast notice still waiting for a voter's window is dropped from this instant.
  expires_at    timestamptz,
  stopped_by    text,
  stopped_at    timestamptz,
  finished_at   timestamptz,
  CHECK (approved_by IS NULL OR approved_by <> created_by)
);
CREATE INDEX broadcasts_election ON broadcasts (election_id, broadcast_id);

CREATE TABLE broadcast_partitions (
  broadcast_id integer NOT NULL REFERENCES broadcasts ON DELETE CASCADE,
  partition    integer NOT NULL,
  signalled    bigint NOT NULL DEFAULT 0,
  gone         bigint NOT NULL DEFAULT 0,
  cursor       jsonb,
  finished_at  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (broadcast_id, partition)
);

-- A broadcast's notices in the ledger (its progress): sequence 1000000 + broadcast_id.
CREATE INDEX notice_deliveries_broadcast ON notice_deliveries (election_id, sequence, state)
  WHERE sequence > 1000000;
