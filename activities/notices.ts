import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { FALLBACK_TIME_ZONE } from '../config/env.js';
import type { Sql } from '../db/client.js';
import { countyMessageSettings } from '../db/counties.js';
import { cureVariant, type Channel } from '../domain/notices.js';
import { LINK_LIFETIME_DAYS } from '../domain/manage-links.js';
import { countySender, resolveCountyDetails, type CountyFallback } from '../delivery/county.js';
import {
  changeContacts,
  claimDelivery,
  finishDelivery,
  noteAttemptError,
  noteOptOutHint,
  noticeRecipient,
} from '../delivery/ledger.js';
import {
  ProviderConfigurationError,
  ProviderRejectedError,
  RecipientError,
  TransientProviderError,
  UnknownOutcomeError,
  MAX_VALIDITY_PERIOD_SECONDS,
  toApplicationFailure,
} from '../delivery/providers/index.js';
import { sendMessage, type NoticeLinks, type Senders } from '../delivery/senders.js';
import { resolveLanguage, type EmailKey, type MessageVars } from '../delivery/templates/index.js';

/** What the workflow asks a sender to deliver: IDs, keys and dates only, never an address or a text. */
export interface SendNoticeInput {
  electionId: string;
  ballotId: string;
  voterId?: string;
  channel: Channel;
  noticeKey: string;
  sequence: number;
  messageKey: string;
  language: string;
  /** Event details the wording needs: reason codes and dates, no personal data. */
  details?: { reason?: string; cureDeadline?: string; expectedDeliveryDate?: string; electionDay?: string };
  /** When the voter's window closes: an SMS must not be delivered after it (Twilio validity period). */
  windowClosesAt?: string;
}

export interface SendNoticeResult {
  outcome: 'sent' | 'skipped';
  reason?: string;
}

/** An error's class for the ledger: its `type` (provider errors), else its name. */
function errorClass(error: unknown): string {
  const type = (error as { type?: unknown } | undefined)?.type;
  if (typeof type === 'string' && type !== '') return type;
  return error instanceof Error ? error.name : 'UnknownError';
}

/** Less time than this left in the window: do not start a send that could land after it. */
const MIN_WINDOW_LEFT_MS = 60_000;

/** The county's cure form, told which ballot (an ID, never the voter). */
function cureUrl(base: string, ballotId: string): string {
  const url = new URL(base);
  url.searchParams.set('ballot', ballotId);
  return url.toString();
}

/** CTIA: "Reply STOP to opt out" in the first SMS notice to a number, and again once a month has passed. */
export const OPT_OUT_HINT_EVERY_MS = 30 * 86_400_000;

export function optOutHintDue(lastHintAt: Date | null, now: number): boolean {
  return lastHintAt === null || now - lastHintAt.getTime() >= OPT_OUT_HINT_EVERY_MS;
}

/**
 * The senders. Exactly once per (ballot, notice, channel): the ledger row is claimed before the
 * provider call and completed after it, so an attempt that finds it `sent` does nothing.
 *
 * Unknown outcomes (a timeout or 5xx after the provider may have accepted the message, or a crash
 * between its answer and our write) leave the row `sending`. The next attempt first looks whether a
 * status callback has since named the message (callbacks carry the ledger's delivery ID), and only
 * then sends again: at-least-once for that rare case, because a missed ballot notice (a cure
 * deadline!) costs a voter more than a duplicate text. Each such resend is counted on the row.
 */
export function createNoticeActivities({
  sql,
  senders,
  links,
  countyFallback,
  defaultTimeZone = FALLBACK_TIME_ZONE,
}: {
  sql: Sql;
  senders: Senders;
  links: NoticeLinks;
  /** Per field, for a county without a `counties` row or with a partial one (`countyFallback(config)`). */
  countyFallback?: CountyFallback | undefined;
  /** The zone of dates in a message when the county names none (DEFAULT_TIME_ZONE). */
  defaultTimeZone?: string | undefined;
}) {
  /** A recipient that will never work: remember it on the contact so no ballot tries again. */
  async function markContact(contactId: string, channel: Channel, type: string): Promise<void> {
    await changeContacts(
      sql,
      { channels: [channel], contactIds: [contactId] },
      type === 'RecipientOptedOut' ? { kind: 'opt_out' } : { kind: 'disable', reason: type },
    );
  }

  async function sendNotice(input: SendNoticeInput): Promise<SendNoticeResult> {
    const { language, fellBack } = resolveLanguage(input.language);
    if (fellBack) log.warn('no templates for the voter language; sending English', { language: input.language });
    const cureDeadline = input.details?.cureDeadline ? Date.parse(input.details.cureDeadline) : undefined;
    // Whatever the workflow chose: a challenge says "respond by" only while its deadline is ahead.
    const messageKey = cureVariant(
      input.messageKey,
      Number.isFinite(cureDeadline) ? cureDeadline : undefined,
      Date.now(),
    );
    const claimed = await claimDelivery(sql, input, {
      messageKey,
      language,
      voterId: input.voterId ?? null,
    });
    if (claimed.done) return { outcome: claimed.done };
    const { deliveryId } = claimed;
    if (claimed.unknownOutcome) log.warn('previous attempt has an unknown outcome; sending again', { deliveryId });

    const contact = await noticeRecipient(sql, input, LINK_LIFETIME_DAYS);
    if (!contact) {
      await finishDelivery(sql, deliveryId, { state: 'skipped' });
      return { outcome: 'skipped', reason: 'no verified contact for this channel' };
    }
    const county = resolveCountyDetails(
      { name: contact.county_name, phone: contact.county_phone, url: contact.county_url },
      countyFallback,
    );
    if (!county) {
      await finishDelivery(sql, deliveryId, { state: 'pending', errorCode: 'CountyNotConfigured' });
      throw ApplicationFailure.nonRetryable(
        `county ${contact.county ?? '?'} has no name, phone and URL configured (county record or DEFAULT_COUNTY_*)`,
        'CountyNotConfigured',
      );
    }
    if (!senders[input.channel]) {
      await finishDelivery(sql, deliveryId, { state: 'pending', errorCode: 'ChannelNotConfigured' });
      throw ApplicationFailure.nonRetryable(`no provider configured for ${input.channel}`, 'ProviderConfiguration');
    }

    const reason = input.details?.reason || 'other';
    const settings = await countyMessageSettings(sql, contact.county, [language]);
    const vars = {
      countyName: county.name,
      countyPhone: county.phone,
      countyUrl: county.url,
      // The county's form for this reason, else its cure form, else its website.
      cureUrl: cureUrl(settings.cureForms[reason] || contact.county_cure_url || county.url, input.ballotId),
      timeZone: contact.county_timezone ?? defaultTimeZone,
      reason,
      ...(settings.cureDeadlineRule ? { cureDeadlineRule: settings.cureDeadlineRule } : {}),
      overrides: Object.fromEntries(
        Object.entries(settings.texts[language] ?? {}).map(([path, text]) => [path, text.text]),
      ),
      ...(contact.voter_initial ? { voterInitial: contact.voter_initial } : {}),
      ...(cureDeadline !== undefined && Number.isFinite(cureDeadline) ? { cureDeadline } : {}),
      ...(input.details?.expectedDeliveryDate ? { expectedDeliveryDate: input.details.expectedDeliveryDate } : {}),
      ...(input.details?.electionDay ? { electionDay: input.details.electionDay } : {}),
    } as unknown as MessageVars<EmailKey>;
    const optOutHint = input.channel === 'sms' && optOutHintDue(contact.opt_out_hint_at, Date.now());
    const expiresAt = new Date(contact.links_expire_at).getTime();
    const linkScope = { version: contact.token_version, contactId: contact.contact_id };
    const provider = input.channel === 'email' ? 'sendgrid' : 'twilio';
    const sender = countySender({
      email_from: contact.county_email_from,
      email_from_name: contact.county_email_from_name,
      sms_messaging_service_sid: contact.county_messaging_service_sid,
    });
    /** Whether this send uses the county's own sender rather than the deployment's. */
    const ownSender =
      (input.channel === 'email' && sender.email !== undefined) ||
      (input.channel === 'sms' && sender.messagingServiceSid !== undefined);

    try {
      let smsValiditySeconds = 0;
      if (input.channel === 'sms') {
        const closes = input.windowClosesAt ? Date.parse(input.windowClosesAt) : Infinity;
        const left = closes - Date.now();
        if (left < MIN_WINDOW_LEFT_MS) {
          await finishDelivery(sql, deliveryId, { state: 'pending' });
          throw ApplicationFailure.create({
            message: 'the voter window is about to close; waiting for the next one',
            type: 'WindowClosing',
            nextRetryDelay: Math.max(1_000, left + 1_000),
          });
        }
        smsValiditySeconds = Math.min(MAX_VALIDITY_PERIOD_SECONDS, Math.floor(left / 1000));
      }
      const result = await sendMessage(senders, {
        channel: input.channel,
        to: contact.address,
        // The workflow picks keys of messages every channel has (domain/notices.ts `noticeMessageKey`).
        key: messageKey as EmailKey,
        language,
        vars,
        correlation: { delivery: deliveryId, lang: language },
        smsValiditySeconds,
        smsOptions: { optOutHint },
        emailLinks: {
          manageUrl: links.manageUrl(contact.subscription_id, expiresAt, linkScope),
          unsubscribeUrl: links.unsubscribeUrl(contact.subscription_id, expiresAt, linkScope),
        },
        sender,
      });
      if (result.voiceFallback) log.warn('voice fallback', { reason: result.voiceFallback });
      await finishDelivery(sql, deliveryId, { state: 'sent', provider, providerMessageId: result.providerMessageId });
      // Recorded only when the text had room for it: otherwise the next notice carries it.
      if (result.optOutHint) await noteOptOutHint(sql, contact.contact_id);
      return { outcome: 'sent' };
    } catch (error) {
      if (error instanceof RecipientError) {
        await finishDelivery(sql, deliveryId, { state: 'failed', provider, errorCode: error.type });
        await markContact(contact.contact_id, input.channel, error.type);
      } else if (error instanceof ProviderConfigurationError || error instanceof ProviderRejectedError) {
        await finishDelivery(sql, deliveryId, { state: 'pending', provider, errorCode: error.type });
        log.error('provider configuration error: notices on this channel cannot go out', {
          provider,
          channel: input.channel,
          code: error.code,
          type: error.type,
        });
        Context.current()
          .metricMeter.createCounter('ballot_tracker_provider_configuration_errors')
          .add(1, { provider });
        if (error instanceof ProviderConfigurationError && ownSender) {
          // The county's own sender (unverified at SendGrid, a Messaging Service of another account):
          // the county fixes its record; other counties' notices on this channel go on.
          throw ApplicationFailure.create({
            message: `the county's own ${input.channel} sender was refused by ${provider} (${error.type}); fix the county record and resume`,
            type: 'CountySenderConfiguration',
            nonRetryable: true,
          });
        }
      } else if (error instanceof TransientProviderError) {
        // Never processed by the provider: safe to send again.
        await finishDelivery(sql, deliveryId, { state: 'pending', provider, errorCode: error.reason });
      } else if (error instanceof UnknownOutcomeError) {
        log.warn('send outcome unknown', { provider, reason: error.reason, deliveryId });
        // Stays `sending` (the next attempt counts it as an unknown outcome), with its class shown.
        await noteAttemptError(sql, deliveryId, error.type);
      } else if (!(error instanceof ApplicationFailure)) {
        // Our own failure (a message that does not render, a bug): never sent, retried; the
        // status API shows it `retrying` with its class and the attempts, not `sending` forever.
        await finishDelivery(sql, deliveryId, { state: 'pending', errorCode: errorClass(error) });
        log.error('notice could not be sent', { deliveryId, error: errorClass(error), message: String(error) });
      }
      throw toApplicationFailure(error);
    }
  }

  return { sendNotice };
}
