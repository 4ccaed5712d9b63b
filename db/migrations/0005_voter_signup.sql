-- Voter sign-up: verification codes, consent records, and the index the voter-roll lookup uses.

-- The lookup narrows the roll by birth date and ZIP (both exact), then compares normalised names in
-- the application (diacritics, hyphens, apostrophes, case and whitespace).
CREATE INDEX voters_lookup ON voters (date_of_birth, zip);

-- One open verification per contact: the address being confirmed (a new contact, or a changed
-- address that replaces the contact's address only once confirmed), the code's HMAC, its expiry and
-- the wrong attempts so far. Deleted when the code is confirmed.
CREATE TABLE contact_verifications (
  contact_id  uuid PRIMARY KEY REFERENCES contacts ON DELETE CASCADE,
  address     text NOT NULL,
  code_hash   text NOT NULL,
  expires_at  timestamptz NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  sent_at     timestamptz NOT NULL DEFAULT now()
);

-- Opt-in consent per channel (TCPA): when, from which page or API request, which version of the
-- consent text was shown and in which language. confirmed_at is set when the address is verified.
CREATE TABLE consents (
  consent_id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id      uuid NOT NULL REFERENCES subscriptions ON DELETE CASCADE,
  channel              text NOT NULL CHECK (channel IN ('email', 'sms', 'voice')),
  address              text NOT NULL,
  source               text NOT NULL,
  consent_text_version text NOT NULL,
  language             text NOT NULL,
  consented_at         timestamptz NOT NULL DEFAULT now(),
  confirmed_at         timestamptz,
  withdrawn_at         timestamptz
);
CREATE INDEX consents_subscription ON consents (subscription_id);
