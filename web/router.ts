import cookieParser from 'cookie-parser';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Channel } from '../domain/notices.js';
import type { Logger } from '../lib/logger.js';
import { CONSENT_TEXT_VERSION } from '../voters/consent.js';
import {
  CONTACT_CHANNELS,
  type FieldProblems,
  type LookupRefusal,
  type RequestOrigin,
  type VoterService,
} from '../voters/contract.js';
import { SITE_CSS, SITE_CSS_PATH } from './assets.js';
import {
  IDENTITY_FIELDS,
  MANAGE_FIELDS,
  SIGNUP_FIELDS,
  formErrors,
  formValue,
  identityInput,
  invalidCodeMessage,
  preferencesPatch,
  readForm,
  removedChannels,
  signUpInput,
  summaryFor,
  verifyCodeField,
  type FormBody,
  type FormErrors,
  type FormValues,
} from './forms.js';
import { negotiateLanguage, translate, type Language, type MessageKey } from './i18n.js';
import { createCsrf, securityHeaders } from './security.js';
import { managePage as renderManage, type ManageView } from './views/manage.js';
import { messagePage as renderMessage, type MessageView } from './views/message.js';
import { pageHref, type PageContact } from './views/layout.js';
import { signUpPage as renderSignUp, type SignUpView } from './views/signup.js';
import { statusPage as renderStatus, type StatusView } from './views/status.js';
import { verifyPage as renderVerify, type VerifyView } from './views/verify.js';

/** What the server-rendered voter pages need. */
export interface WebRouterDeps {
  voters: VoterService;
  /** Signs the CSRF tokens of every form. */
  csrfSecret: string;
  /** Set the Secure flag on cookies (PUBLIC_BASE_URL is https). */
  secureCookies: boolean;
  logger: Logger;
  /** Version of the consent text the sign-up form shows (default: the voter service's). */
  consentTextVersion?: string;
  /**
   * The county every page names in its footer (a status page names the ballot's county instead):
   * the deployment's default county (DEFAULT_COUNTY_*), when it has one.
   */
  county?: PageContact | undefined;
}

const SUBSCRIPTION_ID = /^[A-Za-z0-9-]{1,64}$/;

interface PageContext {
  lang: Language;
  csrfToken: () => string;
  origin: (path: string) => RequestOrigin;
}

function send(res: Response, status: number, page: string): void {
  res.status(status).type('html').send(page);
}

/**
 * The voter pages, server-rendered without any script:
 * - `GET /` sign-up form; `POST /` → 303 `/verify?subscription=<id>&lang=<code>`.
 * - `GET /verify?subscription=<id>` one `code_<channel>` input per pending channel; `POST /verify` → 303
 *   `/manage?token=<token>&lang=<code>&verified=1` once nothing is pending; `POST /verify/resend`.
 * - `GET /status` lookup form; `POST /status` renders the timeline in the same response.
 * - `GET /manage?token=<token>` preferences; `POST /manage` saves; `POST /manage/unsubscribe`.
 * Every POST carries `_csrf` and `lang`; nothing personal ever goes into a URL.
 */
export function createWebRouter(deps: WebRouterDeps): Router {
  const { voters } = deps;
  const consentVersion = deps.consentTextVersion ?? CONSENT_TEXT_VERSION;
  const csrf = createCsrf(deps.csrfSecret, deps.secureCookies);
  const router = Router();
  // Every page names the county in its footer.
  const county = deps.county;
  const signUpPage = (view: SignUpView) => renderSignUp({ county, ...view });
  const verifyPage = (view: VerifyView) => renderVerify({ county, ...view });
  const statusPage = (view: StatusView) => renderStatus({ county, ...view });
  const managePage = (view: ManageView) => renderManage({ county, ...view });
  const messagePage = (view: MessageView) => renderMessage({ county, ...view });

  const noStore: RequestHandler = (_req, res, next) => {
    // Pages echo what the voter typed and /manage is reached with a token: never cache them.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept-Language, Cookie');
    next();
  };
  const headers = securityHeaders(deps.secureCookies);
  const page: RequestHandler[] = [headers, cookieParser(), noStore];
  const requireCsrf: RequestHandler = (req, res, next) => {
    if (csrf.isValid(req)) return next();
    outcome(req.path, 'csrf_rejected');
    send(
      res,
      403,
      messagePage({ lang: ctx(req, res).lang, titleKey: 'page.csrf_title', textKeys: ['page.csrf_text'] }),
    );
  };
  const form: RequestHandler[] = [
    ...page,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }),
    requireCsrf,
  ];

  function ctx(req: Request, res: Response): PageContext {
    const explicit = formValue(req.body as FormBody | undefined, 'lang') || formValue(req.query, 'lang');
    return {
      lang: negotiateLanguage(explicit, req.headers['accept-language']),
      csrfToken: () => csrf.token(req, res),
      origin: (path) => ({ clientAddress: req.ip ?? '', source: `web:${path}`, consentTextVersion: consentVersion }),
    };
  }

  /** One line per form answer: the page and the outcome only (never a field value or token). */
  function outcome(path: string, result: string): void {
    deps.logger.info({ page: path, outcome: result }, 'voter page answered');
  }

  function message(res: Response, status: number, view: MessageView): void {
    send(res, status, messagePage(view));
  }
  const notFoundPage = (res: Response, lang: Language) =>
    message(res, 404, {
      lang,
      titleKey: 'page.not_found_title',
      textKeys: ['page.not_found_text'],
      startLinkKey: 'page.start',
    });
  const rateLimitedPage = (res: Response, lang: Language, retryAfterSeconds: number) => {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
    message(res, 429, { lang, titleKey: 'page.rate_limited_title', textKeys: ['page.rate_limited_text'] });
  };

  /** Sign-up and status share the lookup's refusals: the form again with its problems, or the wait page. */
  function lookupRefused(
    res: Response,
    lang: Language,
    result: LookupRefusal,
    fields: readonly string[],
    again: (status: number, errors: FormErrors, noMatch?: boolean) => void,
  ): void {
    switch (result.outcome) {
      case 'invalid':
        return again(422, formErrors(lang, result.fields, fields));
      case 'no_match':
        return again(422, { byField: {}, summary: [] }, true);
      case 'multiple_matches':
        return again(422, multipleMatches(lang, fields));
      case 'rate_limited':
        return rateLimitedPage(res, lang, result.retryAfterSeconds);
    }
  }

  router.get(SITE_CSS_PATH, headers, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type('css').send(SITE_CSS);
  });

  // ----- sign-up

  router.get('/', ...page, (req, res) => {
    const { lang, csrfToken } = ctx(req, res);
    send(res, 200, signUpPage({ lang, csrfToken: csrfToken(), values: {}, consentVersion }));
  });

  router.post('/', ...form, async (req, res) => {
    const { lang, csrfToken, origin } = ctx(req, res);
    const values = readForm(req.body as FormBody, SIGNUP_FIELDS);
    const again = (status: number, errors: FormErrors, noMatch = false) =>
      send(res, status, signUpPage({ lang, csrfToken: csrfToken(), values, errors, noMatch, consentVersion }));
    if (!values.consent) {
      // Without consent nothing is sent to the service (it would text a code); say what else is missing too.
      return again(422, formErrors(lang, { ...missingSignUpFields(values), consent: required }, SIGNUP_FIELDS));
    }
    const result = await voters.signUp(signUpInput(values, lang), origin('/'));
    outcome('/', result.outcome);
    if (result.outcome !== 'subscribed') return lookupRefused(res, lang, result, SIGNUP_FIELDS, again);
    res.redirect(303, pageHref({ path: '/verify', params: { subscription: result.subscriptionId } }, lang));
  });

  // ----- verification codes

  router.get('/verify', ...page, async (req, res) => {
    const { lang, csrfToken } = ctx(req, res);
    const subscriptionId = formValue(req.query, 'subscription');
    const pending = SUBSCRIPTION_ID.test(subscriptionId) ? await voters.pendingChannels(subscriptionId) : undefined;
    if (!pending) return notFoundPage(res, lang);
    send(res, 200, verifyPage({ lang, csrfToken: csrfToken(), subscriptionId, pending }));
  });

  router.post('/verify', ...form, async (req, res) => {
    const { lang, csrfToken, origin } = ctx(req, res);
    const body = req.body as FormBody;
    const subscriptionId = formValue(body, 'subscription');
    const pending = SUBSCRIPTION_ID.test(subscriptionId) ? await voters.pendingChannels(subscriptionId) : undefined;
    if (!pending) return notFoundPage(res, lang);
    const codeFields = pending.map(verifyCodeField);
    const values = readForm(body, codeFields);
    const filled = pending.filter((channel) => values[verifyCodeField(channel)] !== '');
    const byField: Record<string, string> = {};
    const confirmed: Channel[] = [];
    let manageToken: string | undefined;
    if (pending.length > 0 && filled.length === 0) {
      byField[verifyCodeField(pending[0] as Channel)] = translate(lang, 'problem.required');
    }
    for (const channel of filled) {
      const field = verifyCodeField(channel);
      const result = await voters.verify(subscriptionId, { channel, code: values[field] }, origin('/verify'));
      outcome('/verify', result.outcome);
      switch (result.outcome) {
        case 'verified':
          manageToken = result.manageToken;
          confirmed.push(channel);
          break;
        case 'already_verified':
          confirmed.push(channel);
          break;
        case 'invalid_code':
          byField[field] = invalidCodeMessage(lang, result.attemptsRemaining);
          break;
        case 'code_expired':
          byField[field] = translate(lang, 'verify.code_expired');
          break;
        case 'too_many_attempts':
          byField[field] = translate(lang, 'verify.too_many_attempts');
          break;
        case 'invalid':
          byField[field] = codeProblem(lang, result.fields);
          break;
        case 'not_found':
          return notFoundPage(res, lang);
        case 'rate_limited':
          return rateLimitedPage(res, lang, result.retryAfterSeconds);
      }
    }
    const remaining = (await voters.pendingChannels(subscriptionId)) ?? [];
    if (remaining.length === 0 && manageToken) {
      const href = pageHref({ path: '/manage', params: { token: manageToken } }, lang);
      return res.redirect(303, `${href}&verified=1`);
    }
    const errors = { byField, summary: summaryFor(lang, byField, codeFields) };
    const shown: FormValues = Object.fromEntries(
      Object.entries(values).filter(([field]) => byField[field] === undefined && !confirmedField(field, confirmed)),
    );
    const status = errors.summary.length > 0 ? 422 : 200;
    send(
      res,
      status,
      verifyPage({
        lang,
        csrfToken: csrfToken(),
        subscriptionId,
        pending: remaining,
        values: shown,
        errors,
        confirmed,
      }),
    );
  });

  router.post('/verify/resend', ...form, async (req, res) => {
    const { lang, csrfToken, origin } = ctx(req, res);
    const body = req.body as FormBody;
    const subscriptionId = formValue(body, 'subscription');
    if (!SUBSCRIPTION_ID.test(subscriptionId)) return notFoundPage(res, lang);
    const result = await voters.resendCode(
      subscriptionId,
      { channel: formValue(body, 'channel') },
      origin('/verify/resend'),
    );
    outcome('/verify/resend', result.outcome);
    if (result.outcome === 'not_found') return notFoundPage(res, lang);
    if (result.outcome === 'rate_limited') return rateLimitedPage(res, lang, result.retryAfterSeconds);
    const pending = await voters.pendingChannels(subscriptionId);
    if (!pending) return notFoundPage(res, lang);
    const errors: FormErrors =
      result.outcome === 'invalid'
        ? { byField: {}, summary: [{ text: translate(lang, 'problem.invalid_channel') }] }
        : { byField: {}, summary: [] };
    send(
      res,
      result.outcome === 'invalid' ? 422 : 200,
      verifyPage({ lang, csrfToken: csrfToken(), subscriptionId, pending, errors, resent: result.outcome === 'sent' }),
    );
  });

  // ----- ballot status

  router.get('/status', ...page, (req, res) => {
    const { lang, csrfToken } = ctx(req, res);
    send(res, 200, statusPage({ lang, csrfToken: csrfToken(), values: {} }));
  });

  router.post('/status', ...form, async (req, res) => {
    const { lang, csrfToken, origin } = ctx(req, res);
    const values = readForm(req.body as FormBody, IDENTITY_FIELDS);
    const again = (status: number, errors: FormErrors, noMatch = false) =>
      send(res, status, statusPage({ lang, csrfToken: csrfToken(), values, errors, noMatch }));
    const result = await voters.lookupStatus(identityInput(values), origin('/status'));
    outcome('/status', result.outcome);
    if (result.outcome !== 'found') return lookupRefused(res, lang, result, IDENTITY_FIELDS, again);
    send(res, 200, statusPage({ lang, csrfToken: csrfToken(), values: {}, ballots: result.ballots }));
  });

  // ----- preferences (reached with the token every message carries)

  /**
   * The subscription a manage token opens (the service also applies the manage rate limits), or the
   * page saying the link does not work.
   */
  async function authorize(
    res: Response,
    lang: Language,
    token: string,
    origin: RequestOrigin,
  ): Promise<{ subscriptionId: string; contactId?: string | undefined } | undefined> {
    const checked = token === '' ? { outcome: 'invalid_token' as const } : await voters.authorizeManage(token, origin);
    if (checked.outcome === 'ok') return { subscriptionId: checked.subscriptionId, contactId: checked.contactId };
    if (checked.outcome === 'rate_limited') {
      rateLimitedPage(res, lang, checked.retryAfterSeconds);
      return undefined;
    }
    const expired = checked.outcome === 'token_expired';
    message(res, expired ? 410 : 401, {
      lang,
      titleKey: expired ? 'token.expired_title' : 'token.invalid_title',
      textKeys: [expired ? 'token.expired_text' : 'token.invalid_text'],
      startLinkKey: 'page.start',
    });
    return undefined;
  }

  router.get('/manage', ...page, async (req, res) => {
    const { lang, csrfToken, origin } = ctx(req, res);
    const token = formValue(req.query, 'token');
    const access = await authorize(res, lang, token, origin('/manage'));
    if (!access) return;
    const { subscriptionId } = access;
    const found = await voters.preferences(subscriptionId);
    if (found.outcome === 'not_found') return notFoundPage(res, lang);
    const verified = formValue(req.query, 'verified') === '1';
    send(res, 200, managePage({ lang, csrfToken: csrfToken(), token, preferences: found.preferences, verified }));
  });

  router.post('/manage', ...form, async (req, res) => {
    const { lang, csrfToken, origin } = ctx(req, res);
    const body = req.body as FormBody;
    const token = formValue(body, 'token');
    const access = await authorize(res, lang, token, origin('/manage'));
    if (!access) return;
    const { subscriptionId } = access;
    const values = readForm(body, MANAGE_FIELDS);
    const result = await voters.updatePreferences(
      subscriptionId,
      preferencesPatch(values, removedChannels(body)),
      origin('/manage'),
      { contactId: access.contactId },
    );
    outcome('/manage', result.outcome);
    switch (result.outcome) {
      case 'updated':
        return send(
          res,
          200,
          managePage({
            lang,
            csrfToken: csrfToken(),
            // A change of contacts revokes the token the form carried: the page goes on with the new one.
            token: result.manageToken,
            preferences: result.preferences,
            saved: true,
            pendingVerification: result.pendingVerification,
          }),
        );
      case 'invalid': {
        const found = await voters.preferences(subscriptionId);
        if (found.outcome === 'not_found') return notFoundPage(res, lang);
        const errors = formErrors(lang, result.fields, MANAGE_FIELDS);
        return send(
          res,
          422,
          managePage({ lang, csrfToken: csrfToken(), token, preferences: found.preferences, values, errors }),
        );
      }
      case 'not_found':
        return notFoundPage(res, lang);
      case 'rate_limited':
        return rateLimitedPage(res, lang, result.retryAfterSeconds);
    }
  });

  router.post('/manage/unsubscribe', ...form, async (req, res) => {
    const { lang, origin } = ctx(req, res);
    const token = formValue(req.body as FormBody, 'token');
    const access = await authorize(res, lang, token, origin('/manage/unsubscribe'));
    if (!access) return;
    const result = await voters.unsubscribe(access.subscriptionId, origin('/manage/unsubscribe'), {
      contactId: access.contactId,
    });
    outcome('/manage/unsubscribe', result.outcome);
    if (result.outcome === 'not_found') return notFoundPage(res, lang);
    message(res, 200, {
      lang,
      titleKey: 'unsubscribed.title',
      textKeys: ['unsubscribed.text'],
      outcome: 'unsubscribed',
      startLinkKey: 'unsubscribed.again',
    });
  });

  const pageError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown }).status;
    const lang = negotiateLanguage(formValue(req.query, 'lang'), req.headers['accept-language']);
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return message(res, status, { lang, titleKey: 'page.bad_request_title', textKeys: ['page.bad_request_text'] });
    }
    const { name, message: text, stack } = err instanceof Error ? err : new Error(String(err));
    deps.logger.error({ err: { name, message: text, stack }, path: req.path }, 'voter page failed');
    message(res, 500, { lang, titleKey: 'page.error_title', textKeys: ['page.error_text'] });
  };
  router.use(pageError);
  return router;
}

const required = { code: 'required', message: 'This field is required.' };

/** The blanks a sign-up form can be told about without asking the service. */
function missingSignUpFields(values: FormValues): FieldProblems {
  const problems: FieldProblems = {};
  for (const field of ['firstName', 'lastName', 'dateOfBirth', 'zip'] as const) {
    if (!values[field]) problems[field] = required;
  }
  if (CONTACT_CHANNELS.every((channel) => !values[channel])) {
    problems.contacts = { code: 'no_contact', message: 'Give at least one way to reach you.' };
  }
  return problems;
}

/** Several voters match: the voter ID field is flagged and the summary says why. */
function multipleMatches(lang: Language, fields: readonly string[]): FormErrors {
  const byField = { voterId: translate(lang, 'lookup.multiple_matches') };
  return { byField, summary: summaryFor(lang, byField, fields) };
}

/** A verify call's field problem (the code's format, usually) as one message for the code field. */
function codeProblem(lang: Language, fields: FieldProblems): string {
  const code = fields.code?.code ?? fields.channel?.code;
  const key: MessageKey = code === 'invalid_code_format' ? 'problem.invalid_code_format' : 'problem.generic';
  return translate(lang, key);
}

function confirmedField(field: string, confirmed: readonly Channel[]): boolean {
  return confirmed.some((channel) => verifyCodeField(channel) === field);
}
