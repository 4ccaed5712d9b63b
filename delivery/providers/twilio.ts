/**
 * Twilio adapters: SMS (Messages) and voice (Calls with inline TwiML). Both use the real `twilio`
 * SDK; with `apiBaseUrl` set, its HTTP client sends every request to that URL instead of
 * https://api.twilio.com (the sandbox), and refuses any other Twilio host, so a sandboxed process
 * can never reach the real provider. Without it, the same code path talks to Twilio.
 */
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type * as TwilioResponseModule from 'twilio/lib/http/response.js';
import type { Language } from '../templates/index.js';
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
  type SmsSender,
  type SmsSendInput,
  type StatusEvent,
  type VoiceSender,
  type VoiceSendInput,
  type VoiceSendResult,
} from './types.js';
import { voiceFor } from './voices.js';

export const TWILIO_API_ORIGIN = 'https://api.twilio.com';

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** Base URL that replaces https://api.twilio.com (a sandbox); unset for the real Twilio. */
  apiBaseUrl?: string;
  /** Per-request timeout. Keep it well under the activity's start-to-close timeout. */
  timeoutMs?: number;
  now?: () => number;
}

export type TwilioClient = twilio.Twilio;

/**
 * The SDK's HTTP client with two changes: requests to api.twilio.com go to `apiBaseUrl` when set,
 * and a 429 becomes a TransientProviderError carrying Retry-After (the SDK's RestException drops
 * response headers).
 */
class RoutingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly apiBaseUrl: string | undefined,
    private readonly now: () => number,
    options: TwilioRequestClient.RequestClientOptions,
  ) {
    super(options);
  }

  override async request<TData>(
    opts: TwilioRequestClient.RequestOptions<TData>,
  ): Promise<TwilioResponseModule.default<TData>> {
    const uri = this.route(opts.uri);
    const response = await super.request({ ...opts, uri });
    if (response.statusCode === 429) {
      const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as {
        code?: number;
        message?: string;
      };
      throw new TransientProviderError('twilio', 'rate_limited', body.message ?? 'too many requests', {
        httpStatus: 429,
        code: body.code ?? 20429,
        retryAfterMs: parseRetryAfter(headerValue(response.headers, 'retry-after'), this.now()),
      });
    }
    return response;
  }

  private route(uri: string): string {
    if (!this.apiBaseUrl) return uri;
    if (uri === TWILIO_API_ORIGIN || uri.startsWith(`${TWILIO_API_ORIGIN}/`)) {
      return this.apiBaseUrl.replace(/\/$/, '') + uri.slice(TWILIO_API_ORIGIN.length);
    }
    throw new Error(`Twilio request to ${new URL(uri).host} has no sandbox route (apiBaseUrl is set)`);
  }
}

export function createTwilioClient(options: TwilioClientOptions): TwilioClient {
  const httpClient = new RoutingRequestClient(options.apiBaseUrl, options.now ?? Date.now, {
    timeout: options.timeoutMs ?? 15_000,
    // Retries belong to Temporal's retry policy, not to a loop hidden in the SDK.
    autoRetry: false,
  });
  return twilio(options.accountSid, options.authToken, { httpClient });
}

/** Synchronous REST error codes that say this number can never receive on this channel. */
export const TWILIO_RECIPIENT_ERRORS: Readonly<Record<number, RecipientFailureType>> = {
  21211: 'InvalidRecipient',
  21610: 'RecipientOptedOut',
  21612: 'UnroutableRecipient',
  21614: 'NotMobileNumber',
  21635: 'LandlineNumber',
};

/** Codes that mean our account or sender is wrong: page an operator, do not retry per message. */
export const TWILIO_CONFIGURATION_ERRORS: ReadonlySet<number> = new Set([
  20003, // authentication
  20404, // account or resource not found (wrong account SID)
  21212, // invalid From number
  21215, // voice geo permissions
  21408, // SMS region not enabled
  21603, // From or MessagingServiceSid missing
  21606, // From is not SMS-capable
  21608, // trial account: unverified destination
  21659, // From is not a Twilio number
]);

/** Delivery (status callback) error codes that also say the number will never work for SMS. */
export const TWILIO_DELIVERY_RECIPIENT_ERRORS: Readonly<Record<number, RecipientFailureType>> = {
  30005: 'InvalidRecipient', // unknown destination handset
  30006: 'LandlineNumber', // landline or unreachable carrier
  21610: 'RecipientOptedOut',
};

/** Sorts anything the Twilio SDK throws into the classes of ./errors.js. */
export function classifyTwilioError(error: unknown): unknown {
  if (error instanceof ProviderError) return error;
  if (error instanceof twilio.RestException || isRestException(error)) {
    const { status, code } = error as { status: number; code?: number };
    const message = (error as Error).message || `HTTP ${status}`;
    const details = { httpStatus: status, code };
    const recipient = code === undefined ? undefined : TWILIO_RECIPIENT_ERRORS[code];
    if (recipient) return new RecipientError('twilio', recipient, `${code}: ${message}`, details);
    if ((code !== undefined && TWILIO_CONFIGURATION_ERRORS.has(code)) || status === 401 || status === 403) {
      return new ProviderConfigurationError('twilio', `${code ?? status}: ${message}`, details);
    }
    if (status === 429 || code === 20429) {
      return new TransientProviderError('twilio', 'rate_limited', message, details);
    }
    if (status >= 500) return serverError('twilio', status, message, code);
    return new ProviderRejectedError('twilio', `${code ?? status}: ${message}`, details);
  }
  return classifyNetworkError('twilio', error) ?? error;
}

function isRestException(error: unknown): boolean {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    'moreInfo' in (error as object)
  );
}

/** Appends correlation IDs to a callback URL, so the status webhook can find the ledger row. */
export function withCorrelation(url: string, correlation: Correlation | undefined): string {
  if (!correlation || Object.keys(correlation).length === 0) return url;
  assertCorrelation(correlation);
  const parsed = new URL(url);
  for (const [key, value] of Object.entries(correlation)) parsed.searchParams.set(key, value);
  return parsed.href;
}

/** Reads correlation IDs back from the URL Twilio called (query string only). */
export function correlationFromUrl(url: string | undefined): Correlation {
  if (!url) return {};
  return Object.fromEntries(new URL(url, 'http://placeholder').searchParams.entries());
}

// Status callbacks -------------------------------------------------------------------------------

/** The message statuses we map; anything else Twilio sends (accepted, read, ...) is ignored. */
export const TWILIO_MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type TwilioMessageStatus = (typeof TWILIO_MESSAGE_STATUSES)[number];

export function mapTwilioMessageStatus(status: TwilioMessageStatus): DeliveryStatus {
  switch (status) {
    case 'queued':
    case 'sending':
      return 'queued';
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
      return 'failed';
    default:
      return unreachable(status);
  }
}

export const TWILIO_CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type TwilioCallStatus = (typeof TWILIO_CALL_STATUSES)[number];

/** A call counts as sent once answered and delivered once completed (the message was played). */
export function mapTwilioCallStatus(status: TwilioCallStatus): DeliveryStatus {
  switch (status) {
    case 'queued':
    case 'initiated':
    case 'ringing':
      return 'queued';
    case 'in-progress':
      return 'sent';
    case 'completed':
      return 'delivered';
    case 'busy':
    case 'no-answer':
      return 'undelivered';
    case 'failed':
    case 'canceled':
      return 'failed';
    default:
      return unreachable(status);
  }
}

type Params = Readonly<Record<string, string | undefined>>;

function errorFields(params: Params): Pick<StatusEvent, 'errorCode' | 'recipientFailure'> {
  const code = params.ErrorCode ? Number(params.ErrorCode) : undefined;
  if (code === undefined || !Number.isInteger(code)) return {};
  const recipientFailure = TWILIO_DELIVERY_RECIPIENT_ERRORS[code];
  return recipientFailure ? { errorCode: code, recipientFailure } : { errorCode: code };
}

/**
 * Maps a message status callback. `url` is the URL Twilio called (its query carries the
 * correlation IDs). Callbacks repeat and arrive out of order: only move a status forward
 * (DELIVERY_STATUS_RANK).
 */
export function parseTwilioMessageStatus(params: Params, url?: string): StatusEvent | undefined {
  const sid = params.MessageSid ?? params.SmsSid;
  const providerStatus = params.MessageStatus ?? params.SmsStatus;
  if (!sid || !isOneOf(TWILIO_MESSAGE_STATUSES, providerStatus)) return undefined;
  return {
    providerMessageId: sid,
    status: mapTwilioMessageStatus(providerStatus),
    providerStatus,
    ...errorFields(params),
    correlation: correlationFromUrl(url),
  };
}

export function parseTwilioCallStatus(params: Params, url?: string): StatusEvent | undefined {
  const sid = params.CallSid;
  const providerStatus = params.CallStatus;
  if (!sid || !isOneOf(TWILIO_CALL_STATUSES, providerStatus)) return undefined;
  const at = params.Timestamp ? Date.parse(params.Timestamp) : Number.NaN;
  return {
    providerMessageId: sid,
    status: mapTwilioCallStatus(providerStatus),
    providerStatus,
    ...errorFields(params),
    ...(Number.isNaN(at) ? {} : { at }),
    correlation: correlationFromUrl(url),
  };
}

// Senders ----------------------------------------------------------------------------------------

/** Twilio accepts 1..36000 seconds (10 h, also its default). */
export const MAX_VALIDITY_PERIOD_SECONDS = 36_000;

/**
 * Creates a message or a call (`create` gets the status callback URL, carrying the correlation IDs)
 * and returns its SID; Twilio's errors come out sorted (./errors.ts).
 */
async function createWithCallback(
  statusCallbackUrl: string | undefined,
  correlation: Correlation | undefined,
  create: (statusCallback: string | undefined) => Promise<{ sid: string }>,
): Promise<string> {
  const statusCallback = statusCallbackUrl ? withCorrelation(statusCallbackUrl, correlation) : undefined;
  try {
    return (await create(statusCallback)).sid;
  } catch (error) {
    throw classifyTwilioError(error);
  }
}

export interface TwilioSmsOptions {
  /** A Messaging Service is preferred (sender pool, opt-out handling); else a From number. */
  messagingServiceSid?: string;
  from?: string;
  /** Public URL of our message status webhook. */
  statusCallbackUrl?: string;
}

export function createTwilioSmsSender(client: TwilioClient, options: TwilioSmsOptions): SmsSender {
  if (!options.messagingServiceSid && !options.from) {
    throw new TypeError('Twilio SMS needs a messagingServiceSid or a from number');
  }
  return {
    async send(input: SmsSendInput) {
      const validity = input.validityPeriodSeconds;
      if (!Number.isInteger(validity) || validity < 1 || validity > MAX_VALIDITY_PERIOD_SECONDS) {
        // The caller decides not to send when the window is about to close; a bad value is a bug.
        throw new RangeError(`validityPeriodSeconds must be an integer in 1..${MAX_VALIDITY_PERIOD_SECONDS}`);
      }
      const sid = await createWithCallback(options.statusCallbackUrl, input.correlation, (statusCallback) =>
        client.messages.create({
          to: input.to,
          body: input.body,
          ...(input.messagingServiceSid
            ? { messagingServiceSid: input.messagingServiceSid }
            : options.messagingServiceSid
              ? { messagingServiceSid: options.messagingServiceSid }
              : { from: options.from! }),
          validityPeriod: validity,
          ...(statusCallback ? { statusCallback } : {}),
        }),
      );
      return { providerMessageId: sid };
    },
    parseStatusEvent: parseTwilioMessageStatus,
  };
}

export interface TwilioVoiceOptions {
  from: string;
  /** Public URL of our call status webhook. */
  statusCallbackUrl?: string;
  /** Seconds to let the phone ring before giving up (Twilio's default is 60). */
  ringTimeoutSeconds?: number;
}

/**
 * TwiML that says the message twice with a pause between: a voter who picks up mid-sentence or
 * misses a word still hears it whole once.
 */
export function voiceTwiml(language: Language, text: string, englishText: string) {
  const voice = voiceFor(language);
  const response = new twilio.twiml.VoiceResponse();
  const spoken = voice.fellBack ? englishText : text;
  const attributes = { language: voice.language, voice: voice.voice };
  response.say(attributes, spoken);
  response.pause({ length: 1 });
  response.say(attributes, spoken);
  return {
    twiml: response.toString(),
    ...(voice.fellBack ? { voiceFallback: `no text-to-speech voice for ${language}; spoke English` } : {}),
  };
}

export function createTwilioVoiceSender(client: TwilioClient, options: TwilioVoiceOptions): VoiceSender {
  return {
    async send(input: VoiceSendInput): Promise<VoiceSendResult> {
      const { twiml, voiceFallback } = voiceTwiml(input.language, input.text, input.englishText);
      const sid = await createWithCallback(options.statusCallbackUrl, input.correlation, (statusCallback) =>
        client.calls.create({
          to: input.to,
          from: options.from,
          twiml,
          timeout: options.ringTimeoutSeconds ?? 30,
          ...(statusCallback ? { statusCallback, statusCallbackEvent: ['answered', 'completed'] } : {}),
        }),
      );
      return { providerMessageId: sid, ...(voiceFallback ? { voiceFallback } : {}) };
    },
    parseStatusEvent: parseTwilioCallStatus,
  };
}
