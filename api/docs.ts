/**
 * The interactive API reference at /v1/docs: Scalar's standalone browser bundle, served from the
 * installed npm package (no CDN, so it works offline), rendering /v1/openapi.json with its examples
 * and a "try it" client that calls this same API. The page has its own Content-Security-Policy: scripts
 * only from this origin, styles from this origin or inline (the renderer injects its styles), requests
 * only to this origin (so its optional online services stay off), fonts and images local.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';

const require = createRequire(import.meta.url);

/** Where `npm run build` copies the bundle (`dist/vendor/`), so the production image needs no package. */
export const BUILT_BUNDLE = join('vendor', 'scalar-api-reference.js');

/**
 * The standalone bundle: the copy beside the compiled API (`dist/vendor/`), or in development the one
 * inside the installed package (not in its `exports`, so found beside its entry).
 */
export function scalarBundlePath(): string {
  const built = join(dirname(fileURLToPath(import.meta.url)), '..', BUILT_BUNDLE);
  if (existsSync(built)) return built;
  return join(dirname(require.resolve('@scalar/api-reference')), 'browser', 'standalone.js');
}

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** Scalar's settings: everything local; no telemetry, fonts or services from the internet. */
const CONFIGURATION = {
  sources: [{ url: '/v1/openapi.json', title: 'Ballot Tracker API', agent: { disabled: true } }],
  withDefaultFonts: false,
  telemetry: false,
  hideDarkModeToggle: false,
  showDeveloperTools: 'never',
  mcp: { disabled: true },
  agent: { disabled: true },
  defaultOpenAllTags: true,
  documentDownloadType: 'json',
  metaData: { title: 'Ballot Tracker API reference' },
  // The bundle's own stylesheet names web fonts from Scalar's servers: use the system's instead.
  customCss:
    ':root,.light-mode,.dark-mode{--scalar-font:ui-sans-serif,system-ui,sans-serif;' +
    '--scalar-font-code:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}',
};

const INIT_SCRIPT = `// Ballot Tracker: mounts the API reference (Scalar) on #reference (not #api-reference, which the bundle would mount by itself with its defaults).
Scalar.createApiReference('#reference', ${JSON.stringify(CONFIGURATION)});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ballot Tracker API reference</title>
</head>
<body>
<noscript>
<h1>Ballot Tracker API reference</h1>
<p>This page needs JavaScript. The OpenAPI document is at <a href="/v1/openapi.json">/v1/openapi.json</a>.</p>
</noscript>
<div id="reference"></div>
<script src="/v1/docs/scalar.js"></script>
<script src="/v1/docs/init.js"></script>
</body>
</html>
`;

const withPolicy = (res: Response) =>
  res.set({
    'Content-Security-Policy': DOCS_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });

/** GET /docs, /docs/scalar.js, /docs/init.js; mount under /v1 before helmet's policy for JSON. */
export function docsRoutes(): Router {
  const router = Router();
  let bundle: Buffer | undefined;
  router.get('/docs', (_req, res) => {
    withPolicy(res).type('html').send(PAGE);
  });
  router.get('/docs/scalar.js', (_req, res) => {
    bundle ??= readFileSync(scalarBundlePath());
    withPolicy(res).set('Cache-Control', 'public, max-age=3600').type('application/javascript').send(bundle);
  });
  router.get('/docs/init.js', (_req, res) => {
    withPolicy(res).set('Cache-Control', 'no-cache').type('application/javascript').send(INIT_SCRIPT);
  });
  return router;
}
