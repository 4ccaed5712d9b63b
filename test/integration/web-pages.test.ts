import { Connection } from '@temporalio/client';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startServer, type RunningServer } from '../../api/server.js';
import type { VoterService } from '../../voters/contract.js';
import { createRateLimiter } from '../../voters/rate-limit.js';
import { createVoterService } from '../../voters/service.js';
import { createWebRouter } from '../../web/router.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  TEST_MANAGE_SECRET,
  TEST_PUBLIC_BASE_URL,
  seedCounty,
  startTestDelivery,
  type TestDelivery,
} from '../helpers/delivery.js';
import { eventually } from '../helpers/eventually.js';
import { FIXTURE_PEOPLE, type FixturePerson } from '../helpers/history-pii-fixtures.js';

/**
 * The voter pages over real HTTP, on a real voter service and database: what a browser without
 * JavaScript sees and sends (cookies, the hidden CSRF field, urlencoded forms, redirects).
 */

const SIGNER = FIXTURE_PEOPLE[1]!;
const TWIN = FIXTURE_PEOPLE[2]!;
const LOOKER = FIXTURE_PEOPLE[0]!;

let db: TestDatabase;
let delivery: TestDelivery;
let connection: Connection;
let site: Pages;
let base: string;
/** Every log line the service and the pages wrote (checked for personal data). */
const logLines: string[] = [];

interface Pages {
  base: string;
  stop(): Promise<void>;
}

/** The pages on a real voter service, listening on a free port. */
async function startPages(
  rateLimits = { perAddress: 10_000, perIdentity: 10_000, codesPerDestination: 10_000 },
): Promise<Pages> {
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const voters: VoterService = createVoterService({
    sql: db.sql,
    senders: delivery.senders,
    links: delivery.links,
    publicBaseUrl: TEST_PUBLIC_BASE_URL,
    manageTokenSecret: TEST_MANAGE_SECRET,
    rateLimits,
    // Each page server counts on its own (the shared PostgreSQL store is tested with the API).
    rateLimiter: createRateLimiter(),
    logger,
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(createWebRouter({ voters, csrfSecret: 'web-pages-test-csrf-secret', secureCookies: false, logger }));
  const server: RunningServer = await startServer(app, '127.0.0.1', 0);
  return { base: server.url, stop: () => server.stop() };
}

/** A browser's cookie jar and form handling, just enough for these pages. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(
    private readonly headers: Record<string, string> = {},
    private readonly site = base,
  ) {}

  async get(path: string): Promise<Response> {
    return this.send(path, { method: 'GET' });
  }

  /** GETs the page with the form, then posts the form's hidden fields plus `fields`. */
  async submit(pagePath: string, action: string, fields: Record<string, string>): Promise<Response> {
    const page = squash(await (await this.get(pagePath)).text());
    return this.post(action, { ...hiddenFields(page, action), ...fields });
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const res = await fetch(`${this.site}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...this.headers, ...(init.headers as Record<string, string>), cookie: this.cookieHeader() },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}

/** The hidden inputs of the form posting to `action` (the CSRF token, lang, subscription, token). */
function hiddenFields(page: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action.replace(/[/]/g, '\\/')}"[\\s\\S]*?</form>`).exec(
    page,
  )?.[0];
  if (!form) throw new Error(`no form posting to ${action}`);
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m): [string, string] => [
      m[1] ?? '',
      decode(m[2] ?? ''),
    ]),
  );
}

/** The page with layout whitespace folded, so assertions do not depend on how the templates are formatted. */
function squash(page: string): string {
  return page
    .replace(/\s+/g, ' ')
    .replace(/\s*\/?>/g, '>')
    .replace(/>\s+</g, '><')
    .replace(/<\s+/g, '<');
}

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function identity(person: FixturePerson): Record<string, string> {
  return { firstName: person.firstName, lastName: person.lastName, dateOfBirth: person.dateOfBirth, zip: person.zip };
}

/** The error summary's link targets, in order. */
function summaryTargets(page: string): string[] {
  const summary = /<div class="error-summary" role="alert"[\s\S]*?<\/div>/.exec(page)?.[0] ?? '';
  return [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1] as string);
}

function latestCode(texts: readonly (string | undefined)[]): string {
  const code = /\b(\d{6})\b/.exec(texts.filter(Boolean).at(-1) ?? '')?.[1];
  if (!code) throw new Error('no code in the message');
  return code;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCounty(db.sql);
  const voter = (id: string, person: FixturePerson) =>
    db.sql`INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip)
           VALUES (${id}, 'sacramento', ${person.firstName}, ${person.lastName}, ${person.dateOfBirth}, ${person.zip})`;
  await voter('WEB-SIGNER', SIGNER);
  await voter('WEB-TWIN-1', TWIN);
  await voter('WEB-TWIN-2', TWIN);
  await voter('WEB-LOOKER', LOOKER);
  await db.sql`INSERT INTO elections (election_id, name, election_day, timezone)
               VALUES ('web-2026-general', 'General Election <2026>', '2026-11-03', 'America/Los_Angeles')`;
  await db.sql`INSERT INTO ballots (election_id, ballot_id, voter_id, county, issued_at)
               VALUES ('web-2026-general', 'WEB-B-1', 'WEB-LOOKER', 'sacramento', '2026-10-05T16:00:00Z')`;

  delivery = await startTestDelivery();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  site = await startPages();
  base = site.base;
});

afterAll(async () => {
  await site?.stop();
  await connection?.close();
  await delivery?.close();
  await db?.drop();
});

describe('voter pages', () => {
  it('serves the sign-up page in English by default and in Khmer when asked, with strict headers', async () => {
    const browser = new Browser();
    const english = await browser.get('/');
    const englishPage = squash(await english.text());
    expect(english.status).toBe(200);
    expect(englishPage).toContain('<html lang="en"');
    expect(englishPage).toContain('<h1>Get updates about your mail ballot</h1>');
    const csp = english.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(english.headers.get('referrer-policy')).toBe('no-referrer');
    expect(english.headers.get('cache-control')).toBe('no-store');
    const cookie = english.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/bt_csrf=[^;]+;.*HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const khmer = squash(await (await browser.get('/?lang=km')).text());
    expect(khmer).toContain('<html lang="km"');
    expect(khmer).toContain('<h1>ទទួលព័ត៌មានថ្មីៗអំពីសន្លឹកឆ្នោតតាមប្រៃសណីយ៍របស់អ្នក</h1>');
    expect(khmer).toContain('<option value="km" lang="km" selected>');

    const byHeader = squash(
      await (await new Browser({ 'accept-language': 'zh-TW,zh;q=0.9,en;q=0.5' }).get('/status')).text(),
    );
    expect(byHeader).toContain('<html lang="zh-Hant"');
  });

  it('serves the stylesheet with long caching', async () => {
    const res = await fetch(`${base}/assets/site.css`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/css/);
    expect(res.headers.get('cache-control')).toContain('max-age=31536000');
    expect(squash(await res.text())).toContain(':focus-visible');
  });

  it('refuses a form posted without the CSRF token with a 403 page in the form language', async () => {
    const browser = new Browser();
    await browser.get('/');
    const res = await browser.post('/', { ...identity(SIGNER), sms: SIGNER.phone, consent: 'yes', lang: 'km' });
    const page = squash(await res.text());
    expect(res.status).toBe(403);
    expect(page).toContain('<html lang="km"');
    expect(page).toContain('ទម្រង់នេះផុតកំណត់ហើយ');
    const forged = await browser.post('/status', { ...identity(LOOKER), _csrf: 'forged.token' });
    expect(forged.status).toBe(403);
  });

  it('lists bad fields in an error summary that links to each field, and sends nothing', async () => {
    const sent = delivery.sandbox.twilio.messages.length + delivery.sandbox.sendgrid.messages.length;
    const res = await new Browser().submit('/', '/', {
      firstName: SIGNER.firstName,
      lastName: '',
      dateOfBirth: '1980-02-31',
      zip: '9581',
      consent: 'yes',
    });
    const page = squash(await res.text());
    expect(res.status).toBe(422);
    expect(page).toMatch(/<title>Error: /);
    expect(summaryTargets(page)).toEqual(['lastName', 'dateOfBirth', 'zip', 'email']);
    for (const id of ['lastName', 'dateOfBirth', 'zip', 'email']) {
      expect(page).toMatch(
        new RegExp(`<input[^>]*id="${id}"[^>]*aria-describedby="[^"]*${id}-error"[^>]*aria-invalid="true"`),
      );
    }
    expect(page).toContain('value="Xiomara"');
    expect(delivery.sandbox.twilio.messages.length + delivery.sandbox.sendgrid.messages.length).toBe(sent);
  });

  it('asks for consent before anything is sent', async () => {
    const sent = delivery.sandbox.twilio.messages.length;
    const res = await new Browser().submit('/?lang=es', '/', { ...identity(SIGNER), sms: SIGNER.phone });
    const page = squash(await res.text());
    expect(res.status).toBe(422);
    expect(summaryTargets(page)).toEqual(['consent']);
    expect(page).toContain('Marque la casilla para aceptar recibir mensajes.');
    expect(delivery.sandbox.twilio.messages.length).toBe(sent);
  });

  it('answers no match without saying which field failed, with advice', async () => {
    const res = await new Browser().submit('/', '/', {
      ...identity(SIGNER),
      firstName: 'Xio',
      email: SIGNER.email,
      consent: 'yes',
    });
    const page = squash(await res.text());
    expect(res.status).toBe(422);
    expect(page).toContain('We could not find a voter registration with these details.');
    expect(page).toContain('not a nickname');
    expect(page).toContain('contact your county elections office');
    expect(page).not.toContain('aria-invalid="true"');
    expect(summaryTargets(page)).toEqual([]);
  });

  it('asks for the voter ID when several voters match', async () => {
    const res = await new Browser().submit('/', '/', { ...identity(TWIN), email: TWIN.email, consent: 'yes' });
    const page = squash(await res.text());
    expect(res.status).toBe(422);
    expect(summaryTargets(page)).toEqual(['voterId']);
    expect(page).toMatch(/<input[^>]*id="voterId"[^>]*aria-invalid="true"/);
    expect(page).toContain('Enter your voter ID.');
  });

  it('signs up, verifies both codes, then manages and unsubscribes through the emailed token', async () => {
    const browser = new Browser();
    const signUp = await browser.submit('/?lang=es', '/', {
      ...identity(SIGNER),
      email: SIGNER.email,
      sms: SIGNER.phone,
      language: 'es',
      quietStart: '09:00',
      quietEnd: '20:00',
      consent: 'yes',
    });
    expect(signUp.status).toBe(303);
    const verifyPath = signUp.headers.get('location') ?? '';
    expect(verifyPath).toMatch(/^\/verify\?subscription=[0-9a-f-]{36}&lang=es$/);
    expect(verifyPath).not.toContain(SIGNER.lastName);

    const verifyPage = squash(await (await browser.get(verifyPath)).text());
    expect(verifyPage).toContain('<html lang="es"');
    expect(verifyPage).toContain('name="code_email"');
    expect(verifyPage).toContain('name="code_sms"');
    const smsCode = await eventually(() =>
      latestCode(delivery.sandbox.twilio.messages.filter((m) => m.to === SIGNER.phone).map((m) => m.body)),
    );
    const emailCode = await eventually(() =>
      latestCode(delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(SIGNER.email)).map((m) => m.text)),
    );

    const wrong = await browser.submit(verifyPath, '/verify', { code_sms: smsCode === '000000' ? '111111' : '000000' });
    const wrongPage = squash(await wrong.text());
    expect(wrong.status).toBe(422);
    expect(summaryTargets(wrongPage)).toEqual(['code_sms']);
    expect(wrongPage).toContain('Le quedan 4 intentos.');

    const verified = await browser.submit(verifyPath, '/verify', { code_sms: smsCode, code_email: emailCode });
    expect(verified.status).toBe(303);
    const managePath = verified.headers.get('location') ?? '';
    expect(managePath).toMatch(/^\/manage\?token=[^&]+&lang=es&verified=1$/);

    const manage = squash(await (await browser.get(managePath)).text());
    expect(manage).toMatch(/<div class="notice" role="status" data-outcome="verified">/);
    expect(manage).toContain('<option value="es" lang="es" selected>');
    expect(manage).toContain('value="09:00"');
    expect(manage).not.toContain(SIGNER.email);

    const saved = await browser.submit(managePath, '/manage', { quietStart: '10:00', quietEnd: '19:30' });
    const savedPage = squash(await saved.text());
    expect(saved.status).toBe(200);
    expect(savedPage).toContain('data-outcome="saved"');
    expect(savedPage).toContain('value="10:00"');

    const unsubscribed = await browser.submit(managePath, '/manage/unsubscribe', {});
    const done = squash(await unsubscribed.text());
    expect(unsubscribed.status).toBe(200);
    expect(done).toMatch(/role="status" data-outcome="unsubscribed"/);
    expect(done).toContain('Su suscripción está cancelada');
    const [row] = await db.sql<{ status: string }[]>`
      SELECT s.status FROM subscriptions s WHERE s.voter_id = 'WEB-SIGNER'`;
    expect(row?.status).toBe('unsubscribed');
  });

  it('shows the ballot timeline after a status lookup, in the same response and without personal data in the URL', async () => {
    const res = await new Browser().submit('/status?lang=en', '/status', identity(LOOKER));
    const page = squash(await res.text());
    expect(res.status).toBe(200);
    expect(page).toContain('<h2>General Election &lt;2026&gt;</h2>');
    expect(page).toContain('<ol class="timeline">');
    expect(page).toMatch(
      /<li data-status="issued"><span class="status">Ballot issued<\/span><time datetime="2026-10-05T16:00:00.000Z">October 5, 2026 at 9:00/,
    );
    expect(page).not.toContain(LOOKER.dateOfBirth);
  });

  it('turns a status lookup with bad fields into linked errors', async () => {
    const res = await new Browser().submit('/status', '/status', { ...identity(LOOKER), zip: 'abcde' });
    expect(res.status).toBe(422);
    expect(summaryTargets(squash(await res.text()))).toEqual(['zip']);
  });

  it('tells the voter to use their latest message when the manage link is bad', async () => {
    const browser = new Browser();
    const tampered = await browser.get('/manage?token=not-a-real-token&lang=ko');
    const page = squash(await tampered.text());
    expect(tampered.status).toBe(401);
    expect(page).toContain('<html lang="ko"');
    expect(page).toContain('이 링크는 작동하지 않습니다');
    const missing = await browser.get('/manage');
    expect(missing.status).toBe(401);
  });

  it('answers 404 for a verification page of an unknown sign-up', async () => {
    const res = await new Browser().get('/verify?subscription=00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(squash(await res.text())).toContain('We could not find this sign-up');
  });
  it('signs up one of two matching voters once the voter ID is given, and sends a new code on request', async () => {
    const browser = new Browser();
    const signUp = await browser.submit('/', '/', {
      ...identity(TWIN),
      voterId: 'WEB-TWIN-2',
      email: TWIN.email,
      consent: 'yes',
    });
    expect(signUp.status).toBe(303);
    const verifyPath = signUp.headers.get('location') ?? '';
    const first = await eventually(() =>
      latestCode(delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(TWIN.email)).map((m) => m.text)),
    );
    const before = delivery.sandbox.sendgrid.messages.length;

    const resent = await browser.submit(verifyPath, '/verify/resend', {});
    const page = squash(await resent.text());
    expect(resent.status).toBe(200);
    expect(page).toContain('We sent a new code. Enter it below.');
    expect(page).toContain('name="code_email"');
    await eventually(() => (delivery.sandbox.sendgrid.messages.length > before ? true : undefined));
    const second = latestCode(
      delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(TWIN.email)).map((m) => m.text),
    );

    if (second !== first) {
      const stale = await browser.submit(verifyPath, '/verify', { code_email: first });
      expect(stale.status).toBe(422);
    }
    const verified = await browser.submit(verifyPath, '/verify', { code_email: second });
    expect(verified.status).toBe(303);
    expect(verified.headers.get('location')).toMatch(/^\/manage\?token=[^&]+&lang=en&verified=1$/);
  });

  it('answers a 429 page with Retry-After once the client address has used up its lookups', async () => {
    const strict = await startPages({ perAddress: 2, perIdentity: 10_000, codesPerDestination: 10_000 });
    try {
      const browser = new Browser({}, strict.base);
      const first = await browser.submit('/status?lang=vi', '/status', identity(LOOKER));
      const second = await browser.submit('/status?lang=vi', '/status', identity(LOOKER));
      expect([first.status, second.status]).toEqual([200, 200]);
      const limited = await browser.submit('/status?lang=vi', '/status', identity(LOOKER));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(squash(await limited.text())).toContain('Quá nhiều lần thử');
    } finally {
      await strict.stop();
    }
  });

  it('logs the outcome of each form but never a name, birth date, phone number or email address', () => {
    const log = logLines.join('\n');
    expect(log).toContain('"outcome":"no_match"');
    expect(log).toContain('"outcome":"csrf_rejected"');
    for (const person of [SIGNER, TWIN, LOOKER]) {
      for (const value of [person.firstName, person.lastName, person.dateOfBirth, person.phone, person.email]) {
        expect(log).not.toContain(value);
      }
    }
  });
});
