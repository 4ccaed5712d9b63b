/**
 * A verification code goes to an address nobody has confirmed yet, and anyone who knows a voter's
 * public-record name, birth date and ZIP can sign up with their own mailbox: so a code email must
 * not carry a manage or unsubscribe token. Its footer links to the sign-up page and it has no
 * List-Unsubscribe header (a code is transactional mail). Alerts to verified owners keep the links.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedCounty, startTestDelivery, TEST_PUBLIC_BASE_URL, type TestDelivery } from '../helpers/delivery.js';
import { FIXTURE_PEOPLE, type FixturePerson } from '../helpers/history-pii-fixtures.js';
import { startApiHarness, type ApiHarness } from './api-harness.js';

const COUNTY = 'sacramento';
const [THADDEUS, XIOMARA, EVANGELINA] = FIXTURE_PEOPLE as [FixturePerson, FixturePerson, FixturePerson];

describe('voter API: verification code emails carry no manage or unsubscribe token', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;
  let addresses = 0;
  let voters = 0;

  const call = (method: string, path: string, body?: unknown) => {
    addresses += 1;
    return h.call(method, path, {
      key: null,
      ...(body !== undefined ? { body } : {}),
      headers: { 'x-forwarded-for': `10.9.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}` },
    });
  };

  async function rollVoter(person: FixturePerson) {
    voters += 1;
    const voterId = `v-code-links-${voters}`;
    await h.db.sql`
      INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, status)
      VALUES (${voterId}, ${COUNTY}, ${person.firstName}, ${person.lastName}, ${person.dateOfBirth}, ${person.zip}, 'active')`;
    return { firstName: person.firstName, lastName: person.lastName, dateOfBirth: person.dateOfBirth, zip: person.zip };
  }

  const emailsTo = (to: string) => delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(to));
  const smsTo = (to: string) => delivery.sandbox.twilio.messages.filter((m) => m.channel === 'sms' && m.to === to);
  const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')![1]!;
  const headerNames = (headers: Record<string, string>) => Object.keys(headers).map((name) => name.toLowerCase());

  /** Everything of an email a mail client shows or acts on. */
  const wholeEmail = (m: { text?: string; html?: string; headers: Record<string, string> }) =>
    [m.text ?? '', m.html ?? '', JSON.stringify(m.headers)].join('\n');

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery } });
    await seedCounty(h.db.sql, COUNTY);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  it('a sign-up code email links to the sign-up page in the voter language, with no token and no List-Unsubscribe', async () => {
    const identity = await rollVoter(THADDEUS);
    const response = await call('POST', '/v1/subscriptions', {
      ...identity,
      contacts: { email: THADDEUS.email },
      language: 'es',
    });
    expect(response.status).toBe(202);

    const [code] = emailsTo(THADDEUS.email);
    expect(code?.customArgs.bt_purpose).toBe('verification');
    expect(codeIn(code?.text)).toMatch(/^\d{6}$/);
    expect(wholeEmail(code!)).not.toContain('token=');
    expect(wholeEmail(code!)).not.toContain('/manage');
    expect(wholeEmail(code!)).not.toContain('/unsubscribe');
    expect(code?.text).toContain(`${TEST_PUBLIC_BASE_URL}/?lang=es`);
    expect(headerNames(code!.headers)).not.toContain('list-unsubscribe');
    expect(headerNames(code!.headers)).not.toContain('list-unsubscribe-post');

    // A new code (resend) is no different.
    const subscriptionId = response.body.subscriptionId;
    expect((await call('POST', `/v1/subscriptions/${subscriptionId}/verify/resend`, { channel: 'email' })).status).toBe(
      202,
    );
    const resent = emailsTo(THADDEUS.email).at(-1)!;
    expect(resent).not.toBe(code);
    expect(wholeEmail(resent)).not.toContain('token=');
    expect(headerNames(resent.headers)).not.toContain('list-unsubscribe');
  });

  it("a stranger's sign-up for a verified voter gets a code without a token; the owner's alert keeps the links", async () => {
    const identity = await rollVoter(XIOMARA);
    const signUp = async (contacts: Record<string, string>) => {
      const response = await call('POST', '/v1/subscriptions', { ...identity, contacts, language: 'en' });
      expect(response.status).toBe(202);
      return response.body.subscriptionId;
    };
    const verify = (subscriptionId: string, channel: 'email' | 'sms', text: string | undefined) =>
      call('POST', `/v1/subscriptions/${subscriptionId}/verify`, { channel, code: codeIn(text) });

    const subscriptionId = await signUp({ email: XIOMARA.email });
    expect((await verify(subscriptionId, 'email', emailsTo(XIOMARA.email).at(-1)?.text)).status).toBe(200);

    // Anyone who knows the voter's public-record details can sign up: naming another mailbox for the
    // voter's confirmed email gets no code at all (issue 13: a sign-up never replaces a confirmed address).
    expect(await signUp({ email: EVANGELINA.email })).toBe(subscriptionId);
    expect(emailsTo(EVANGELINA.email)).toHaveLength(0);

    // The verified owner's alert (a number added and confirmed) keeps the manage link and one-click unsubscribe.
    expect(await signUp({ sms: EVANGELINA.phone })).toBe(subscriptionId);
    expect((await verify(subscriptionId, 'sms', smsTo(EVANGELINA.phone).at(-1)?.body)).status).toBe(200);
    const alert = emailsTo(XIOMARA.email).find((m) => m.customArgs.bt_purpose === 'contact_alert');
    expect(alert).toBeDefined();
    expect(alert!.text).toContain(`${TEST_PUBLIC_BASE_URL}/manage?token=`);
    expect(alert!.headers['List-Unsubscribe']).toMatch(/^<http:\/\/127\.0\.0\.1:3999\/v1\/unsubscribe\?token=/);
  });
});
