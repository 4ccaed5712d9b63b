import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../delivery/templates/index.js';
import { escapeHtml, html } from '../../web/html.js';
import { formErrors } from '../../web/forms.js';
import { signUpPage as renderSignUp } from '../../web/views/signup.js';
import { statusPage as renderStatus } from '../../web/views/status.js';
import { managePage as renderManage } from '../../web/views/manage.js';
import { messagePage as renderMessage } from '../../web/views/message.js';

/** The page with layout whitespace folded, so assertions do not depend on how the templates are formatted. */
function squash(page: string): string {
  return page
    .replace(/\s+/g, ' ')
    .replace(/\s*\/?>/g, '>')
    .replace(/>\s+</g, '><')
    .replace(/<\s+/g, '<');
}
const signUpPage = (view: Parameters<typeof renderSignUp>[0]) => squash(renderSignUp(view));
const statusPage = (view: Parameters<typeof renderStatus>[0]) => squash(renderStatus(view));
const managePage = (view: Parameters<typeof renderManage>[0]) => squash(renderManage(view));
const messagePage = (view: Parameters<typeof renderMessage>[0]) => squash(renderMessage(view));

const evil = '<script>alert("x")</script>&\'';

function ids(page: string): Set<string> {
  return new Set([...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] as string));
}

describe('html templates', () => {
  it('escapes every interpolated value unless it is already markup', () => {
    const inner = html`<b>${evil}</b>`;
    expect(html`<p>${evil}</p>`.value).toBe(`<p>${escapeHtml(evil)}</p>`);
    expect(html`<p>${inner}</p>`.value).toBe(
      `<p><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b></p>`,
    );
    expect(html`${[evil, inner]}${false}${undefined}`.value).not.toContain('<script>');
  });

  it('never lets voter input or database text out of its attribute or element', () => {
    const signUp = signUpPage({
      lang: 'en',
      csrfToken: 'tok"en',
      values: { firstName: evil, email: '"><img src=x onerror=alert(1)>' },
      consentVersion: 'v1',
    });
    expect(signUp).not.toContain('<script>');
    expect(signUp).not.toContain('<img');
    expect(signUp).toContain('value="tok&quot;en"');
    const status = statusPage({
      lang: 'en',
      csrfToken: 't',
      values: {},
      ballots: [
        {
          electionId: 'e',
          electionName: evil,
          ballotId: 'b"1',
          status: 'received',
          timezone: 'America/Los_Angeles',
          events: [],
        },
      ],
    });
    expect(status).not.toContain('<script>');
    expect(status).toContain('data-ballot="b&quot;1"');
  });
});

describe('page structure', () => {
  it("shows a ballot's times in the zone the service gives (the voter's county)", () => {
    const at = (timezone: string) =>
      statusPage({
        lang: 'en',
        csrfToken: 't',
        values: {},
        ballots: [
          {
            electionId: 'e',
            electionName: 'General',
            ballotId: 'b1',
            status: 'outbound',
            timezone,
            events: [{ status: 'outbound', at: '2026-10-05T16:00:00Z' }],
          },
        ],
      });
    expect(at('America/Los_Angeles')).toContain('October 5, 2026');
    expect(at('Asia/Tokyo')).toContain('October 6, 2026');
  });

  it.each(LANGUAGES)(
    '%s: html lang attribute, one h1, landmarks, skip link and switcher links in their own language',
    (lang) => {
      const page = signUpPage({ lang, csrfToken: 't', values: {}, consentVersion: 'v1' });
      expect(page).toContain(`<html lang="${lang}"`);
      expect(page.match(/<h1[\s>]/g)).toHaveLength(1);
      for (const landmark of ['<header', '<main id="main"', '<footer']) expect(page).toContain(landmark);
      expect(page).toMatch(/<a class="skip-link" href="#main">/);
      for (const other of LANGUAGES)
        expect(page).toContain(`href="/?lang=${encodeURIComponent(other)}" lang="${other}"`);
      expect(page).toMatch(/<input type="hidden" name="lang" value="[^"]+">/);
      expect(page).toContain(`name="lang" value="${lang}"`);
    },
  );

  it('links every error summary item to an input with that id, marks it invalid and titles the page "Error"', () => {
    const errors = formErrors(
      'km',
      {
        firstName: { code: 'required', message: '' },
        dateOfBirth: { code: 'invalid_date', message: '' },
        contacts: { code: 'no_contact', message: '' },
        consent: { code: 'required', message: '' },
      },
      ['firstName', 'lastName', 'dateOfBirth', 'zip', 'voterId', 'email', 'sms', 'voice', 'consent'],
    );
    const page = signUpPage({ lang: 'km', csrfToken: 't', values: {}, errors, consentVersion: 'v1' });
    const anchors = [...page.matchAll(/<div class="error-summary" role="alert"[\s\S]*?<\/div>/g)][0]?.[0] ?? '';
    const targets = [...anchors.matchAll(/href="#([^"]+)"/g)].map((m) => m[1] as string);
    expect(targets).toEqual(['firstName', 'dateOfBirth', 'email', 'consent']);
    const present = ids(page);
    for (const target of targets) {
      expect(present.has(target)).toBe(true);
      expect(page).toMatch(
        new RegExp(
          `<input[^>]*id="${target}"[^>]*aria-describedby="[^"]*${target}-error[^"]*"[^>]*aria-invalid="true"`,
        ),
      );
      expect(present.has(`${target}-error`)).toBe(true);
    }
    expect(page).toMatch(/<title>កំហុស៖ /);
  });

  it('gives every input a label and every described-by id a target', () => {
    const page = managePage({
      lang: 'vi',
      csrfToken: 't',
      token: 'abc',
      preferences: {
        subscriptionId: 's',
        status: 'active',
        language: 'vi',
        quietHours: { start: '08:00', end: '21:00' },
        timezone: 'America/Los_Angeles',
        contacts: [
          { channel: 'sms', address: '•••-•••-4567', verified: true, pendingVerification: false, optedOut: false },
        ],
      },
    });
    const present = ids(page);
    for (const m of page.matchAll(/<(?:input|select)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"/g)) {
      expect(page, m[1]).toContain(`<label for="${m[1]}"`);
    }
    for (const m of page.matchAll(/aria-describedby="([^"]+)"/g)) {
      for (const id of (m[1] as string).split(' ')) expect(present.has(id), id).toBe(true);
    }
    expect(page).toContain('•••-•••-4567');
    expect(page).toMatch(/<button type="submit" class="warning" name="unsubscribe"[^>]*>Hủy đăng ký<\/button>/);
  });

  it("offers the languages of the voter's county and names the voter's county, not the deployment's", () => {
    const page = managePage({
      lang: 'es',
      csrfToken: 't',
      token: 'abc',
      county: { name: 'Elections Office', phone: '(555) 010-0100', url: 'https://elections.example' },
      preferences: {
        subscriptionId: 's',
        status: 'active',
        language: 'ko',
        quietHours: { start: '08:00', end: '21:00' },
        timezone: 'America/Los_Angeles',
        contacts: [],
        languages: ['en', 'es'],
        county: { name: 'Yolo County Elections', phone: '(530) 666-8133', url: 'https://yolo.example' },
      },
    });
    const options = [...page.matchAll(/<option value="([^"]+)" lang=/g)].map((m) => m[1]);
    // Korean stays: it is the voter's own, even if the county no longer offers it.
    expect(options).toEqual(['en', 'es', 'ko']);
    expect(page).toContain('Yolo County Elections');
    expect(page).not.toContain('Elections Office');
  });

  it('renders the unsubscribe confirmation as a status with the outcome marked', () => {
    const page = messagePage({
      lang: 'en',
      titleKey: 'unsubscribed.title',
      textKeys: ['unsubscribed.text'],
      outcome: 'unsubscribed',
    });
    expect(page).toMatch(/<div class="notice" role="status" data-outcome="unsubscribed">/);
  });

  it('shows each status event with its localized name and a machine-readable time', () => {
    const page = statusPage({
      lang: 'es',
      csrfToken: 't',
      values: {},
      ballots: [
        {
          electionId: 'e',
          electionName: 'General 2026',
          ballotId: 'b1',
          status: 'received',
          timezone: 'America/Los_Angeles',
          events: [
            { status: 'outbound', at: '2026-10-05T16:00:00Z' },
            { status: 'received', at: '2026-10-20T18:15:00Z' },
          ],
        },
      ],
    });
    expect(page).toContain('<ol class="timeline">');
    expect(page).toMatch(
      /<li data-status="outbound"><span class="status">Enviada a usted por correo<\/span><time datetime="2026-10-05T16:00:00Z">5 de octubre de 2026/,
    );
    expect(page).toContain('data-status="received"');
  });
});
