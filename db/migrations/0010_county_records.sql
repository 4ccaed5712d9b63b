-- County records through the API (PUT /v1/counties/{code}): the languages a county offers, its own
-- SMS sender (a Twilio Messaging Service per county, as email_from/email_from_name are its own
-- SendGrid sender), the instant it certifies the election, and who wrote and who reviewed each of its
-- own texts (a county text is used in messages only once reviewed).

-- languages: catalog language codes the county offers its voters (NULL: every catalog language).
-- sms_messaging_service_sid: Twilio Messaging Service (MG...) for this county's texts (NULL: the
-- deployment's TWILIO_MESSAGING_SERVICE_SID / TWILIO_SMS_FROM).
-- certifies_at: when the county certifies the election (California's cure deadline is two days before).
ALTER TABLE counties
  ADD COLUMN languages                 text[],
  ADD COLUMN sms_messaging_service_sid text,
  ADD COLUMN certifies_at              timestamptz;

-- author: the API key ID (or 'cli') that last wrote the text; reviewed_by: the key that marked it
-- reviewed (another key than the author), reviewed_at: when.
ALTER TABLE county_texts
  ADD COLUMN author      text,
  ADD COLUMN reviewed_by text,
  ADD COLUMN reviewed_at timestamptz;
