-- USPS Informed Visibility (IV-MTR) feeds: a ballot carries its outbound IMb (`imb`, unchanged) and
-- the return envelope's IMb (`return_imb`). A scan finds its ballot by the first 20 digits (the
-- tracking code) of either, so a tracking code names at most one envelope per election, across both
-- columns: the unique indexes cover each column, the trigger covers one column against the other.
ALTER TABLE ballots ADD COLUMN return_imb text;
CREATE UNIQUE INDEX ballots_election_return_imb ON ballots (election_id, left(return_imb, 20))
  WHERE return_imb IS NOT NULL;

-- Writers of one tracking code (an issuance, an IV-MTR scan) are serialised by a transaction-scoped
-- advisory lock on the code's bucket: 256 buckets per election, so a batch of a thousand ballots takes
-- at most 256 locks (advisory locks live in PostgreSQL's shared lock table, max_locks_per_transaction
-- times the connections) instead of one per code.
CREATE FUNCTION usps_tracking_lock_key(election_id text, tracking_code text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN hashtextextended('usps:' || election_id || ':' || (hashtextextended(tracking_code, 0) & 255)::text, 0);

CREATE FUNCTION ballots_tracking_codes_unique() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  outbound_code text := left(NEW.imb, 20);
  return_code text := left(NEW.return_imb, 20);
BEGIN
  IF outbound_code IS NOT NULL AND outbound_code = return_code THEN
    RAISE EXCEPTION 'ballot % carries the same tracking code on both envelopes', NEW.ballot_id
      USING ERRCODE = 'unique_violation';
  END IF;
  -- Serialises writers of the same tracking code (the unique indexes cannot see across columns).
  IF outbound_code IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(usps_tracking_lock_key(NEW.election_id, outbound_code));
    IF EXISTS (SELECT 1 FROM ballots b WHERE b.election_id = NEW.election_id
                 AND left(b.return_imb, 20) = outbound_code AND b.ballot_id <> NEW.ballot_id) THEN
      RAISE EXCEPTION 'tracking code already on another ballot of election %', NEW.election_id
        USING ERRCODE = 'unique_violation';
    END IF;
  END IF;
  IF return_code IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(usps_tracking_lock_key(NEW.election_id, return_code));
    IF EXISTS (SELECT 1 FROM ballots b WHERE b.election_id = NEW.election_id
                 AND left(b.imb, 20) = return_code AND b.ballot_id <> NEW.ballot_id) THEN
      RAISE EXCEPTION 'tracking code already on another ballot of election %', NEW.election_id
        USING ERRCODE = 'unique_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER ballots_tracking_codes_unique BEFORE INSERT OR UPDATE OF imb, return_imb ON ballots
  FOR EACH ROW EXECUTE FUNCTION ballots_tracking_codes_unique();

-- Every IV-MTR scan taken, by election and deterministic event ID (a re-sent record is a duplicate).
-- `ballot_id` is null while no issued ballot carries the tracking code (an orphan): the issuance
-- of a ballot with that IMb adopts it (ingest/usps.ts). `meanings` is what the operation table in
-- force when the scan arrived says for each envelope side; `side` is set once the ballot is known.
CREATE TABLE usps_scans (
  seq           bigserial PRIMARY KEY,
  election_id   text NOT NULL,
  tracking_code text NOT NULL CHECK (tracking_code ~ '^[0-9]{20}$'),
  event_id      text NOT NULL,
  ballot_id     text,
  side          text CHECK (side IN ('outbound', 'return')),
  op_code       text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  facility_zip  text NOT NULL,
  meanings      jsonb NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb,
  key_id        text,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX usps_scans_event ON usps_scans (election_id, event_id);
CREATE INDEX usps_scans_orphans ON usps_scans (election_id, tracking_code) WHERE ballot_id IS NULL;
CREATE INDEX usps_scans_ballot ON usps_scans (election_id, ballot_id, seq) WHERE ballot_id IS NOT NULL;
