/**
 * Migration 0012 on a ledger that already has rows: each notice gets its ballot's county (a row
 * whose ballot is unknown keeps none), and later inserts get theirs from the trigger, whichever
 * writer inserts them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('migration 0012 (reports)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    await migrate(
      db.sql,
      readMigrations().filter((m) => m.version < '0012'),
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  const ledgerRow = (ballotId: string) => db.sql`
    INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, message_key, language, state)
    VALUES ('e-1', ${ballotId}, 'received#0', 'sms', 'status.received', 'en', 'sent')`;

  it('fills the county of the notices already in the ledger, and of every later one', async () => {
    await db.sql`INSERT INTO ballots (election_id, ballot_id, voter_id, county) VALUES
      ('e-1', 'B-1', 'V-1', 'sacramento'), ('e-1', 'B-2', 'V-2', 'yolo')`;
    await ledgerRow('B-1');
    await ledgerRow('B-orphan');
    await migrate(db.sql);
    await ledgerRow('B-2');
    const rows = await db.sql<{ ballot_id: string; county: string | null }[]>`
      SELECT ballot_id, county FROM notice_deliveries ORDER BY ballot_id`;
    expect(rows).toEqual([
      { ballot_id: 'B-1', county: 'sacramento' },
      { ballot_id: 'B-2', county: 'yolo' },
      { ballot_id: 'B-orphan', county: null },
    ]);
  });
});
