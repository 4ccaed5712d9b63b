-- Elections, the voter roll, issued ballots, voter subscriptions with their contacts, and the notice
-- ledger. Personal data (names, birth dates, addresses) lives here and only here.

CREATE TABLE elections (
  election_id                 text PRIMARY KEY,
  name                        text NOT NULL,
  election_day                date NOT NULL,
  timezone                    text NOT NULL,
  receipt_deadline            timestamptz,
  cure_deadline               timestamptz,
  closes_at                   timestamptz,
  return_reminder_days_before integer NOT NULL DEFAULT 5,
  cure_reminder_days_before   integer[] NOT NULL DEFAULT '{3,1}',
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);

-- Display and contact details a notice needs; one row per county code used in voter and ballot feeds.
CREATE TABLE counties (
  county     text PRIMARY KEY,
  name       text NOT NULL,
  phone      text NOT NULL DEFAULT '',
  url        text NOT NULL DEFAULT '',
  timezone   text NOT NULL DEFAULT 'America/Los_Angeles',
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE voters (
  voter_id      text PRIMARY KEY,
  county        text NOT NULL,
  first_name    text NOT NULL,
  last_name     text NOT NULL,
  date_of_birth date NOT NULL,
  zip           text NOT NULL,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  language      text,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ballots (
  election_id text NOT NULL,
  ballot_id   text NOT NULL,
  voter_id    text NOT NULL,
  county      text NOT NULL,
  issued_at   timestamptz,
  imb         text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (election_id, ballot_id)
);
CREATE INDEX ballots_voter ON ballots (voter_id);

-- A voter's notification preferences: the allowed contact window (local time) and language.
CREATE TABLE subscriptions (
  subscription_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  voter_id        text NOT NULL,
  language        text NOT NULL DEFAULT 'en',
  window_start    text NOT NULL DEFAULT '08:00',
  window_end      text NOT NULL DEFAULT '21:00',
  timezone        text NOT NULL,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscriptions_one_active_per_voter ON subscriptions (voter_id) WHERE status = 'active';

CREATE TABLE contacts (
  contact_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id uuid NOT NULL REFERENCES subscriptions ON DELETE CASCADE,
  channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'voice')),
  address         text NOT NULL,
  verified_at     timestamptz,
  opted_out_at    timestamptz,
  disabled_reason text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, channel)
);

-- One row per notice a ballot owes a channel: written before the provider call, completed after it,
-- so a retried send never sends twice.
CREATE TABLE notice_deliveries (
  election_id         text NOT NULL,
  ballot_id           text NOT NULL,
  notice_key          text NOT NULL,
  channel             text NOT NULL,
  sequence            integer NOT NULL DEFAULT 0,
  message_key         text NOT NULL,
  language            text NOT NULL,
  contact_id          uuid,
  state               text NOT NULL DEFAULT 'pending',
  provider            text,
  provider_message_id text,
  attempts            integer NOT NULL DEFAULT 0,
  error_code          text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  sent_at             timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (election_id, ballot_id, notice_key, channel, sequence)
);
