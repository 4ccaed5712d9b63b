/**
 * What Twilio's webhooks do to our tables (api/webhooks/twilio.ts checks each request's signature
 * and parses the form first):
 *
 * - message and call status callbacks move the ledger forward (never back), once per (sid, status),
 *   and disable a contact whose number can never work;
 * - a voter's text: STOP-family words opt every SMS contact with that number out, START-family words
 *   opt them back in, HELP answers with help; anything else gets the "we cannot read replies" text,
 *   in the voter's language.
 */
import { firstConfiguredCounty } from '../../db/counties.js';
import type { Channel } from '../../domain/notices.js';
import { firstInbound } from '../ledger.js';
import {
  advanceDeliveryStatus,
  changeContacts,
  claimWebhookEvent,
  smsSenderContext,
  type SmsSenderContext,
} from '../ledger.js';
import type { StatusEvent } from '../providers/index.js';
import { renderSms, resolveLanguage, type Language, type MessageKey } from '../templates/index.js';
import { signalVoters, type WebhookDeps } from './common.js';
import { classifyInboundKeyword, type InboundKeyword } from './keywords.js';

/** A county as a reply names it. */
export interface CountyContact {
  countyName: string;
  countyPhone: string;
  countyUrl: string;
}

export interface InboundDeps extends WebhookDeps {
  /**
   * County named in replies to numbers we do not know. Unset: the only county in `counties`, or
   * the first by code when there are several.
   */
  fallbackCounty?: CountyContact | undefined;
}

export type StatusOutcome = 'applied' | 'stale' | 'duplicate' | 'ignored' | 'unmatched';

/**
 * Applies one verified status callback: dedupe on (sid, status), move the ledger forward and, on
 * a delivery error that says the number can never work, disable that contact and signal its voter.
 */
export async function applyTwilioStatus(
  deps: WebhookDeps,
  channel: Extract<Channel, 'sms' | 'voice'>,
  event: StatusEvent | undefined,
  to: string | undefined,
): Promise<StatusOutcome> {
  if (!event) return 'ignored';
  const voters: string[] = [];
  const outcome = await deps.sql
    .begin(async (tx) => {
      const eventId = `${event.providerMessageId}:${event.providerStatus}`;
      if (!(await claimWebhookEvent(tx, 'twilio', eventId))) return 'duplicate' as const;
      const matches = await advanceDeliveryStatus(tx, 'twilio', event);
      // Not known yet: forget the claim, so a repeat after the sender stored the sid still applies.
      if (matches.length === 0) throw new Unmatched();
      if (event.recipientFailure) {
        const changed = await changeContacts(
          tx,
          {
            channels: [channel],
            ...(to ? { address: to } : {}),
            contactIds: matches.flatMap((m) => (m.contactId ? [m.contactId] : [])),
          },
          // 21610: the voter texted STOP to Twilio directly; record it as theirs, not as a fault.
          event.recipientFailure === 'RecipientOptedOut'
            ? { kind: 'opt_out' }
            : { kind: 'disable', reason: event.recipientFailure },
        );
        voters.push(...changed.filter((c) => c.changed).map((c) => c.voterId));
      }
      return matches.some((m) => m.advanced) ? ('applied' as const) : ('stale' as const);
    })
    .catch((error: unknown) => {
      if (error instanceof Unmatched) return 'unmatched' as const;
      throw error;
    });
  if (outcome === 'unmatched') {
    deps.logger.warn(
      { sid: event.providerMessageId, status: event.providerStatus },
      'Twilio status callback for no known delivery',
    );
  }
  await signalVoters(deps, voters);
  return outcome;
}

class Unmatched extends Error {}

export interface InboundReply {
  keyword: InboundKeyword;
  /** Text to answer with; undefined: answer nothing. */
  reply: string | undefined;
  /** Voters whose SMS contacts were opted out or back in. */
  affectedVoters: string[];
  /** The MessageSid was handled before (a retry or a replay): nothing was applied again. */
  replayed?: boolean;
}

/**
 * With Advanced Opt-Out, Twilio classifies the text itself (including keywords configured in its
 * console) and says so in OptOutType; it has already applied the opt-out on its side, so ours must agree.
 */
const TWILIO_OPT_OUT_TYPES: Readonly<Record<string, InboundKeyword>> = { STOP: 'stop', START: 'start', HELP: 'help' };

const REPLY_KEY: Readonly<Record<InboundKeyword, MessageKey>> = {
  stop: 'opted_out',
  start: 'opted_in',
  help: 'help_reply',
  other: 'unknown_reply',
};

/**
 * Handles one verified inbound SMS. Opt-out and opt-in apply to every SMS contact with that number
 * (a household may share one); the reply speaks the language of the most recent active
 * subscription on it, or English for a number we do not know.
 */
export async function handleInboundSms(
  deps: InboundDeps,
  input: { from: string; body: string; optOutType?: string | undefined; messageSid?: string | undefined },
): Promise<InboundReply> {
  const keyword = TWILIO_OPT_OUT_TYPES[input.optOutType?.toUpperCase() ?? ''] ?? classifyInboundKeyword(input.body);
  // Deduplicated by MessageSid in the same transaction as the change: a replayed START (a signed
  // request captured once) must not opt a number back in after a later STOP.
  const applied = await deps.sql.begin(async (tx) => {
    if (input.messageSid !== undefined && !(await firstInbound(tx, input.messageSid))) return undefined;
    return keyword === 'stop' || keyword === 'start'
      ? changeContacts(
          tx,
          { channels: ['sms'], address: input.from },
          { kind: keyword === 'stop' ? 'opt_out' : 'opt_in' },
        )
      : [];
  });
  if (applied === undefined) return { keyword, reply: undefined, affectedVoters: [], replayed: true };
  const affected = applied;
  // Every voter with the number is signalled, changed or not: a repeated STOP also repairs a
  // signal that failed the first time.
  const affectedVoters = [...new Set(affected.map((c) => c.voterId))];
  await signalVoters(deps, affectedVoters);

  const contact = await smsSenderContext(deps.sql, input.from);
  const language: Language = contact ? resolveLanguage(contact.language).language : 'en';
  const county = countyOf(contact) ?? (await fallbackCounty(deps));
  if (!county) {
    deps.logger.error('no county to name in an SMS reply: the counties table is empty');
    return { keyword, reply: undefined, affectedVoters };
  }
  const reply = renderSms(REPLY_KEY[keyword], language, county).text;
  return { keyword, reply, affectedVoters };
}

function countyOf(row: SmsSenderContext | undefined): CountyContact | undefined {
  if (!row?.county_name || !row.county_phone || !row.county_url) return undefined;
  return { countyName: row.county_name, countyPhone: row.county_phone, countyUrl: row.county_url };
}

async function fallbackCounty(deps: InboundDeps): Promise<CountyContact | undefined> {
  if (deps.fallbackCounty) return deps.fallbackCounty;
  const row = await firstConfiguredCounty(deps.sql);
  return row ? { countyName: row.name, countyPhone: row.phone, countyUrl: row.url } : undefined;
}
