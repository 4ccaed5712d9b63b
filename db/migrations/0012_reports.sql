-- Reports for the county (db/reports.ts): what every report reads through an index, at statewide size.

-- The notice ledger carries its ballot's county, so a county's notices are one index range
-- (county, first attempt) instead of a join over the statewide ledger. A ballot's county never
-- changes (a ballot ID belongs to its first issuance), so it is copied once, on insert, by a trigger:
-- every writer of the ledger (the sender, the replaced-notice record, and any later one) fills it
-- without knowing of reports.
ALTER TABLE notice_deliveries ADD COLUMN county text;

CREATE FUNCTION notice_deliveries_county() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.county IS NULL THEN
    SELECT b.county INTO NEW.county FROM ballots b
    WHERE b.election_id = NEW.election_id AND b.ballot_id = NEW.ballot_id;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER notice_deliveries_county BEFORE INSERT ON notice_deliveries
  FOR EACH ROW EXECUTE FUNCTION notice_deliveries_county();

UPDATE notice_deliveries n SET county = b.county
FROM ballots b WHERE b.election_id = n.election_id AND b.ballot_id = n.ballot_id AND n.county IS NULL;

-- Notices, failures and the cure-notice log: a county's ledger rows by the day of their first attempt.
CREATE INDEX notice_deliveries_county_created ON notice_deliveries (county, created_at);

-- Sign-ups and opt-outs: contacts by the day they were added, confirmed or opted out, and
-- subscriptions by the day they ended (the county comes from the voter, by primary key).
CREATE INDEX contacts_created ON contacts (created_at);
CREATE INDEX contacts_verified ON contacts (verified_at) WHERE verified_at IS NOT NULL;
CREATE INDEX contacts_opted_out ON contacts (opted_out_at) WHERE opted_out_at IS NOT NULL;
CREATE INDEX subscriptions_unsubscribed ON subscriptions (updated_at) WHERE status = 'unsubscribed';

-- The cure-notice log: the challenges that moved a ballot, by the time they were received.
CREATE INDEX ballot_events_challenged ON ballot_events (received_at)
  WHERE type = 'challenged' AND outcome = 'applied';
