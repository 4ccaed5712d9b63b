-- Delivery: correlate provider webhooks with ledger rows, keep the provider's status (forward only),
-- count unknown outcomes, deduplicate provider events, and let counties send from their own sender.

ALTER TABLE notice_deliveries
  ADD COLUMN delivery_id         uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN voter_id            text,
  ADD COLUMN provider_status     text,
  ADD COLUMN provider_status_at  timestamptz,
  ADD COLUMN provider_error_code text,
  ADD COLUMN unknown_outcomes    integer NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX notice_deliveries_delivery_id ON notice_deliveries (delivery_id);
CREATE INDEX notice_deliveries_provider_message ON notice_deliveries (provider, provider_message_id)
  WHERE provider_message_id IS NOT NULL;

-- Provider webhook events already applied (SendGrid sg_event_id; Twilio MessageSid + status).
CREATE TABLE provider_webhook_events (
  provider    text NOT NULL,
  event_id    text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- The county's own cure form (its URL with ?ballot= appended) and its email sender.
ALTER TABLE counties
  ADD COLUMN cure_url        text,
  ADD COLUMN email_from      text,
  ADD COLUMN email_from_name text;

CREATE INDEX contacts_address ON contacts (channel, address);
