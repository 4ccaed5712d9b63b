import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createManageToken } from '../../lib/manage-token.js';
import { statusQuery, workflowIdFor } from '../../workflows/ballot.js';
import { seedCounty, startTestDelivery, TEST_MANAGE_SECRET, type TestDelivery } from '../helpers/delivery.js';
import { FIXTURE_PEOPLE, type FixturePerson } from '../helpers/history-pii-fixtures.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';
import { anyString } from '../helpers/matchers.js';

const E = 'subs-2099';
const COUNTY = 'sacramento';
const [THADDEUS, XIOMARA, EVANGELINA, MARISOL] = FIXTURE_PEOPLE as [
  FixturePerson,
  FixturePerson,
  FixturePerson,
  FixturePerson,
];

describe('voter API: sign-up, verification, preferences and unsubscribe under /v1', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;
  /** The service's clock runs this far ahead of the wall clock (code expiry tests move it). */
  let clockOffsetMs = 0;
  const limits = { perAddress: 100_000, perIdentity: 100_000, codesPerDestination: 100_000 };
  let addresses = 0;
  let voters = 0;

  /** A voter call from its own client address (rate limits per address stay out of the way). */
  const call = (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; contentType?: string; ip?: string; token?: string } = {},
  ) => {
    addresses += 1;
    return h.call(method, path, {
      key: null,
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.raw !== undefined ? { raw: options.raw } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      headers: {
        'x-forwarded-for': options.ip ?? `10.1.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`,
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    });
  };

  /** A voter on the roll; each gets its own birth date so lookups never collide. */
  async function rollVoter(
    person: FixturePerson,
    overrides: { status?: string; voterId?: string; dateOfBirth?: string } = {},
  ) {
    voters += 1;
    const voterId = overrides.voterId ?? `v-subs-${voters}`;
    const dateOfBirth = overrides.dateOfBirth ?? `19${40 + voters}-0${(voters % 9) + 1}-1${voters % 10}`;
    await h.db.sql`
      INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, status)
      VALUES (${voterId}, ${COUNTY}, ${person.firstName}, ${person.lastName}, ${dateOfBirth}, ${person.zip}, ${overrides.status ?? 'active'})`;
    return {
      voterId,
      identity: { firstName: person.firstName, lastName: person.lastName, dateOfBirth, zip: person.zip },
    };
  }

  const signUpBody = (
    identity: { firstName: string; lastName: string; dateOfBirth: string; zip: string },
    contacts: Record<string, string>,
    extra: Record<string, unknown> = {},
  ) => ({ ...identity, contacts, language: 'en', ...extra });

  const smsTo = (phone: string) =>
    delivery.sandbox.twilio.messages.filter((m) => m.channel === 'sms' && m.to === phone);
  const callsTo = (phone: string) =>
    delivery.sandbox.twilio.messages.filter((m) => m.channel === 'voice' && m.to === phone);
  const emailsTo = (email: string) => delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(email));

  /** The code in the latest verification message on the channel. */
  function latestCode(channel: 'sms' | 'voice' | 'email', address: string): string {
    if (channel === 'sms') return /\b(\d{6})\b/.exec(smsTo(address).at(-1)?.body ?? '')![1]!;
    if (channel === 'email') return /\b(\d{6})\b/.exec(emailsTo(address).at(-1)?.text ?? '')![1]!;
    const spoken = /(\d(?:, \d){5})/.exec(callsTo(address).at(-1)?.twiml ?? '')![1]!;
    return spoken.replace(/, /g, '');
  }

  async function subscribed(
    person: FixturePerson,
    contacts: Record<string, string> = { sms: person.phone },
    extra = {},
  ) {
    const { voterId, identity } = await rollVoter(person);
    const response = await call('POST', '/v1/subscriptions', { body: signUpBody(identity, contacts, extra) });
    expect(response.status).toBe(202);
    return { voterId, identity, subscriptionId: response.body.subscriptionId };
  }

  async function verified(person: FixturePerson, extra = {}) {
    const subscription = await subscribed(person, { sms: person.phone }, extra);
    const response = await call('POST', `/v1/subscriptions/${subscription.subscriptionId}/verify`, {
      body: { channel: 'sms', code: latestCode('sms', person.phone) },
    });
    expect(response.status).toBe(200);
    return { ...subscription, token: response.body.manageToken };
  }

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({
      temporalAddress: inject('temporalAddress'),
      voters: { delivery, now: () => Date.now() + clockOffsetMs, rateLimits: limits },
    });
    await seedCounty(h.db.sql, COUNTY);
    expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  describe('sign-up', () => {
    it('answers 202 with the pending channels and sends a code by SMS, voice call and email, recording consent per channel', async () => {
      const { subscriptionId } = await subscribed(
        THADDEUS,
        {
          sms: ` ${THADDEUS.phone.slice(2, 5)}.${THADDEUS.phone.slice(5, 8)}.${THADDEUS.phone.slice(8)}`,
          voice: THADDEUS.phone,
          email: THADDEUS.email.toUpperCase().replace(/@.*/, '@Example.ORG'),
        },
        { consentTextVersion: 'county-form-7' },
      );
      const pending = await call('POST', `/v1/subscriptions/${subscriptionId}/verify/resend`, {
        body: { channel: 'sms' },
      });
      expect(pending.status).toBe(202);

      expect(smsTo(THADDEUS.phone)).toHaveLength(2);
      expect(smsTo(THADDEUS.phone)[0]!.body).toMatch(/Sacramento County Elections: Your verification code is \d{6}\./);
      expect(smsTo(THADDEUS.phone)[0]!.validityPeriod).toBe(600);
      expect(callsTo(THADDEUS.phone)).toHaveLength(1);
      const email = THADDEUS.email.toUpperCase().replace(/@.*/, '@example.org');
      expect(emailsTo(email)).toHaveLength(1);
      expect(emailsTo(email)[0]!.subject).toContain('verification code');

      const consents = await h.db.sql<
        { channel: string; source: string; consent_text_version: string; language: string; confirmed_at: Date | null }[]
      >`
        SELECT channel, source, consent_text_version, language, confirmed_at FROM consents
        WHERE subscription_id = ${subscriptionId} ORDER BY channel`;
      expect(consents).toEqual(
        ['email', 'sms', 'voice'].map((channel) => ({
          channel,
          source: 'api:POST /v1/subscriptions',
          consent_text_version: 'county-form-7',
          language: 'en',
          confirmed_at: null,
        })),
      );

      for (const channel of ['sms', 'voice', 'email'] as const) {
        const address = channel === 'email' ? email : THADDEUS.phone;
        const response = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
          body: { channel, code: latestCode(channel, address) },
        });
        expect(response.status, channel).toBe(200);
        expect(response.body).toMatchObject({
          subscriptionId,
          channel,
          verified: true,
          manageToken: anyString(),
        });
      }
      const confirmed = await h.db.sql`SELECT confirmed_at FROM consents WHERE subscription_id = ${subscriptionId}`;
      expect(confirmed.every((row) => row.confirmed_at instanceof Date)).toBe(true);
      const [contact] = await h.db
        .sql`SELECT address FROM contacts WHERE subscription_id = ${subscriptionId} AND channel = 'sms'`;
      expect(contact!.address).toBe(THADDEUS.phone);
    });

    it('records an unstated consent text version for an API client that names none, the county time zone and default quiet hours', async () => {
      const { subscriptionId } = await subscribed(XIOMARA);
      const [row] = await h.db.sql`
        SELECT s.window_start, s.window_end, s.timezone, c.consent_text_version
        FROM subscriptions s JOIN consents c USING (subscription_id) WHERE s.subscription_id = ${subscriptionId}`;
      expect(row).toEqual({
        window_start: '08:00',
        window_end: '21:00',
        timezone: 'America/Los_Angeles',
        consent_text_version: 'unstated',
      });
    });

    it('matches despite case, spacing, diacritics, hyphens and ZIP+4, but not a nickname', async () => {
      const { identity } = await rollVoter(EVANGELINA);
      const typed = {
        ...identity,
        firstName: ' EVANGÉLINA ',
        lastName: 'okonkwo lindqvist',
        zip: `${identity.zip}-1234`,
      };
      const ok = await call('POST', '/v1/subscriptions', { body: signUpBody(typed, { email: EVANGELINA.email }) });
      expect(ok.status).toBe(202);
      expect(ok.body.pendingVerification).toEqual(['email']);
      const nickname = await call('POST', '/v1/subscriptions', {
        body: signUpBody({ ...identity, firstName: 'Eva' }, { email: EVANGELINA.email }),
      });
      expect(nickname.status).toBe(404);
    });

    it('answers no_match with byte-identical bodies whichever field is wrong, and for an inactive registration', async () => {
      const { identity } = await rollVoter(MARISOL);
      const inactive = await rollVoter(MARISOL, { status: 'inactive' });
      const wrong = [
        { ...identity, firstName: 'Marisela' },
        { ...identity, lastName: 'Quintanilla' },
        { ...identity, dateOfBirth: '1961-04-18' },
        { ...identity, zip: '95815' },
        inactive.identity,
      ];
      const answers = [];
      for (const typed of wrong)
        answers.push(await call('POST', '/v1/subscriptions', { body: signUpBody(typed, { sms: MARISOL.phone }) }));
      for (const answer of answers) {
        expect(answer.status).toBe(404);
        expect(answer.text).toBe(answers[0]!.text);
        expect(answer.headers.get('content-type')).toBe(answers[0]!.headers.get('content-type'));
      }
      expect(JSON.parse(answers[0]!.text)).toEqual({ error: { code: 'no_match', message: anyString() } });
      expect(smsTo(MARISOL.phone)).toHaveLength(0);
    });

    it('answers 409 multiple_matches for two active registrations, then 202 with the voter ID', async () => {
      const first = await rollVoter(MARISOL, { voterId: 'v-twin-1', dateOfBirth: '1961-04-17' });
      await rollVoter(MARISOL, { voterId: 'v-twin-2', dateOfBirth: '1961-04-17' });
      const ambiguous = await call('POST', '/v1/subscriptions', {
        body: signUpBody(first.identity, { sms: MARISOL.phone }),
      });
      expect(ambiguous.status).toBe(409);
      expect(ambiguous.body).toEqual({ error: { code: 'multiple_matches', message: anyString() } });
      const picked = await call('POST', '/v1/subscriptions', {
        body: signUpBody(first.identity, { sms: MARISOL.phone }, { voterId: 'v-twin-2' }),
      });
      expect(picked.status).toBe(202);
      const [row] = await h.db
        .sql`SELECT voter_id FROM subscriptions WHERE subscription_id = ${picked.body.subscriptionId}`;
      expect(row!.voter_id).toBe('v-twin-2');
    });

    it('answers 422 naming each bad field, 415 for another content type and 400 for malformed JSON', async () => {
      const response = await call('POST', '/v1/subscriptions', {
        body: {
          firstName: '',
          lastName: 'X',
          dateOfBirth: '1990-02-30',
          zip: '958',
          contacts: { sms: '555-0100', email: 'not-an-address', voice: '+44 20 7946 0958' },
          language: 'de',
          quietHours: { start: '8am', end: '21:00' },
          timezone: 'Pacific',
          consentTextVersion: 'v1\u0000',
        },
      });
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe('validation_failed');
      const codes = Object.fromEntries(
        Object.entries(response.body.error.fields as Record<string, { code: string }>).map(([path, problem]) => [
          path,
          problem.code,
        ]),
      );
      expect(codes).toEqual({
        firstName: 'required',
        dateOfBirth: 'invalid_date',
        zip: 'invalid_zip',
        'contacts.sms': 'invalid_phone',
        'contacts.email': 'invalid_email',
        'contacts.voice': 'invalid_phone',
        consentTextVersion: 'invalid_consent_version',
        language: 'unsupported_language',
        'quietHours.start': 'invalid_time',
        timezone: 'invalid_timezone',
      });
      const noContact = await call('POST', '/v1/subscriptions', { body: signUpBody(XIOMARA, {}) });
      expect(noContact.body.error.fields).toEqual({ contacts: { code: 'no_contact', message: anyString() } });
      expect((await call('POST', '/v1/subscriptions', { raw: 'firstName=A', contentType: 'text/plain' })).status).toBe(
        415,
      );
      expect(
        (await call('POST', '/v1/subscriptions', { raw: '{"firstName":', contentType: 'application/json' })).status,
      ).toBe(400);
    });
  });

  describe('verification', () => {
    it('holds the five-attempt limit when wrong codes arrive all at once', async () => {
      const { subscriptionId } = await subscribed(MARISOL);
      const right = latestCode('sms', MARISOL.phone);
      const wrong = right === '000000' ? '111111' : '000000';
      const answers = await Promise.all(
        Array.from({ length: 12 }, () =>
          call('POST', `/v1/subscriptions/${subscriptionId}/verify`, { body: { channel: 'sms', code: wrong } }),
        ),
      );
      const codes = answers.map((answer) => answer.body.error.code);
      expect(codes.filter((code) => code === 'invalid_code')).toHaveLength(5);
      expect(codes.filter((code) => code === 'too_many_attempts')).toHaveLength(7);
      const [row] = await h.db.sql`
        SELECT v.attempts FROM contact_verifications v JOIN contacts c USING (contact_id)
        WHERE c.subscription_id = ${subscriptionId} AND c.channel = 'sms'`;
      expect(row!.attempts).toBe(5);
    });

    it('counts wrong codes down, refuses even the right code after five, and a resent code works', async () => {
      const { subscriptionId } = await subscribed(XIOMARA);
      const right = latestCode('sms', XIOMARA.phone);
      const wrong = right === '000000' ? '111111' : '000000';
      const remaining = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
          body: { channel: 'sms', code: wrong },
        });
        expect(response.status).toBe(422);
        expect(response.body.error.code).toBe('invalid_code');
        remaining.push(response.body.error.attemptsRemaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const blocked = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
        body: { channel: 'sms', code: right },
      });
      expect(blocked.status).toBe(410);
      expect(blocked.body.error.code).toBe('too_many_attempts');

      expect(
        (await call('POST', `/v1/subscriptions/${subscriptionId}/verify/resend`, { body: { channel: 'sms' } })).body,
      ).toEqual({ channel: 'sms' });
      const fresh = latestCode('sms', XIOMARA.phone);
      const ok = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
        body: { channel: 'sms', code: fresh },
      });
      expect(ok.status).toBe(200);
      const again = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
        body: { channel: 'sms', code: fresh },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('already_verified');
      const resend = await call('POST', `/v1/subscriptions/${subscriptionId}/verify/resend`, {
        body: { channel: 'sms' },
      });
      expect(resend.status).toBe(409);
    });

    it('a code expires after 10 minutes; a resent one works', async () => {
      const { subscriptionId } = await subscribed(EVANGELINA);
      const code = latestCode('sms', EVANGELINA.phone);
      clockOffsetMs = 10 * 60_000 + 1_000;
      try {
        const expired = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
          body: { channel: 'sms', code },
        });
        expect(expired.status).toBe(410);
        expect(expired.body.error.code).toBe('code_expired');
        await call('POST', `/v1/subscriptions/${subscriptionId}/verify/resend`, { body: { channel: 'sms' } });
        const ok = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
          body: { channel: 'sms', code: latestCode('sms', EVANGELINA.phone) },
        });
        expect(ok.status).toBe(200);
      } finally {
        clockOffsetMs = 0;
      }
    });

    it('answers 404 for an unknown or malformed subscription or a channel it does not have, 422 for a malformed code', async () => {
      const { subscriptionId } = await subscribed(MARISOL);
      for (const [id, channel] of [
        ['not-a-uuid', 'sms'],
        ['00000000-0000-4000-8000-000000000000', 'sms'],
        [subscriptionId, 'email'],
      ]) {
        const response = await call('POST', `/v1/subscriptions/${id}/verify`, { body: { channel, code: '123456' } });
        expect(response.status).toBe(404);
        expect(response.body.error.code).toBe('not_found');
      }
      const malformed = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
        body: { channel: 'fax', code: '12' },
      });
      expect(malformed.status).toBe(422);
      expect(Object.keys(malformed.body.error.fields ?? {}).sort()).toEqual(['channel', 'code']);
    });
  });

  describe('manage token', () => {
    it('reads masked preferences with the token as a bearer or query parameter', async () => {
      const { subscriptionId, token } = await verified(XIOMARA);
      const byHeader = await call('GET', `/v1/subscriptions/${subscriptionId}`, { token });
      expect(byHeader.status).toBe(200);
      expect(byHeader.body).toEqual({
        subscriptionId,
        status: 'active',
        language: 'en',
        quietHours: { start: '08:00', end: '21:00' },
        timezone: 'America/Los_Angeles',
        contacts: [
          {
            channel: 'sms',
            address: `•••-•••-${XIOMARA.phone.slice(-4)}`,
            verified: true,
            pendingVerification: false,
            optedOut: false,
          },
        ],
        // Whom to call: the voter's county (its record); no languages: the county offers every one.
        county: {
          name: 'Sacramento County Elections',
          phone: '(916) 555-0100',
          url: 'https://elections.sacramento.example',
        },
      });
      expect(byHeader.text).not.toContain(XIOMARA.phone.slice(2));
      const byQuery = await call('GET', `/v1/subscriptions/${subscriptionId}?token=${encodeURIComponent(token)}`);
      expect(byQuery.status).toBe(200);
    });

    it('refuses a tampered, malformed, missing, expired or foreign token', async () => {
      const mine = await verified(EVANGELINA);
      const other = await verified(MARISOL);
      const [id, expiry, mac] = mine.token.split('.') as [string, string, string];
      const tampered = [
        `${id}.${Number(expiry) + 1}.${mac}`,
        `${id}.${expiry}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`,
        'garbage',
        '',
      ];
      for (const token of tampered) {
        const response = await call(
          'GET',
          `/v1/subscriptions/${mine.subscriptionId}${token ? '' : ''}`,
          token ? { token } : {},
        );
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('invalid_token');
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
      const expired = createManageToken(TEST_MANAGE_SECRET, mine.subscriptionId, Date.now() - 1_000);
      const answer = await call('GET', `/v1/subscriptions/${mine.subscriptionId}`, { token: expired });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('token_expired');

      const foreign = await call('PATCH', `/v1/subscriptions/${mine.subscriptionId}`, {
        token: other.token,
        body: { language: 'es' },
      });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.code).toBe('token_mismatch');
      expect((await call('DELETE', `/v1/subscriptions/${mine.subscriptionId}`, { token: other.token })).status).toBe(
        403,
      );
      expect((await call('GET', '/v1/subscriptions/nope', { token: mine.token })).status).toBe(404);
    });

    it('expires with the clock: the same token fails once its time has passed', async () => {
      const { subscriptionId, token } = await verified(THADDEUS);
      const expiresAt = Number(token.split('.')[1]) * 1000;
      expect(expiresAt).toBeGreaterThan(Date.now() + 80 * 86_400_000);
      clockOffsetMs = expiresAt - Date.now() + 1_000;
      try {
        const response = await call('GET', `/v1/subscriptions/${subscriptionId}`, { token });
        expect(response.body.error.code).toBe('token_expired');
      } finally {
        clockOffsetMs = 0;
      }
    });
  });

  describe('preferences', () => {
    it('a changed contact needs a new code before it counts again; removing a channel withdraws its consent', async () => {
      const { subscriptionId, token } = await verified(EVANGELINA);
      const newPhone = XIOMARA.phone;
      const patch = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
        token,
        body: {
          contacts: { sms: newPhone, email: EVANGELINA.email },
          quietHours: { start: '09:00', end: '20:00' },
          timezone: 'America/Denver',
        },
      });
      expect(patch.status).toBe(200);
      expect(patch.body.pendingVerification).toEqual(['email', 'sms']);
      expect(patch.body.quietHours).toEqual({ start: '09:00', end: '20:00' });
      // Changed contract (issue 13): replacing a confirmed address revokes every earlier token; the
      // answer carries the holder's new one.
      expect((await call('GET', `/v1/subscriptions/${subscriptionId}`, { token })).status).toBe(401);
      const current = patch.body.manageToken;
      const view = await call('GET', `/v1/subscriptions/${subscriptionId}`, { token: current });
      expect(view.body.contacts).toEqual([
        expect.objectContaining({
          channel: 'email',
          address: 'e•••@e•••.com',
          verified: false,
          pendingVerification: true,
        }),
        {
          channel: 'sms',
          address: `•••-•••-${newPhone.slice(-4)}`,
          verified: false,
          pendingVerification: true,
          optedOut: false,
        },
      ]);
      expect(view.text).not.toContain(EVANGELINA.email);
      const [sms] = await h.db
        .sql`SELECT address, verified_at FROM contacts WHERE subscription_id = ${subscriptionId} AND channel = 'sms'`;
      expect(sms).toEqual({ address: newPhone, verified_at: null });

      const ok = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
        body: { channel: 'sms', code: latestCode('sms', newPhone) },
      });
      expect(ok.status).toBe(200);
      const removed = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
        token: current,
        body: { contacts: { email: null } },
      });
      expect(removed.body.contacts.map((c: { channel: string }) => c.channel)).toEqual(['sms']);
      const consents = await h.db.sql`
        SELECT channel, address, withdrawn_at IS NOT NULL AS withdrawn, source FROM consents WHERE subscription_id = ${subscriptionId} ORDER BY consented_at, channel`;
      expect(consents).toEqual([
        { channel: 'sms', address: EVANGELINA.phone, withdrawn: true, source: 'api:POST /v1/subscriptions' },
        { channel: 'email', address: EVANGELINA.email, withdrawn: true, source: 'api:PATCH /v1/subscriptions/{id}' },
        { channel: 'sms', address: newPhone, withdrawn: false, source: 'api:PATCH /v1/subscriptions/{id}' },
      ]);
      const bad = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, {
        token: current,
        body: { language: 'xx' },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.error.fields?.language?.code).toBe('unsupported_language');
    });

    it('one-click unsubscribe (RFC 8058) answers 200, withdraws consent, and a later PATCH is refused', async () => {
      const { subscriptionId, token } = await verified(MARISOL);
      const response = await call('POST', `/v1/unsubscribe?token=${encodeURIComponent(token)}`, {
        raw: 'List-Unsubscribe=One-Click',
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'unsubscribed' });
      const [row] = await h.db.sql`SELECT status FROM subscriptions WHERE subscription_id = ${subscriptionId}`;
      expect(row!.status).toBe('unsubscribed'); // its only working contact stopped
      const [consent] = await h.db.sql`SELECT withdrawn_at FROM consents WHERE subscription_id = ${subscriptionId}`;
      expect(consent!.withdrawn_at).toBeInstanceOf(Date);
      // Changed contract (issue 13): unsubscribing revokes the token, so a later PATCH or repeat is 401.
      const patch = await call('PATCH', `/v1/subscriptions/${subscriptionId}`, { token, body: { language: 'es' } });
      expect(patch.status).toBe(401);
      const again = await call('POST', `/v1/unsubscribe?token=${encodeURIComponent(token)}`);
      expect(again.status).toBe(401);
      expect((await call('POST', '/v1/unsubscribe?token=forged')).status).toBe(401);
    });

    it('GET /v1/unsubscribe sends a browser to the preferences page', async () => {
      const response = await fetch(`${h.url}/v1/unsubscribe?token=abc.1.def`, { redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/manage?token=abc.1.def');
    });
  });

  describe('ballot workflows hear about the voter', () => {
    it('after verification the open ballot sends its current status; after DELETE a later scan sends nothing', async () => {
      const { voterId, identity } = await rollVoter(THADDEUS, { voterId: 'v-ballot' });
      const ballots = await h.call('POST', '/v1/ballots', {
        body: { ballots: [{ electionId: E, ballotId: 'b-main', voterId, county: COUNTY }] },
      });
      expect(ballots.status).toBe(202);
      expect(
        (await h.call('POST', '/v1/scans', { body: { events: [scanItem(E, 'b-main', 'outbound')] } })).status,
      ).toBe(202);
      await eventually(async () =>
        (await h.call('GET', `/v1/ballots/${E}/b-main`)).body?.status === 'outbound' ? true : undefined,
      );

      const phone = '+19165550199';
      const signUp = await call('POST', '/v1/subscriptions', {
        body: signUpBody(identity, { sms: phone }, { quietHours: { start: '00:00', end: '00:00' }, timezone: 'UTC' }),
      });
      expect(signUp.status).toBe(202);
      const verify = await call('POST', `/v1/subscriptions/${signUp.body.subscriptionId}/verify`, {
        body: { channel: 'sms', code: latestCode('sms', phone) },
      });
      expect(verify.status).toBe(200);
      // The code, the opt-in confirmation (CTIA: program, frequency, rates, HELP, STOP), then the notice.
      const notice = await eventually(() => (smsTo(phone).length === 3 ? smsTo(phone)[2] : undefined));
      expect(smsTo(phone)[1]!.statusCallback).toContain('purpose=sms_opt_in');
      expect(notice.body).toContain('Sacramento County Elections');
      expect(notice.body).not.toMatch(/verification code/);

      const status = await h.voters!.lookupStatus(identity, { clientAddress: '10.9.0.1', source: 'test' });
      expect(status).toMatchObject({
        outcome: 'found',
        ballots: [{ electionId: E, electionName: 'General Election', ballotId: 'b-main', status: 'outbound' }],
      });
      if (status.outcome === 'found')
        expect(status.ballots[0]!.events.map((event) => event.status)).toEqual(['issued', 'outbound']);
      expect(JSON.stringify(status)).not.toContain(identity.lastName);

      const token = verify.body.manageToken;
      // Each change of the voter's plan reaches the open ballot through the outbox (a `plan` row).
      const planDeliveries = (times: number) =>
        eventually(async () => {
          const [row] = await h.db.sql<{ n: string }[]>`
            SELECT count(*) AS n FROM workflow_outbox
            WHERE kind = 'plan' AND ballot_id = 'b-main' AND forwarded_at IS NOT NULL`;
          return Number(row!.n) === times ? true : undefined;
        }, 10_000);
      await planDeliveries(1);
      const patch = await call('PATCH', `/v1/subscriptions/${signUp.body.subscriptionId}`, {
        token,
        body: { language: 'es' },
      });
      expect(patch.status).toBe(200);
      await planDeliveries(2);
      expect((await call('DELETE', `/v1/subscriptions/${signUp.body.subscriptionId}`, { token })).body).toEqual({
        subscriptionId: signUp.body.subscriptionId,
        status: 'unsubscribed',
      });
      await planDeliveries(3);
      await eventually(async () =>
        (await h.temporal.workflow.getHandle(workflowIdFor(E, 'b-main')).query(statusQuery)).subscribed === false
          ? true
          : undefined,
      );
      // The verified number is told once that the updates were turned off (unsubscribe confirmation).
      expect(smsTo(phone)).toHaveLength(4);
      expect(smsTo(phone)[3]!.statusCallback).toContain('purpose=unsubscribe_confirmation');
      expect(
        (await h.call('POST', '/v1/scans', { body: { events: [scanItem(E, 'b-main', 'received')] } })).status,
      ).toBe(202);
      // The workflow records the received notice as skipped (unsubscribed) in the decision that
      // would otherwise have sent it; the status API shows it too.
      await eventually(async () =>
        (await h.temporal.workflow.getHandle(workflowIdFor(E, 'b-main')).query(statusQuery)).notices.find(
          (notice) => notice.status === 'received' && notice.state === 'skipped' && notice.reason === 'unsubscribed',
        ),
      );
      const record = await h.call('GET', `/v1/ballots/${E}/b-main`);
      expect(record.body.notices.filter((n) => n.status === 'received')).toEqual([
        expect.objectContaining({ channel: 'sms', state: 'skipped', reason: 'unsubscribed' }),
      ]);
      expect(smsTo(phone)).toHaveLength(4); // no notice after unsubscribing
    });
  });

  describe('rate limits', () => {
    it('limits code attempts and manage requests per subscription, whatever the client address', async () => {
      const { subscriptionId, token } = await verified(EVANGELINA);
      const pending = await subscribed(MARISOL);
      limits.perIdentity = 2;
      try {
        const verify = () =>
          call('POST', `/v1/subscriptions/${pending.subscriptionId}/verify`, {
            body: { channel: 'sms', code: '999999' },
          });
        expect((await verify()).status).not.toBe(429);
        expect((await verify()).status).not.toBe(429);
        const limitedVerify = await verify();
        expect(limitedVerify.status).toBe(429);
        expect(Number(limitedVerify.headers.get('retry-after'))).toBeGreaterThan(0);

        // Manage requests get five times the identity limit: 10 here.
        for (let request = 1; request <= 10; request += 1)
          expect((await call('GET', `/v1/subscriptions/${subscriptionId}`, { token })).status).toBe(200);
        const limitedManage = await call('GET', `/v1/subscriptions/${subscriptionId}`, { token });
        expect(limitedManage.status).toBe(429);
        expect(limitedManage.body.error.code).toBe('rate_limited');
      } finally {
        limits.perIdentity = 100_000;
      }
    });

    it('answers 429 with Retry-After per client address and per looked-up identity', async () => {
      const { identity } = await rollVoter(XIOMARA);
      limits.perAddress = 3;
      limits.perIdentity = 2;
      try {
        const ip = '10.200.0.1';
        // Four different identities from one address: the fourth is over the address limit.
        const miss = (day: number) =>
          signUpBody({ ...identity, dateOfBirth: `1900-01-0${day}` }, { sms: XIOMARA.phone });
        for (let day = 1; day <= 3; day += 1)
          expect((await call('POST', '/v1/subscriptions', { ip, body: miss(day) })).status).toBe(404);
        const limited = await call('POST', '/v1/subscriptions', { ip, body: miss(4) });
        expect(limited.status).toBe(429);
        expect(limited.body).toEqual({ error: { code: 'rate_limited', message: anyString() } });
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3_000);

        const body = signUpBody(identity, { sms: XIOMARA.phone });
        expect((await call('POST', '/v1/subscriptions', { body })).status).toBe(202);
        expect(
          (await call('POST', '/v1/subscriptions', { body: { ...body, firstName: identity.firstName.toUpperCase() } }))
            .status,
        ).toBe(202);
        const third = await call('POST', '/v1/subscriptions', { body });
        expect(third.status).toBe(429);
        expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
      } finally {
        limits.perAddress = 100_000;
        limits.perIdentity = 100_000;
      }
    });
  });
});
