-- Security: county isolation of ballots, shared rate limits, revocable manage tokens, deduplicated
-- inbound texts and the consent evidence kept after the contact-data purge.

-- One IMb per election: a scan finds its ballot by the IMb's first 20 digits (the tracking code), so
-- two ballots sharing them would let one county's feed move another county's ballot. The key that
-- issued each ballot is kept for operators (a conflict names no county to the caller).
CREATE UNIQUE INDEX ballots_election_imb ON ballots (election_id, left(imb, 20)) WHERE imb IS NOT NULL;
ALTER TABLE ballots ADD COLUMN issued_by_key text;

-- Rate-limit counters shared by every API process (rate-limiter-flexible's RateLimiterPostgres
-- layout: a key, the points consumed in its window, and the window's end in epoch milliseconds).
CREATE TABLE rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
CREATE INDEX rate_limits_expire ON rate_limits (expire);

-- Manage tokens carry the subscription's token version: unsubscribing or a change of contacts bumps
-- it, and every token minted before stops working.
ALTER TABLE subscriptions ADD COLUMN token_version integer NOT NULL DEFAULT 0;

-- Twilio inbound messages already handled, by MessageSid: a replayed START must not opt a number back
-- in after STOP. Rows older than a few days are deleted by the purge (Twilio retries within hours).
CREATE TABLE inbound_messages (
  message_sid text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_messages_received ON inbound_messages (received_at);

-- The keyed hash of a consent's address (HMAC with a key derived from MANAGE_TOKEN_SECRET), so the
-- evidence can outlive the address.
ALTER TABLE consents ADD COLUMN address_hash text;

-- Proof of consent (TCPA: keep it four years) after the purge has deleted the subscription, its
-- contacts and its consents: who (the subscription ID and the address's keyed hash), when, how, which
-- text, and when it was withdrawn. No address, name or number.
CREATE TABLE consent_evidence (
  consent_id           uuid PRIMARY KEY,
  subscription_id      uuid NOT NULL,
  channel              text NOT NULL,
  address_hash         text,
  source               text NOT NULL,
  consent_text_version text NOT NULL,
  language             text NOT NULL,
  consented_at         timestamptz NOT NULL,
  confirmed_at         timestamptz,
  withdrawn_at         timestamptz,
  archived_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_evidence_consented ON consent_evidence (consented_at);
