import { ApplicationFailure } from '@temporalio/common';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import {
  assertCorrelation,
  classifyNetworkError,
  classifySendGridError,
  classifyTwilioError,
  parseRetryAfter,
  ProviderConfigurationError,
  ProviderRejectedError,
  RecipientError,
  redactContacts,
  toApplicationFailure,
  TransientProviderError,
  UnknownOutcomeError,
  voiceFor,
  voiceTwiml,
  withCorrelation,
} from '../../delivery/providers/index.js';
import { LANGUAGES } from '../../delivery/templates/index.js';
import { PERMANENT_SEND_FAILURES } from '../../workflows/ballot.js';

function restException(statusCode: number, code: number, message = 'x') {
  return new twilio.RestException({ statusCode, body: { code, message, more_info: '', status: statusCode } });
}

function sendGridError(status: number, headers: Record<string, string> = {}, errors: unknown[] = []) {
  return Object.assign(new Error('x'), { code: status, response: { headers, body: { errors } } });
}

describe('sorting Twilio errors', () => {
  it.each([
    [21211, 'InvalidRecipient'],
    [21610, 'RecipientOptedOut'],
    [21614, 'NotMobileNumber'],
    [21635, 'LandlineNumber'],
    [21612, 'UnroutableRecipient'],
  ])('%i is a permanent recipient failure named %s, as the workflow knows it', (code, type) => {
    const error = classifyTwilioError(restException(400, code));
    expect(error).toBeInstanceOf(RecipientError);
    expect((error as RecipientError).type).toBe(type);
    expect(PERMANENT_SEND_FAILURES).toContain(type);
  });

  it.each([
    [401, 20003],
    [400, 21408],
    [400, 21606],
    [400, 21608],
  ])('HTTP %i / %i is a configuration error', (status, code) => {
    expect(classifyTwilioError(restException(status, code))).toBeInstanceOf(ProviderConfigurationError);
  });

  it('429 is transient; 500 is an unknown outcome; 503 is transient', () => {
    expect(classifyTwilioError(restException(429, 20429))).toBeInstanceOf(TransientProviderError);
    expect(classifyTwilioError(restException(500, 20500))).toBeInstanceOf(UnknownOutcomeError);
    expect(classifyTwilioError(restException(503, 20503))).toMatchObject({
      type: 'ProviderTransient',
      reason: 'unavailable',
    });
  });

  it('an unknown 4xx is a rejection, not a recipient failure', () => {
    expect(classifyTwilioError(restException(400, 21620))).toBeInstanceOf(ProviderRejectedError);
  });

  it('keeps the phone number Twilio echoes out of the error message', () => {
    const error = classifyTwilioError(
      restException(400, 21211, "The 'To' number +1 (500) 555-0001 is not a valid phone number."),
    ) as Error;
    expect(error.message).not.toMatch(/555/);
    expect(error.message).toContain('[phone]');
  });

  it('passes a programming error through unchanged', () => {
    const bug = new TypeError('oops');
    expect(classifyTwilioError(bug)).toBe(bug);
  });
});

describe('sorting SendGrid errors', () => {
  it('400 on the recipient field is InvalidRecipient; other 400s and 413 are rejections', () => {
    const badTo = sendGridError(400, {}, [
      { message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email' },
    ]);
    expect(classifySendGridError(badTo)).toMatchObject({ type: 'InvalidRecipient' });
    expect(classifySendGridError(sendGridError(400, {}, [{ message: 'bad', field: 'subject' }]))).toBeInstanceOf(
      ProviderRejectedError,
    );
    expect(classifySendGridError(sendGridError(413))).toBeInstanceOf(ProviderRejectedError);
  });

  it('401 and 403 are configuration errors', () => {
    expect(classifySendGridError(sendGridError(401))).toBeInstanceOf(ProviderConfigurationError);
    expect(classifySendGridError(sendGridError(403))).toBeInstanceOf(ProviderConfigurationError);
  });

  it('429 waits until X-RateLimit-Reset', () => {
    const now = 1_700_000_000_000;
    const error = classifySendGridError(sendGridError(429, { 'x-ratelimit-reset': String(now / 1000 + 30) }), now);
    expect(error).toMatchObject({ type: 'ProviderTransient', reason: 'rate_limited', retryAfterMs: 30_000 });
  });

  it('500 is an unknown outcome, 503 transient', () => {
    expect(classifySendGridError(sendGridError(500))).toBeInstanceOf(UnknownOutcomeError);
    expect(classifySendGridError(sendGridError(503))).toMatchObject({ type: 'ProviderTransient' });
  });
});

describe('network errors', () => {
  it('a request that never left is transient; a timeout or reset is an unknown outcome', () => {
    const code = (c: string) => Object.assign(new Error(c), { code: c });
    expect(classifyNetworkError('twilio', code('ECONNREFUSED'))).toMatchObject({
      type: 'ProviderTransient',
      reason: 'network',
    });
    expect(classifyNetworkError('twilio', code('ENOTFOUND'))).toMatchObject({ type: 'ProviderTransient' });
    expect(classifyNetworkError('twilio', code('ECONNABORTED'))).toMatchObject({
      type: 'UnknownOutcome',
      reason: 'timeout',
    });
    expect(classifyNetworkError('twilio', code('ETIMEDOUT'))).toMatchObject({ type: 'UnknownOutcome' });
    expect(classifyNetworkError('sendgrid', code('ECONNRESET'))).toMatchObject({
      type: 'UnknownOutcome',
      reason: 'connection_lost',
    });
    expect(classifyNetworkError('sendgrid', new Error('no code'))).toBeUndefined();
  });
});

describe('toApplicationFailure', () => {
  it('a recipient failure is non-retryable with the workflow type name', () => {
    const failure = toApplicationFailure(
      new RecipientError('twilio', 'RecipientOptedOut', 'opted out', { code: 21610 }),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'RecipientOptedOut', nonRetryable: true });
  });

  it('a configuration error is non-retryable ProviderConfiguration', () => {
    expect(toApplicationFailure(new ProviderConfigurationError('sendgrid', 'bad key'))).toMatchObject({
      type: 'ProviderConfiguration',
      nonRetryable: true,
    });
  });

  it('a 429 carries the provider wait as nextRetryDelay', () => {
    const failure = toApplicationFailure(
      new TransientProviderError('twilio', 'rate_limited', 'slow down', { retryAfterMs: 7_000 }),
    ) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'ProviderTransient', nonRetryable: false, nextRetryDelay: 7_000 });
  });

  it('other transient errors leave the backoff to the retry policy', () => {
    const failure = toApplicationFailure(
      new TransientProviderError('twilio', 'network', 'refused'),
    ) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('an unknown outcome is retryable and says so in its type', () => {
    expect(toApplicationFailure(new UnknownOutcomeError('sendgrid', 'server_error', 'HTTP 500'))).toMatchObject({
      type: 'UnknownOutcome',
      nonRetryable: false,
    });
  });

  it('a non-provider error is returned unchanged', () => {
    const bug = new Error('bug');
    expect(toApplicationFailure(bug)).toBe(bug);
  });
});

describe('helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(new Date(now + 3_000).toUTCString(), now)).toBe(3_000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('redacts emails and phone numbers but keeps codes and dates', () => {
    expect(redactContacts('to v.oter@example.com and +1 415-555-0100 (21211) on 2026-11-03')).toBe(
      'to [email] and [phone] (21211) on 2026-11-03',
    );
  });

  it('correlation carries IDs only', () => {
    expect(() => assertCorrelation({ deliveryId: 'e1:b2:received#0:sms' })).not.toThrow();
    expect(() => assertCorrelation({ email: 'v@example.com' })).toThrow(/must be an ID/);
    expect(() => assertCorrelation({ phone: '+14155550100' })).toThrow(/must be an ID/);
    expect(() => assertCorrelation({ name: 'Jane Doe' })).toThrow(/must be an ID/);
    expect(withCorrelation('https://t.example/s', { deliveryId: 'd1' })).toBe('https://t.example/s?deliveryId=d1');
  });
});

describe('voices', () => {
  it('every notice language has a voice or falls back to English, and says so', () => {
    for (const language of LANGUAGES) {
      const voice = voiceFor(language);
      if (voice.fellBack) expect(voice).toMatchObject({ language: 'en-US', voice: 'Polly.Joanna-Neural' });
      else if (language !== 'en') expect(voice.language).not.toBe('en-US');
    }
    expect(voiceFor('km').fellBack).toBe(true);
    expect(voiceFor('es')).toMatchObject({ language: 'es-US', fellBack: false });
  });

  it('TwiML says the message twice in the voice of its language', () => {
    const { twiml, voiceFallback } = voiceTwiml('vi', 'Phiếu bầu đã nhận', 'Ballot received');
    const says = [...twiml.matchAll(/<Say language="vi-VN" voice="Google.vi-VN-Standard-A">([^<]*)<\/Say>/g)];
    expect(says.map((m) => m[1])).toEqual(['Phiếu bầu đã nhận', 'Phiếu bầu đã nhận']);
    expect(voiceFallback).toBeUndefined();
  });

  it('escapes the text for XML', () => {
    expect(voiceTwiml('en', 'A & B <c>', 'A & B <c>').twiml).toContain('A &amp; B &lt;c&gt;');
  });
});
