/**
 * Contact alerts: sign-up looks a voter up by public-record facts (name, birth date, ZIP), so anyone
 * can add a contact they own. When one is confirmed, the voter's contacts verified before it hear
 * about it; an address a manage-page change replaces or removes hears that too.
 */
import { describe, expect, it } from 'vitest';
import { useVoterApi } from './voter-api-setup.js';

const COUNTY_NAME = 'Sacramento County Elections';
const COUNTY_PHONE = '(916) 555-0100';

describe('voter API: alerts to verified contacts when a contact is added, replaced or removed', () => {
  const api = useVoterApi({
    subnet: 7,
    voterIdPrefix: 'v-alerts',
    firstName: 'Rosalind',
    lastName: 'Achterberg',
    birthYear: 1960,
    dayTens: 1,
  });
  const { call, rollVoter, smsTo, emailsTo, verify } = api;

  const phone = (n: number) => `+1916555${String(2000 + n).padStart(4, '0')}`;
  const email = (n: number) => `voter.${n}@alerts.example.org`;

  const alertsIn = <T extends { customArgs?: Record<string, string> }>(messages: T[]) =>
    messages.filter((m) => m.customArgs?.bt_purpose === 'contact_alert');
  const smsAlertsTo = (to: string) =>
    smsTo(to).filter(
      (m) => (m.statusCallback ?? '').includes('purpose=contact_alert') || /added|removed/.test(m.body ?? ''),
    );

  async function signUp(
    identity: Record<string, string>,
    contacts: Record<string, string>,
    language = 'en',
  ): Promise<string> {
    const response = await call('POST', '/v1/subscriptions', { body: { ...identity, contacts, language } });
    expect(response.status).toBe(202);
    return response.body.subscriptionId;
  }

  it('a number someone else adds and confirms is reported to the verified email, masked, and not to the new number', async () => {
    const identity = await rollVoter();
    const owner = email(1);
    const stranger = phone(1);
    const subscriptionId = await signUp(identity, { email: owner });
    await verify(subscriptionId, 'email', owner);
    expect(alertsIn(emailsTo(owner))).toHaveLength(0); // the first contact confirmed alerts nobody

    // Anyone who knows the voter's name, birth date and ZIP can do this.
    expect(await signUp(identity, { sms: stranger })).toBe(subscriptionId);
    expect(alertsIn(emailsTo(owner))).toHaveLength(0); // nothing until the code is confirmed
    await verify(subscriptionId, 'sms', stranger);

    const alerts = alertsIn(emailsTo(owner));
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(alert.subject).toBe(`${COUNTY_NAME}: A new mobile number was added to your ballot updates`);
    expect(alert.text).toContain(`A new mobile number ending in ${stranger.slice(-4)} was added`);
    expect(alert.text).toContain(`call ${COUNTY_PHONE}`);
    expect(alert.text).toMatch(/manage\?token=/); // the manage link, in the footer
    expect(alert.text).not.toContain(stranger);
    expect(alert.customArgs).toMatchObject({
      bt_purpose: 'contact_alert',
      bt_subscription: subscriptionId,
      bt_lang: 'en',
    });
    expect(JSON.stringify(alert.customArgs)).not.toContain(stranger.slice(1));

    // The new number got its code and, once confirmed, the opt-in confirmation (CTIA); no alert.
    expect(smsTo(stranger)).toHaveLength(2);
    expect(smsTo(stranger)[0]!.body).toContain('verification code');
    expect(smsTo(stranger)[1]!.statusCallback).toContain('purpose=sms_opt_in');
    expect(smsTo(stranger)[1]!.body).toContain('Msg & data rates may apply');
  });

  it('an email added to a verified number is named masked in the text, in the subscription language', async () => {
    const identity = await rollVoter();
    const owner = phone(2);
    const subscriptionId = await signUp(identity, { sms: owner }, 'es');
    await verify(subscriptionId, 'sms', owner);
    await signUp(identity, { email: 'zed.intruder@mailbox.example' }, 'en');
    await verify(subscriptionId, 'email', 'zed.intruder@mailbox.example');

    const alerts = smsAlertsTo(owner);
    expect(alerts).toHaveLength(1);
    // Spanish (the subscription's language, not the second sign-up's); '•' sent as '*'.
    expect(alerts[0]!.body).toMatch(/^Sacramento County Elections: Se agregó .*z\*\*\*@m\*\*\*\.example/);
    expect(alerts[0]!.body).toContain(COUNTY_PHONE);
    expect(alerts[0]!.body).not.toContain('intruder');
    expect(alerts[0]!.statusCallback ?? '').toContain('purpose=contact_alert');
  });

  it('a sign-up naming a new number for a verified channel sends it no code and keeps the verified number', async () => {
    // Changed contract (issue 13, subscription takeover): a sign-up needs only public-record details,
    // so it never replaces a confirmed, working address; a change goes through the manage link that
    // address receives (see the PATCH test below).
    const identity = await rollVoter();
    const [old, replacement] = [phone(3), phone(4)];
    const subscriptionId = await signUp(identity, { sms: old });
    await verify(subscriptionId, 'sms', old);
    expect(await signUp(identity, { sms: replacement })).toBe(subscriptionId);
    expect(smsTo(replacement)).toHaveLength(0);
    const resend = await call('POST', `/v1/subscriptions/${subscriptionId}/verify/resend`, {
      body: { channel: 'sms' },
    });
    expect(resend.status).toBe(409); // nothing pending: the verified number stands
    const [contact] = await api.h.db.sql`SELECT address FROM contacts WHERE subscription_id = ${subscriptionId}`;
    expect(contact!.address).toBe(old);
    expect(smsAlertsTo(old)).toHaveLength(0);
  });

  it('contacts given in one sign-up and confirmed one after the other alert nobody', async () => {
    const identity = await rollVoter();
    const [mobile, mail] = [phone(5), email(5)];
    const subscriptionId = await signUp(identity, { sms: mobile, email: mail });
    await verify(subscriptionId, 'sms', mobile);
    await verify(subscriptionId, 'email', mail);
    expect(smsAlertsTo(mobile)).toHaveLength(0);
    expect(alertsIn(emailsTo(mail))).toHaveLength(0);
  });

  it("naming the voter's own verified email in the same sign-up does not keep it from being told", async () => {
    const identity = await rollVoter();
    const [owner, stranger] = [email(9), phone(9)];
    const subscriptionId = await signUp(identity, { email: owner });
    await verify(subscriptionId, 'email', owner);
    await signUp(identity, { email: owner, sms: stranger });
    await verify(subscriptionId, 'sms', stranger);
    expect(alertsIn(emailsTo(owner))).toHaveLength(1);
  });

  it('a PATCH replacing a verified number tells the old number; removing a verified email tells the email', async () => {
    const identity = await rollVoter();
    const [old, replacement, mail] = [phone(6), phone(7), email(6)];
    const subscriptionId = await signUp(identity, { sms: old, email: mail });
    const token = await verify(subscriptionId, 'sms', old);
    await verify(subscriptionId, 'email', mail);

    const patch = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
      token,
      body: { contacts: { sms: replacement } },
    });
    expect(patch.status).toBe(200);
    const removedSms = smsAlertsTo(old);
    expect(removedSms).toHaveLength(1);
    expect(removedSms[0]!.body).toBe(
      `${COUNTY_NAME}: This number was removed from the ballot updates for your registration and will get no more texts about your ballot. If this was not you, call ${COUNTY_PHONE}.`,
    );
    expect(smsTo(replacement)).toHaveLength(1); // its code
    expect(alertsIn(emailsTo(mail))).toHaveLength(0); // nothing is added until the code is confirmed

    // The change revoked every token made before it (issue 13): the answer carries the new one.
    expect((await call('GET', `/v1/subscriptions/${subscriptionId}`, { token })).status).toBe(401);
    expect((await call('GET', `/v1/subscriptions/${subscriptionId}`, { token: patch.body.manageToken })).status).toBe(
      200,
    );

    // Confirming the replacement then tells the verified email.
    const smsToken = await verify(subscriptionId, 'sms', replacement);
    expect(alertsIn(emailsTo(mail))).toHaveLength(1);
    expect(alertsIn(emailsTo(mail))[0]!.text).toContain(`ending in ${replacement.slice(-4)}`);

    // A PATCH that keeps the number as it is tells nobody (and revokes nothing).
    const same = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
      token: smsToken,
      body: { contacts: { sms: replacement } },
    });
    expect(same.status).toBe(200);
    expect(smsAlertsTo(replacement)).toHaveLength(0);

    // The number confirmed after the email may not remove it (issue 13: seniority of confirmed contacts) ...
    const refused = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
      token: smsToken,
      body: { contacts: { email: null } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields?.email?.code).toBe('contact_protected');
    // ... the email can, through the link in the alert it just got (scoped to it, current version).
    const emailToken = /\/manage\?token=([0-9a-f-]{36}\.\d+\.\d+\.[0-9a-f-]{36}\.[\w-]{43})/.exec(
      alertsIn(emailsTo(mail))[0]!.text ?? '',
    )![1]!;
    const removal = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
      token: emailToken,
      body: { contacts: { email: null } },
    });
    expect(removal.status).toBe(200);
    const removedEmail = alertsIn(emailsTo(mail));
    expect(removedEmail).toHaveLength(2);
    expect(removedEmail[1]!.subject).toBe(`${COUNTY_NAME}: This email address was removed from your ballot updates`);
    // The removed address's token is dead.
    expect((await call('GET', `/v1/subscriptions/${subscriptionId}`, { token: removal.body.manageToken })).status).toBe(
      401,
    );
  });

  it('a failing provider does not fail the verification', async () => {
    const identity = await rollVoter();
    const [owner, added] = [email(8), phone(8)];
    const subscriptionId = await signUp(identity, { email: owner });
    await verify(subscriptionId, 'email', owner);
    await signUp(identity, { sms: added });
    const before = api.delivery.sandbox.sendgrid.messages.length;
    api.delivery.sandbox.sendgrid.configure({ serverErrorRate: 1 });
    try {
      await verify(subscriptionId, 'sms', added);
    } finally {
      api.delivery.sandbox.sendgrid.configure({ serverErrorRate: 0 });
    }
    expect(api.delivery.sandbox.sendgrid.messages.length).toBe(before);
    const [contact] = await api.h.db
      .sql`SELECT verified_at FROM contacts WHERE subscription_id = ${subscriptionId} AND channel = 'sms'`;
    expect(contact!.verified_at).toBeInstanceOf(Date);
  });
});
