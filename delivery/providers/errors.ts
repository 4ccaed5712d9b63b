/**
 * Provider failures, sorted once at the adapter boundary. Adapters throw only these classes; the
 * activity hands them to `toApplicationFailure`, which decides what Temporal's retry policy sees.
 *
 * - RecipientError: this address can never receive on this channel. The type names are the ones
 *   the ballot workflow recognises (`PERMANENT_SEND_FAILURES`): it disables the channel.
 * - ProviderConfigurationError: our account, credentials or sender are wrong. Retrying the message
 *   will not help; an operator must act.
 * - ProviderRejectedError: the provider refused this request for a reason that is neither of the
 *   above (malformed or oversized message). Retrying the same request will not help.
 * - TransientProviderError: never processed (429, 503, connection refused). Safe to retry.
 * - UnknownOutcomeError: a timeout, dropped connection or 5xx after the request was sent: the
 *   provider may have accepted it. Retryable, but a retry can send the notice twice (neither Twilio
 *   Messages nor SendGrid mail/send take an idempotency key).
 */
import { ApplicationFailure } from '@temporalio/common';

export type ProviderName = 'twilio' | 'sendgrid';

/** Exactly the names in workflows/ballot.ts `PERMANENT_SEND_FAILURES` that a provider can report. */
export type RecipientFailureType =
  'InvalidRecipient' | 'RecipientOptedOut' | 'NotMobileNumber' | 'LandlineNumber' | 'UnroutableRecipient';

export type ProviderFailureType =
  RecipientFailureType | 'ProviderConfiguration' | 'ProviderRejected' | 'ProviderTransient' | 'UnknownOutcome';

/**
 * Deliberately no `cause`: the SDKs' errors carry the request (phone number, address, message
 * text), and these errors reach logs and workflow history.
 */
export interface ProviderErrorDetails {
  /** HTTP status, when the provider answered. */
  httpStatus?: number;
  /** Provider error code (Twilio's numeric code), when it sent one. */
  code?: number;
}

export abstract class ProviderError extends Error {
  abstract readonly type: ProviderFailureType;
  abstract readonly retryable: boolean;
  readonly httpStatus?: number;
  readonly code?: number;

  constructor(
    readonly provider: ProviderName,
    message: string,
    details: ProviderErrorDetails = {},
  ) {
    super(redactContacts(message));
    this.httpStatus = details.httpStatus;
    this.code = details.code;
  }
}

export class RecipientError extends ProviderError {
  override name = 'RecipientError';
  readonly retryable = false;
  constructor(
    provider: ProviderName,
    readonly type: RecipientFailureType,
    message: string,
    details?: ProviderErrorDetails,
  ) {
    super(provider, message, details);
  }
}

export class ProviderConfigurationError extends ProviderError {
  override name = 'ProviderConfigurationError';
  readonly type = 'ProviderConfiguration' as const;
  readonly retryable = false;
}

export class ProviderRejectedError extends ProviderError {
  override name = 'ProviderRejectedError';
  readonly type = 'ProviderRejected' as const;
  readonly retryable = false;
}

/** A failure worth another attempt, with the reason it happened (for the ledger and the logs). */
abstract class RetryableProviderError<Reason extends string> extends ProviderError {
  readonly retryable = true;
  constructor(
    provider: ProviderName,
    readonly reason: Reason,
    message: string,
    details?: ProviderErrorDetails,
  ) {
    super(provider, message, details);
  }
}

export type TransientReason = 'rate_limited' | 'unavailable' | 'network';

export class TransientProviderError extends RetryableProviderError<TransientReason> {
  override name = 'TransientProviderError';
  readonly type = 'ProviderTransient' as const;
  /** How long the provider asked us to wait (Retry-After, X-RateLimit-Reset), in ms. */
  readonly retryAfterMs?: number;
  constructor(
    provider: ProviderName,
    reason: TransientReason,
    message: string,
    details: ProviderErrorDetails & { retryAfterMs?: number } = {},
  ) {
    super(provider, reason, message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

export type UnknownOutcomeReason = 'timeout' | 'server_error' | 'connection_lost';

export class UnknownOutcomeError extends RetryableProviderError<UnknownOutcomeReason> {
  override name = 'UnknownOutcomeError';
  readonly type = 'UnknownOutcome' as const;
}

/**
 * What the activity throws for a provider error. Permanent and configuration errors become
 * non-retryable failures named by type; a 429 carries the provider's wait as `nextRetryDelay`;
 * other transient errors stay retryable and Temporal's retry policy owns the backoff. Anything that
 * is not a ProviderError (a bug) is returned unchanged, so Temporal retries it as it would anyway.
 *
 * The message never contains the address: failures are stored in workflow history.
 */
export function toApplicationFailure(error: unknown): unknown {
  if (!(error instanceof ProviderError)) return error;
  const message = `${error.provider}: ${error.message}`;
  const details = [{ provider: error.provider, httpStatus: error.httpStatus, code: error.code }];
  if (!error.retryable) return ApplicationFailure.create({ message, type: error.type, nonRetryable: true, details });
  const nextRetryDelay =
    error instanceof TransientProviderError && error.retryAfterMs !== undefined
      ? Math.max(error.retryAfterMs, 1)
      : undefined;
  return ApplicationFailure.create({
    message,
    type: error.type,
    nonRetryable: false,
    details,
    ...(nextRetryDelay === undefined ? {} : { nextRetryDelay }),
  });
}

/** Network error codes raised before a request left this machine: the provider never saw it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_INVALID_URL',
]);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/**
 * Classifies an error raised below HTTP (no response): a request that never left is transient; a
 * timeout or a connection dropped mid-request is an unknown outcome. Returns undefined for errors
 * that are not network errors.
 */
export function classifyNetworkError(provider: ProviderName, error: unknown): ProviderError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (NOT_SENT_CODES.has(code)) {
    return new TransientProviderError(provider, 'network', `request not sent (${code})`);
  }
  if (TIMEOUT_CODES.has(code)) {
    return new UnknownOutcomeError(provider, 'timeout', `no answer before the timeout (${code})`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_BAD_RESPONSE' || code === 'ECONNCLOSED') {
    return new UnknownOutcomeError(provider, 'connection_lost', `connection lost mid-request (${code})`);
  }
  return undefined;
}

/** An HTTP 5xx: 503 means "not processed, come back later"; any other 5xx may follow acceptance. */
export function serverError(provider: ProviderName, httpStatus: number, detail: string, code?: number): ProviderError {
  return httpStatus === 503
    ? new TransientProviderError(provider, 'unavailable', `service unavailable: ${detail}`, { httpStatus, code })
    : new UnknownOutcomeError(provider, 'server_error', `HTTP ${httpStatus}: ${detail}`, { httpStatus, code });
}

/** A response header from a Headers object or a plain record, matched case-insensitively. */
export function headerValue(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') return (getter as (n: string) => unknown).call(headers, name);
  const record = headers as Record<string, unknown>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  const text: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const trimmed = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Providers echo the recipient in error texts ("The 'To' number +1555... is not a valid phone
 * number."); these texts end up in logs and workflow history.
 */
export function redactContacts(text: string): string {
  return text
    .replace(/[^\s@<>"']+@[^\s@<>"']+/g, '[email]')
    .replace(/\+\d{8,15}\b|(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\b\d{3})[\s.-]?\d{3}[\s.-]?\d{4}\b/g, '[phone]');
}
