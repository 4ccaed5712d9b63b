import type { Sql } from '../db/client.js';
import { countyDetailsRow } from '../db/counties.js';
import type { Channel } from '../domain/notices.js';
import { isInsideWindow, type DailyWindow } from '../domain/quiet-hours.js';
import { countySender, resolveCountyDetails, type CountyFallback } from '../delivery/county.js';
import { sendMessage, type NoticeLinks, type Senders } from '../delivery/senders.js';
import { renderSms, type EmailKey, type Language, type MessageVars } from '../delivery/templates/index.js';
import type { Logger } from '../lib/logger.js';
import { CODE_LIFETIME_MS } from './codes.js';

/** A code to send once the transaction that stored its hash has committed. */
export interface PendingCode {
  subscriptionId: string;
  channel: Channel;
  address: string;
  code: string;
  language: Language;
  county: string | null;
}

/**
 * A security alert to a contact already verified on the subscription (never through Temporal):
 * `added` names the channel and masked address just confirmed elsewhere on the subscription;
 * `removed` tells the address itself that a PATCH replaced or removed it; `unsubscribed` tells
 * every verified, working contact once that the subscription was unsubscribed (whoever holds a
 * manage token can do that, and a stranger can get one by confirming a contact of their own).
 */
export interface PendingAlert {
  subscriptionId: string;
  /** Where the alert goes: a previously verified contact, or the address just removed. */
  channel: Channel;
  address: string;
  language: Language;
  county: string | null;
  /** Whether the voter's window allows a call now (voice alerts are skipped outside it). */
  callAllowed: boolean;
  /** The recipient contact, when it stays on the subscription: its email links are scoped to it. */
  contactId?: string | undefined;
  event:
    | { kind: 'added'; channel: Channel; masked: string }
    | { kind: 'removed' }
    | { kind: 'unsubscribed' }
    /** CTIA: the mobile number just confirmed hears what it signed up for (program, frequency, rates, HELP, STOP). */
    | { kind: 'sms_opt_in' };
}

/** Whether a call may ring at `now`: inside the subscription's window, in its zone (an unknown zone: no). */
export function callAllowedAt(now: number, window: DailyWindow, timeZone: string): boolean {
  try {
    return isInsideWindow(now, window, timeZone);
  } catch {
    return false;
  }
}

/** The same alert to each recipient, in the subscription's language. */
export function alertsTo(
  recipients: readonly { channel: Channel; address: string; contact_id?: string }[],
  subscription: Pick<PendingAlert, 'subscriptionId' | 'language' | 'county' | 'callAllowed'>,
  event: PendingAlert['event'],
): PendingAlert[] {
  return recipients.map(({ channel, address, contact_id }) => ({
    ...subscription,
    channel,
    address,
    event,
    ...(event.kind === 'added' && contact_id ? { contactId: contact_id } : {}),
  }));
}

type AlertKey =
  'contact_added.email_address' | 'contact_added.mobile_number' | 'contact_added.phone_number' | 'contact_removed';

const ADDED_KEY: Record<Channel, AlertKey> = {
  email: 'contact_added.email_address',
  sms: 'contact_added.mobile_number',
  voice: 'contact_added.phone_number',
};

function errorType(error: unknown): string {
  return (error as { type?: string }).type ?? (error as Error).name;
}

/** A security alert is worth little after a few hours, and must not wait in a queue overnight. */
const ALERT_SMS_VALIDITY_SECONDS = 3 * 60 * 60;

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
  publicBaseUrl: string;
  /** When the subscription's manage links expire (the email carries them). */
  linkExpiry: (subscriptionId: string) => Promise<number>;
  /** The subscription's current manage-token version (links made with an older one do not work). */
  tokenVersion?: (subscriptionId: string) => Promise<number>;
  /** Per field, for a county without a `counties` row or with a partial one (`countyFallback(config)`). */
  countyFallback?: CountyFallback | undefined;
}) {
  const { sql, links, publicBaseUrl } = deps;

  async function countyVars(county: string | null) {
    const row = county ? await countyDetailsRow(sql, county) : undefined;
    const details = resolveCountyDetails(row, deps.countyFallback);
    if (!details) {
      throw Object.assign(new Error(`county ${county ?? '?'} has no name, phone and URL configured`), {
        type: 'CountyNotConfigured',
      });
    }
    return { countyName: details.name, countyPhone: details.phone, countyUrl: details.url };
  }

  /**
   * The links an email carries. A verification code goes to an address nobody has confirmed yet: it
   * must not carry a manage token (anyone who knows a voter's public-record details could sign up
   * with their own mailbox), so its footer links to the sign-up page and it has no List-Unsubscribe
   * (a code is transactional mail). The unsubscribe confirmation is the same: the subscription is
   * over, and signing up again is the way back. Alerts go to verified owners and keep the manage links.
   */
  async function emailLinks(key: EmailKey, subscriptionId: string, language: Language, contactId?: string) {
    // A removed address is no longer the subscription's: it gets no manage link either.
    if (key === 'verification_code' || key === 'unsubscribed_confirmation' || key === 'contact_removed' || !contactId) {
      return { manageUrl: `${publicBaseUrl}/?lang=${encodeURIComponent(language)}`, unsubscribeUrl: undefined };
    }
    const expiresAt = await deps.linkExpiry(subscriptionId);
    // Scoped to the recipient contact, at the subscription's current token version.
    const scope = { version: (await deps.tokenVersion?.(subscriptionId)) ?? 0, contactId };
    return {
      manageUrl: links.manageUrl(subscriptionId, expiresAt, scope),
      unsubscribeUrl: links.unsubscribeUrl(subscriptionId, expiresAt, scope),
    };
  }

  /** One message through the provider of `channel`, in the voter's language. */
  async function send<K extends EmailKey>(
    key: K,
    target: {
      subscriptionId: string;
      channel: Channel;
      address: string;
      language: Language;
      contactId?: string | undefined;
      county: string | null;
    },
    vars: MessageVars<K>,
    correlation: Record<string, string>,
    smsValiditySeconds: number,
  ) {
    const { subscriptionId, channel, address, language, contactId } = target;
    // The county's own sender (its record), as for its ballot notices.
    const sender = countySender(target.county ? await countyDetailsRow(sql, target.county) : undefined);
    await sendMessage(deps.senders, {
      sender,
      channel,
      to: address,
      key,
      language,
      vars,
      correlation,
      smsValiditySeconds,
      ...(channel === 'email' ? { emailLinks: await emailLinks(key, subscriptionId, language, contactId) } : {}),
    });
  }

  async function sendCode(pending: PendingCode) {
    const vars = { ...(await countyVars(pending.county)), code: pending.code };
    const correlation = { purpose: 'verification', subscription: pending.subscriptionId, lang: pending.language };
    await send('verification_code', pending, vars, correlation, CODE_SMS_VALIDITY_SECONDS);
  }

  async function sendAlert(alert: PendingAlert) {
    const county = await countyVars(alert.county);
    if (alert.event.kind === 'sms_opt_in') {
      if (!deps.senders.sms) throw Object.assign(new Error('no provider for sms'), { type: 'ChannelNotConfigured' });
      await deps.senders.sms.send({
        to: alert.address,
        body: renderSms('sms_opt_in', alert.language, county).text,
        validityPeriodSeconds: ALERT_SMS_VALIDITY_SECONDS,
        correlation: { purpose: 'sms_opt_in', subscription: alert.subscriptionId, lang: alert.language },
        messagingServiceSid: countySender(alert.county ? await countyDetailsRow(sql, alert.county) : undefined)
          .messagingServiceSid,
      });
      return;
    }
    if (alert.event.kind === 'unsubscribed') {
      const correlation = {
        purpose: 'unsubscribe_confirmation',
        subscription: alert.subscriptionId,
        lang: alert.language,
      };
      await send('unsubscribed_confirmation', alert, county, correlation, ALERT_SMS_VALIDITY_SECONDS);
      return;
    }
    const correlation = { purpose: 'contact_alert', subscription: alert.subscriptionId, lang: alert.language };
    if (alert.event.kind === 'removed') {
      await send('contact_removed', alert, county, correlation, ALERT_SMS_VALIDITY_SECONDS);
    } else {
      const vars = { ...county, maskedContact: alert.event.masked };
      await send(ADDED_KEY[alert.event.channel], alert, vars, correlation, ALERT_SMS_VALIDITY_SECONDS);
    }
  }

  /**
   * Logs a message that did not go out, without the address. A county without a name, phone and URL
   * is an operator's to fix (no message can name it): that is an error; anything else a warning.
   */
  function notSent(what: string, meta: Record<string, string>, county: string | null, error: unknown) {
    const type = errorType(error);
    if (type === 'CountyNotConfigured') {
      deps.logger.error(
        { ...meta, errorType: type, county },
        `${what} not sent: the county has no name, phone and URL (run \`county\` or set DEFAULT_COUNTY_*)`,
      );
    } else {
      deps.logger.warn({ ...meta, errorType: type }, `${what} not sent`);
    }
  }

  /** Sends each code; a failure is logged (without the address) and the voter can ask for a new code. */
  async function sendCodes(codes: PendingCode[]): Promise<void> {
    await Promise.all(
      codes.map(async (pending) => {
        try {
          await sendCode(pending);
        } catch (error) {
          const meta = { subscriptionId: pending.subscriptionId, channel: pending.channel };
          notSent('verification code', meta, pending.county, error);
        }
      }),
    );
  }

  /**
   * Sends each security alert (voice only inside the voter's window); a failure is logged without
   * the address and never fails the request that caused it.
   */
  async function sendAlerts(alerts: PendingAlert[]): Promise<void> {
    await Promise.all(
      alerts.map(async (alert) => {
        const meta = {
          subscriptionId: alert.subscriptionId,
          channel: alert.channel,
          alert: alert.event.kind === 'added' ? `added_${alert.event.channel}` : alert.event.kind,
        };
        if (alert.channel === 'voice' && !alert.callAllowed) {
          deps.logger.info(meta, 'contact alert call skipped outside the voter window');
          return;
        }
        try {
          await sendAlert(alert);
        } catch (error) {
          notSent('contact alert', meta, alert.county, error);
        }
      }),
    );
  }

  return { sendCodes, sendAlerts };
}
