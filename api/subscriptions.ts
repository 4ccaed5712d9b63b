import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  SUBSCRIPTION_ID,
  type FieldProblems,
  type ManageAccessResult,
  type ManageScope,
  type RequestOrigin,
  type VoterService,
} from '../voters/contract.js';

/**
 * The voters' JSON API under /v1 (no API key: voters prove who they are by the roll lookup, their
 * contacts by a code, and later requests by the signed manage token every message carries).
 * Routes only parse the request, call the voter service and map its outcome to an answer.
 */
export interface SubscriptionRoutesDeps {
  voters: VoterService;
  /** Largest JSON body accepted (these bodies are a few hundred bytes). */
  maxBodyBytes?: number;
}

/**
 * Answers the lookup can give. The no-match body is the same bytes whichever field failed (and
 * carries no request ID), so an answer never tells which of the four facts was wrong.
 */
export const MESSAGES = {
  no_match:
    'No active voter registration matches these details. Check the spelling of your name, your date of birth and the ZIP code of your registration address.',
  multiple_matches:
    'More than one voter registration matches these details. Send the request again with your voter ID.',
  validation_failed: 'Some fields are missing or not valid; see fields.',
  rate_limited: 'Too many requests. Try again later.',
  not_found: 'No such subscription.',
  invalid_code: 'The code is not correct.',
  code_expired: 'The code has expired or was replaced. Ask for a new code.',
  too_many_attempts: 'Too many wrong codes. Ask for a new code.',
  already_verified: 'This contact is already verified.',
  invalid_token: 'The manage token is missing, malformed or not valid.',
  token_expired: 'The manage token has expired. Use the link in a newer message, or sign up again.',
  token_mismatch: 'The manage token belongs to another subscription.',
  unsubscribed: 'This subscription was unsubscribed. Sign up again to receive notices.',
  unsupported_media_type: 'Send Content-Type: application/json.',
} as const;

type ErrorCode = keyof typeof MESSAGES;

function fail(
  res: Response,
  status: number,
  code: ErrorCode,
  extra: { fields?: FieldProblems; attemptsRemaining?: number } = {},
  headers: Record<string, string> = {},
): void {
  res.set(headers);
  res.status(status).json({ error: { code, message: MESSAGES[code], ...extra } });
}

/** The refusals every voter route shares; an outcome no route expects is our bug (a 500, never a hang). */
function refuse(res: Response, result: { outcome: string; fields?: FieldProblems; retryAfterSeconds?: number }): void {
  switch (result.outcome) {
    case 'invalid':
      return fail(res, 422, 'validation_failed', { fields: result.fields ?? {} });
    case 'rate_limited':
      return fail(res, 429, 'rate_limited', {}, { 'Retry-After': String(result.retryAfterSeconds ?? 60) });
    case 'no_match':
      return fail(res, 404, 'no_match');
    case 'multiple_matches':
      return fail(res, 409, 'multiple_matches');
    case 'not_found':
      return fail(res, 404, 'not_found');
    default:
      throw new Error(`unexpected voter service outcome: ${result.outcome}`);
  }
}

const requireJson: RequestHandler = (req, res, next) => {
  if (!req.is('application/json')) return fail(res, 415, 'unsupported_media_type');
  next();
};

/** An API client that states no consent text version (`consentTextVersion`) is recorded as such. */
const UNSTATED_CONSENT_VERSION = 'unstated';

function origin(req: Request, source: string): RequestOrigin {
  return {
    clientAddress: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    source: `api:${source}`,
    consentTextVersion: UNSTATED_CONSENT_VERSION,
  };
}

/** The manage token from `Authorization: Bearer` or `?token=`. */
function tokenOf(req: Request): string {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return typeof req.query.token === 'string' ? req.query.token : '';
}

/** Answers the token's problem (401, 403, 429) and returns false, or true when the request may go on. */
function authorized(
  res: Response,
  access: ManageAccessResult,
  subscriptionId?: string,
): access is { outcome: 'ok'; subscriptionId: string; contactId?: string | undefined } {
  if (access.outcome === 'rate_limited') {
    fail(res, 429, 'rate_limited', {}, { 'Retry-After': String(access.retryAfterSeconds) });
    return false;
  }
  if (access.outcome !== 'ok') {
    fail(res, 401, access.outcome, {}, { 'WWW-Authenticate': 'Bearer' });
    return false;
  }
  if (subscriptionId !== undefined && access.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
    fail(res, 403, 'token_mismatch');
    return false;
  }
  return true;
}

type IdRequest = Request<{ id: string }>;

export function subscriptionRoutes(deps: SubscriptionRoutesDeps): Router {
  const router = Router();
  const { voters } = deps;
  const json = express.json({ limit: deps.maxBodyBytes ?? 16 * 1024, type: 'application/json' });
  const form = express.urlencoded({ limit: 1024, extended: false });

  router.post('/subscriptions', requireJson, json, async (req, res) => {
    const result = await voters.signUp(req.body, origin(req, 'POST /v1/subscriptions'));
    if (result.outcome !== 'subscribed') return refuse(res, result);
    res.status(202).json({ subscriptionId: result.subscriptionId, pendingVerification: result.pendingVerification });
  });

  router.post('/subscriptions/:id/verify', requireJson, json, async (req: IdRequest, res) => {
    const result = await voters.verify(req.params.id, req.body, origin(req, 'POST /v1/subscriptions/{id}/verify'));
    switch (result.outcome) {
      case 'verified':
        res.json({
          subscriptionId: result.subscriptionId,
          channel: result.channel,
          verified: true,
          manageToken: result.manageToken,
        });
        return;
      case 'invalid_code':
        return fail(res, 422, 'invalid_code', { attemptsRemaining: result.attemptsRemaining });
      case 'code_expired':
      case 'too_many_attempts':
        return fail(res, 410, result.outcome);
      case 'already_verified':
        return fail(res, 409, 'already_verified');
      default:
        refuse(res, result);
    }
  });

  router.post('/subscriptions/:id/verify/resend', requireJson, json, async (req: IdRequest, res) => {
    const result = await voters.resendCode(
      req.params.id,
      req.body,
      origin(req, 'POST /v1/subscriptions/{id}/verify/resend'),
    );
    if (result.outcome === 'sent') return void res.status(202).json({ channel: result.channel });
    if (result.outcome === 'already_verified') return fail(res, 409, 'already_verified');
    refuse(res, result);
  });

  /**
   * Checks the ID's form, then the token (signature, expiry, version, rate limits, subscription);
   * the token's scope (its contact) when the request may go on.
   */
  const manage = async (req: IdRequest, res: Response): Promise<ManageScope | undefined> => {
    if (!SUBSCRIPTION_ID.test(req.params.id)) {
      fail(res, 404, 'not_found');
      return undefined;
    }
    const access = await voters.authorizeManage(tokenOf(req), origin(req, `${req.method} /v1/subscriptions/{id}`));
    return authorized(res, access, req.params.id) ? { contactId: access.contactId } : undefined;
  };

  router.get('/subscriptions/:id', async (req: IdRequest, res) => {
    if (!(await manage(req, res))) return;
    const result = await voters.preferences(req.params.id);
    if (result.outcome === 'ok') return void res.json(result.preferences);
    refuse(res, result);
  });

  router.patch('/subscriptions/:id', requireJson, json, async (req: IdRequest, res) => {
    const scope = await manage(req, res);
    if (!scope) return;
    const result = await voters.updatePreferences(
      req.params.id,
      req.body,
      origin(req, 'PATCH /v1/subscriptions/{id}'),
      scope,
    );
    if (result.outcome === 'updated') {
      return void res.json({
        ...result.preferences,
        pendingVerification: result.pendingVerification,
        manageToken: result.manageToken,
      });
    }
    if (result.outcome === 'not_found') {
      const current = await voters.preferences(req.params.id);
      if (current.outcome === 'ok' && current.preferences.status === 'unsubscribed')
        return fail(res, 409, 'unsubscribed');
    }
    refuse(res, result);
  });

  router.delete('/subscriptions/:id', async (req: IdRequest, res) => {
    const scope = await manage(req, res);
    if (!scope) return;
    const result = await voters.unsubscribe(req.params.id, origin(req, 'DELETE /v1/subscriptions/{id}'), scope);
    if (result.outcome === 'unsubscribed')
      return void res.json({ subscriptionId: req.params.id, status: 'unsubscribed' });
    refuse(res, result);
  });

  // RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` (form-encoded) to
  // the link in the List-Unsubscribe header; an empty body is accepted too. The token is the link's.
  router.post('/unsubscribe', form, async (req, res) => {
    const access = await voters.authorizeManage(tokenOf(req), origin(req, 'POST /v1/unsubscribe'));
    if (!authorized(res, access)) return;
    // The link's own contact only: a one-click link was sent to one address and speaks for it alone.
    const result = await voters.unsubscribe(access.subscriptionId, origin(req, 'POST /v1/unsubscribe'), {
      contactId: access.contactId,
      onlyContact: true,
    });
    if (result.outcome === 'unsubscribed') return void res.json({ status: 'unsubscribed' });
    refuse(res, result);
  });

  // A person who opens the link in a browser gets the preferences page (with its unsubscribe button).
  router.get('/unsubscribe', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    res.redirect(303, `/manage?token=${encodeURIComponent(token)}`);
  });

  return router;
}
