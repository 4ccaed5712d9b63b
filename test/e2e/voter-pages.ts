/**
 * How the browser tests use the voter pages (not a test file): inputs are found by `name`, as the
 * page contract in voters/contract.ts's brief promises, and every form is submitted with its own
 * button, the way a person would.
 */
import type { Page } from 'playwright-core';
import type { OutboxEntry } from '../../api/dev-outbox.js';
import { CATALOGS, type Language } from '../../delivery/templates/index.js';
import type { FixturePerson } from '../helpers/history-pii-fixtures.js';

/** Opens a page and waits for it to load; fails on any answer but 200. */
export async function open(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  if (response?.status() !== 200) throw new Error(`GET ${url} answered ${response?.status()}`);
}

/**
 * Clicks the submit button of the form that holds the named field (or the form whose action ends in
 * `action`) and waits for the page the server answers with, after any redirect.
 */
export async function submitForm(page: Page, form: { field: string } | { action: string }): Promise<void> {
  const selector = 'field' in form ? `form:has([name="${form.field}"])` : `form[action$="${form.action}"]`;
  const button = page.locator(`${selector} :is(button:not([type]), button[type="submit"], input[type="submit"])`);
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }),
    button.first().click(),
  ]);
  await page.waitForLoadState('load');
}

export async function htmlLang(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('lang');
}

export interface SignUpFields {
  person: FixturePerson;
  email?: string;
  sms?: string;
  quietStart?: string;
  quietEnd?: string;
  consent?: boolean;
}

/** Fills the sign-up form of the current page (`/`). */
export async function fillSignUp(page: Page, fields: SignUpFields): Promise<void> {
  const { person } = fields;
  await page.fill('[name="firstName"]', person.firstName);
  await page.fill('[name="lastName"]', person.lastName);
  await page.fill('[name="dateOfBirth"]', person.dateOfBirth);
  await page.fill('[name="zip"]', person.zip);
  if (fields.email !== undefined) await page.fill('[name="email"]', fields.email);
  if (fields.sms !== undefined) await page.fill('[name="sms"]', fields.sms);
  if (fields.quietStart !== undefined) await page.fill('[name="quietStart"]', fields.quietStart);
  if (fields.quietEnd !== undefined) await page.fill('[name="quietEnd"]', fields.quietEnd);
  if (fields.consent ?? true) await page.check('[name="consent"]');
}

/** Fills the four lookup fields of `/status`. */
export async function fillLookup(page: Page, person: FixturePerson): Promise<void> {
  await page.fill('[name="firstName"]', person.firstName);
  await page.fill('[name="lastName"]', person.lastName);
  await page.fill('[name="dateOfBirth"]', person.dateOfBirth);
  await page.fill('[name="zip"]', person.zip);
}

/** The newest verification code sent to an address, or undefined. */
export function latestCode(outbox: readonly OutboxEntry[], channel: 'sms' | 'email', to: string): string | undefined {
  const entry = outbox.filter((each) => each.channel === channel && each.to === to).at(-1);
  return entry ? /\b(\d{6})\b/.exec(entry.body)?.[1] : undefined;
}

function valueAt(catalog: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], catalog);
}

/** The literal words of a catalog text, without its `{{placeholders}}`. */
function literalParts(template: string): string[] {
  return template
    .split(/\{\{[^}]*\}\}/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Whether an outbox entry's text is the catalog's message `key` (e.g. 'status.received') in `language`:
 * an SMS carries every literal part of one of its alternatives; an email carries its subject's. (The
 * entry's `language` label is the sender's claim, checked apart.)
 */
export function isMessage(entry: OutboxEntry, language: Language, key: string): boolean {
  const texts =
    entry.channel === 'email'
      ? [valueAt(CATALOGS[language], `${key}.email.subject`)]
      : [valueAt(CATALOGS[language], `${key}.${entry.channel}`)].flat();
  const seen = entry.channel === 'email' ? (entry.subject ?? '') : entry.body;
  return texts.some((text) => typeof text === 'string' && literalParts(text).every((part) => seen.includes(part)));
}
