import { describe, expect, it } from 'vitest';
import {
  DELIVERY_STATUSES,
  parseSendGridEvent,
  parseSendGridOptOut,
  parseTwilioCallStatus,
  parseTwilioMessageStatus,
  sendGridMessageId,
  TWILIO_CALL_STATUSES,
  TWILIO_MESSAGE_STATUSES,
  SENDGRID_DELIVERY_EVENTS,
} from '../../delivery/providers/index.js';

describe('provider status mapping', () => {
  it('our enum is exactly queued, sent, delivered, undelivered, failed', () => {
    expect(DELIVERY_STATUSES).toEqual(['queued', 'sent', 'delivered', 'undelivered', 'failed']);
  });

  describe('Twilio message callbacks', () => {
    it.each([
      ['queued', 'queued'],
      ['sending', 'queued'],
      ['sent', 'sent'],
      ['delivered', 'delivered'],
      ['undelivered', 'undelivered'],
      ['failed', 'failed'],
    ])('maps %s to %s', (providerStatus, status) => {
      const event = parseTwilioMessageStatus({ MessageSid: 'SM1', MessageStatus: providerStatus });
      expect(event).toMatchObject({ providerMessageId: 'SM1', status, providerStatus });
    });

    it('recognises only the statuses the domain lists', () => {
      expect([...TWILIO_MESSAGE_STATUSES]).toEqual(['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed']);
    });

    it.each([
      'accepted',
      'scheduled',
      'read',
      'canceled',
      'receiving',
      'received',
      'partially_delivered',
      'DELIVERED',
      '',
    ])('ignores the status %j', (status) => {
      expect(parseTwilioMessageStatus({ MessageSid: 'SM1', MessageStatus: status })).toBeUndefined();
    });

    it('ignores a callback without a message SID or status', () => {
      expect(parseTwilioMessageStatus({ MessageStatus: 'delivered' })).toBeUndefined();
      expect(parseTwilioMessageStatus({ MessageSid: 'SM1' })).toBeUndefined();
    });

    it('reads the legacy SmsSid/SmsStatus names', () => {
      expect(parseTwilioMessageStatus({ SmsSid: 'SM2', SmsStatus: 'sent' })).toMatchObject({
        providerMessageId: 'SM2',
        status: 'sent',
      });
    });

    it('when a text is undelivered to a landline (30006), then the event says LandlineNumber', () => {
      const event = parseTwilioMessageStatus({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30006' });
      expect(event).toMatchObject({ status: 'undelivered', errorCode: 30006, recipientFailure: 'LandlineNumber' });
    });

    it('an unreachable handset (30003) is not a permanent recipient failure', () => {
      const event = parseTwilioMessageStatus({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' });
      expect(event).toMatchObject({ errorCode: 30003 });
      expect(event?.recipientFailure).toBeUndefined();
    });

    it('reads correlation IDs from the callback URL query', () => {
      const event = parseTwilioMessageStatus(
        { MessageSid: 'SM1', MessageStatus: 'sent' },
        'https://tracker.example/webhooks/twilio/status?deliveryId=d-1&ballotId=b-2',
      );
      expect(event?.correlation).toEqual({ deliveryId: 'd-1', ballotId: 'b-2' });
    });
  });

  describe('Twilio call callbacks', () => {
    it.each([
      ['queued', 'queued'],
      ['initiated', 'queued'],
      ['ringing', 'queued'],
      ['in-progress', 'sent'],
      ['completed', 'delivered'],
      ['busy', 'undelivered'],
      ['no-answer', 'undelivered'],
      ['failed', 'failed'],
      ['canceled', 'failed'],
    ])('maps %s to %s', (providerStatus, status) => {
      expect(parseTwilioCallStatus({ CallSid: 'CA1', CallStatus: providerStatus })).toMatchObject({ status });
    });

    it('covers every call status it lists, and nothing else', () => {
      for (const status of TWILIO_CALL_STATUSES)
        expect(parseTwilioCallStatus({ CallSid: 'CA1', CallStatus: status })).toBeDefined();
      expect(parseTwilioCallStatus({ CallSid: 'CA1', CallStatus: 'answered' })).toBeUndefined();
    });
  });

  describe('SendGrid events', () => {
    const base = { sg_message_id: 'abc123.filter0001.16648.5515E0B88.0', sg_event_id: 'ev1', timestamp: 1_700_000_000 };

    it.each([
      ['processed', 'queued'],
      ['deferred', 'queued'],
      ['delivered', 'delivered'],
      ['bounce', 'undelivered'],
      ['dropped', 'failed'],
    ])('maps %s to %s', (event, status) => {
      expect(parseSendGridEvent({ ...base, event })).toMatchObject({
        providerMessageId: 'abc123',
        status,
        eventId: 'ev1',
        at: 1_700_000_000_000,
      });
    });

    it('lists exactly the delivery events it maps', () => {
      expect([...SENDGRID_DELIVERY_EVENTS]).toEqual(['processed', 'deferred', 'delivered', 'bounce', 'dropped']);
    });

    it.each(['open', 'click', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe', 'Delivered', ''])(
      'ignores %j as a delivery status',
      (event) => {
        expect(parseSendGridEvent({ ...base, event })).toBeUndefined();
      },
    );

    it('ignores malformed events', () => {
      expect(parseSendGridEvent(null)).toBeUndefined();
      expect(parseSendGridEvent('delivered')).toBeUndefined();
      expect(parseSendGridEvent({ event: 'delivered' })).toBeUndefined();
    });

    it('a hard bounce is a permanent recipient failure; a block is not', () => {
      expect(parseSendGridEvent({ ...base, event: 'bounce', type: 'bounce' })?.recipientFailure).toBe(
        'InvalidRecipient',
      );
      const blocked = parseSendGridEvent({ ...base, event: 'bounce', type: 'blocked' });
      expect(blocked).toMatchObject({ status: 'undelivered', providerStatus: 'blocked' });
      expect(blocked?.recipientFailure).toBeUndefined();
    });

    it('a drop because the address unsubscribed means opted out', () => {
      const event = parseSendGridEvent({ ...base, event: 'dropped', reason: 'Unsubscribed Address' });
      expect(event?.recipientFailure).toBe('RecipientOptedOut');
    });

    it('returns our custom args (without the prefix) as correlation, not SendGrid fields', () => {
      const event = parseSendGridEvent({ ...base, event: 'delivered', bt_deliveryId: 'd-1', email: 'v@example.com' });
      expect(event?.correlation).toEqual({ deliveryId: 'd-1' });
    });

    it('unsubscribe and spam reports are opt-outs', () => {
      for (const event of ['unsubscribe', 'group_unsubscribe', 'spamreport']) {
        expect(parseSendGridOptOut({ ...base, event, bt_deliveryId: 'd-1' })).toMatchObject({
          kind: event,
          providerMessageId: 'abc123',
          correlation: { deliveryId: 'd-1' },
        });
      }
      expect(parseSendGridOptOut({ ...base, event: 'delivered' })).toBeUndefined();
    });

    it('the message ID is the X-Message-Id before the first dot', () => {
      expect(sendGridMessageId('14c5d75ce93.dfd.64b469.filter0001')).toBe('14c5d75ce93');
      expect(sendGridMessageId('plain')).toBe('plain');
    });
  });
});
