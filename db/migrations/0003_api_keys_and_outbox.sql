-- Vendor API: keys (stored only as hashes) and the workflow outbox that makes a 202 durable.

-- A key is shown once at creation as `bt_<key_id>_<secret>`; only SHA-256 of the whole key is kept.
-- counties NULL means every county.
CREATE TABLE api_keys (
  key_id                text PRIMARY KEY,
  name                  text NOT NULL,
  key_hash              text NOT NULL,
  scopes                text[] NOT NULL,
  counties              text[],
  rate_limit_per_minute integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  last_used_at          timestamptz,
  revoked_at            timestamptz
);

-- Everything the API or the importer accepted that must reach a workflow: scan events, issuance
-- records and election settings changes. A row is written in the same transaction as the accepted
-- record, before the answer; the forwarder delivers pending rows in `seq` order per (election, ballot)
-- and marks them forwarded. Forwarded scan rows stay: they are the ledger duplicate detection uses.
CREATE TABLE workflow_outbox (
  seq             bigserial PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('scan', 'issuance', 'election')),
  election_id     text NOT NULL,
  -- '' for election rows (a real ballot ID is never empty).
  ballot_id       text NOT NULL,
  -- The vendor's event ID (scans only).
  event_id        text,
  payload         jsonb NOT NULL,
  key_id          text,
  received_at     timestamptz NOT NULL DEFAULT now(),
  forwarded_at    timestamptz,
  -- 'delivered' or 'ballot-closed' (the ballot's workflow had already completed).
  forward_outcome text,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text
);
CREATE UNIQUE INDEX workflow_outbox_scan_event ON workflow_outbox (election_id, event_id) WHERE kind = 'scan';
CREATE INDEX workflow_outbox_pending ON workflow_outbox (seq) WHERE forwarded_at IS NULL;
CREATE INDEX workflow_outbox_pending_ballot ON workflow_outbox (election_id, ballot_id, seq) WHERE forwarded_at IS NULL;

-- Barcode look-up for USPS tracing rows: pieces match on the first 20 digits of the IMb.
CREATE INDEX ballots_imb20 ON ballots (left(imb, 20)) WHERE imb IS NOT NULL;
