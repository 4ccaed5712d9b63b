/**
 * The cure path as `npm start` runs it: the vendor API, the record in PostgreSQL, the forwarder, the
 * ballot workflow and the real senders against the sandbox providers. A challenge without a
 * deadline (none in the scan, none in the election) reaches the voter by SMS and email, in their
 * language, inside their window, with the county's form for the reason and its deadline rule; while
 * the providers fail the status API shows the notice `retrying` (attempts, error class), then `sent`.
 * Every owed notice has a state: a channel that left the plan shows `skipped` with why; a ballot
 * whose notice has been failing for over an hour is counted on /metrics.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { saveCounty } from '../../db/counties.js';
import type { BallotStatusResponse } from '../../ingest/ballot-status.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const E = 'e-cure';
const PHONE = '+19165550188';
const EMAIL = 'marisol@example.org';
const FORM = 'https://elections.saccounty.example/signature-verification-statement';

type Notice = BallotStatusResponse['notices'][number];

describe('the cure path and notice states, end to end', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;

  async function ballot(ballotId: string): Promise<BallotStatusResponse> {
    const answer = await h.call('GET', `/v1/ballots/${E}/${ballotId}`);
    expect(answer.status).toBe(200);
    return answer.body as unknown as BallotStatusResponse;
  }

  async function noticeOf(ballotId: string, status: string, channel: string): Promise<Notice | undefined> {
    return (await ballot(ballotId)).notices.find((n) => n.status === status && n.channel === channel);
  }

  async function post(path: string, body: unknown): Promise<void> {
    const answer = await h.call('POST', path, { body });
    expect(answer.status, answer.text).toBe(202);
    expect(answer.body.summary.invalid, answer.text).toBe(0);
  }

  /** A voter on the roll with a Spanish subscription, verified SMS and email, contactable at any hour. */
  async function subscribedVoter(
    voterId: string,
    phone: string,
    email: string,
    county = 'sacramento',
  ): Promise<string> {
    await post('/v1/voters', {
      voters: [
        {
          voterId,
          county,
          firstName: 'Marisol',
          lastName: 'Quintanilla',
          dateOfBirth: '1961-04-17',
          zip: '95814',
        },
      ],
    });
    const [subscription] = await h.db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
      VALUES (${voterId}, 'es', '00:00', '00:00', 'UTC') RETURNING subscription_id`;
    await h.db.sql`INSERT INTO contacts (subscription_id, channel, address, verified_at) VALUES
      (${subscription!.subscription_id}, 'sms', ${phone}, now()),
      (${subscription!.subscription_id}, 'email', ${email}, now())`;
    return subscription!.subscription_id;
  }

  const smsTo = (phone: string) =>
    delivery.sandbox.twilio.messages.filter((m) => m.channel === 'sms' && m.to === phone);
  const emailsTo = (address: string) => delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery } });
    // A county that names a form per reason, its deadline rule and the voter's initial.
    await saveCounty(
      h.db.sql,
      {
        county: 'sacramento',
        name: 'Sacramento County Elections',
        phone: '(916) 875-6451',
        url: 'https://elections.saccounty.example',
        cureUrl: 'https://elections.saccounty.example/cure',
        timezone: 'America/Los_Angeles',
        emailFrom: null,
        cureDeadlineRule: 'two_days_before_certification',
        householdInitial: true,
      },
      { cureForms: { signature_mismatch: FORM } },
    );
    await seedCounty(h.db.sql, 'yolo');
    // No cure deadline in the election either.
    expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  it('a challenge without a deadline reaches the voter by SMS and email in Spanish; retrying while the providers fail, then sent', async () => {
    await subscribedVoter('V-cure', PHONE, EMAIL);
    await post('/v1/ballots', {
      ballots: [{ electionId: E, ballotId: 'B-cure', voterId: 'V-cure', county: 'sacramento' }],
    });
    await post('/v1/scans', { events: [scanItem(E, 'B-cure', 'received')] });
    await eventually(async () =>
      (await noticeOf('B-cure', 'received', 'email'))?.state === 'sent' ? true : undefined,
    );
    await eventually(async () => ((await noticeOf('B-cure', 'received', 'sms'))?.state === 'sent' ? true : undefined));
    // The first text to the number says how to opt out (CTIA), and whose ballot it is (household option).
    expect(smsTo(PHONE)[0]!.body).toContain('Responda STOP para cancelar.');
    expect(smsTo(PHONE)[0]!.body).toContain('(boleta de M)');

    // Both providers refuse the next two requests ("come back later"): the notice is retried.
    delivery.sandbox.twilio.failNext({ kind: 'server_error', status: 503 }, { kind: 'server_error', status: 503 });
    delivery.sandbox.sendgrid.failNext({ status: 503 }, { status: 503 });
    await post('/v1/scans', { events: [scanItem(E, 'B-cure', 'challenged', { reason: 'signature_mismatch' })] });

    const retrying = await eventually(async () => {
      const notice = await noticeOf('B-cure', 'challenged', 'sms');
      return notice?.state === 'retrying' ? notice : undefined;
    });
    expect(retrying).toMatchObject({ state: 'retrying', lastError: 'unavailable' });
    expect(retrying.attempts).toBeGreaterThanOrEqual(1);

    for (const channel of ['sms', 'email']) {
      const sent = await eventually(async () => {
        const notice = await noticeOf('B-cure', 'challenged', channel);
        return notice?.state === 'sent' ? notice : undefined;
      }, 60_000);
      expect(sent.attempts, channel).toBeGreaterThanOrEqual(2);
    }

    const text = smsTo(PHONE).at(-1)!.body!;
    expect(text).toContain('Sacramento County Elections (boleta de M)');
    expect(text).toContain('lo antes posible');
    expect(text).toContain(`${FORM}?ballot=B-cure`);
    expect(text).not.toContain('STOP'); // the hint went out with the first notice; monthly after
    const email = emailsTo(EMAIL).at(-1)!;
    expect(email.subject).toContain('Su boleta requiere una acción suya');
    expect(email.text).toContain('Este mensaje es sobre la boleta del votante cuyo nombre empieza con M.');
    expect(email.text).toContain('Llene y firme la declaración de verificación de firma y envíenosla.');
    expect(email.text).toContain('El condado acepta su respuesta a más tardar a las 5 p.m.');
    expect(email.text).toContain('Seguimos el sobre de su boleta, no su voto');
    expect(email.text).not.toMatch(/a más tardar el \d/);
    const [row] = await h.db.sql<{ message_key: string; language: string }[]>`
      SELECT message_key, language FROM notice_deliveries
      WHERE ballot_id = 'B-cure' AND notice_key = 'challenged#0' AND channel = 'email'`;
    expect(row).toEqual({ message_key: 'status.challenged.no_deadline', language: 'es' });
  }, 120_000);

  it('shows every owed notice: skipped with why when a channel left the plan (opted out, removed, unsubscribed)', async () => {
    // On Yolo's roll: a ballot of Yolo goes to a voter of Yolo (voter_county_mismatch otherwise).
    const subscriptionId = await subscribedVoter('V-skip', '+19165550189', 'skip@example.org', 'yolo');
    await post('/v1/ballots', { ballots: [{ electionId: E, ballotId: 'B-skip', voterId: 'V-skip', county: 'yolo' }] });
    await post('/v1/scans', { events: [scanItem(E, 'B-skip', 'outbound')] });
    await eventually(async () => ((await noticeOf('B-skip', 'outbound', 'sms'))?.state === 'sent' ? true : undefined));

    // The voter texts STOP: the SMS channel is opted out.
    await h.db.sql`UPDATE contacts SET opted_out_at = now() WHERE address = '+19165550189'`;
    await post('/v1/scans', { events: [scanItem(E, 'B-skip', 'inbound')] });
    expect(await noticeOf('B-skip', 'inbound', 'sms')).toMatchObject({ state: 'skipped', reason: 'opted out' });

    // The voter removes the email address on the manage page.
    await h.db.sql`DELETE FROM contacts WHERE address = 'skip@example.org'`;
    await post('/v1/scans', { events: [scanItem(E, 'B-skip', 'received')] });
    expect(await noticeOf('B-skip', 'received', 'email')).toMatchObject({
      state: 'skipped',
      reason: 'channel no longer chosen',
    });

    // The voter unsubscribes.
    await h.db.sql`UPDATE contacts SET opted_out_at = NULL WHERE subscription_id = ${subscriptionId}`;
    await h.db.sql`UPDATE subscriptions SET status = 'unsubscribed' WHERE subscription_id = ${subscriptionId}`;
    await post('/v1/scans', { events: [scanItem(E, 'B-skip', 'accepted')] });
    const notices = (await ballot('B-skip')).notices.filter((n) => n.status === 'accepted');
    expect(notices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'sms', state: 'skipped', reason: 'unsubscribed' }),
        expect.objectContaining({ channel: 'email', state: 'skipped', reason: 'channel no longer chosen' }),
      ]),
    );
    expect(notices.filter((n) => n.state !== 'skipped')).toEqual([]);
  }, 60_000);

  it('counts a ballot whose notice has been failing for over an hour on /metrics', async () => {
    const metric = async () => {
      const text = (await h.call('GET', '/metrics', { key: null })).text;
      return Number(/^ballots_with_stuck_notices\{problem="retrying"\} (\d+)$/m.exec(text)?.[1]);
    };
    const before = await metric();
    // A notice of B-cure failed and has kept failing since well over an hour ago.
    await h.db.sql`
      INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, sequence, message_key, language,
                                     state, attempts, error_code, created_at)
      VALUES (${E}, 'B-cure', 'challenged#1', 'sms', 1, 'reminder.cure.no_deadline', 'es', 'pending', 9,
              'unavailable', now() - interval '2 hours')`;
    expect(await metric()).toBe(before + 1);
    expect(await noticeOf('B-cure', 'challenged', 'sms')).toBeDefined();
    const stuck = (await ballot('B-cure')).notices.find((n) => n.sequence === 1);
    expect(stuck).toMatchObject({ state: 'retrying', attempts: 9, lastError: 'unavailable', reminder: 'cure' });
  });
});
