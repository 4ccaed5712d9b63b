import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Sql } from '../db/client.js';
import type { Channel } from '../domain/notices.js';
import {
  ProviderConfigurationError,
  ProviderRejectedError,
  RecipientError,
  TransientProviderError,
  UnknownOutcomeError,
  MAX_VALIDITY_PERIOD_SECONDS,
  toApplicationFailure,
  type EmailSender,
  type SmsSender,
  type VoiceSender,
} from '../delivery/providers/index.js';
import { resolveCountyDetails, type CountyFallback } from '../delivery/county.js';
import {
  renderEmail,
  renderSms,
  renderVoice,
  resolveLanguage,
  type EmailKey,
  type MessageKey,
  type MessageVars,
} from '../delivery/templates/index.js';
import { LINK_LIFETIME_DAYS } from '../voters/links.js';

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

export interface Senders {
  sms?: SmsSender;
  voice?: VoiceSender;
  email?: EmailSender;
}

export interface NoticeLinks {
  /** The voter's preferences page (email footer), valid until `expiresAt`. */
  manageUrl(subscriptionId: string, expiresAt: number): string;
  /** The one-click unsubscribe URL (List-Unsubscribe, RFC 8058). */
  unsubscribeUrl(subscriptionId: string, expiresAt: number): string;
}

/** Less time than this left in the window: do not start a send that could land after it. */
const MIN_WINDOW_LEFT_MS = 60_000;

/** The county's cure form, told which ballot (an ID, never the voter). */
function cureUrl(base: string, ballotId: string): string {
  const url = new URL(base);
  url.searchParams.set('ballot', ballotId);
  return url.toString();
}

interface ContactRow {
  contact_id: string;
  address: string;
  subscription_id: string;
  county: string;
  county_name: string | null;
  county_phone: string | null;
  county_url: string | null;
  county_timezone: string | null;
  county_cure_url: string | null;
  links_expire_at: Date;
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
}: {
  sql: Sql;
  senders: Senders;
  links: NoticeLinks;
  /** Per field, for a county without a `counties` row or with a partial one (`countyFallback(config)`). */
  countyFallback?: CountyFallback;
}) {
  async function claim(input: SendNoticeInput, language: string) {
    return sql.begin(async (tx) => {
      const [previous] = await tx<{ delivery_id: string; state: string; provider_status: string | null }[]>`
        SELECT delivery_id, state, provider_status FROM notice_deliveries
        WHERE election_id = ${input.electionId} AND ballot_id = ${input.ballotId} AND notice_key = ${input.noticeKey}
          AND channel = ${input.channel} AND sequence = ${input.sequence}
        FOR UPDATE`;
      if (previous?.state === 'sent' || previous?.state === 'skipped')
        return { done: previous.state, deliveryId: previous.delivery_id };
      // A status callback already named this delivery's message: an earlier attempt whose answer was
      // lost (or that failed after the provider took it) did send it.
      if (previous && previous.state !== 'failed' && previous.provider_status) {
        await tx`UPDATE notice_deliveries SET state = 'sent', sent_at = coalesce(sent_at, now()), error_code = NULL, updated_at = now()
                 WHERE delivery_id = ${previous.delivery_id}`;
        return { done: 'sent', deliveryId: previous.delivery_id };
      }
      const unknown = previous?.state === 'sending' ? 1 : 0;
      const [row] = await tx<{ delivery_id: string }[]>`
        INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, sequence, message_key, language, voter_id, state, attempts)
        VALUES (${input.electionId}, ${input.ballotId}, ${input.noticeKey}, ${input.channel}, ${input.sequence},
                ${input.messageKey}, ${language}, ${input.voterId ?? null}, 'sending', 1)
        ON CONFLICT (election_id, ballot_id, notice_key, channel, sequence) DO UPDATE SET
          state = 'sending', attempts = notice_deliveries.attempts + 1, message_key = EXCLUDED.message_key,
          language = EXCLUDED.language, unknown_outcomes = notice_deliveries.unknown_outcomes + ${unknown},
          error_code = NULL,
          updated_at = now()
        RETURNING delivery_id`;
      if (unknown) log.warn('previous attempt has an unknown outcome; sending again', { deliveryId: row!.delivery_id });
      return { done: undefined, deliveryId: row!.delivery_id };
    });
  }

  async function finish(
    deliveryId: string,
    fields: { state: string; provider?: string; providerMessageId?: string; errorCode?: string },
  ) {
    await sql`
      UPDATE notice_deliveries SET state = ${fields.state}, provider = coalesce(${fields.provider ?? null}, provider),
        provider_message_id = coalesce(${fields.providerMessageId ?? null}, provider_message_id),
        error_code = ${fields.errorCode ?? null},
        sent_at = CASE WHEN ${fields.state} = 'sent' THEN now() ELSE sent_at END, updated_at = now()
      WHERE delivery_id = ${deliveryId}`;
  }

  async function findContact(input: SendNoticeInput): Promise<ContactRow | undefined> {
    const voterId =
      input.voterId ??
      (
        await sql<
          { voter_id: string }[]
        >`SELECT voter_id FROM ballots WHERE election_id = ${input.electionId} AND ballot_id = ${input.ballotId}`
      )[0]?.voter_id;
    if (!voterId) return undefined;
    const [row] = await sql<ContactRow[]>`
      SELECT c.contact_id, c.address, s.subscription_id, v.county,
             k.name AS county_name, k.phone AS county_phone, k.url AS county_url, k.timezone AS county_timezone,
             k.cure_url AS county_cure_url,
             coalesce(e.closes_at, e.election_day + ${LINK_LIFETIME_DAYS}::int, now() + make_interval(days => ${LINK_LIFETIME_DAYS}::int)) AS links_expire_at
      FROM subscriptions s
      JOIN contacts c ON c.subscription_id = s.subscription_id AND c.channel = ${input.channel}
      LEFT JOIN voters v ON v.voter_id = s.voter_id
      LEFT JOIN counties k ON k.county = v.county
      LEFT JOIN elections e ON e.election_id = ${input.electionId}
      WHERE s.voter_id = ${voterId} AND s.status = 'active'
        AND c.verified_at IS NOT NULL AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL`;
    return row;
  }

  /** A recipient that will never work: remember it on the contact so no ballot tries again. */
  async function markContact(contactId: string, type: string): Promise<void> {
    if (type === 'RecipientOptedOut') {
      await sql`UPDATE contacts SET opted_out_at = coalesce(opted_out_at, now()) WHERE contact_id = ${contactId}`;
    } else {
      await sql`UPDATE contacts SET disabled_reason = ${type} WHERE contact_id = ${contactId}`;
    }
  }

  return {
    async sendNotice(input: SendNoticeInput): Promise<SendNoticeResult> {
      const { language, fellBack } = resolveLanguage(input.language);
      if (fellBack) log.warn('no templates for the voter language; sending English', { language: input.language });
      const claimed = await claim(input, language);
      if (claimed.done) return { outcome: claimed.done as 'sent' | 'skipped' };

      const contact = await findContact(input);
      if (!contact) {
        await finish(claimed.deliveryId, { state: 'skipped' });
        return { outcome: 'skipped', reason: 'no verified contact for this channel' };
      }
      const county = resolveCountyDetails(
        { name: contact.county_name, phone: contact.county_phone, url: contact.county_url },
        countyFallback,
      );
      if (!county) {
        await finish(claimed.deliveryId, { state: 'pending', errorCode: 'CountyNotConfigured' });
        throw ApplicationFailure.nonRetryable(
          `county ${contact.county ?? '?'} has no name, phone and URL configured (county record or DEFAULT_COUNTY_*)`,
          'CountyNotConfigured',
        );
      }

      const sender = senders[input.channel];
      if (!sender) {
        await finish(claimed.deliveryId, { state: 'pending', errorCode: 'ChannelNotConfigured' });
        throw ApplicationFailure.nonRetryable(`no provider configured for ${input.channel}`, 'ProviderConfiguration');
      }

      const timeZone = contact.county_timezone ?? 'America/Los_Angeles';
      const vars = {
        countyName: county.name,
        countyPhone: county.phone,
        countyUrl: county.url,
        cureUrl: cureUrl(contact.county_cure_url || county.url, input.ballotId),
        timeZone,
        reason: input.details?.reason || 'unknown',
        ...(input.details?.cureDeadline ? { cureDeadline: Date.parse(input.details.cureDeadline) } : {}),
        ...(input.details?.expectedDeliveryDate ? { expectedDeliveryDate: input.details.expectedDeliveryDate } : {}),
        ...(input.details?.electionDay ? { electionDay: input.details.electionDay } : {}),
      } as unknown as MessageVars<MessageKey>;
      const key = input.messageKey as MessageKey;
      const expiresAt = new Date(contact.links_expire_at).getTime();
      const correlation = { delivery: claimed.deliveryId, lang: language };
      const provider = input.channel === 'email' ? 'sendgrid' : 'twilio';

      try {
        let providerMessageId: string;
        if (input.channel === 'sms') {
          const closes = input.windowClosesAt ? Date.parse(input.windowClosesAt) : Infinity;
          const left = closes - Date.now();
          if (left < MIN_WINDOW_LEFT_MS) {
            await finish(claimed.deliveryId, { state: 'pending' });
            throw ApplicationFailure.create({
              message: 'the voter window is about to close; waiting for the next one',
              type: 'WindowClosing',
              nextRetryDelay: Math.max(1_000, left + 1_000),
            });
          }
          const validityPeriodSeconds = Math.min(MAX_VALIDITY_PERIOD_SECONDS, Math.floor(left / 1000));
          const text = renderSms(key, language, vars).text;
          ({ providerMessageId } = await (sender as SmsSender).send({
            to: contact.address,
            body: text,
            validityPeriodSeconds,
            correlation,
          }));
        } else if (input.channel === 'voice') {
          const emailKey = key as EmailKey;
          const result = await (sender as VoiceSender).send({
            to: contact.address,
            language,
            text: renderVoice(emailKey, language, vars).text,
            englishText: renderVoice(emailKey, 'en', vars).text,
            correlation,
          });
          if (result.voiceFallback) log.warn('voice fallback', { reason: result.voiceFallback });
          providerMessageId = result.providerMessageId;
        } else {
          const emailKey = key as EmailKey;
          const email = renderEmail(emailKey, language, {
            ...vars,
            manageUrl: links.manageUrl(contact.subscription_id, expiresAt),
          });
          ({ providerMessageId } = await (sender as EmailSender).send({
            to: contact.address,
            subject: email.subject,
            html: email.html,
            text: email.text,
            unsubscribeUrl: links.unsubscribeUrl(contact.subscription_id, expiresAt),
            correlation,
          }));
        }
        await finish(claimed.deliveryId, { state: 'sent', provider, providerMessageId });
        return { outcome: 'sent' };
      } catch (error) {
        if (error instanceof RecipientError) {
          await finish(claimed.deliveryId, { state: 'failed', provider, errorCode: error.type });
          await markContact(contact.contact_id, error.type);
        } else if (error instanceof ProviderConfigurationError || error instanceof ProviderRejectedError) {
          await finish(claimed.deliveryId, { state: 'pending', provider, errorCode: error.type });
          log.error('provider configuration error: notices on this channel cannot go out', {
            provider,
            channel: input.channel,
            code: error.code,
            type: error.type,
          });
          Context.current()
            .metricMeter.createCounter('ballot_tracker_provider_configuration_errors')
            .add(1, { provider });
        } else if (error instanceof TransientProviderError) {
          // Never processed by the provider: safe to send again.
          await finish(claimed.deliveryId, { state: 'pending', provider, errorCode: error.reason });
        } else if (error instanceof UnknownOutcomeError) {
          log.warn('send outcome unknown', { provider, reason: error.reason, deliveryId: claimed.deliveryId });
        }
        throw toApplicationFailure(error);
      }
    },
  };
}
