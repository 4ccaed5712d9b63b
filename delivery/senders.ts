import {
  createSendGridEmailSender,
  createTwilioClient,
  createTwilioSmsSender,
  createTwilioVoiceSender,
} from './providers/index.js';
import type { NoticeLinks, Senders } from '../activities/notices.js';
import { DEVELOPMENT_MANAGE_TOKEN_SECRET, type Config } from '../config/env.js';
import { createManageToken } from '../lib/manage-token.js';

/** Provider settings, from the environment (config/env.ts) or from the local sandbox. */
export interface DeliverySettings {
  publicBaseUrl: string;
  timeoutMs: number;
  twilio?: {
    accountSid: string;
    authToken: string;
    apiBaseUrl?: string;
    messagingServiceSid?: string;
    smsFrom?: string;
    voiceFrom?: string;
  };
  sendgrid?: { apiKey: string; apiBaseUrl?: string; fromEmail: string; fromName?: string };
}

/** One adapter per configured provider; a channel without a provider has no sender. */
export function createSenders(settings: DeliverySettings): Senders {
  const senders: Senders = {};
  const { twilio, sendgrid } = settings;
  if (twilio) {
    const client = createTwilioClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      ...(twilio.apiBaseUrl ? { apiBaseUrl: twilio.apiBaseUrl } : {}),
      timeoutMs: settings.timeoutMs,
    });
    if (twilio.messagingServiceSid || twilio.smsFrom) {
      senders.sms = createTwilioSmsSender(client, {
        ...(twilio.messagingServiceSid ? { messagingServiceSid: twilio.messagingServiceSid } : {}),
        ...(twilio.smsFrom ? { from: twilio.smsFrom } : {}),
        statusCallbackUrl: `${settings.publicBaseUrl}/webhooks/twilio/status`,
      });
    }
    if (twilio.voiceFrom) {
      senders.voice = createTwilioVoiceSender(client, {
        from: twilio.voiceFrom,
        statusCallbackUrl: `${settings.publicBaseUrl}/webhooks/twilio/call-status`,
      });
    }
  }
  if (sendgrid) {
    senders.email = createSendGridEmailSender({
      apiKey: sendgrid.apiKey,
      ...(sendgrid.apiBaseUrl ? { apiBaseUrl: sendgrid.apiBaseUrl } : {}),
      fromEmail: sendgrid.fromEmail,
      ...(sendgrid.fromName ? { fromName: sendgrid.fromName } : {}),
      timeoutMs: settings.timeoutMs,
    });
  }
  return senders;
}

/** Signed, expiring links to the voter's preferences page and to one-click unsubscribe. */
export function createNoticeLinks(publicBaseUrl: string, manageTokenSecret: string): NoticeLinks {
  const token = (subscriptionId: string, expiresAt: number) =>
    encodeURIComponent(createManageToken(manageTokenSecret, subscriptionId, expiresAt));
  return {
    manageUrl: (subscriptionId, expiresAt) => `${publicBaseUrl}/manage?token=${token(subscriptionId, expiresAt)}`,
    unsubscribeUrl: (subscriptionId, expiresAt) =>
      `${publicBaseUrl}/v1/unsubscribe?token=${token(subscriptionId, expiresAt)}`,
  };
}

/** Provider settings from the configuration: a provider is used when its credentials are set. */
export function deliverySettingsFromConfig(config: Config): DeliverySettings {
  return {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    timeoutMs: config.PROVIDER_TIMEOUT,
    ...(config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN
      ? {
          twilio: {
            accountSid: config.TWILIO_ACCOUNT_SID,
            authToken: config.TWILIO_AUTH_TOKEN,
            ...(config.TWILIO_API_BASE_URL ? { apiBaseUrl: config.TWILIO_API_BASE_URL } : {}),
            ...(config.TWILIO_MESSAGING_SERVICE_SID
              ? { messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID }
              : {}),
            ...(config.TWILIO_SMS_FROM ? { smsFrom: config.TWILIO_SMS_FROM } : {}),
            ...(config.TWILIO_VOICE_FROM ? { voiceFrom: config.TWILIO_VOICE_FROM } : {}),
          },
        }
      : {}),
    ...(config.SENDGRID_API_KEY && config.SENDGRID_FROM_EMAIL
      ? {
          sendgrid: {
            apiKey: config.SENDGRID_API_KEY,
            ...(config.SENDGRID_API_BASE_URL ? { apiBaseUrl: config.SENDGRID_API_BASE_URL } : {}),
            fromEmail: config.SENDGRID_FROM_EMAIL,
            ...(config.SENDGRID_FROM_NAME ? { fromName: config.SENDGRID_FROM_NAME } : {}),
          },
        }
      : {}),
  };
}

export function manageTokenSecret(config: Config): string {
  return config.MANAGE_TOKEN_SECRET ?? DEVELOPMENT_MANAGE_TOKEN_SECRET;
}
