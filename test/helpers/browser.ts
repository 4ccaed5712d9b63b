/**
 * A real browser for the end-to-end tests: Debian's Chromium (or CHROMIUM_PATH) driven by
 * playwright-core, an axe-core check, and full-page screenshots a person can look at afterwards.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type { AxeResults, Result as AxeViolation } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath } from '../../scripts/chromium.js';
import { ROOT } from '../../scripts/tools.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = (require('axe-core') as { source: string }).source;

export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

export const VIEWPORTS = {
  mobile: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/**
 * Headless Chromium with nothing that phones home. Playwright gives every launch a fresh temporary
 * profile of its own (and refuses a `--user-data-dir` argument), and deletes it on close.
 */
export function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: run \`npm run provision -- --test\` (installs Debian's chromium as root) ` +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary',
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A fresh context (own cookies, so its own CSRF cookie) at a phone's or a desktop's size. */
export function newContext(browser: Browser, viewport: ViewportName = 'mobile'): Promise<BrowserContext> {
  return browser.newContext({
    viewport: VIEWPORTS[viewport],
    ...(viewport === 'mobile' ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
}

const FAILING_IMPACTS = new Set(['serious', 'critical']);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/**
 * Runs axe-core in the page, from the installed package (no network). Evaluated through the DevTools
 * protocol rather than added as a <script>, so the page's Content-Security-Policy stays as served.
 */
export async function runAxe(page: Page): Promise<AxeResults> {
  await page.evaluate(AXE_SOURCE);
  const options = { runOnly: { type: 'tag', values: AXE_TAGS }, resultTypes: ['violations'] };
  return page.evaluate<AxeResults>(`axe.run(document, ${JSON.stringify(options)})`);
}

/** The violations a test fails on: serious and critical ones. */
export function seriousViolations(results: Pick<AxeResults, 'violations'>): AxeViolation[] {
  return results.violations.filter((violation) => FAILING_IMPACTS.has(violation.impact ?? ''));
}

/** One readable block per violation: rule, impact, help, and the offending elements. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map((violation) =>
      [
        `- [${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`,
        ...violation.nodes
          .slice(0, 5)
          .map((node) => `    at ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? ''}`),
        ...(violation.nodes.length > 5 ? [`    ... and ${violation.nodes.length - 5} more`] : []),
      ].join('\n'),
    )
    .join('\n');
}

/** Runs axe and throws with a readable list when any serious or critical violation is found. */
export async function expectNoSeriousViolations(page: Page, label: string): Promise<AxeResults> {
  const results = await runAxe(page);
  const serious = seriousViolations(results);
  if (serious.length > 0) {
    throw new Error(
      `axe-core found ${serious.length} serious or critical violation(s) on ${label} (${page.url()}):\n${formatViolations(serious)}`,
    );
  }
  return results;
}

/** Saves a full-page screenshot as test-results/screenshots/<lang>-<name>.png and prints where. */
export async function saveScreenshot(page: Page, language: string, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${language}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  process.stdout.write(`screenshot: ${relative(ROOT, file)}\n`);
  return file;
}
