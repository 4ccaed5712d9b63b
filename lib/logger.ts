import { pino, type Logger } from 'pino';
import type { Config } from '../config/env.js';

export type { Logger };

/**
 * Personal data never reaches a log line: these paths are censored wherever they appear at the top
 * level or one level down (request bodies, voter records, contacts).
 */
const PERSONAL_FIELDS = ['firstName', 'lastName', 'dateOfBirth', 'phone', 'email', 'address', 'to', 'zip', 'code'];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  ...PERSONAL_FIELDS.flatMap((field) => [field, `*.${field}`]),
  // A Postgres error's detail quotes the offending values ("Key (address)=(…) already exists",
  // "Failing row contains (…)"); `err` is pino's key, `error` the Temporal SDK's.
  'err.detail',
  'error.detail',
];

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name: string): Logger {
  return pino({
    name,
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: name },
  });
}
