import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './client.js';

/** Beside this module in the source tree; `npm run build` copies them next to the compiled one. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Any fixed number: every process that migrates takes the same transaction-scoped advisory lock. */
const MIGRATION_LOCK_KEY = 0x6261_6c6c; // "ball"

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function readMigrations(directory = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(directory)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(directory, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  // Two branches may pick the same number: the version is the key of schema_migrations, so refuse.
  const versions = migrations.map((m) => m.version);
  const twice = versions.filter((version, i) => versions.indexOf(version) !== i);
  if (twice.length > 0) throw new MigrationError(`two migrations share version ${twice.join(', ')}: renumber one`);
  return migrations;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so two processes starting at
 * once serialise: the second waits, then finds nothing left to do. A migration edited after it was
 * applied stops start-up rather than leaving the schema and the files out of step.
 */
export async function migrate(sql: Sql, migrations = readMigrations()): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    text PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    const applied = new Map(
      (await tx<{ version: string; checksum: string }[]>`SELECT version, checksum FROM schema_migrations`).map(
        (row) => [row.version, row.checksum],
      ),
    );
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError(
            `migration ${migration.version}_${migration.name} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, name, checksum) VALUES (${migration.version}, ${migration.name}, ${migration.checksum})`;
      done.push(`${migration.version}_${migration.name}`);
    }
    return done;
  });
}
