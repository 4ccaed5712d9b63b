/**
 * Every voter page, in English and in Khmer (a non-Latin script written left to right), checked by
 * axe-core for serious and critical WCAG 2.1 AA violations, and photographed for a person to look at:
 * test-results/screenshots/<lang>-<page>.png (phone size; `-desktop` ones at 1280 px wide).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSeriousViolations, launchBrowser, newContext, saveScreenshot } from '../helpers/browser.js';
import { startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { eventually } from '../helpers/eventually.js';
import { FIXTURE_PEOPLE, type FixturePerson } from '../helpers/history-pii-fixtures.js';
import { fillLookup, fillSignUp, htmlLang, latestCode, open, submitForm } from './voter-pages.js';

const ELECTION = 'general-2099';
/** `script`: letters the page's heading must be written in (a page only labelled Khmer is not Khmer). */
const LANGUAGES = [
  { lang: 'en', other: 'km', script: /[A-Za-z]/, person: FIXTURE_PEOPLE[1]!, voterId: 'V-en' },
  { lang: 'km', other: 'en', script: /[\u1780-\u17FF]/, person: FIXTURE_PEOPLE[2]!, voterId: 'V-km' },
] as const;

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  await stack.putElection(ELECTION);
  for (const { person, voterId } of LANGUAGES) {
    await stack.putVoter(voterId, person);
    await stack.issueBallot(ELECTION, `B-${voterId}`, voterId);
    await stack.scan(ELECTION, `B-${voterId}`, 'outbound');
  }
  for (const { voterId } of LANGUAGES) {
    await eventually(async () =>
      (await stack.ballot(ELECTION, `B-${voterId}`)).body.status === 'outbound' ? true : undefined,
    );
  }
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe.each(LANGUAGES)('the voter pages in $lang', ({ lang, other, script, person }) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext(browser, 'mobile');
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
  });

  /** What every page promises: its language, one h1 in it, a switcher, and no serious axe finding. */
  async function checkPage(name: string, on: Page = page): Promise<void> {
    expect(await htmlLang(on), `<html lang> of ${name}`).toBe(lang);
    expect(await on.locator('h1').count(), `h1 elements on ${name}`).toBe(1);
    expect(await on.locator('h1').innerText(), `the heading of ${name}`).toMatch(script);
    expect(await on.locator(`a[href*="lang=${other}"]`).count(), `link to ${other} on ${name}`).toBeGreaterThan(0);
    await expectNoSeriousViolations(on, `${lang}-${name}`);
    await saveScreenshot(on, lang, name);
  }

  async function desktopShot(name: string, path: string, prepare?: (desktop: Page) => Promise<void>) {
    const desktopContext = await newContext(browser, 'desktop');
    try {
      const desktop = await desktopContext.newPage();
      await open(desktop, `${stack.url}${path}`);
      await prepare?.(desktop);
      await checkPage(`${name}-desktop`, desktop);
    } finally {
      await desktopContext.close();
    }
  }

  it('sign-up form (/): labelled fields, the language carried in a hidden input', async () => {
    await open(page, `${stack.url}/?lang=${lang}`);
    expect(await page.inputValue('form:has([name="firstName"]) input[type="hidden"][name="lang"]')).toBe(lang);
    expect(await page.inputValue('[name="language"]')).toBe(lang);
    await checkPage('signup');
    await desktopShot('signup', `/?lang=${lang}`);
  });

  it('sign-up form with an error: a summary links to the field at fault', async () => {
    await open(page, `${stack.url}/?lang=${lang}`);
    await fillSignUp(page, { person, sms: '123' });
    // The server's own check is what is under test, not the browser's.
    await page.evaluate(`document.querySelector('form:has([name="firstName"])').noValidate = true`);
    await submitForm(page, { field: 'firstName' });
    const smsId = await page.locator('[name="sms"]').getAttribute('id');
    expect(smsId).toBeTruthy();
    expect(await page.locator(`a[href="#${smsId}"]`).count()).toBeGreaterThan(0);
    expect(await page.inputValue('[name="firstName"]')).toBe(person.firstName);
    await checkPage('signup-error');
  });

  it('status page (/): the empty form, a no-match answer, and a timeline', async () => {
    await open(page, `${stack.url}/status?lang=${lang}`);
    await checkPage('status');

    await fillLookup(page, { ...person, zip: '00000' } satisfies FixturePerson);
    await submitForm(page, { field: 'firstName' });
    expect(await page.locator('ol.timeline').count()).toBe(0);
    await checkPage('status-no-match');

    await open(page, `${stack.url}/status?lang=${lang}`);
    await fillLookup(page, person);
    await submitForm(page, { field: 'firstName' });
    expect(await page.locator('ol.timeline li[data-status="outbound"]').count()).toBe(1);
    await checkPage('status-result');
    await desktopShot('status-result', `/status?lang=${lang}`, async (desktop) => {
      await fillLookup(desktop, person);
      await submitForm(desktop, { field: 'firstName' });
    });
  });

  it('verification (/verify), a wrong code, the manage page (/manage), and the unsubscribe confirmation', async () => {
    await open(page, `${stack.url}/?lang=${lang}`);
    await fillSignUp(page, { person, sms: person.phone, email: person.email });
    await submitForm(page, { field: 'firstName' });
    expect(new URL(page.url()).pathname).toBe('/verify');
    await checkPage('verify');

    const codes = await eventually(async () => {
      const outbox = await stack.outbox();
      const sms = latestCode(outbox, 'sms', person.phone);
      const email = latestCode(outbox, 'email', person.email);
      return sms && email ? { sms, email } : undefined;
    });
    const wrong = codes.sms === '000000' ? '111111' : '000000';
    await page.fill('[name="code_sms"]', wrong);
    await submitForm(page, { field: 'code_sms' });
    const codeId = await page.locator('[name="code_sms"]').getAttribute('id');
    expect(await page.locator(`a[href="#${codeId}"]`).count()).toBeGreaterThan(0);
    await checkPage('verify-error');

    await page.fill('[name="code_sms"]', codes.sms);
    await page.fill('[name="code_email"]', codes.email);
    await submitForm(page, { field: 'code_sms' });
    expect(new URL(page.url()).pathname).toBe('/manage');
    expect(await page.locator('[role="status"]').count()).toBeGreaterThan(0);
    await checkPage('manage');

    await submitForm(page, { action: '/manage/unsubscribe' });
    expect(await page.locator('[data-outcome="unsubscribed"]').count()).toBe(1);
    await checkPage('unsubscribed');
  }, 90_000);
});
