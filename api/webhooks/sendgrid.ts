/**
 * SendGrid's event webhook, mounted at /webhooks/sendgrid: POST /events with a JSON array of
 * events, signed with ECDSA over timestamp + raw body. The signature and its age are checked on
 * the raw bytes before anything is parsed; each event is then applied once (`sg_event_id`).
 *
 * - processed / deferred / delivered / bounce / dropped move the delivery's status forward.
 * - A hard bounce, or a drop because the address bounced, unsubscribed or reported spam, disables
 *   email for that address (`disabled_reason`). A `blocked` bounce does not: it is the receiving
 *   server refusing this message (often content or reputation), not a dead address.
 * - unsubscribe / group_unsubscribe / spamreport opt every email contact with that address out.
 * Voters whose contacts changed are signalled once the batch is written.
 */
import express, { Router, type RequestHandler } from 'express';
import type { KeyObject } from 'node:crypto';
import {
  DEFAULT_SENDGRID_TOLERANCE_MS,
  parseSendGridEvent,
  parseSendGridOptOut,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendGridPublicKey,
  verifySendGridSignature,
} from '../../delivery/providers/index.js';
import { ApiError } from '../errors.js';
import {
  advanceDeliveryStatus,
  changeContacts,
  claimWebhookEvent,
  contentEventId,
  correlatedDeliveryId,
  signalVoters,
  type Tx,
  type WebhookDeps,
} from './ledger.js';

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

export interface BatchResult {
  applied: number;
  duplicates: number;
  ignored: number;
}

/** Applies one verified batch. Each event commits on its own, so a retried batch resumes cleanly. */
export async function applySendGridEvents(deps: WebhookDeps, events: readonly unknown[]): Promise<BatchResult> {
  const result: BatchResult = { applied: 0, duplicates: 0, ignored: 0 };
  const voters = new Set<string>();
  for (const raw of events) {
    const outcome = await deps.sql.begin(async (tx) => {
      const record = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      const eventId = typeof record.sg_event_id === 'string' ? record.sg_event_id : contentEventId(raw);
      if (!(await claimWebhookEvent(tx, 'sendgrid', eventId))) return 'duplicate' as const;
      return applyOne(tx, raw, record, voters);
    });
    if (outcome === 'duplicate') result.duplicates++;
    else if (outcome === 'ignored') result.ignored++;
    else result.applied++;
  }
  await signalVoters(deps, voters);
  return result;
}

async function applyOne(
  tx: Tx,
  raw: unknown,
  record: Record<string, unknown>,
  voters: Set<string>,
): Promise<'applied' | 'ignored'> {
  const email = typeof record.email === 'string' && record.email !== '' ? record.email : undefined;
  const status = parseSendGridEvent(raw);
  if (status) {
    const matches = await advanceDeliveryStatus(tx, 'sendgrid', status);
    if (status.recipientFailure) {
      const contactIds = matches.flatMap((m) => (m.contactId ? [m.contactId] : []));
      const changed = await changeContacts(
        tx,
        { channels: ['email'], ...(email ? { address: email } : {}), contactIds },
        status.recipientFailure === 'RecipientOptedOut'
          ? { kind: 'opt_out' }
          : { kind: 'disable', reason: status.recipientFailure },
      );
      for (const c of changed) if (c.changed) voters.add(c.voterId);
    }
    return 'applied';
  }
  const optOut = parseSendGridOptOut(raw);
  if (optOut) {
    const deliveryId = correlatedDeliveryId(optOut.correlation);
    const [row] = deliveryId
      ? await tx<{ contact_id: string | null }[]>`
          SELECT contact_id FROM notice_deliveries WHERE delivery_id = ${deliveryId}::uuid`
      : [];
    const changed = await changeContacts(
      tx,
      {
        channels: ['email'],
        ...(email ? { address: email } : {}),
        contactIds: row?.contact_id ? [row.contact_id] : [],
      },
      { kind: 'opt_out' },
    );
    for (const c of changed) if (c.changed) voters.add(c.voterId);
    return 'applied';
  }
  return 'ignored';
}

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
