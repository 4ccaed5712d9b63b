/** Provider webhooks: Express routers to mount (what the events do lives in delivery/webhooks/). */
export { createTwilioWebhookRouter } from './twilio.js';
export type { TwilioWebhookConfig, TwilioWebhookDeps } from './twilio.js';
export { createSendGridWebhookRouter } from './sendgrid.js';
export type { SendGridWebhookConfig, SendGridWebhookDeps } from './sendgrid.js';
