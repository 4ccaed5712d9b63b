/**
 * Issue 13, the voter side: codes cannot be used to bomb a number, one-click links speak for one
 * contact, inbound texts are applied once, opt-outs reach the consent record, and the consent evidence
 * outlives the purge without the address.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { handleInboundSms } from '../../delivery/webhooks/twilio.js';
import { purgeContactData } from '../../privacy/purge.js';
import { useVoterApi } from './voter-api-setup.js';

describe('security: verification codes and subscriptions', () => {
  const api = useVoterApi({
    subnet: 77,
    voterIdPrefix: 'v-secv',
    firstName: 'Perpetua',
    lastName: 'Vandersloot',
    birthYear: 1966,
    dayTens: 1,
  });
  const { call, rollVoter, smsTo, callsTo, emailsTo, verify } = api;
  const phone = (n: number) => `+1916555${String(7100 + n).padStart(4, '0')}`;

  const signUp = async (identity: Record<string, string>, contacts: Record<string, string>) => {
    const response = await call('POST', '/v1/subscriptions', { body: { ...identity, contacts, language: 'en' } });
    return response;
  };

  it('limits codes per destination across subscriptions, in the shared store', async () => {
    const target = phone(1);
    api.limits.codesPerDestination = 2;
    try {
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push((await signUp(await rollVoter(), { sms: target })).status);
      expect(answers).toEqual([202, 202, 429]);
      expect(smsTo(target)).toHaveLength(2);
      // Resending counts too.
      const [row] = await api.h.db.sql<{ subscription_id: string }[]>`
        SELECT subscription_id FROM contacts WHERE address = ${target} LIMIT 1`;
      const resend = await call('POST', `/v1/subscriptions/${row!.subscription_id}/verify/resend`, {
        body: { channel: 'sms' },
      });
      expect(resend.status).toBe(429);
    } finally {
      api.limits.codesPerDestination = 100_000;
    }
  });

  it('refuses numbers outside the US and its territories, voice included (toll fraud through +1)', async () => {
    const identity = await rollVoter();
    const response = await signUp(identity, { voice: '+1 876 555 0199' });
    expect(response.status).toBe(422);
    expect(response.body.error.fields?.['contacts.voice']?.code).toBe('invalid_phone');
    expect(callsTo('+18765550199')).toHaveLength(0);
  });

  it('places a code call only in the daytime of the county; a resend at night waits for the morning', async () => {
    api.voiceCodeHours = { start: '03:00', end: '03:01' }; // closed nearly all day
    try {
      const identity = await rollVoter();
      const landline = phone(2);
      const response = await signUp(identity, { voice: landline });
      expect(response.status).toBe(202);
      const now = new Date();
      const minute = Number(
        new Intl.DateTimeFormat('en-US', {
          timeZone: 'America/Los_Angeles',
          hour: '2-digit',
          minute: '2-digit',
          hourCycle: 'h23',
        })
          .format(now)
          .replace(':', ''),
      );
      if (minute === 300) return; // the one open minute: nothing to show
      expect(callsTo(landline)).toHaveLength(0);
      const resend = await call('POST', `/v1/subscriptions/${response.body.subscriptionId}/verify/resend`, {
        body: { channel: 'voice' },
      });
      expect(resend.status).toBe(429);
      expect(Number(resend.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(callsTo(landline)).toHaveLength(0);
    } finally {
      api.voiceCodeHours = undefined;
    }
  });

  it('a one-click unsubscribe stops only the contact its link was sent to', async () => {
    const identity = await rollVoter();
    const [mobile, mail] = [phone(3), 'perpetua.secv@example.org'];
    const subscriptionId = (await signUp(identity, { sms: mobile, email: mail })).body.subscriptionId;
    await verify(subscriptionId, 'sms', mobile);
    const emailToken = await verify(subscriptionId, 'email', mail);
    const oneClick = await call('POST', `/v1/unsubscribe?token=${encodeURIComponent(emailToken)}`);
    expect(oneClick.status).toBe(200);
    const contacts = await api.h.db.sql<{ channel: string; opted_out: boolean }[]>`
      SELECT channel, opted_out_at IS NOT NULL AS opted_out FROM contacts
      WHERE subscription_id = ${subscriptionId} ORDER BY channel`;
    expect(contacts).toEqual([
      { channel: 'email', opted_out: true },
      { channel: 'sms', opted_out: false },
    ]);
    const [subscription] = await api.h.db
      .sql`SELECT status FROM subscriptions WHERE subscription_id = ${subscriptionId}`;
    expect(subscription!.status).toBe('active');
    expect(emailsTo(mail).at(-1)!.customArgs.bt_purpose).toBe('unsubscribe_confirmation');
  });

  it('applies an inbound text once per MessageSid: a replayed START does not undo a later STOP', async () => {
    const identity = await rollVoter();
    const mobile = phone(4);
    const subscriptionId = (await signUp(identity, { sms: mobile })).body.subscriptionId;
    await verify(subscriptionId, 'sms', mobile);
    const deps = { sql: api.h.db.sql, logger: pino({ level: 'silent' }) };
    const optedOut = async () =>
      (
        await api.h.db.sql<{ out: boolean }[]>`
          SELECT opted_out_at IS NOT NULL AS out FROM contacts WHERE subscription_id = ${subscriptionId}`
      )[0]!.out;

    await handleInboundSms(deps, { from: mobile, body: 'STOP', messageSid: 'SM-stop-1' });
    expect(await optedOut()).toBe(true);
    const consents = await api.h.db.sql<{ withdrawn: boolean }[]>`
      SELECT withdrawn_at IS NOT NULL AS withdrawn FROM consents WHERE subscription_id = ${subscriptionId}`;
    expect(consents.every((c) => c.withdrawn)).toBe(true);

    await handleInboundSms(deps, { from: mobile, body: 'START', messageSid: 'SM-start-1' });
    expect(await optedOut()).toBe(false);
    const [started] = await api.h.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM consents
      WHERE subscription_id = ${subscriptionId} AND source = 'inbound SMS keyword' AND withdrawn_at IS NULL`;
    expect(started!.n).toBe(1);

    await handleInboundSms(deps, { from: mobile, body: 'STOP', messageSid: 'SM-stop-2' });
    const replay = await handleInboundSms(deps, { from: mobile, body: 'START', messageSid: 'SM-start-1' });
    expect(replay.replayed).toBe(true);
    expect(await optedOut()).toBe(true);
  });

  it('keeps the minimal consent record, without the address, after the purge deletes the subscription', async () => {
    const identity = await rollVoter();
    const mobile = phone(5);
    const subscriptionId = (await signUp(identity, { sms: mobile })).body.subscriptionId;
    await verify(subscriptionId, 'sms', mobile);
    expect(
      (await call('DELETE', `/v1/subscriptions/${subscriptionId}`, { token: await tokenFor(subscriptionId) })).status,
    ).toBe(200);
    await api.h.db
      .sql`UPDATE subscriptions SET updated_at = now() - interval '40 days' WHERE subscription_id = ${subscriptionId}`;

    await purgeContactData(api.h.db.sql, { retentionDays: 30 });
    expect(await api.h.db.sql`SELECT 1 FROM subscriptions WHERE subscription_id = ${subscriptionId}`).toHaveLength(0);
    const evidence = await api.h.db.sql`SELECT * FROM consent_evidence WHERE subscription_id = ${subscriptionId}`;
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ channel: 'sms', source: 'api:POST /v1/subscriptions' });
    expect(evidence[0]!.address_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence[0]!.confirmed_at).toBeInstanceOf(Date);
    expect(evidence[0]!.withdrawn_at).toBeInstanceOf(Date);
    expect(JSON.stringify(evidence)).not.toContain(mobile.slice(2));

    // Four years on, it goes too.
    await purgeContactData(api.h.db.sql, {
      retentionDays: 30,
      now: new Date(Date.now() + 4 * 366 * 86_400_000),
    });
    expect(await api.h.db.sql`SELECT 1 FROM consent_evidence WHERE subscription_id = ${subscriptionId}`).toHaveLength(
      0,
    );
  });

  async function tokenFor(subscriptionId: string): Promise<string> {
    return api.h.voters!.manageTokenFor(subscriptionId);
  }
});
