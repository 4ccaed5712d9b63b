import {
  createSendGridEmailSender,
  createTwilioClient,
  createTwilioSmsSender,
  createTwilioVoiceSender,
  type Correlation,
  type EmailSender,
  type SmsSender,
  type VoiceSender,
} from './providers/index.js';
import {
  renderEmail,
  renderSms,
  renderVoice,
  type EmailKey,
  type Language,
  type MessageVars,
  type SmsOptions,
} from './templates/index.js';
import type { Channel } from '../domain/notices.js';
import { DEVELOPMENT_MANAGE_TOKEN_SECRET, type Config } from '../config/env.js';
import { createManageToken } from '../lib/manage-token.js';

/** One adapter per configured channel; a channel without a provider has none. */
export interface Senders {
  sms?: SmsSender;
  voice?: VoiceSender;
  email?: EmailSender;
}

/** Whose link it is: the subscription's token version and the contact the message goes to. */
export interface LinkScope {
  version?: number;
  contactId?: string | undefined;
}

export interface NoticeLinks {
  /** The voter's preferences page (email footer), valid until `expiresAt`. */
  manageUrl(subscriptionId: string, expiresAt: number, scope?: LinkScope): string;
  /** The one-click unsubscribe URL (List-Unsubscribe, RFC 8058): it stops the one contact in `scope`. */
  unsubscribeUrl(subscriptionId: string, expiresAt: number, scope?: LinkScope): string;
}

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

/** One message to one address, rendered for its channel in the voter's language at send time. */
export interface OutgoingMessage<K extends EmailKey> {
  channel: Channel;
  to: string;
  key: K;
  language: Language;
  vars: MessageVars<K>;
  /** IDs only: they come back in the provider's status callbacks. */
  correlation: Correlation;
  /** SMS: seconds the provider may keep the text queued (a stale text must not arrive later). */
  smsValiditySeconds: number;
  /** SMS: how a ballot notice ends (the opt-out hint). */
  smsOptions?: SmsOptions;
  /** Email: the footer's link, and the one-click unsubscribe URL when the email offers one. */
  emailLinks?: { manageUrl: string; unsubscribeUrl?: string | undefined };
  /** The county's own senders (its record); unset: the deployment's (SENDGRID_FROM_*, TWILIO_*). */
  sender?: CountySender | undefined;
}

/** A county's own senders: its verified SendGrid From and its Twilio Messaging Service. */
export interface CountySender {
  email?: { email: string; name?: string | undefined } | undefined;
  messagingServiceSid?: string | undefined;
}

/**
 * Renders `message` for its channel (a call carries the English script too, for when no voice speaks
 * the language) and sends it through that channel's adapter. Throws what the adapter throws.
 */
export async function sendMessage<K extends EmailKey>(
  senders: Senders,
  message: OutgoingMessage<K>,
): Promise<{ providerMessageId: string; voiceFallback?: string | undefined; optOutHint?: boolean }> {
  const { channel, to, key, language, vars, correlation } = message;
  const missing = () => Object.assign(new Error(`no provider for ${channel}`), { type: 'ChannelNotConfigured' });
  switch (channel) {
    case 'sms': {
      if (!senders.sms) throw missing();
      const sms = renderSms(key, language, vars, message.smsOptions);
      const sent = await senders.sms.send({
        to,
        body: sms.text,
        validityPeriodSeconds: message.smsValiditySeconds,
        correlation,
        ...(message.sender?.messagingServiceSid ? { messagingServiceSid: message.sender.messagingServiceSid } : {}),
      });
      return { ...sent, optOutHint: sms.optOutHint };
    }
    case 'voice': {
      if (!senders.voice) throw missing();
      const text = renderVoice(key, language, vars).text;
      return senders.voice.send({ to, language, text, englishText: renderVoice(key, 'en', vars).text, correlation });
    }
    case 'email': {
      if (!senders.email) throw missing();
      if (!message.emailLinks) throw new TypeError('an email needs its manage link');
      const { manageUrl, unsubscribeUrl } = message.emailLinks;
      const email = renderEmail(key, language, { ...vars, manageUrl });
      return senders.email.send({
        to,
        subject: email.subject,
        html: email.html,
        text: email.text,
        ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
        correlation,
        ...(message.sender?.email ? { from: message.sender.email } : {}),
      });
    }
  }
}

/** Signed, expiring links to the voter's preferences page and to one-click unsubscribe. */
export function createNoticeLinks(publicBaseUrl: string, manageTokenSecret: string): NoticeLinks {
  const token = (subscriptionId: string, expiresAt: number, scope?: LinkScope) =>
    encodeURIComponent(createManageToken(manageTokenSecret, subscriptionId, expiresAt, scope));
  return {
    manageUrl: (subscriptionId, expiresAt, scope) =>
      `${publicBaseUrl}/manage?token=${token(subscriptionId, expiresAt, scope)}`,
    unsubscribeUrl: (subscriptionId, expiresAt, scope) =>
      `${publicBaseUrl}/v1/unsubscribe?token=${token(subscriptionId, expiresAt, scope)}`,
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
