/**
 * Unsubscribe confirmation: whoever holds a manage token can unsubscribe, and a stranger who knows
 * a voter's public-record name, birth date and ZIP can get one by confirming a contact of their own.
 * So when a subscription is unsubscribed, every verified, working contact hears it once, in the
 * subscription language; the email carries no manage or unsubscribe token (the subscription is
 * over), and a call rings only inside the voter's window.
 */
import { describe, expect, it } from 'vitest';
import { TEST_PUBLIC_BASE_URL } from '../helpers/delivery.js';
import { useVoterApi } from './voter-api-setup.js';

const COUNTY_NAME = 'Sacramento County Elections';
const COUNTY_PHONE = '(916) 555-0100';
const COUNTY_URL = 'https://elections.sacramento.example';
const PURPOSE = 'unsubscribe_confirmation';

describe('voter API: every verified contact hears once that the subscription was unsubscribed', () => {
  const api = useVoterApi({
    subnet: 11,
    voterIdPrefix: 'v-unsub-confirm',
    firstName: 'Perpetua',
    lastName: 'Vandermolen',
    birthYear: 1971,
    dayTens: 2,
  });
  const { call, rollVoter, smsTo, callsTo, emailsTo, verify } = api;

  const phone = (n: number) => `+1916555${String(3000 + n).padStart(4, '0')}`;
  const email = (n: number) => `voter.${n}@unsub-confirm.example.org`;

  const confirmationEmails = (to: string) => emailsTo(to).filter((m) => m.customArgs.bt_purpose === PURPOSE);
  const confirmationTwilio = <T extends { statusCallback?: string }>(messages: T[]) =>
    messages.filter((m) => (m.statusCallback ?? '').includes(`purpose=${PURPOSE}`));
  const headerNames = (headers: Record<string, string>) => Object.keys(headers).map((name) => name.toLowerCase());
  const wholeEmail = (m: { text?: string; html?: string; headers: Record<string, string> }) =>
    [m.text ?? '', m.html ?? '', JSON.stringify(m.headers)].join('\n');

  async function signUp(identity: Record<string, string>, body: Record<string, unknown>): Promise<string> {
    const response = await call('POST', '/v1/subscriptions', { body: { language: 'en', ...identity, ...body } });
    expect(response.status).toBe(202);
    return response.body.subscriptionId;
  }

  it('DELETE tells each verified contact once, not an unconfirmed one; a second DELETE tells nobody', async () => {
    const identity = await rollVoter();
    const [mobile, mail, landline, newMail] = [phone(1), email(1), phone(2), email(2)];
    const subscriptionId = await signUp(identity, {
      contacts: { sms: mobile, email: mail, voice: landline },
      quietHours: { start: '00:00', end: '00:00' }, // all day: a call would ring now
    });
    const token = await verify(subscriptionId, 'sms', mobile);
    await verify(subscriptionId, 'email', mail);
    // The voice number is never confirmed, and a new email waits for its code (the old one stays verified).
    await signUp(identity, { contacts: { email: newMail } });
    const callsBefore = callsTo(landline).length;
    const newMailBefore = emailsTo(newMail).length;

    const response = await call('DELETE', `/v1/subscriptions/${subscriptionId}`, { token });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ subscriptionId, status: 'unsubscribed' });

    const sms = confirmationTwilio(smsTo(mobile));
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toBe(
      `${COUNTY_NAME}: Your ballot status updates were turned off. You will get no more messages about your ballot. If this was not you, call ${COUNTY_PHONE} or sign up again at ${COUNTY_URL}.`,
    );

    const emails = confirmationEmails(mail);
    expect(emails).toHaveLength(1);
    const confirmation = emails[0]!;
    expect(confirmation.subject).toBe(`${COUNTY_NAME}: Your ballot status updates were turned off`);
    expect(confirmation.text).toContain(`If this was not you, call ${COUNTY_PHONE}`);
    expect(confirmation.customArgs).toMatchObject({
      bt_purpose: PURPOSE,
      bt_subscription: subscriptionId,
      bt_lang: 'en',
    });
    // The subscription is over: no manage or unsubscribe token, the footer links to the sign-up page.
    expect(wholeEmail(confirmation)).not.toContain('token=');
    expect(wholeEmail(confirmation)).not.toContain('/manage');
    expect(wholeEmail(confirmation)).not.toContain('/unsubscribe');
    expect(confirmation.text).toContain(`${TEST_PUBLIC_BASE_URL}/?lang=en`);
    expect(headerNames(confirmation.headers)).not.toContain('list-unsubscribe');

    expect(callsTo(landline)).toHaveLength(callsBefore); // never confirmed: no call
    expect(emailsTo(newMail)).toHaveLength(newMailBefore); // waiting for its code: nothing

    // Already unsubscribed: the token was revoked with it (issue 13), and nobody hears anything more.
    const totals = [api.delivery.sandbox.twilio.messages.length, api.delivery.sandbox.sendgrid.messages.length];
    const again = await call('DELETE', `/v1/subscriptions/${subscriptionId}`, { token });
    expect(again.status).toBe(401);
    expect([api.delivery.sandbox.twilio.messages.length, api.delivery.sandbox.sendgrid.messages.length]).toEqual(
      totals,
    );
  });

  it('one-click POST /v1/unsubscribe sends it too, in the subscription language', async () => {
    const identity = await rollVoter();
    const mobile = phone(3);
    const unconfirmed = email(3);
    const subscriptionId = await signUp(identity, { contacts: { sms: mobile, email: unconfirmed }, language: 'es' });
    const token = await verify(subscriptionId, 'sms', mobile);
    expect(emailsTo(unconfirmed)).toHaveLength(1); // its code, never entered

    const response = await call('POST', `/v1/unsubscribe?token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(200);
    const sms = confirmationTwilio(smsTo(mobile));
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toMatch(
      /^Sacramento County Elections: Se desactivaron los avisos sobre el estado de su boleta\./,
    );
    expect(sms[0]!.body).toContain(COUNTY_PHONE);
    expect(sms[0]!.statusCallback).toContain('lang=es');
    expect(emailsTo(unconfirmed)).toHaveLength(1); // never confirmed: nothing more

    expect((await call('POST', `/v1/unsubscribe?token=${encodeURIComponent(token)}`)).status).toBe(401);
    expect(confirmationTwilio(smsTo(mobile))).toHaveLength(1);
  });

  it('a verified phone gets the call inside the voter window and not outside it', async () => {
    const [inside, outside] = [phone(4), phone(5)];
    const allDay = await signUp(await rollVoter(), {
      contacts: { voice: inside },
      quietHours: { start: '00:00', end: '00:00' }, // start equal to end: the all-day window
    });
    const allDayToken = await verify(allDay, 'voice', inside);
    expect((await call('DELETE', `/v1/subscriptions/${allDay}`, { token: allDayToken })).status).toBe(200);
    const calls = confirmationTwilio(callsTo(inside));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.twiml).toContain('were turned off');

    // A window that starts in two hours and ends in three (UTC): not now.
    const hour = new Date().getUTCHours();
    const at = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const later = await signUp(await rollVoter(), {
      contacts: { voice: outside },
      quietHours: { start: at(hour + 2), end: at(hour + 3) },
      timezone: 'UTC',
    });
    const laterToken = await verify(later, 'voice', outside);
    const before = callsTo(outside).length;
    expect((await call('DELETE', `/v1/subscriptions/${later}`, { token: laterToken })).status).toBe(200);
    expect(callsTo(outside)).toHaveLength(before);
  });

  it('a failing provider does not fail the unsubscribe', async () => {
    const identity = await rollVoter();
    const mail = email(6);
    const subscriptionId = await signUp(identity, { contacts: { email: mail } });
    const token = await verify(subscriptionId, 'email', mail);
    api.delivery.sandbox.sendgrid.configure({ serverErrorRate: 1 });
    try {
      const response = await call('DELETE', `/v1/subscriptions/${subscriptionId}`, { token });
      expect(response.status).toBe(200);
    } finally {
      api.delivery.sandbox.sendgrid.configure({ serverErrorRate: 0 });
    }
    expect(confirmationEmails(mail)).toHaveLength(0);
    const [row] = await api.h.db.sql`SELECT status FROM subscriptions WHERE subscription_id = ${subscriptionId}`;
    expect(row!.status).toBe('unsubscribed');
  });
});
