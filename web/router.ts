import { Router } from 'express';
import type { Logger } from '../lib/logger.js';
import type { VoterService } from '../voters/contract.js';

/** What the server-rendered voter pages need. */
export interface WebRouterDeps {
  voters: VoterService;
  /** Signs the CSRF tokens of every form. */
  csrfSecret: string;
  /** Set the Secure flag on cookies (PUBLIC_BASE_URL is https). */
  secureCookies: boolean;
  logger: Logger;
}

/** The voter pages: `/`, `/verify`, `/status`, `/manage`. */
export function createWebRouter(_deps: WebRouterDeps): Router {
  return Router();
}
