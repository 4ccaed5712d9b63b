/**
 * One voter's whole story in a real browser (Debian's Chromium through playwright-core), against the
 * whole stack: sign up in Spanish, confirm both contacts with the codes the sandbox "sent", receive
 * the Spanish notices for two scans, follow the ballot on /status, unsubscribe, get the confirmation
 * of that once, and hear nothing more.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../api/dev-outbox.js';
import { launchBrowser, newContext } from '../helpers/browser.js';
import { startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { eventually } from '../helpers/eventually.js';
import { FIXTURE_PEOPLE } from '../helpers/history-pii-fixtures.js';
import { statusQuery, workflowIdFor } from '../../workflows/ballot.js';
import { fillLookup, fillSignUp, htmlLang, isMessage, latestCode, open, submitForm } from './voter-pages.js';

const ELECTION = 'general-2099';
const BALLOT = 'B-journey';
const VOTER = 'V-journey';
const person = FIXTURE_PEOPLE[0]!;

describe('a voter signs up in Spanish in the browser, follows the ballot, and unsubscribes', () => {
  let stack: E2eStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
    await stack.putElection(ELECTION);
    await stack.putVoter(VOTER, person);
    await stack.issueBallot(ELECTION, BALLOT, VOTER);
    context = await newContext(browser, 'mobile');
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  function expectNothingPersonalIn(url: string): void {
    const decoded = decodeURIComponent(url);
    for (const value of [person.firstName, person.lastName, person.dateOfBirth, person.phone, person.email]) {
      expect(decoded).not.toContain(value);
    }
  }

  /** The Spanish entries of the outbox that are the given message, per channel. */
  async function spanish(key: string): Promise<Record<'sms' | 'email', OutboxEntry[]>> {
    const entries = (await stack.outbox()).filter((entry) => entry.language === 'es' && isMessage(entry, 'es', key));
    return {
      sms: entries.filter((entry) => entry.channel === 'sms' && entry.to === person.phone),
      email: entries.filter((entry) => entry.channel === 'email' && entry.to === person.email),
    };
  }

  async function untilBothChannels(key: string): Promise<Record<'sms' | 'email', OutboxEntry[]>> {
    return eventually(async () => {
      const found = await spanish(key);
      return found.sms.length > 0 && found.email.length > 0 ? found : undefined;
    }, 45_000);
  }

  let manageToken: string;

  it('signs up on /?lang=es with SMS and email, enters both codes on /verify, and lands on /manage', async () => {
    await open(page, `${stack.url}/?lang=es`);
    expect(await htmlLang(page)).toBe('es');
    expect(await page.inputValue('[name="language"]')).toBe('es');
    // Start equal to end is the all-day window (domain/quiet-hours.ts): the notices below are due at once.
    await fillSignUp(page, { person, sms: person.phone, email: person.email, quietStart: '00:00', quietEnd: '00:00' });
    await submitForm(page, { field: 'firstName' });

    const verifyUrl = new URL(page.url());
    expect(verifyUrl.pathname).toBe('/verify');
    expect(verifyUrl.searchParams.get('lang')).toBe('es');
    expect(verifyUrl.searchParams.get('subscription')).toMatch(/\S/);
    expectNothingPersonalIn(page.url());

    const codes = await eventually(async () => {
      const outbox = await stack.outbox();
      const sms = latestCode(outbox, 'sms', person.phone);
      const email = latestCode(outbox, 'email', person.email);
      return sms && email ? { sms, email, outbox } : undefined;
    });
    const sent = codes.outbox.filter((entry) => entry.to === person.phone || entry.to === person.email);
    expect(sent.map((entry) => [entry.channel, entry.language]).sort()).toEqual([
      ['email', 'es'],
      ['sms', 'es'],
    ]);
    expect(sent.every((entry) => isMessage(entry, 'es', 'verification_code'))).toBe(true);

    await page.fill('[name="code_sms"]', codes.sms);
    await page.fill('[name="code_email"]', codes.email);
    await submitForm(page, { field: 'code_sms' });

    const manageUrl = new URL(page.url());
    expect(manageUrl.pathname).toBe('/manage');
    expect(manageUrl.searchParams.get('verified')).toBe('1');
    expect(manageUrl.searchParams.get('lang')).toBe('es');
    manageToken = manageUrl.searchParams.get('token') ?? '';
    expect(manageToken).not.toBe('');
    expect(await htmlLang(page)).toBe('es');
    await expect(page.locator('[role="status"]').first().isVisible()).resolves.toBe(true);
  }, 90_000);

  it('sends the Spanish notices for the outbound and received scans by SMS and by email', async () => {
    expect(await spanish('status.outbound')).toEqual({ sms: [], email: [] });

    await stack.scan(ELECTION, BALLOT, 'outbound');
    const outbound = await untilBothChannels('status.outbound');
    await stack.scan(ELECTION, BALLOT, 'received');
    const received = await untilBothChannels('status.received');

    expect([outbound.sms.length, outbound.email.length, received.sms.length, received.email.length]).toEqual([
      1, 1, 1, 1,
    ]);
    const ballot = await stack.ballot(ELECTION, BALLOT);
    expect(ballot.body.status).toBe('received');
  }, 90_000);

  it('shows the outbound and received entries of the timeline on /status after a lookup', async () => {
    await open(page, `${stack.url}/status?lang=es`);
    expect(await htmlLang(page)).toBe('es');
    await fillLookup(page, person);
    await submitForm(page, { field: 'firstName' });

    // The lookup answers in the same response: nothing personal travels in the URL.
    expect(new URL(page.url()).pathname).toBe('/status');
    expectNothingPersonalIn(page.url());
    const timeline = page.locator('ol.timeline');
    await expect(timeline.count()).resolves.toBe(1);
    await expect(timeline.locator('li[data-status="outbound"]').count()).resolves.toBe(1);
    await expect(timeline.locator('li[data-status="received"]').count()).resolves.toBe(1);
    // Localized: the Spanish page does not show the English status word.
    expect(await timeline.locator('li[data-status="received"]').innerText()).not.toMatch(/\breceived\b/i);
  }, 60_000);

  it('unsubscribes from /manage, gets the confirmation once, and a later scan sends nothing', async () => {
    await open(page, `${stack.url}/manage?token=${encodeURIComponent(manageToken)}&lang=es`);
    await submitForm(page, { action: '/manage/unsubscribe' });
    await expect(page.locator('[data-outcome="unsubscribed"]').count()).resolves.toBe(1);
    await expect(page.locator('[role="status"]').count()).resolves.toBeGreaterThan(0);
    expect(await htmlLang(page)).toBe('es');

    // Both verified contacts are told once, in Spanish, that the updates were turned off.
    const confirmation = await untilBothChannels('unsubscribed_confirmation');
    expect([confirmation.sms.length, confirmation.email.length]).toEqual([1, 1]);
    expect(confirmation.email[0]!.body).not.toContain('token=');

    const before = (await stack.outbox()).length;
    await stack.scan(ELECTION, BALLOT, 'accepted');
    // The workflow records the accepted notice as skipped on both channels (unsubscribed) in the
    // decision that would otherwise have sent it: once recorded, nothing went out and nothing will.
    const skipped = await eventually(async () => {
      const view = await stack.temporal.workflow.getHandle(workflowIdFor(ELECTION, BALLOT)).query(statusQuery);
      const accepted = view.notices.filter((notice) => notice.status === 'accepted');
      return accepted.length === 2 && accepted.every((notice) => notice.state === 'skipped') ? accepted : undefined;
    });
    expect(skipped.map((notice) => [notice.channel, notice.reason]).sort()).toEqual([
      ['email', 'unsubscribed'],
      ['sms', 'unsubscribed'],
    ]);

    // No notice (and no second confirmation) after unsubscribing.
    expect((await stack.outbox()).slice(before)).toEqual([]);
    const ballot = await stack.ballot(ELECTION, BALLOT);
    const acceptedNotices = ballot.body.notices.filter((notice) => notice.status === 'accepted');
    expect(acceptedNotices.map((notice) => [notice.channel, notice.state, notice.reason]).sort()).toEqual([
      ['email', 'skipped', 'unsubscribed'],
      ['sms', 'skipped', 'unsubscribed'],
    ]);
  }, 60_000);
});
