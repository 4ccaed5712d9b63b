/**
 * The accessibility check itself, on pages served from memory: it must catch what it claims to catch,
 * or a clean result on the voter pages would mean nothing.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSeriousViolations, launchBrowser, newContext, runAxe, seriousViolations } from '../helpers/browser.js';

const PAGE = (body: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>Check</title></head><body><main><h1>Ballot status</h1>${body}</main></body></html>`;

describe('the axe-core check in Chromium', () => {
  let browser: Browser;
  let page: Page;

  async function serve(html: string, csp?: string): Promise<void> {
    await page.unrouteAll();
    await page.route('http://pages.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: html,
        headers: csp ? { 'content-security-policy': csp } : {},
      }),
    );
    await page.goto('http://pages.test/');
  }

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await (await newContext(browser)).newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('passes a page with labelled fields and enough contrast, even under a strict Content-Security-Policy', async () => {
    await serve(
      PAGE(
        '<form method="post"><label for="zip">ZIP code</label><input id="zip" name="zip"><button>Look up</button></form>',
      ),
      "default-src 'self'; script-src 'self'",
    );
    const results = await expectNoSeriousViolations(page, 'a clean page');
    expect(results.passes.map((rule) => rule.id)).toEqual(expect.arrayContaining(['label', 'html-has-lang']));
    expect(results.testEngine.name).toBe('axe-core');
  });

  it('fails a page with an unlabelled input, a missing lang and low contrast, naming each rule', async () => {
    await serve(
      PAGE('<form method="post"><input name="zip"></form><p style="color:#bbb;background:#fff">faint</p>').replace(
        ' lang="en"',
        '',
      ),
    );
    const rules = seriousViolations(await runAxe(page)).map((violation) => violation.id);
    expect(rules).toEqual(expect.arrayContaining(['label', 'html-has-lang', 'color-contrast']));
    await expect(expectNoSeriousViolations(page, 'a broken page')).rejects.toThrow(/\[critical\] label: .*at input/s);
  });
});
