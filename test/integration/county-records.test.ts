/**
 * County records through the API, as a county's own system uses them: a county key sets its record
 * and its own wording, a second key reviews the wording, and the next notice to the county's voters
 * comes from the county's own senders (SendGrid From, Twilio Messaging Service, seen at the sandbox
 * fakes) in its reviewed words (a draft is never sent). A key never learns of a county it does not
 * cover, and every client mistake is a 4xx naming the field.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BallotStatusResponse } from '../../ingest/ballot-status.js';
import { createManageToken } from '../../lib/manage-token.js';
import { seedCounty, startTestDelivery, TEST_MANAGE_SECRET, type TestDelivery } from '../helpers/delivery.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const E = 'e-counties';
const PHONE = '+19165550147';
const EMAIL = 'teodora@example.org';
const SID = 'MG0123456789abcdef0123456789abcdef';
const OWN_CHALLENGE_WORDS = 'La firma del sobre no se parece a la de su inscripción.';
const DRAFT_REJECTION_WORDS = 'Borrador sin revisar: no debe llegar a nadie.';

/** Sacramento's record as its own system sends it. */
const record = {
  name: 'Sacramento County Voter Registration and Elections',
  phone: '(916) 875-6451',
  url: 'https://elections.saccounty.example',
  timezone: 'America/Los_Angeles',
  languages: ['en', 'es', 'zh-Hant', 'vi'],
  emailSender: { address: 'voter-notices@saccounty.example', name: 'Sacramento County Elections' },
  smsSender: { messagingServiceSid: SID },
  cureUrl: 'https://elections.saccounty.example/cure',
  cureForms: { signature_mismatch: 'https://elections.saccounty.example/signature-verification-statement' },
  cureDeadlineRule: 'two_days_before_certification',
  certifiesAt: '2099-12-03T17:00:00-08:00',
  countedFrom: '2099-11-03T20:00:00-08:00',
  householdInitial: false,
};

type Notice = BallotStatusResponse['notices'][number];
type Body = Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } };

describe('county records through the API', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;
  /** Sacramento's own system, and a second Sacramento key (its reviewer). */
  let sacramento: string;
  let reviewer: string;

  const api = async (method: string, path: string, key: string, body?: unknown) => {
    const answer = await h.call(method, path, { key, ...(body === undefined ? {} : { body }) });
    return { status: answer.status, body: answer.body as unknown as Body, text: answer.text };
  };

  async function post(path: string, body: unknown): Promise<void> {
    const answer = await h.call('POST', path, { body });
    expect(answer.status, answer.text).toBe(202);
    expect(answer.body.summary.invalid, answer.text).toBe(0);
  }

  async function noticeOf(ballotId: string, status: string, channel: string): Promise<Notice | undefined> {
    const answer = await h.call('GET', `/v1/ballots/${E}/${ballotId}`);
    return (answer.body as unknown as BallotStatusResponse).notices.find(
      (n) => n.status === status && n.channel === channel,
    );
  }

  /** A voter on the county's roll with a Spanish subscription, verified SMS and email, contactable at any hour. */
  async function subscribedVoter(voterId: string, county: string, phone: string, email: string): Promise<void> {
    await post('/v1/voters', {
      voters: [
        { voterId, county, firstName: 'Teodora', lastName: 'Villanueva', dateOfBirth: '1958-02-11', zip: '95814' },
      ],
    });
    const [subscription] = await h.db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
      VALUES (${voterId}, 'es', '00:00', '00:00', 'UTC') RETURNING subscription_id`;
    await h.db.sql`INSERT INTO contacts (subscription_id, channel, address, verified_at) VALUES
      (${subscription!.subscription_id}, 'sms', ${phone}, now()),
      (${subscription!.subscription_id}, 'email', ${email}, now())`;
  }

  const sent = (ballotId: string, status: string, channel: string) =>
    eventually(async () => ((await noticeOf(ballotId, status, channel))?.state === 'sent' ? true : undefined), 60_000);

  const smsTo = (phone: string) =>
    delivery.sandbox.twilio.messages.filter((m) => m.channel === 'sms' && m.to === phone);
  const emailsTo = (address: string) => delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery } });
    sacramento = await h.key({ counties: ['sacramento'] });
    reviewer = await h.key({ counties: ['sacramento'] });
    expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  it('a county record changes the sender and the wording of the next notice; a draft text is never sent', async () => {
    // Before the county has a record of its own: the deployment's senders (and a seeded row for its name).
    await seedCounty(h.db.sql, 'sacramento');
    await subscribedVoter('V-sac', 'sacramento', PHONE, EMAIL);
    await post('/v1/ballots', {
      ballots: [{ electionId: E, ballotId: 'B-sac', voterId: 'V-sac', county: 'sacramento' }],
    });
    await post('/v1/scans', { events: [scanItem(E, 'B-sac', 'outbound')] });
    await sent('B-sac', 'outbound', 'sms');
    await sent('B-sac', 'outbound', 'email');
    expect(smsTo(PHONE)[0]).toMatchObject({ from: '+15005550006' });
    expect(smsTo(PHONE)[0]!.messagingServiceSid).toBeUndefined();
    expect(emailsTo(EMAIL)[0]).toMatchObject({ from: 'elections@county.example', fromName: 'County Elections' });

    // The county replaces its record (it existed: 200) and reads it back.
    const put = await api('PUT', '/v1/counties/sacramento', sacramento, record);
    expect(put.status, put.text).toBe(200);
    const { updatedAt, ...stored } = put.body;
    expect(typeof updatedAt).toBe('string');
    expect(stored).toEqual({
      county: 'sacramento',
      ...record,
      certifiesAt: '2099-12-04T01:00:00.000Z',
      countedFrom: '2099-11-04T04:00:00.000Z',
    });
    expect((await api('GET', '/v1/counties/sacramento', sacramento)).body).toEqual(put.body);

    // Its own words: one reviewed by a second key, one left a draft.
    const path = '/v1/counties/sacramento/texts/reason.challenged.signature_mismatch/es';
    const draft = await api('PUT', path, sacramento, { text: OWN_CHALLENGE_WORDS });
    expect(draft.status, draft.text).toBe(201);
    expect(draft.body).toMatchObject({ reviewState: 'draft', reviewedBy: null });
    const own = await api('POST', `${path}/review`, sacramento);
    expect(own.status).toBe(403);
    expect(own.body.error?.code).toBe('own_text');
    const stale = await api('POST', `${path}/review`, reviewer, { text: 'something else' });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe('text_changed');
    const reviewed = await api('POST', `${path}/review`, reviewer, { text: OWN_CHALLENGE_WORDS });
    expect(reviewed.status, reviewed.text).toBe(200);
    expect(reviewed.body).toMatchObject({ reviewState: 'reviewed', text: OWN_CHALLENGE_WORDS });
    expect(
      (
        await api('PUT', '/v1/counties/sacramento/texts/reason.rejected.no_signature/es', sacramento, {
          text: DRAFT_REJECTION_WORDS,
        })
      ).status,
    ).toBe(201);

    // Each override is shown beside the catalog's default, with what messages use now.
    const texts = await api('GET', '/v1/counties/sacramento/texts', sacramento);
    expect(texts.status).toBe(200);
    const entries = texts.body.texts as { path: string; language: string; default: string; used: string }[];
    expect(entries.find((t) => t.path === 'reason.challenged.signature_mismatch' && t.language === 'es')).toMatchObject(
      {
        default: 'Su firma no coincide con la de nuestros registros.',
        override: { text: OWN_CHALLENGE_WORDS, reviewState: 'reviewed' },
        used: 'override',
      },
    );
    expect(entries.find((t) => t.path === 'reason.rejected.no_signature' && t.language === 'es')).toMatchObject({
      default: 'El sobre no estaba firmado.',
      override: { reviewState: 'draft' },
      used: 'default',
    });
    // Only the languages the county offers (and any it has texts in).
    expect(new Set(entries.map((t) => t.language))).toEqual(new Set(record.languages));

    // The next notices: from the county's senders, in its reviewed words.
    await post('/v1/scans', { events: [scanItem(E, 'B-sac', 'challenged', { reason: 'signature_mismatch' })] });
    await sent('B-sac', 'challenged', 'sms');
    await sent('B-sac', 'challenged', 'email');
    const text = smsTo(PHONE).at(-1)!;
    expect(text.messagingServiceSid).toBe(SID);
    expect(text.from).toBeUndefined();
    expect(text.body).toContain(record.name);
    const email = emailsTo(EMAIL).at(-1)!;
    expect(email).toMatchObject({ from: 'voter-notices@saccounty.example', fromName: 'Sacramento County Elections' });
    expect(email.text).toContain(OWN_CHALLENGE_WORDS);
    expect(email.text).not.toContain('Su firma no coincide con la de nuestros registros.');
    expect(email.text).toContain(record.phone);
    expect(email.text).toContain(`${record.cureForms.signature_mismatch}?ballot=B-sac`);

    // The draft is not used: the catalog's words go out.
    await post('/v1/scans', { events: [scanItem(E, 'B-sac', 'rejected', { reason: 'no_signature' })] });
    await sent('B-sac', 'rejected', 'email');
    const rejection = emailsTo(EMAIL).at(-1)!;
    expect(rejection.from).toBe('voter-notices@saccounty.example');
    expect(rejection.text).toContain('El sobre no estaba firmado.');
    expect(rejection.text).not.toContain(DRAFT_REJECTION_WORDS);
    await sent('B-sac', 'rejected', 'sms');
    expect(smsTo(PHONE).at(-1)!.body).not.toContain(DRAFT_REJECTION_WORDS);

    // The status page has the same words: the reviewed one, never the draft; and the county's contact.
    const lookup = await h.voters!.lookupStatus(
      { firstName: 'Teodora', lastName: 'Villanueva', dateOfBirth: '1958-02-11', zip: '95814' },
      { clientAddress: '127.0.0.1', source: 'test' },
    );
    expect(lookup.outcome).toBe('found');
    const [timeline] = (lookup as Extract<typeof lookup, { outcome: 'found' }>).ballots;
    expect(timeline!.county).toEqual({ name: record.name, phone: record.phone, url: record.url });
    expect(timeline!.countyTexts?.es).toEqual({ 'reason.challenged.signature_mismatch': OWN_CHALLENGE_WORDS });
  }, 180_000);

  it("offers the voter only the county's languages, and names the voter's county on the manage page", async () => {
    const [row] = await h.db.sql<{ subscription_id: string }[]>`
      SELECT subscription_id FROM subscriptions WHERE voter_id = 'V-sac'`;
    const id = row!.subscription_id;
    const token = createManageToken(TEST_MANAGE_SECRET, id, Date.now() + 3_600_000);
    const mine = await h.call('GET', `/v1/subscriptions/${id}`, { key: token });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body as unknown).toMatchObject({
      languages: record.languages,
      county: { name: record.name, phone: record.phone, url: record.url },
    });
    const refused = await h.call('PATCH', `/v1/subscriptions/${id}`, { key: token, body: { language: 'ko' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields?.language?.code).toBe('language_not_offered');
    const changed = await h.call('PATCH', `/v1/subscriptions/${id}`, { key: token, body: { language: 'vi' } });
    expect(changed.status, changed.text).toBe(200);
    await h.call('PATCH', `/v1/subscriptions/${id}`, { key: token, body: { language: 'es' } });

    // A sign-up's code comes from the county's own senders too.
    await post('/v1/voters', {
      voters: [
        {
          voterId: 'V-code',
          county: 'sacramento',
          firstName: 'Rosa',
          lastName: 'Ybarra',
          dateOfBirth: '1990-06-30',
          zip: '95817',
        },
      ],
    });
    const signUp = await h.call('POST', '/v1/subscriptions', {
      key: null,
      body: {
        firstName: 'Rosa',
        lastName: 'Ybarra',
        dateOfBirth: '1990-06-30',
        zip: '95817',
        contacts: { email: 'rosa@example.org', sms: '+19165550177' },
        language: 'es',
      },
    });
    expect(signUp.status, signUp.text).toBe(202);
    const code = await eventually(() => emailsTo('rosa@example.org')[0]);
    expect(code).toMatchObject({ from: 'voter-notices@saccounty.example', fromName: 'Sacramento County Elections' });
    const text = await eventually(() => smsTo('+19165550177')[0]);
    expect(text.messagingServiceSid).toBe(SID);
  });

  it('answers another county exactly as an unknown one, and lists only the counties a key covers', async () => {
    await seedCounty(h.db.sql, 'yolo');
    const yolo = await h.key({ counties: ['yolo', 'nowhere'] });
    const foreign = await api('GET', '/v1/counties/sacramento', yolo);
    const unknown = await api('GET', '/v1/counties/nowhere', yolo);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const shape = (body: Body) => ({
      ...body.error,
      requestId: undefined,
      message: body.error?.message.replace(/sacramento|nowhere/g, 'X'),
    });
    expect(shape(foreign.body)).toEqual(shape(unknown.body));

    for (const [method, path, body] of [
      ['PUT', '/v1/counties/sacramento', record],
      ['PATCH', '/v1/counties/sacramento', { phone: '(530) 555-0100' }],
      ['GET', '/v1/counties/sacramento/texts', undefined],
      ['PUT', '/v1/counties/sacramento/texts/cure_rule/es', { text: 'Hola' }],
      ['POST', '/v1/counties/sacramento/texts/reason.challenged.signature_mismatch/es/review', undefined],
      ['DELETE', '/v1/counties/sacramento/texts/reason.challenged.signature_mismatch/es', undefined],
    ] as const) {
      const answer = await api(method, path, yolo, body);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error?.code, `${method} ${path}`).toBe('not_found');
    }
    // Nothing changed at Sacramento.
    expect((await api('GET', '/v1/counties/sacramento', sacramento)).body).toMatchObject({ phone: record.phone });

    const listed = await api('GET', '/v1/counties', yolo);
    expect((listed.body.counties as { county: string }[]).map((c) => c.county)).toEqual(['yolo']);
    const all = await api('GET', '/v1/counties', h.adminKey);
    expect((all.body.counties as { county: string }[]).map((c) => c.county)).toEqual(['sacramento', 'yolo']);

    // A key may create its own county's record, and it needs the scopes.
    expect((await api('PUT', '/v1/counties/nowhere', yolo, { ...record, name: 'Nowhere County' })).status).toBe(201);
    const readOnly = await h.key({ scopes: ['counties:read'], counties: ['yolo'] });
    expect((await api('GET', '/v1/counties/yolo', readOnly)).status).toBe(200);
    const refused = await api('PUT', '/v1/counties/yolo', readOnly, record);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('forbidden');
    const noScope = await h.key({ scopes: ['ballots:read'], counties: ['yolo'] });
    expect((await api('GET', '/v1/counties/yolo', noScope)).status).toBe(403);
  });

  it('PATCH changes only the fields it names; null clears one; PUT clears what it leaves out', async () => {
    const patched = await api('PATCH', '/v1/counties/sacramento', sacramento, {
      phone: '(916) 875-6000',
      emailSender: null,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      phone: '(916) 875-6000',
      emailSender: null,
      smsSender: record.smsSender,
      cureForms: record.cureForms,
    });
    const replaced = await api('PUT', '/v1/counties/sacramento', sacramento, {
      name: record.name,
      phone: record.phone,
      url: record.url,
      timezone: record.timezone,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      languages: null,
      smsSender: null,
      cureUrl: null,
      cureForms: {},
      cureDeadlineRule: null,
      certifiesAt: null,
      householdInitial: false,
    });
    // Its own texts are not part of the record: they stay.
    const texts = await h.db.sql`SELECT count(*)::int AS n FROM county_texts WHERE county = 'sacramento'`;
    expect(texts[0]!.n).toBe(2);
    expect((await api('PATCH', '/v1/counties/atlantis', h.adminKey, { phone: '(916) 875-6000' })).status).toBe(404);
  });

  it('refuses every client mistake with a 4xx naming the field, never a 500', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['http url', { url: 'http://elections.saccounty.example' }, 'url'],
      ['unknown time zone', { timezone: 'Pacific/Atlantis' }, 'timezone'],
      ['language not in the catalogs', { languages: ['en', 'fr'] }, 'languages.1'],
      ['languages without English', { languages: ['es'] }, 'languages'],
      ['a language twice', { languages: ['en', 'en'] }, 'languages'],
      ['bad email sender', { emailSender: { address: 'not-an-address' } }, 'emailSender.address'],
      [
        'header injection in the sender name',
        { emailSender: { address: 'a@b.example', name: 'X\r\nBcc: x' } },
        'emailSender.name',
      ],
      ['not a Messaging Service', { smsSender: { messagingServiceSid: 'PN0123' } }, 'smsSender.messagingServiceSid'],
      ['unknown cure reason', { cureForms: { lost_dog: 'https://x.example' } }, 'cureForms'],
      ['cure form not https', { cureForms: { no_signature: 'ftp://x.example' } }, 'cureForms.no_signature'],
      ['unknown deadline rule', { cureDeadlineRule: 'whenever' }, 'cureDeadlineRule'],
      ['certification without offset', { certifiesAt: '2099-12-03T17:00:00' }, 'certifiesAt'],
      ['counted from not a date', { countedFrom: 'tomorrow' }, 'countedFrom'],
      ['household initial not a boolean', { householdInitial: 'yes' }, 'householdInitial'],
      ['empty name', { name: '  ' }, 'name'],
      ['letters for a phone', { phone: 'call us' }, 'phone'],
      ['NUL in the name', { name: 'Sac\u0000ramento' }, 'name'],
      ['unknown field', { fax: '(916) 555-0100' }, 'body'],
    ];
    for (const [what, change, field] of cases) {
      const answer = await api('PUT', '/v1/counties/sacramento', sacramento, { ...record, ...change });
      expect(answer.status, what).toBe(400);
      expect(answer.body.error?.code, what).toBe('invalid_request');
      expect(Object.keys((answer.body.error?.details as { fields: object }).fields), what).toContain(field);
    }
    const { name: _name, ...nameless } = record;
    expect((await api('PUT', '/v1/counties/sacramento', sacramento, nameless)).body.error?.message).toMatch(/name/);
    expect((await api('PATCH', '/v1/counties/sacramento', sacramento, { name: null })).status).toBe(400);

    const notJson = await h.call('PUT', '/v1/counties/sacramento', {
      key: sacramento,
      raw: '{"name":',
      contentType: 'application/json',
    });
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'invalid_json']);
    const form = await h.call('PUT', '/v1/counties/sacramento', {
      key: sacramento,
      raw: 'name=x',
      contentType: 'text/plain',
    });
    expect(form.status).toBe(415);
    expect((await api('GET', '/v1/counties/sac%2Framento', sacramento)).status).toBe(400);

    const texts = '/v1/counties/sacramento/texts';
    for (const [path, body, status] of [
      [`${texts}/status.outbound/es`, { text: 'Hola' }, 400],
      [`${texts}/cure_rule/fr`, { text: 'Bonjour' }, 400],
      [`${texts}/cure_rule/es`, { text: 'x'.repeat(301) }, 400],
      [`${texts}/cure_rule/es`, { text: '' }, 400],
      [`${texts}/cure_rule/es`, { words: 'Hola' }, 400],
    ] as const) {
      const answer = await api('PUT', path, sacramento, body);
      expect(answer.status, path).toBe(status);
      expect(answer.body.error?.code, path).toBe('invalid_request');
    }
    const missing = await api('POST', `${texts}/cure_rule/vi/review`, reviewer);
    expect([missing.status, missing.body.error?.code]).toEqual([404, 'not_found']);
  });

  it("a county's own sender refused by the provider pauses that county's channel only", async () => {
    delivery.sandbox.sendgrid.configure({
      verifiedSenders: ['elections@county.example', 'voter-notices@saccounty.example'],
    });
    const yolo = await h.key({ counties: ['yolo'] });
    const put = await api('PUT', '/v1/counties/yolo', yolo, {
      name: 'Yolo County Elections',
      phone: '(530) 666-8133',
      url: 'https://yolo.example',
      timezone: 'America/Los_Angeles',
      emailSender: { address: 'unverified@yolo.example' },
    });
    expect(put.status, put.text).toBe(200);
    await subscribedVoter('V-yolo', 'yolo', '+15305550123', 'yolo-voter@example.org');
    await post('/v1/ballots', { ballots: [{ electionId: E, ballotId: 'B-yolo', voterId: 'V-yolo', county: 'yolo' }] });
    await post('/v1/scans', { events: [scanItem(E, 'B-yolo', 'outbound')] });

    const pause = await eventually(async () => {
      const [row] = await h.db.sql<{ county: string; channel: string; reason: string }[]>`
        SELECT county, channel, reason FROM delivery_pauses WHERE resumed_at IS NULL`;
      return row;
    }, 60_000);
    expect(pause).toEqual({ county: 'yolo', channel: 'email', reason: 'CountySenderConfiguration' });
    // Its texts go on, and so do other counties' emails.
    await sent('B-yolo', 'outbound', 'sms');
    await subscribedVoter('V-sac2', 'sacramento', '+19165550148', 'second@example.org');
    await post('/v1/ballots', {
      ballots: [{ electionId: E, ballotId: 'B-sac2', voterId: 'V-sac2', county: 'sacramento' }],
    });
    await post('/v1/scans', { events: [scanItem(E, 'B-sac2', 'outbound')] });
    await sent('B-sac2', 'outbound', 'email');
    // Sacramento's record no longer names a sender (PUT above): the deployment's.
    expect(emailsTo('second@example.org').at(-1)!.from).toBe('elections@county.example');
    expect(await noticeOf('B-yolo', 'outbound', 'email')).toMatchObject({ state: 'retrying' });
  }, 120_000);

  it('never answers 500 to odd bodies and odd paths', async () => {
    const nasty: unknown[] = [
      "'; DROP TABLE counties; --",
      '\u0000',
      'a\u0000b',
      '\ud800',
      '__proto__',
      '',
      'x'.repeat(70_000),
      0,
      -1,
      1e308,
      true,
      null,
      [],
      {},
      ['en', null],
      { address: null },
      { __proto__: { polluted: true } },
    ];
    const fields = Object.keys(record);
    for (const field of fields) {
      for (const value of nasty) {
        for (const method of ['PUT', 'PATCH']) {
          const answer = await api(method, '/v1/counties/sacramento', sacramento, { ...record, [field]: value });
          expect(answer.status, `${method} ${field}=${JSON.stringify(value)?.slice(0, 40)}`).toBeLessThan(500);
        }
      }
    }
    for (const value of nasty) {
      for (const [method, path] of [
        ['PUT', '/v1/counties/sacramento/texts/cure_rule/es'],
        ['POST', '/v1/counties/sacramento/texts/cure_rule/es/review'],
      ] as const) {
        const answer = await api(method, path, reviewer, { text: value });
        expect(answer.status, `${method} ${path} ${JSON.stringify(value)?.slice(0, 40)}`).toBeLessThan(500);
      }
    }
    for (const segment of ['%00', '%ED%A0%80', '%E0%A4%A', "'%20OR%201=1", '..', '%2F', 'a'.repeat(500), '__proto__']) {
      for (const path of [
        `/v1/counties/${segment}`,
        `/v1/counties/${segment}/texts`,
        `/v1/counties/sacramento/texts/${segment}/es`,
        `/v1/counties/sacramento/texts/cure_rule/${segment}`,
      ]) {
        expect((await api('GET', path, sacramento)).status, `GET ${path}`).toBeLessThan(500);
        expect((await api('PUT', path, sacramento, { text: 'x' })).status, `PUT ${path}`).toBeLessThan(500);
      }
    }
  }, 120_000);
});
