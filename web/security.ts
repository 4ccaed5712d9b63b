import type { RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import helmet from 'helmet';
import { formValue } from './forms.js';

/**
 * Headers for pages without any script: a strict CSP (no inline anything, forms only to us, never
 * framed), and no Referer at all because /manage URLs carry the voter's token.
 */
export function securityHeaders(secure: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
}

export interface Csrf {
  /** The token for this response's forms (sets or reuses the signed cookie). */
  token: (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => string;
  /** True when the form's `_csrf` matches the signed cookie. */
  isValid: (req: Parameters<RequestHandler>[0]) => boolean;
}

/**
 * Signed double-submit tokens (csrf-csrf): an HttpOnly SameSite=Strict cookie holds an HMAC-signed
 * random value and every form repeats it in `_csrf`. There are no sessions to bind it to; the
 * `__Host-` prefix (with https) stops a sibling subdomain from planting its own cookie.
 */
export function createCsrf(secret: string, secure: boolean): Csrf {
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: () => '',
    cookieName: secure ? '__Host-bt_csrf' : 'bt_csrf',
    cookieOptions: { sameSite: 'strict', path: '/', secure, httpOnly: true },
    getCsrfTokenFromRequest: (req) => formValue(req.body as Record<string, unknown> | undefined, '_csrf'),
  });
  return {
    token: (req, res) => generateCsrfToken(req, res),
    isValid: (req) => validateRequest(req),
  };
}
