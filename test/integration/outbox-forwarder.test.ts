/**
 * The outbox forwarder on PostgreSQL, with the Temporal call replaced by a recorder (`deliver`): a
 * failing ballot holds up nobody else, fails into a dead letter an operator can retry, writers wake
 * the forwarder at once (LISTEN/NOTIFY), and the shared action budget paces it.
 */
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActionBudget } from '../../db/action-budget.js';
import { deadLetters, enqueue, outboxHealth, retryDeadLetters, type ClaimedBallot } from '../../db/outbox.js';
import { OutboxForwarder } from '../../ingest/forwarder.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';

const logger = pino({ level: 'silent' });

describe('outbox forwarder', () => {
  let db: TestDatabase;
  let temporal: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  });

  afterAll(async () => {
    await temporal?.connection.close();
    await db?.drop();
  });

  function forwarder(
    deliver: (ballot: ClaimedBallot) => Promise<string>,
    options: Partial<ConstructorParameters<typeof OutboxForwarder>[0]> = {},
  ) {
    return new OutboxForwarder({
      sql: db.sql,
      temporal,
      taskQueue: 'unused',
      logger,
      pollIntervalMs: 50,
      maxBackoffMs: 200,
      deliver: (ballot) => deliver(ballot),
      ...options,
    });
  }

  it('forwards every other ballot while one ballot with 3,000 rows keeps failing, then dead-letters it', async () => {
    const election = 'e-stall';
    await enqueue(
      db.sql,
      Array.from({ length: 3_000 }, (_, i) => ({
        kind: 'scan' as const,
        electionId: election,
        ballotId: 'poison',
        eventId: `p-${i}`,
      })),
    );
    await enqueue(
      db.sql,
      Array.from({ length: 500 }, (_, i) => ({
        kind: 'scan' as const,
        electionId: election,
        ballotId: `ok-${i % 250}`,
        eventId: `ok-${i}`,
      })),
    );
    const delivered = new Map<string, number>();
    const attempts = { poison: 0 };
    const f = forwarder(
      (ballot) => {
        if (ballot.ballotId === 'poison') {
          attempts.poison += 1;
          return Promise.reject(new Error('the workflow refuses this ballot'));
        }
        delivered.set(ballot.ballotId, (delivered.get(ballot.ballotId) ?? 0) + ballot.rows.length);
        return Promise.resolve('delivered');
      },
      { maxAttempts: 4 },
    );
    await f.start();
    try {
      await eventually(() =>
        Promise.resolve([...delivered.values()].reduce((a, b) => a + b, 0) === 500 ? true : undefined),
      );
      expect(delivered.size).toBe(250);
      // Each ballot's pending rows went in one delivery.
      expect([...delivered.values()].every((rows) => rows === 2)).toBe(true);
      const [dead] = await eventually(async () => {
        const letters = await deadLetters(db.sql, { electionId: election });
        return letters.length > 0 ? letters : undefined;
      });
      expect(dead).toMatchObject({
        ballotId: 'poison',
        pending: 3_000,
        attempts: 4,
        lastError: 'the workflow refuses this ballot',
      });
      expect(attempts.poison).toBe(4);
      expect(await outboxHealth(db.sql)).toMatchObject({ pending: 3_000, deadBallots: 1 });
    } finally {
      await f.stop();
    }

    // The operator retries it once the cause is fixed: all 3,000 rows go, in order, in batches.
    const seqs: string[] = [];
    const fixed = forwarder((ballot) => {
      seqs.push(...ballot.rows.map((row) => row.seq));
      return Promise.resolve('delivered');
    });
    expect(await retryDeadLetters(db.sql, { electionId: election, ballotId: 'poison' })).toBe(1);
    await fixed.start();
    try {
      await eventually(() => Promise.resolve(seqs.length === 3_000 ? true : undefined));
      expect(seqs.map(Number)).toEqual([...seqs.map(Number)].sort((a, b) => a - b));
      expect(await outboxHealth(db.sql)).toMatchObject({ pending: 0, deadBallots: 0 });
    } finally {
      await fixed.stop();
    }
  }, 60_000);

  it('an outage (Temporal unreachable) never dead-letters a ballot', async () => {
    await enqueue(db.sql, [{ kind: 'scan', electionId: 'e-outage', ballotId: 'b', eventId: 'x' }]);
    let calls = 0;
    const f = forwarder(
      () => {
        calls += 1;
        return Promise.reject(Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), { code: 14 }));
      },
      { maxAttempts: 2 },
    );
    await f.start();
    try {
      await eventually(() => Promise.resolve(calls >= 5 ? true : undefined));
    } finally {
      await f.stop();
    }
    expect(await deadLetters(db.sql, { electionId: 'e-outage' })).toEqual([]);
    await db.sql`DELETE FROM outbox_ballots WHERE election_id = 'e-outage'`;
    await db.sql`DELETE FROM workflow_outbox WHERE election_id = 'e-outage'`;
  });

  it("wakes on a writer's NOTIFY instead of waiting for its poll", async () => {
    const seen: number[] = [];
    const f = forwarder(
      () => {
        seen.push(Date.now());
        return Promise.resolve('delivered');
      },
      { pollIntervalMs: 60_000 },
    );
    await f.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const written = Date.now();
      await db.sql.begin((tx) => enqueue(tx, [{ kind: 'scan', electionId: 'e-notify', ballotId: 'b', eventId: 'n' }]));
      await eventually(() => Promise.resolve(seen.length === 1 ? true : undefined));
      expect(seen[0]! - written).toBeLessThan(1_000);
    } finally {
      await f.stop();
    }
  });

  it('paces deliveries to the shared action budget', async () => {
    await enqueue(
      db.sql,
      Array.from({ length: 60 }, (_, i) => ({
        kind: 'scan' as const,
        electionId: 'e-paced',
        ballotId: `b-${i}`,
        eventId: `e-${i}`,
      })),
    );
    let count = 0;
    const f = forwarder(
      () => {
        count += 1;
        return Promise.resolve('delivered');
      },
      { budget: new ActionBudget(db.sql, { perSecond: 20, burst: 20, name: 'paced-test' }) },
    );
    const started = Date.now();
    await f.start();
    try {
      await eventually(() => Promise.resolve(count === 60 ? true : undefined));
    } finally {
      await f.stop();
    }
    // 20 at once (the burst), then 20 a second: about two seconds for the other 40.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });
});
