/**
 * Twilio webhooks, mounted at /webhooks/twilio:
 *
 * - POST /status, /call-status: message and call status callbacks. They move the ledger forward
 *   (never back), once per (sid, status), and disable a contact whose number can never work.
 * - POST /inbound: a voter's text. STOP-family words opt every SMS contact with that number out,
 *   START-family words opt them back in, HELP answers with help; anything else gets the
 *   "we cannot read replies" text. Replies are TwiML in the voter's language.
 *
 * Every request's signature is checked before anything is parsed or written (conventions 13).
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import twilio from 'twilio';
import {
  parseTwilioCallStatus,
  parseTwilioMessageStatus,
  publicWebhookUrl,
  TWILIO_SIGNATURE_HEADER,
  verifyTwilioSignature,
  type StatusEvent,
} from '../../delivery/providers/index.js';
import { renderSms, resolveLanguage, type Language, type MessageKey } from '../../delivery/templates/index.js';
import { ApiError } from '../errors.js';
import { classifyInboundKeyword, type InboundKeyword } from './keywords.js';
import {
  advanceDeliveryStatus,
  changeContacts,
  claimWebhookEvent,
  signalVoters,
  type ContactChannel,
  type WebhookDeps,
} from './ledger.js';

export interface TwilioWebhookConfig {
  /** Our public base URL as Twilio sees it (signatures cover the full public URL). */
  publicBaseUrl: string;
  twilioAuthToken: string;
  /**
   * County named in replies to numbers we do not know. Unset: the only county in `counties`, or
   * the first by code when there are several.
   */
  fallbackCounty?: CountyContact;
}

export interface TwilioWebhookDeps extends WebhookDeps {
  config: TwilioWebhookConfig;
}

export interface CountyContact {
  countyName: string;
  countyPhone: string;
  countyUrl: string;
}

/** Twilio posts at most a few KB; anything much larger is not Twilio. */
const FORM_LIMIT = '64kb';

type Params = Record<string, string>;

/** Form fields as strings (a repeated field keeps its first value, as the SDK signs it). */
function formParams(body: unknown): Params {
  const params: Params = {};
  if (!body || typeof body !== 'object') return params;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') params[key] = first;
  }
  return params;
}

/**
 * Verifies X-Twilio-Signature over the public URL and the raw form (repeated fields included, as
 * Twilio signs them). A forged or unsigned request is answered 403 and goes no further.
 */
function requireTwilioSignature(config: TwilioWebhookConfig, deps: WebhookDeps): RequestHandler {
  return (req, _res, next) => {
    const signature = req.header(TWILIO_SIGNATURE_HEADER);
    const url = publicWebhookUrl(config.publicBaseUrl, req.originalUrl);
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    if (!verifyTwilioSignature({ authToken: config.twilioAuthToken, url, params, signature })) {
      deps.logger.warn({ path: req.path, signed: signature !== undefined }, 'rejected Twilio webhook signature');
      return next(new ApiError(403, 'invalid_signature', 'The request signature is not valid.'));
    }
    next();
  };
}

export type StatusOutcome = 'applied' | 'stale' | 'duplicate' | 'ignored' | 'unmatched';

/**
 * Applies one verified status callback: dedupe on (sid, status), move the ledger forward and, on
 * a delivery error that says the number can never work, disable that contact and signal its voter.
 */
export async function applyTwilioStatus(
  deps: WebhookDeps,
  channel: Extract<ContactChannel, 'sms' | 'voice'>,
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
}

interface ContactRow {
  voter_id: string;
  language: string | null;
  county_name: string | null;
  county_phone: string | null;
  county_url: string | null;
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
  deps: WebhookDeps & { config: Pick<TwilioWebhookConfig, 'fallbackCounty'> },
  input: { from: string; body: string; optOutType?: string | undefined },
): Promise<InboundReply> {
  const keyword = TWILIO_OPT_OUT_TYPES[input.optOutType?.toUpperCase() ?? ''] ?? classifyInboundKeyword(input.body);
  const affected =
    keyword === 'stop' || keyword === 'start'
      ? await deps.sql.begin((tx) =>
          changeContacts(
            tx,
            { channels: ['sms'], address: input.from },
            { kind: keyword === 'stop' ? 'opt_out' : 'opt_in' },
          ),
        )
      : [];
  // Every voter with the number is signalled, changed or not: a repeated STOP also repairs a
  // signal that failed the first time.
  const affectedVoters = [...new Set(affected.map((c) => c.voterId))];
  await signalVoters(deps, affectedVoters);

  const [contact] = await deps.sql<ContactRow[]>`
    SELECT s.voter_id, coalesce(s.language, v.language) AS language,
           co.name AS county_name, co.phone AS county_phone, co.url AS county_url
    FROM contacts c
    JOIN subscriptions s ON s.subscription_id = c.subscription_id
    LEFT JOIN voters v ON v.voter_id = s.voter_id
    LEFT JOIN counties co ON co.county = v.county
    WHERE c.channel = 'sms' AND c.address = ${input.from}
    ORDER BY (s.status = 'active') DESC, s.updated_at DESC, c.created_at DESC
    LIMIT 1`;
  const language: Language = contact ? resolveLanguage(contact.language).language : 'en';
  const county = countyOf(contact) ?? (await fallbackCounty(deps));
  if (!county) {
    deps.logger.error('no county to name in an SMS reply: the counties table is empty');
    return { keyword, reply: undefined, affectedVoters };
  }
  const reply = renderSms(REPLY_KEY[keyword], language, county).text;
  return { keyword, reply, affectedVoters };
}

function countyOf(row: ContactRow | undefined): CountyContact | undefined {
  if (!row?.county_name || !row.county_phone || !row.county_url) return undefined;
  return { countyName: row.county_name, countyPhone: row.county_phone, countyUrl: row.county_url };
}

async function fallbackCounty(
  deps: WebhookDeps & { config: Pick<TwilioWebhookConfig, 'fallbackCounty'> },
): Promise<CountyContact | undefined> {
  if (deps.config.fallbackCounty) return deps.config.fallbackCounty;
  const [row] = await deps.sql<{ name: string; phone: string; url: string }[]>`
    SELECT name, phone, url FROM counties WHERE name <> '' AND phone <> '' AND url <> ''
    ORDER BY county LIMIT 1`;
  return row ? { countyName: row.name, countyPhone: row.phone, countyUrl: row.url } : undefined;
}

/** TwiML for a reply (escaped by the SDK); an empty <Response/> answers nothing. */
export function messagingTwiml(reply: string | undefined): string {
  const response = new twilio.twiml.MessagingResponse();
  if (reply !== undefined) response.message(reply);
  return response.toString();
}

function callbackUrl(config: TwilioWebhookConfig, req: Request): string {
  return publicWebhookUrl(config.publicBaseUrl, req.originalUrl);
}

/** The Twilio webhook routes; mount at /webhooks/twilio (the public URL Twilio is given). */
export function createTwilioWebhookRouter(deps: TwilioWebhookDeps): Router {
  const { config } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 200 });
  const verified = requireTwilioSignature(config, deps);

  const statusRoute =
    (channel: 'sms' | 'voice'): RequestHandler =>
    async (req, res, next) => {
      try {
        const params = formParams(req.body);
        const parse = channel === 'sms' ? parseTwilioMessageStatus : parseTwilioCallStatus;
        const event = parse(params, callbackUrl(config, req));
        const outcome = await applyTwilioStatus(deps, channel, event, params.To);
        deps.logger.debug({ channel, status: event?.providerStatus, outcome }, 'Twilio status callback');
        res.status(204).end();
      } catch (error) {
        next(error);
      }
    };

  router.post('/status', form, verified, statusRoute('sms'));
  router.post('/call-status', form, verified, statusRoute('voice'));

  router.post('/inbound', form, verified, async (req, res, next) => {
    try {
      const params = formParams(req.body);
      if (!params.From) throw new ApiError(400, 'invalid_request', 'From is required.');
      const result = await handleInboundSms(deps, {
        from: params.From,
        body: params.Body ?? '',
        optOutType: params.OptOutType,
      });
      deps.logger.info({ keyword: result.keyword, voters: result.affectedVoters.length }, 'inbound SMS');
      res.status(200).type('text/xml').send(messagingTwiml(result.reply));
    } catch (error) {
      next(error);
    }
  });

  return router;
}
