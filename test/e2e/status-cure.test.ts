/**
 * The status page of a challenged ballot in a real browser, in English and Spanish: what is wrong
 * (the reason in the catalogs' words), what to do, the county's form for that reason, the deadline
 * while it is ahead, or "as soon as possible" and the county's rule when there is none, the
 * county's phone, the next step, and the county's contact at the foot of the page. Checked by
 * axe-core and photographed: test-results/screenshots/<lang>-status-challenged(-desktop).png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCounty } from '../../db/counties.js';
import { expectNoSeriousViolations, launchBrowser, newContext, saveScreenshot } from '../helpers/browser.js';
import { COUNTY, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { eventually } from '../helpers/eventually.js';
import { FIXTURE_PEOPLE } from '../helpers/history-pii-fixtures.js';
import { fillLookup, htmlLang, open, submitForm } from './voter-pages.js';

const NO_DEADLINE = 'general-2099';
const WITH_DEADLINE = 'special-2099';
const PHONE = '(916) 875-6451';
const UNSIGNED = 'https://elections.saccounty.example/unsigned-ballot-statement';
const MISMATCH = 'https://elections.saccounty.example/signature-verification-statement';

const VOTERS = [
  {
    lang: 'en',
    person: FIXTURE_PEOPLE[2]!,
    voterId: 'V-cure-en',
    asap: 'as soon as possible',
    rule: 'two days before',
  },
  { lang: 'es', person: FIXTURE_PEOPLE[3]!, voterId: 'V-cure-es', asap: 'lo antes posible', rule: 'dos días antes' },
] as const;

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  await saveCounty(
    stack.db.sql,
    {
      county: COUNTY,
      name: 'Sacramento County Elections',
      phone: PHONE,
      url: 'https://elections.saccounty.example',
      cureUrl: null,
      timezone: 'America/Los_Angeles',
      emailFrom: null,
      cureDeadlineRule: 'two_days_before_certification',
    },
    { cureForms: { no_signature: UNSIGNED, signature_mismatch: MISMATCH } },
  );
  await stack.putElection(NO_DEADLINE);
  await stack.putElection(WITH_DEADLINE);
  const deadline = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  for (const { person, voterId } of VOTERS) {
    await stack.putVoter(voterId, person);
    // One challenge without a deadline (none in the scan, none in the election), one with a deadline ahead.
    await stack.issueBallot(NO_DEADLINE, `B-${voterId}`, voterId);
    await stack.scan(NO_DEADLINE, `B-${voterId}`, 'received');
    await stack.scan(NO_DEADLINE, `B-${voterId}`, 'challenged', { reason: 'no_signature' });
    await stack.issueBallot(WITH_DEADLINE, `S-${voterId}`, voterId);
    await stack.scan(WITH_DEADLINE, `S-${voterId}`, 'challenged', {
      reason: 'signature_mismatch',
      cureDeadline: deadline,
    });
  }
  for (const { voterId } of VOTERS) {
    for (const [election, ballot] of [
      [NO_DEADLINE, `B-${voterId}`],
      [WITH_DEADLINE, `S-${voterId}`],
    ] as const) {
      await eventually(async () =>
        (await stack.ballot(election, ballot)).body.status === 'challenged' ? true : undefined,
      );
    }
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe.each(VOTERS)('the status page of a challenged ballot in $lang', ({ lang, person, voterId, asap, rule }) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext(browser, 'mobile');
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
  });

  async function lookUp(on: Page): Promise<void> {
    await open(on, `${stack.url}/status?lang=${lang}`);
    await fillLookup(on, person);
    await submitForm(on, { field: 'firstName' });
  }

  it('says what to do, where, by when (or as soon as possible, with the county’s rule) and whom to call', async () => {
    await lookUp(page);
    expect(await htmlLang(page)).toBe(lang);

    const open = page.locator(`section.ballot[data-ballot="B-${voterId}"]`);
    expect(await open.locator('[data-action="cure"]').count()).toBe(1);
    expect(await open.locator('[data-reason="no_signature"]').count()).toBe(1);
    expect(await open.locator('a[data-cure-link]').getAttribute('href')).toBe(`${UNSIGNED}?ballot=B-${voterId}`);
    expect(await open.locator('[data-deadline="none"]').innerText()).toContain(asap);
    expect(await open.locator('[data-deadline-rule]').innerText()).toContain(rule);
    expect(await open.locator('[data-county-phone]').innerText()).toContain(PHONE);
    expect(await open.locator('[data-next-step]').count()).toBe(1);

    const dated = page.locator(`section.ballot[data-ballot="S-${voterId}"]`);
    expect(await dated.locator('a[data-cure-link]').getAttribute('href')).toBe(`${MISMATCH}?ballot=S-${voterId}`);
    expect(await dated.locator('[data-deadline]').getAttribute('data-deadline')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await dated.locator('[data-deadline-rule]').count()).toBe(0);

    expect(await page.locator('footer [data-county-contact]').innerText()).toContain('Sacramento County Elections');
    await expectNoSeriousViolations(page, `${lang}-status-challenged`);
    await saveScreenshot(page, lang, 'status-challenged');
  }, 60_000);

  it('at desktop width too', async () => {
    const desktopContext = await newContext(browser, 'desktop');
    try {
      const desktop = await desktopContext.newPage();
      await lookUp(desktop);
      expect(await desktop.locator('[data-action="cure"]').count()).toBe(2);
      await expectNoSeriousViolations(desktop, `${lang}-status-challenged-desktop`);
      await saveScreenshot(desktop, lang, 'status-challenged-desktop');
    } finally {
      await desktopContext.close();
    }
  }, 60_000);
});
