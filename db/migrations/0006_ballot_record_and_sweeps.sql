-- A statewide election: PostgreSQL is the record of what happened to a ballot (its events and its
-- status, decided by the accepting transaction), the outbox is forwarded per ballot without
-- head-of-line blocking, delivery can be paused per county or channel, and the election's sweeps
-- keep their progress here.

-- The status of record, moved forward by the transaction that accepts each event (the same rank
-- function the workflow uses). `attention` flags what the status alone does not say (event_cap);
-- `workflow_ended` says how a ballot's workflow ended when it did not complete on its own
-- (terminated, timed_out, ...), as the forwarder learned it. `sweep_bucket` spreads an election's
-- ballots over 64 buckets that the sweep's partitions walk by keyset.
ALTER TABLE ballots
  ADD COLUMN status            text NOT NULL DEFAULT 'issued',
  ADD COLUMN status_changed_at timestamptz,
  ADD COLUMN event_count       integer NOT NULL DEFAULT 0,
  ADD COLUMN attention         text,
  ADD COLUMN workflow_ended    text,
  ADD COLUMN sweep_bucket      smallint GENERATED ALWAYS AS ((abs(hashtext(ballot_id)::bigint) % 64)::smallint) STORED;
CREATE INDEX ballots_sweep ON ballots (election_id, sweep_bucket, ballot_id);
CREATE INDEX ballots_attention ON ballots (election_id, status) WHERE status IN ('challenged', 'undeliverable') OR attention IS NOT NULL;

-- Every scan ever accepted, with what it did: `applied` moved the status, `stale` was recorded only
-- (a repeat of a lower rank, or the ballot was final), `pending` waits for the issuance record,
-- `capped` arrived after the ballot's event cap. Reasons, sources and facility data live here only.
CREATE TABLE ballot_events (
  seq         bigserial PRIMARY KEY,
  election_id text NOT NULL,
  ballot_id   text NOT NULL,
  event_id    text NOT NULL,
  type        text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  outcome     text NOT NULL CHECK (outcome IN ('applied', 'stale', 'pending', 'capped')),
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  key_id      text
);
CREATE UNIQUE INDEX ballot_events_event ON ballot_events (election_id, event_id);
CREATE INDEX ballot_events_ballot ON ballot_events (election_id, ballot_id, seq);
CREATE INDEX ballot_events_pending ON ballot_events (election_id, ballot_id) WHERE outcome = 'pending';

-- The scans accepted before this migration were kept only as outbox rows.
INSERT INTO ballot_events (election_id, ballot_id, event_id, type, occurred_at, received_at, outcome, details, key_id)
SELECT election_id, ballot_id, event_id, payload->>'type', (payload->>'occurredAt')::timestamptz, received_at,
       'pending', payload - 'eventId' - 'type' - 'occurredAt', key_id
FROM workflow_outbox WHERE kind = 'scan' ORDER BY seq;

-- Their outcomes and the ballots' statuses, folded in arrival order with the rank of
-- domain/ballot-status.ts as it stood when this migration was written.
WITH ranked AS (
  SELECT e.seq, e.election_id, e.ballot_id, b.ballot_id IS NOT NULL AS issued,
         CASE e.type WHEN 'outbound' THEN 1 WHEN 'undeliverable' THEN 2 WHEN 'inbound' THEN 3
           WHEN 'received' THEN 4 WHEN 'challenged' THEN 5 WHEN 'cured' THEN 6 ELSE 7 END AS rank
  FROM ballot_events e LEFT JOIN ballots b USING (election_id, ballot_id)
), folded AS (
  SELECT seq, issued, rank,
         coalesce(max(rank) OVER (PARTITION BY election_id, ballot_id ORDER BY seq
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM ranked
)
UPDATE ballot_events e
SET outcome = CASE WHEN NOT f.issued THEN 'pending' WHEN f.rank > f.before THEN 'applied' ELSE 'stale' END
FROM folded f WHERE e.seq = f.seq;

UPDATE ballots b SET status = last.type, status_changed_at = last.received_at
FROM (SELECT DISTINCT ON (election_id, ballot_id) election_id, ballot_id, type, received_at
      FROM ballot_events WHERE outcome = 'applied' ORDER BY election_id, ballot_id, seq DESC) last
WHERE b.election_id = last.election_id AND b.ballot_id = last.ballot_id;

UPDATE ballots b SET event_count = c.n
FROM (SELECT election_id, ballot_id, count(*) AS n FROM ballot_events GROUP BY 1, 2) c
WHERE b.election_id = c.election_id AND b.ballot_id = c.ballot_id;

UPDATE ballots b SET status = 'closed', status_changed_at = e.closes_at
FROM elections e
WHERE b.election_id = e.election_id AND e.closes_at <= now()
  AND b.status NOT IN ('accepted', 'rejected', 'voted_in_person', 'superseded');

-- The outbox: scans are deduplicated by ballot_events now; new kinds carry a voter's changed plan
-- and an operator's resume to the ballot.
DROP INDEX workflow_outbox_scan_event;
ALTER TABLE workflow_outbox DROP CONSTRAINT workflow_outbox_kind_check;
ALTER TABLE workflow_outbox ADD CONSTRAINT workflow_outbox_kind_check
  CHECK (kind IN ('scan', 'issuance', 'election', 'plan', 'resume'));

-- One row per ballot (and per election, ballot_id '') with rows to forward: the forwarder claims
-- ballots, not rows, so one failing ballot delays only itself. `next_attempt_at` is also the lease:
-- a claim moves it forward, a success back to now, a failure to now plus the backoff. After
-- FORWARDER_MAX_ATTEMPTS failures the ballot is dead-lettered until an operator retries it.
CREATE TABLE outbox_ballots (
  election_id     text NOT NULL,
  ballot_id       text NOT NULL,
  pending         integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  dead_at         timestamptz,
  PRIMARY KEY (election_id, ballot_id)
);
CREATE INDEX outbox_ballots_due ON outbox_ballots (next_attempt_at) WHERE pending > 0 AND dead_at IS NULL;
CREATE INDEX outbox_ballots_dead ON outbox_ballots (dead_at) WHERE dead_at IS NOT NULL;

INSERT INTO outbox_ballots (election_id, ballot_id, pending, next_attempt_at)
SELECT election_id, ballot_id, count(*), min(next_attempt_at)
FROM workflow_outbox WHERE forwarded_at IS NULL GROUP BY 1, 2;

-- Delivery paused by a configuration failure (a county without contact details, a provider
-- account problem) until an operator resumes it. NULL county: every county; NULL channel: every channel.
CREATE TABLE delivery_pauses (
  pause_id   bigserial PRIMARY KEY,
  county     text,
  channel    text CHECK (channel IS NULL OR channel IN ('email', 'sms', 'voice')),
  reason     text NOT NULL,
  detail     text,
  paused_at  timestamptz NOT NULL DEFAULT now(),
  resumed_at timestamptz
);
CREATE UNIQUE INDEX delivery_pauses_active ON delivery_pauses (coalesce(county, '*'), coalesce(channel, '*'))
  WHERE resumed_at IS NULL;

-- A token bucket shared by every process that spends Temporal actions in bulk (the forwarder, the
-- election sweeps): TEMPORAL_ACTIONS_PER_SECOND across the deployment.
CREATE TABLE action_budget (
  name        text PRIMARY KEY,
  tokens      double precision NOT NULL,
  refilled_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The election's sweeps (return reminder, closing): one row per run of a moment, one per partition.
CREATE TABLE election_sweeps (
  election_id      text NOT NULL,
  moment           text NOT NULL CHECK (moment IN ('return-reminder', 'close')),
  run              integer NOT NULL,
  partitions       integer NOT NULL,
  state            text NOT NULL CHECK (state IN ('running', 'done', 'incomplete', 'cancelled', 'skipped')),
  signalled        bigint NOT NULL DEFAULT 0,
  open_after       bigint,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  PRIMARY KEY (election_id, moment, run)
);
CREATE TABLE election_sweep_partitions (
  election_id text NOT NULL,
  moment      text NOT NULL,
  run         integer NOT NULL,
  partition   integer NOT NULL,
  signalled   bigint NOT NULL DEFAULT 0,
  cursor      jsonb,
  finished_at timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (election_id, moment, run, partition)
);

-- Notices: why a ledger row was skipped (a newer notice replaced it, no contact left, ...).
ALTER TABLE notice_deliveries ADD COLUMN skip_reason text;
