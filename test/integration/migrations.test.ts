import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MigrationError, readMigrations } from '../../db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('migrations', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('apply once when two processes start at the same time', async () => {
    const second = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const [a, b] = await Promise.all([migrate(db.sql), migrate(second)]);
      const all = readMigrations().map((m) => `${m.version}_${m.name}`);
      expect([...a, ...b].sort()).toEqual(all);
      expect(a.length === 0 || b.length === 0).toBe(true);
      const rows = await db.sql<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version`;
      expect(rows.map((row) => row.version)).toEqual(readMigrations().map((m) => m.version));
    } finally {
      await second.end();
    }
  });

  it('do nothing when everything is applied', async () => {
    expect(await migrate(db.sql)).toEqual([]);
  });

  it('refuse to start when an applied migration was edited', async () => {
    const [first, ...rest] = readMigrations();
    await expect(
      migrate(db.sql, [{ ...first!, sql: `${first!.sql}\n-- edited`, checksum: 'different' }, ...rest]),
    ).rejects.toThrow(MigrationError);
  });

  it('roll back a failing migration completely', async () => {
    const broken = {
      version: '9999',
      name: 'broken',
      sql: 'CREATE TABLE half_done (id int); SELECT nonsense FROM nowhere;',
      checksum: 'x',
    };
    await expect(migrate(db.sql, [...readMigrations(), broken])).rejects.toThrow(/nowhere/);
    const [table] = await db.sql`SELECT to_regclass('half_done') AS found`;
    expect(table).toEqual({ found: null });
    const versions = await db.sql`SELECT version FROM schema_migrations WHERE version = '9999'`;
    expect(versions).toHaveLength(0);
  });
});
