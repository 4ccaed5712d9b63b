/**
 * The interactive API reference (/v1/docs) in a real browser: it renders every path of the OpenAPI
 * document from the bundle the API serves itself, under the page's own Content-Security-Policy, and
 * asks nothing of any other host (it works offline). A screenshot is saved for a person to look at.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, newContext, saveScreenshot } from '../helpers/browser.js';
import { eventually } from '../helpers/eventually.js';
import { startApiHarness, type ApiHarness } from '../integration/api-harness.js';

let harness: ApiHarness;
let browser: Browser;

beforeAll(async () => {
  [harness, browser] = await Promise.all([
    startApiHarness({ temporalAddress: inject('temporalAddress'), worker: false }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
});

describe('the API reference page', () => {
  it('shows every path of the OpenAPI document, from local scripts only, without a CSP violation', async () => {
    const document = (await harness.call('GET', '/v1/openapi.json', { key: null })).body;
    const paths = Object.keys(document.paths);
    expect(paths.length).toBeGreaterThan(5);

    const context = await newContext(browser, 'desktop');
    const page: Page = await context.newPage();
    const foreign: string[] = [];
    const violations: string[] = [];
    const origin = new URL(harness.url).origin;
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin) foreign.push(request.url());
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));

    const response = await page.goto(`${harness.url}/v1/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

    // The renderer mounts asynchronously and renders long documents as they scroll into view.
    await page.mouse.move(700, 500);
    const text = await eventually(async () => {
      await page.mouse.wheel(0, 1500);
      const shown = await page.evaluate<string>('document.body.innerText');
      return paths.every((path) => shown.includes(path)) ? shown : undefined;
    }, 45_000).catch(async () => page.evaluate<string>('document.body.innerText'));
    const missing = paths.filter((path) => !text.includes(path));
    expect(missing).toEqual([]);
    expect(text).toContain('Ballot Tracker API');

    await page.evaluate('window.scrollTo(0, 0)');
    await saveScreenshot(page, 'en', 'api-reference-desktop');
    expect({ foreign, violations }).toEqual({ foreign: [], violations: [] });
    await context.close();
  });
});
