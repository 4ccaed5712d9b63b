-- What a county says to its voters beyond its name and contact details: the cure path (a form per
-- challenge reason, the rule for a challenge without a deadline), when an accepted ballot may be
-- said to have been counted, whether messages name the voter's first initial, and the county's own
-- wording of reason codes, cure instructions and its deadline rule, per language, with a review
-- state. Set with `npm run cli -- county <code> ...`; read by the sender and the status page.

-- cure_deadline_rule: a code of domain/reasons.ts CURE_DEADLINE_RULES, worded by the catalogs.
-- counted_from: from this instant an accepted ballot "was counted" (before it, and when unset, it
-- "will be counted"); a value before the election's Election Day is ignored (left from an earlier election).
-- household_initial: messages name the voter's first initial (several voters may share one phone).
ALTER TABLE counties
  ADD COLUMN cure_deadline_rule text,
  ADD COLUMN counted_from       timestamptz,
  ADD COLUMN household_initial  boolean NOT NULL DEFAULT false;

-- The county's statement form per challenge reason (California: the unsigned ballot statement for
-- no_signature, the signature verification statement for signature_mismatch). A reason without a
-- row uses counties.cure_url, else the county's website. The ballot ID is appended as ?ballot=.
CREATE TABLE county_cure_forms (
  county     text NOT NULL REFERENCES counties ON DELETE CASCADE,
  reason     text NOT NULL,
  url        text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (county, reason)
);

-- The county's own words for catalog texts, per language: `reason.challenged.<code>`,
-- `reason.rejected.<code>`, `cure_instructions.<code>` and `cure_rule` (its deadline rule). Used
-- instead of the catalog's text for that language when set; `review_state` tells the county's
-- translators whether a native speaker reviewed it (`reviewed`) or not (`draft`).
CREATE TABLE county_texts (
  county       text NOT NULL REFERENCES counties ON DELETE CASCADE,
  path         text NOT NULL,
  language     text NOT NULL,
  text         text NOT NULL,
  review_state text NOT NULL DEFAULT 'draft' CHECK (review_state IN ('draft', 'reviewed')),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (county, path, language)
);

-- SMS compliance (CTIA): when this number last got "Reply STOP to opt out" in a notice. The first
-- notice carries it, and again once a month has passed.
ALTER TABLE contacts ADD COLUMN opt_out_hint_at timestamptz;

-- Notices not finished (being sent or retried): the API's gauge of ballots whose notice has been
-- retrying for over an hour reads these.
CREATE INDEX notice_deliveries_unfinished ON notice_deliveries (created_at)
  WHERE state IN ('pending', 'sending');
