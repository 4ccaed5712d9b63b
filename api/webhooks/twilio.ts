/**
 * Twilio webhooks, mounted at /webhooks/twilio: POST /status and /call-status (message and call
 * status callbacks) and /inbound (a voter's text, answered with TwiML in the voter's language).
 * Every request's signature is checked before anything is parsed or written (conventions 13); what
 * an event does is decided in delivery/webhooks/twilio.ts.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import twilio from 'twilio';
import {
  parseTwilioCallStatus,
  parseTwilioMessageStatus,
  publicWebhookUrl,
  TWILIO_SIGNATURE_HEADER,
  verifyTwilioSignature,
} from '../../delivery/providers/index.js';
import type { WebhookDeps } from '../../delivery/webhooks/common.js';
import { applyTwilioStatus, handleInboundSms, type CountyContact } from '../../delivery/webhooks/twilio.js';
import { ApiError } from '../errors.js';

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
      const result = await handleInboundSms(
        { ...deps, fallbackCounty: config.fallbackCounty },
        {
          from: params.From,
          body: params.Body ?? '',
          optOutType: params.OptOutType,
          messageSid: params.MessageSid,
        },
      );
      if (result.replayed)
        deps.logger.info({ sid: params.MessageSid }, 'inbound SMS already handled: not applied again');
      else deps.logger.info({ keyword: result.keyword, voters: result.affectedVoters.length }, 'inbound SMS');
      res.status(200).type('text/xml').send(messagingTwiml(result.reply));
    } catch (error) {
      next(error);
    }
  });

  return router;
}
