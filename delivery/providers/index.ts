/**
 * Provider adapters behind per-channel interfaces, the error classes they throw, and the webhook
 * signature checks. Activities use `SmsSender` / `VoiceSender` / `EmailSender` and
 * `toApplicationFailure`; the webhook routes use ./webhooks.js and each sender's `parseStatusEvent`.
 */
export * from './types.js';
export * from './errors.js';
export * from './twilio.js';
export * from './sendgrid.js';
export * from './voices.js';
export * from './webhooks.js';
