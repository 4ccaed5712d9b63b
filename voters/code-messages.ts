import type { NoticeLinks, Senders } from '../activities/notices.js';
import type { Sql } from '../db/client.js';
import type { EmailSender, SmsSender, VoiceSender } from '../delivery/providers/index.js';
import { renderEmail, renderSms, renderVoice, type Language } from '../delivery/templates/index.js';
import type { Logger } from '../lib/logger.js';
import { CODE_LIFETIME_MS } from './codes.js';
import type { ContactChannel } from './contract.js';

/** A code to send once the transaction that stored its hash has committed. */
export interface PendingCode {
  subscriptionId: string;
  channel: ContactChannel;
  address: string;
  code: string;
  language: Language;
  county: string | null;
}

/** A code expires in 10 minutes: a text still queued after that is useless. */
const CODE_SMS_VALIDITY_SECONDS = CODE_LIFETIME_MS / 1000;

/**
 * Verification codes in the voter's language, through the same provider adapters as the notices.
 * Addresses go straight from Postgres to the provider (never through Temporal, never into a log).
 */
export function createCodeMessages(deps: {
  sql: Sql;
  senders: Senders;
  links: NoticeLinks;
  logger: Logger;
  publicBaseUrl?: string | undefined;
  /** When the subscription's manage links expire (the email carries them). */
  linkExpiry: (subscriptionId: string) => Promise<number>;
}) {
  const { sql, links } = deps;

  async function countyVars(county: string | null) {
    const [row] = county
      ? await sql<{ name: string; phone: string; url: string }[]>`
          SELECT name, phone, url FROM counties WHERE county = ${county}`
      : [];
    return {
      countyName: row?.name || 'Elections Office',
      countyPhone: row?.phone || '',
      countyUrl: row?.url || deps.publicBaseUrl || '',
    };
  }

  async function sendCode({ subscriptionId, channel, address, code, language, county }: PendingCode) {
    const sender = deps.senders[channel];
    if (!sender) throw Object.assign(new Error(`no provider for ${channel}`), { type: 'ChannelNotConfigured' });
    const vars = { ...(await countyVars(county)), code };
    const correlation = { purpose: 'verification', subscription: subscriptionId, lang: language };
    if (channel === 'sms') {
      await (sender as SmsSender).send({
        to: address,
        body: renderSms('verification_code', language, vars).text,
        validityPeriodSeconds: CODE_SMS_VALIDITY_SECONDS,
        correlation,
      });
    } else if (channel === 'voice') {
      await (sender as VoiceSender).send({
        to: address,
        language,
        text: renderVoice('verification_code', language, vars).text,
        englishText: renderVoice('verification_code', 'en', vars).text,
        correlation,
      });
    } else {
      const expiresAt = await deps.linkExpiry(subscriptionId);
      const email = renderEmail('verification_code', language, {
        ...vars,
        manageUrl: links.manageUrl(subscriptionId, expiresAt),
      });
      await (sender as EmailSender).send({
        to: address,
        subject: email.subject,
        html: email.html,
        text: email.text,
        unsubscribeUrl: links.unsubscribeUrl(subscriptionId, expiresAt),
        correlation,
      });
    }
  }

  return {
    /** Sends each code; a failure is logged (without the address) and the voter can ask for a new code. */
    async sendCodes(codes: PendingCode[]): Promise<void> {
      await Promise.all(
        codes.map(async (pending) => {
          try {
            await sendCode(pending);
          } catch (error) {
            deps.logger.warn(
              {
                subscriptionId: pending.subscriptionId,
                channel: pending.channel,
                errorType: (error as { type?: string }).type ?? (error as Error).name,
              },
              'verification code not sent',
            );
          }
        }),
      );
    },
  };
}
