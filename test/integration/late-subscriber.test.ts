/**
 * A voter who signs up after their ballot reached a final status (its workflow, with nobody to tell,
 * has finished) hears that status once; a later change of their plan does not tell it again.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { enqueuePlanChange } from '../../db/outbox.js';
import type { BallotStatusResponse } from '../../ingest/ballot-status.js';
import { workflowIdFor } from '../../workflows/ballot-contract.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { election, eventually, scanItem, startApiHarness, type ApiHarness } from './api-harness.js';

const E = 'e-late';
const PHONE = '+19165550177';

describe('a voter who signs up after the final status', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;

  async function post(path: string, body: unknown): Promise<void> {
    const answer = await h.call('POST', path, { body });
    expect(answer.status, answer.text).toBe(202);
    expect(answer.body.summary.invalid, answer.text).toBe(0);
  }

  const smsTo = (phone: string) =>
    delivery.sandbox.twilio.messages.filter((m) => m.channel === 'sms' && m.to === phone);

  async function runs(ballotId: string) {
    const found = [];
    for await (const run of h.temporal.workflow.list({ query: `WorkflowId = '${workflowIdFor(E, ballotId)}'` })) {
      found.push(run);
    }
    return found;
  }

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery } });
    await seedCounty(h.db.sql, 'sacramento');
    expect((await h.call('PUT', `/v1/elections/${E}`, { body: election() })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  it('is told the final status once, by a new run of the finished workflow', async () => {
    await post('/v1/voters', {
      voters: [
        {
          voterId: 'V-late',
          county: 'sacramento',
          firstName: 'Ana',
          lastName: 'Reyes',
          dateOfBirth: '1970-01-02',
          zip: '95814',
        },
      ],
    });
    await post('/v1/ballots', {
      ballots: [{ electionId: E, ballotId: 'B-late', voterId: 'V-late', county: 'sacramento' }],
    });
    await post('/v1/scans', {
      events: (['outbound', 'received', 'accepted'] as const).map((type) => scanItem(E, 'B-late', type)),
    });
    // Nobody to tell: the workflow finishes at the final status.
    await eventually(async () => {
      const list = await runs('B-late');
      return list.length === 1 && list[0]!.status.name === 'COMPLETED' ? true : undefined;
    }, 30_000);

    const [subscription] = await h.db.sql<{ subscription_id: string }[]>`
      INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
      VALUES ('V-late', 'en', '00:00', '00:00', 'UTC') RETURNING subscription_id`;
    await h.db.sql`INSERT INTO contacts (subscription_id, channel, address, verified_at)
      VALUES (${subscription!.subscription_id}, 'sms', ${PHONE}, now())`;
    // What the voter service does when a contact is confirmed.
    expect(await enqueuePlanChange(h.db.sql, 'V-late')).toBe(1);

    const notice = await eventually(async () => {
      const answer = await h.call('GET', `/v1/ballots/${E}/B-late`);
      const status = answer.body as unknown as BallotStatusResponse;
      return status.notices.find((n) => n.status === 'accepted' && n.channel === 'sms' && n.state === 'sent');
    }, 60_000);
    expect(notice).toMatchObject({ status: 'accepted', channel: 'sms', state: 'sent' });
    expect(smsTo(PHONE)).toHaveLength(1);
    expect(smsTo(PHONE)[0]!.body).toMatch(/accepted|will be counted/i);
    await eventually(async () =>
      (await runs('B-late')).every((r) => r.status.name === 'COMPLETED') ? true : undefined,
    );
    expect(await runs('B-late')).toHaveLength(2);

    // A later change of plan (a new language) wakes it again; the ledger keeps it from a second text.
    await h.db.sql`UPDATE subscriptions SET language = 'es' WHERE subscription_id = ${subscription!.subscription_id}`;
    expect(await enqueuePlanChange(h.db.sql, 'V-late')).toBe(1);
    await eventually(async () => {
      const list = await runs('B-late');
      return list.length === 3 && list.every((r) => r.status.name === 'COMPLETED') ? true : undefined;
    }, 60_000);
    expect(smsTo(PHONE)).toHaveLength(1);
  }, 180_000);

  it('a ballot the closing made closed, or of a closed election, is not woken', async () => {
    await post('/v1/voters', {
      voters: [
        {
          voterId: 'V-closed',
          county: 'sacramento',
          firstName: 'Luis',
          lastName: 'Soto',
          dateOfBirth: '1971-02-03',
          zip: '95814',
        },
      ],
    });
    await post('/v1/ballots', {
      ballots: [{ electionId: E, ballotId: 'B-closed', voterId: 'V-closed', county: 'sacramento' }],
    });
    await h.db.sql`UPDATE ballots SET status = 'closed' WHERE election_id = ${E} AND ballot_id = 'B-closed'`;
    expect(await enqueuePlanChange(h.db.sql, 'V-closed')).toBe(0);
    await h.db.sql`UPDATE ballots SET status = 'accepted' WHERE election_id = ${E} AND ballot_id = 'B-closed'`;
    expect(await enqueuePlanChange(h.db.sql, 'V-closed')).toBe(1);
    await h.db.sql`UPDATE elections SET closes_at = now() - interval '1 minute' WHERE election_id = ${E}`;
    expect(await enqueuePlanChange(h.db.sql, 'V-closed')).toBe(0);
  });
});
