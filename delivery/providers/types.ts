/**
 * Per-channel sender interfaces. The activity talks only to these; one adapter per provider
 * implements them. Every `send` either resolves with the provider's message ID (store it: status
 * webhooks name the message by it) or throws one of the errors in ./errors.js.
 */
import type { Language } from '../templates/index.js';
import type { RecipientFailureType } from './errors.js';

/** Our delivery statuses. A provider status outside the mapped set is ignored, never guessed. */
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Rank for "only move forward": a callback with a lower rank than the stored status is stale. */
export const DELIVERY_STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  undelivered: 2,
  failed: 2,
};

/**
 * Opaque IDs that travel with a message so its webhooks find the ledger row again (SendGrid custom
 * args, a query parameter on Twilio's status callback URL). Providers show these to anyone with
 * account access and echo them in webhooks: IDs only, never a name, address or phone number.
 */
export type Correlation = Readonly<Record<string, string>>;

export interface SendResult {
  providerMessageId: string;
}

export interface StatusEvent {
  providerMessageId: string;
  status: DeliveryStatus;
  /** The provider's own status word, for the ledger and logs. */
  providerStatus: string;
  /** Provider error code on undelivered/failed (Twilio 30003, 30006, ...). */
  errorCode?: number;
  /** Set when the error says this address will never work on this channel. */
  recipientFailure?: RecipientFailureType;
  /** Provider's event ID when it has one (SendGrid `sg_event_id`): dedupe on it. */
  eventId?: string;
  /** When the provider says it happened (epoch ms), when it says. */
  at?: number;
  correlation: Correlation;
}

/** What every send names: the address, and the IDs that travel with the message. */
interface SendInput {
  to: string;
  correlation?: Correlation;
}

/** A Twilio channel's sender: `send`, and the mapping of its status callbacks. */
interface TwilioChannelSender<Input extends SendInput, Result extends SendResult> {
  send(input: Input): Promise<Result>;
  /**
   * Maps one status callback (form parameters, already signature-checked; `url` is the URL called,
   * whose query carries the correlation IDs) to our status, or undefined for a status we ignore.
   */
  parseStatusEvent(params: Readonly<Record<string, string | undefined>>, url?: string): StatusEvent | undefined;
}

export interface SmsSendInput extends SendInput {
  /** E.164 number. */
  to: string;
  body: string;
  /**
   * Seconds Twilio may keep the text queued before giving up (1..36000; Twilio's default is 10 h).
   * Compute it so a queued text cannot land inside the voter's quiet hours.
   */
  validityPeriodSeconds: number;
  /** The county's own Messaging Service (MG…) instead of the adapter's default sender. */
  messagingServiceSid?: string | undefined;
}

export type SmsSender = TwilioChannelSender<SmsSendInput, SendResult>;

export interface VoiceSendInput extends SendInput {
  language: Language;
  /** The script in `language`. */
  text: string;
  /** The same script in English, spoken instead when no voice speaks `language`. */
  englishText: string;
}

export interface VoiceSendResult extends SendResult {
  /** Why the call speaks English instead of `language` (log it); absent when it does not. */
  voiceFallback?: string;
}

export type VoiceSender = TwilioChannelSender<VoiceSendInput, VoiceSendResult>;

export interface EmailSendInput extends SendInput {
  subject: string;
  html: string;
  text: string;
  /**
   * HTTPS URL that unsubscribes with one POST (RFC 8058); shown as List-Unsubscribe. Absent for
   * transactional mail (verification codes): no List-Unsubscribe header at all.
   */
  unsubscribeUrl?: string;
  /** The county's own (verified) sender instead of the adapter's default From. */
  from?: { email: string; name?: string | undefined } | undefined;
}

export interface EmailSender {
  send(input: EmailSendInput): Promise<SendResult>;
  /** Maps one event of a (signature-checked) event webhook batch to our status. */
  parseStatusEvent(event: unknown): StatusEvent | undefined;
}

const CORRELATION_KEY = /^[a-z][a-z0-9_]{0,49}$/i;
/** IDs: letters, digits and a few separators. No '@', '+' or spaces, so no email or phone fits. */
const CORRELATION_VALUE = /^[A-Za-z0-9_.:#/-]{1,200}$/;

/** Throws when correlation data could carry personal data or break a provider's limits. */
export function assertCorrelation(correlation: Correlation): void {
  for (const [key, value] of Object.entries(correlation)) {
    if (!CORRELATION_KEY.test(key) || !CORRELATION_VALUE.test(value)) {
      throw new TypeError(`correlation ${JSON.stringify(key)} must be an ID (letters, digits, _ . : # / -)`);
    }
  }
}

/** Narrows a webhook field to one of a provider's known status names. */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** The default branch of an exhaustive switch over provider statuses. */
export function unreachable(value: never): never {
  throw new Error(`unhandled provider status ${String(value)}`);
}
