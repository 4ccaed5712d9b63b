/**
 * Migrations are keyed by their four-digit version in schema_migrations: two files with one version
 * (two branches numbering alike) must be refused, not applied under one key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MigrationError, readMigrations } from '../../db/migrate.js';

describe('migration versions', () => {
  it('the shipped migrations have one file per version, in order', () => {
    const versions = readMigrations().map((m) => m.version);
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions).toEqual([...versions].sort());
  });

  it('two files with the same version are refused, naming it', () => {
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    writeFileSync(join(directory, '0001_first.sql'), 'SELECT 1;');
    writeFileSync(join(directory, '0002_one.sql'), 'SELECT 2;');
    writeFileSync(join(directory, '0002_other.sql'), 'SELECT 3;');
    expect(() => readMigrations(directory)).toThrow(MigrationError);
    expect(() => readMigrations(directory)).toThrow(/share version 0002/);
  });
});
