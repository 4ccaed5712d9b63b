/**
 * SendGrid's event webhook, mounted at /webhooks/sendgrid: POST /events with a JSON array of
 * events, signed with ECDSA over timestamp + raw body. The signature and its age are checked on
 * the raw bytes before anything is parsed; delivery/webhooks/sendgrid.ts then applies each event once.
 */
import express, { Router, type RequestHandler } from 'express';
import type { KeyObject } from 'node:crypto';
import {
  DEFAULT_SENDGRID_TOLERANCE_MS,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendGridPublicKey,
  verifySendGridSignature,
} from '../../delivery/providers/index.js';
import { ApiError } from '../errors.js';
import type { WebhookDeps } from '../../delivery/webhooks/common.js';
import { applySendGridEvents } from '../../delivery/webhooks/sendgrid.js';

export interface SendGridWebhookConfig {
  /** The event webhook verification key from SendGrid's mail settings (base64 DER or PEM). */
  sendgridWebhookPublicKey: string;
  /** Oldest signed timestamp accepted (replay window); default 5 minutes. */
  sendgridMaxAgeMs?: number;
}

export interface SendGridWebhookDeps extends WebhookDeps {
  config: SendGridWebhookConfig;
}

/** SendGrid batches up to a few thousand events; a few MB is plenty. */
const BODY_LIMIT = '5mb';

/** The SendGrid webhook routes; mount at /webhooks/sendgrid, before any global JSON body parser. */
export function createSendGridWebhookRouter(deps: SendGridWebhookDeps): Router {
  // Parsed once: a malformed key stops start-up instead of rejecting every event.
  const publicKey: KeyObject = sendGridPublicKey(deps.config.sendgridWebhookPublicKey);
  const toleranceMs = deps.config.sendgridMaxAgeMs ?? DEFAULT_SENDGRID_TOLERANCE_MS;
  const router = Router();

  const verified: RequestHandler = (req, _res, next) => {
    if (req.body !== undefined && !Buffer.isBuffer(req.body)) {
      // A JSON parser ran before this router: the signed bytes are gone. 500 so SendGrid retries
      // (for 24 h) once the wiring is fixed, instead of every event being rejected as forged.
      deps.logger.error('SendGrid webhook body was parsed before signature verification: mount it before JSON parsers');
      return next(new Error('SendGrid webhook mounted after a body parser'));
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verification = verifySendGridSignature({
      publicKey,
      rawBody,
      signature: req.header(SENDGRID_SIGNATURE_HEADER),
      timestamp: req.header(SENDGRID_TIMESTAMP_HEADER),
      toleranceMs,
    });
    if (!verification.ok) {
      deps.logger.warn({ reason: verification.reason }, 'rejected SendGrid webhook');
      const status = verification.reason === 'missing_signature' ? 401 : 403;
      return next(new ApiError(status, 'invalid_signature', 'The request signature is missing, invalid or too old.'));
    }
    next();
  };

  // '/' too: sandbox/main.ts points the fake at /webhooks/sendgrid itself.
  router.post(['/events', '/'], express.raw({ type: '*/*', limit: BODY_LIMIT }), verified, async (req, res, next) => {
    try {
      let events: unknown;
      try {
        events = JSON.parse((req.body as Buffer).toString('utf8'));
      } catch {
        throw new ApiError(400, 'invalid_json', 'The request body is not valid JSON.');
      }
      if (!Array.isArray(events)) throw new ApiError(400, 'invalid_request', 'Expected a JSON array of events.');
      const result = await applySendGridEvents(deps, events);
      deps.logger.debug({ ...result, events: events.length }, 'SendGrid event batch');
      res.status(204).end();
    } catch (error) {
      next(error);
    }
  });

  return router;
}
