/**
 * SendGrid email adapter on the real `@sendgrid/mail` SDK, with its own client instance (never the
 * SDK's process-wide singleton). With `apiBaseUrl` set, requests go to that URL (the sandbox)
 * instead of https://api.sendgrid.com.
 */
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import {
  classifyNetworkError,
  headerValue,
  parseRetryAfter,
  ProviderConfigurationError,
  ProviderError,
  ProviderRejectedError,
  RecipientError,
  serverError,
  TransientProviderError,
  type RecipientFailureType,
} from './errors.js';
import {
  assertCorrelation,
  isOneOf,
  unreachable,
  type Correlation,
  type DeliveryStatus,
  type EmailSender,
  type EmailSendInput,
  type StatusEvent,
} from './types.js';

export interface SendGridOptions {
  apiKey: string;
  /** Base URL that replaces https://api.sendgrid.com (a sandbox); unset for the real SendGrid. */
  apiBaseUrl?: string;
  /** A verified sender of the county's domain (SendGrid answers 403 for any other). */
  fromEmail: string;
  fromName?: string;
  replyTo?: string;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Custom args come back as top-level fields of every event, next to SendGrid's own. The prefix
 * keeps ours apart from theirs.
 */
export const CUSTOM_ARG_PREFIX = 'bt_';

export function createSendGridMailService(options: Pick<SendGridOptions, 'apiKey' | 'apiBaseUrl' | 'timeoutMs'>) {
  const client = new Client();
  const mail = new MailService();
  mail.setClient(client);
  // setApiKey resets the base URL to the region default, so the sandbox URL must come after it.
  mail.setApiKey(options.apiKey);
  if (options.apiBaseUrl) client.setDefaultRequest('baseUrl', options.apiBaseUrl);
  mail.setTimeout(options.timeoutMs ?? 15_000);
  return mail;
}

export function createSendGridEmailSender(options: SendGridOptions): EmailSender {
  const mail = createSendGridMailService(options);
  const now = options.now ?? Date.now;
  return {
    async send(input: EmailSendInput) {
      const correlation = input.correlation ?? {};
      assertCorrelation(correlation);
      const { unsubscribeUrl } = input;
      // Mail clients only honour one-click unsubscribe over https; the local sandbox runs on http.
      if (
        unsubscribeUrl !== undefined &&
        !/^https:\/\//.test(unsubscribeUrl) &&
        !(options.apiBaseUrl && /^http:\/\//.test(unsubscribeUrl))
      ) {
        throw new TypeError('unsubscribeUrl must be an https URL (one-click unsubscribe is a POST to it)');
      }
      try {
        const [response] = await mail.send({
          to: input.to,
          from: input.from
            ? input.from.name
              ? { email: input.from.email, name: input.from.name }
              : input.from.email
            : options.fromName
              ? { email: options.fromEmail, name: options.fromName }
              : options.fromEmail,
          ...(options.replyTo ? { replyTo: options.replyTo } : {}),
          subject: input.subject,
          text: input.text,
          html: input.html,
          // Transactional mail (a verification code) has no unsubscribe headers at all.
          ...(unsubscribeUrl !== undefined
            ? {
                headers: {
                  'List-Unsubscribe': `<${unsubscribeUrl}>`,
                  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                },
              }
            : {}),
          customArgs: Object.fromEntries(Object.entries(correlation).map(([k, v]) => [CUSTOM_ARG_PREFIX + k, v])),
          // Rewritten tracking links look like the phishing look-alikes voters are warned about,
          // and an official notice has no business tracking opens.
          trackingSettings: {
            clickTracking: { enable: false, enableText: false },
            openTracking: { enable: false },
          },
        });
        const messageId = headerValue(response.headers, 'x-message-id');
        if (typeof messageId !== 'string' || messageId === '') {
          throw new ProviderRejectedError('sendgrid', `HTTP ${response.statusCode} without X-Message-Id`, {
            httpStatus: response.statusCode,
          });
        }
        return { providerMessageId: messageId };
      } catch (error) {
        throw classifySendGridError(error, now());
      }
    },
    parseStatusEvent: parseSendGridEvent,
  };
}

interface SendGridErrorBody {
  errors?: Array<{ message?: string; field?: string | null }>;
}

/** Sorts anything `@sendgrid/mail` throws into the classes of ./errors.js. */
export function classifySendGridError(error: unknown, now: number = Date.now()): unknown {
  if (error instanceof ProviderError) return error;
  const status = (error as { code?: unknown } | null)?.code;
  const response = (error as { response?: { headers?: unknown; body?: unknown } } | null)?.response;
  if (typeof status === 'number' && response) {
    const body = (response.body ?? {}) as SendGridErrorBody;
    const first = body.errors?.[0];
    const message = first?.message ?? `HTTP ${status}`;
    const details = { httpStatus: status };
    if (status === 401 || status === 403) return new ProviderConfigurationError('sendgrid', message, details);
    if (status === 429) {
      const reset = Number(headerValue(response.headers, 'x-ratelimit-reset'));
      const retryAfterMs = Number.isFinite(reset)
        ? Math.max(0, reset * 1000 - now)
        : parseRetryAfter(headerValue(response.headers, 'retry-after'), now);
      return new TransientProviderError('sendgrid', 'rate_limited', message, { ...details, retryAfterMs });
    }
    if (status >= 500) return serverError('sendgrid', status, message);
    if (status === 400 && body.errors?.some((e) => /^personalizations\.\d+\.to/.test(e.field ?? ''))) {
      return new RecipientError('sendgrid', 'InvalidRecipient', message, details);
    }
    return new ProviderRejectedError('sendgrid', message, details);
  }
  return classifyNetworkError('sendgrid', error) ?? error;
}

// Event webhook ----------------------------------------------------------------------------------

/** Events that describe delivery; engagement events (open, click) are ignored. */
export const SENDGRID_DELIVERY_EVENTS = ['processed', 'deferred', 'delivered', 'bounce', 'dropped'] as const;
export type SendGridDeliveryEvent = (typeof SENDGRID_DELIVERY_EVENTS)[number];

/** Events that mean "stop emailing me": mark the email channel opted out. */
export const SENDGRID_OPT_OUT_EVENTS = ['unsubscribe', 'group_unsubscribe', 'spamreport'] as const;
export type SendGridOptOutEvent = (typeof SENDGRID_OPT_OUT_EVENTS)[number];

export function mapSendGridEvent(event: SendGridDeliveryEvent): DeliveryStatus {
  switch (event) {
    case 'processed':
    case 'deferred':
      return 'queued';
    case 'delivered':
      return 'delivered';
    case 'bounce':
      return 'undelivered';
    case 'dropped':
      return 'failed';
    default:
      return unreachable(event);
  }
}

interface RawEvent {
  event?: unknown;
  sg_event_id?: unknown;
  sg_message_id?: unknown;
  timestamp?: unknown;
  type?: unknown;
  reason?: unknown;
  [key: string]: unknown;
}

/** `sg_message_id` is the X-Message-Id from the send plus a per-recipient suffix after a dot. */
export function sendGridMessageId(sgMessageId: string): string {
  return sgMessageId.split('.')[0]!;
}

function correlationOf(raw: RawEvent): Correlation {
  return Object.fromEntries(
    Object.entries(raw)
      .filter(([key, value]) => key.startsWith(CUSTOM_ARG_PREFIX) && typeof value === 'string')
      .map(([key, value]) => [key.slice(CUSTOM_ARG_PREFIX.length), value as string]),
  );
}

/** Why a bounce or drop says the address will never work. */
function recipientFailure(event: SendGridDeliveryEvent, raw: RawEvent): RecipientFailureType | undefined {
  const reason = typeof raw.reason === 'string' ? raw.reason : '';
  if (event === 'bounce') return raw.type === 'blocked' ? undefined : 'InvalidRecipient';
  if (event === 'dropped') {
    if (/unsubscribe|spam report/i.test(reason)) return 'RecipientOptedOut';
    if (/bounced address|invalid/i.test(reason)) return 'InvalidRecipient';
  }
  return undefined;
}

/**
 * Maps one event of a (signature-checked) webhook batch. Batches are retried for up to 24 h and
 * arrive out of order: dedupe on `eventId` and only move a status forward.
 */
export function parseSendGridEvent(event: unknown): StatusEvent | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const raw = event as RawEvent;
  if (!isOneOf(SENDGRID_DELIVERY_EVENTS, raw.event) || typeof raw.sg_message_id !== 'string') return undefined;
  const failure = recipientFailure(raw.event, raw);
  return {
    providerMessageId: sendGridMessageId(raw.sg_message_id),
    status: mapSendGridEvent(raw.event),
    providerStatus: raw.type === 'blocked' ? 'blocked' : raw.event,
    ...(failure ? { recipientFailure: failure } : {}),
    ...(typeof raw.sg_event_id === 'string' ? { eventId: raw.sg_event_id } : {}),
    ...(typeof raw.timestamp === 'number' ? { at: raw.timestamp * 1000 } : {}),
    correlation: correlationOf(raw),
  };
}

export interface OptOutEvent {
  providerMessageId?: string;
  eventId?: string;
  kind: SendGridOptOutEvent;
  correlation: Correlation;
}

/** Unsubscribe, group unsubscribe and spam reports: the voter wants no more email. */
export function parseSendGridOptOut(event: unknown): OptOutEvent | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const raw = event as RawEvent;
  if (!isOneOf(SENDGRID_OPT_OUT_EVENTS, raw.event)) return undefined;
  return {
    kind: raw.event,
    ...(typeof raw.sg_message_id === 'string' ? { providerMessageId: sendGridMessageId(raw.sg_message_id) } : {}),
    ...(typeof raw.sg_event_id === 'string' ? { eventId: raw.sg_event_id } : {}),
    correlation: correlationOf(raw),
  };
}
