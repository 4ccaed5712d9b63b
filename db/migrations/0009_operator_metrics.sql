-- Operator metrics read the notices that are not finished (being sent, retrying, paused) and the
-- failed ones on every scrape: a partial index keeps that count small whatever the ledger's size.
CREATE INDEX IF NOT EXISTS notice_deliveries_open ON notice_deliveries (channel, state, error_code)
  WHERE state IN ('sending', 'pending', 'failed');
