import postgres from 'postgres';
import type { Config } from '../config/env.js';

export type Sql = postgres.Sql;
/** A transaction: data-access functions that must run inside the caller's transaction take one. */
export type Tx = postgres.TransactionSql;

export function createSql(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>): Sql {
  return postgres(config.DATABASE_URL, {
    max: config.DATABASE_POOL_SIZE,
    onnotice: () => {},
    connection: { application_name: 'ballot-tracker' },
  });
}
