/** Provider webhooks: Express routers to mount, and the domain functions behind them. */
import type { SendGridWebhookConfig } from './sendgrid.js';
import type { TwilioWebhookConfig } from './twilio.js';

export { createTwilioWebhookRouter, applyTwilioStatus, handleInboundSms, messagingTwiml } from './twilio.js';
export type { TwilioWebhookConfig, TwilioWebhookDeps, CountyContact, InboundReply, StatusOutcome } from './twilio.js';
export { createSendGridWebhookRouter, applySendGridEvents } from './sendgrid.js';
export type { SendGridWebhookConfig, SendGridWebhookDeps, BatchResult } from './sendgrid.js';
export { classifyInboundKeyword, normalizeKeyword, INBOUND_KEYWORDS, type InboundKeyword } from './keywords.js';
export type { WebhookDeps } from './ledger.js';

/** One config object serves both routers. */
export type WebhooksConfig = TwilioWebhookConfig & SendGridWebhookConfig;
