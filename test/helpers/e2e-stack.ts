/**
 * The whole stack for the browser tests, in the test process: the API harness (a fresh database, the
 * ballot worker and the SMS worker on the suite's Temporal dev server, the outbox forwarder, the API
 * app) with the sandbox Twilio and SendGrid behind the real provider adapters, the voter pages and the
 * development outbox. Seeding goes through the vendor API, as a county's systems would.
 */
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import type { OutboxEntry } from '../../api/dev-outbox.js';
import { startApiHarness, type ApiBody } from '../integration/api-harness.js';
import type { TestDatabase } from './database.js';
import { seedCounty, startTestDelivery, type TestDelivery } from './delivery.js';
import type { FixturePerson } from './history-pii-fixtures.js';

export const COUNTY = 'sacramento';

export interface ApiAnswer {
  status: number;
  /** The JSON answer; undefined when the body is not JSON (`text` has it). */
  body: ApiBody;
  text: string;
}

export interface E2eStack {
  /** Base URL of the app (pages, /v1, /dev/outbox.json). */
  url: string;
  db: TestDatabase;
  delivery: TestDelivery;
  temporal: Client;
  taskQueue: string;
  /** A vendor API call with a key that has every scope and county. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** What the sandbox providers were asked to send, oldest first (GET /dev/outbox.json). */
  outbox(): Promise<OutboxEntry[]>;
  /** An election whose day is a month away, so manage tokens are valid and nothing closes. */
  putElection(electionId: string): Promise<void>;
  /** A voter on the roll (active, no subscription): the person signs up on the pages. */
  putVoter(voterId: string, person: FixturePerson): Promise<void>;
  issueBallot(electionId: string, ballotId: string, voterId: string): Promise<void>;
  /** Posts one scan through the vendor API (accepted, not a duplicate), with its details (reason, cure deadline). */
  scan(electionId: string, ballotId: string, type: string, extra?: Record<string, string>): Promise<void>;
  /** GET /v1/ballots/{electionId}/{ballotId}: the ballot as the vendor API reports it. */
  ballot(electionId: string, ballotId: string): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

function expectStatus(answer: ApiAnswer, expected: number, what: string): void {
  if (answer.status !== expected) {
    throw new Error(`${what}: expected HTTP ${expected}, got ${answer.status}: ${answer.text}`);
  }
}

let scanCounter = 0;

export async function startE2eStack(): Promise<E2eStack> {
  const delivery = await startTestDelivery();
  const harness = await startApiHarness({
    temporalAddress: inject('temporalAddress'),
    voters: { delivery, pages: true },
  }).catch(async (error: unknown) => {
    await delivery.close();
    throw error;
  });
  const stopAll = async () => {
    await harness.stop().catch(() => {});
    await delivery.close().catch(() => {});
  };
  try {
    const { db, temporal, taskQueue } = harness;
    await seedCounty(db.sql, COUNTY);

    const api: E2eStack['api'] = async (method, path, body) => {
      const answer = await harness.call(method, path, body === undefined ? {} : { body });
      return { status: answer.status, body: answer.body, text: answer.text };
    };

    return {
      url: harness.url,
      db,
      delivery,
      temporal,
      taskQueue,
      api,
      async outbox() {
        const answer = await api('GET', '/dev/outbox.json');
        expectStatus(answer, 200, 'GET /dev/outbox.json');
        return JSON.parse(answer.text) as OutboxEntry[];
      },
      async putElection(electionId) {
        const electionDay = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
        const answer = await api('PUT', `/v1/elections/${electionId}`, {
          name: 'General Election',
          electionDay,
          timezone: 'America/Los_Angeles',
        });
        expectStatus(answer, 201, `PUT /v1/elections/${electionId}`);
      },
      async putVoter(voterId, person) {
        const { firstName, lastName, dateOfBirth, zip } = person;
        const answer = await api('POST', '/v1/voters', {
          voters: [{ voterId, county: COUNTY, firstName, lastName, dateOfBirth, zip }],
        });
        expectStatus(answer, 202, 'POST /v1/voters');
        if (answer.body.results[0]?.outcome !== 'accepted') throw new Error(answer.text);
      },
      async issueBallot(electionId, ballotId, voterId) {
        const answer = await api('POST', '/v1/ballots', {
          ballots: [{ electionId, ballotId, voterId, county: COUNTY }],
        });
        expectStatus(answer, 202, 'POST /v1/ballots');
        if (answer.body.results[0]?.outcome !== 'accepted') throw new Error(answer.text);
      },
      async scan(electionId, ballotId, type, extra = {}) {
        scanCounter += 1;
        const answer = await api('POST', '/v1/scans', {
          events: [
            {
              eventId: `e2e-${Date.now().toString(36)}-${scanCounter}`,
              electionId,
              ballotId,
              type,
              occurredAt: new Date().toISOString(),
              ...extra,
            },
          ],
        });
        expectStatus(answer, 202, 'POST /v1/scans');
        if (answer.body.results[0]?.outcome !== 'accepted') throw new Error(answer.text);
      },
      ballot: (electionId, ballotId) => api('GET', `/v1/ballots/${electionId}/${ballotId}`),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
