import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { redactContacts } from '../delivery/providers/errors.js';

/**
 * Personal data out of activity failures. A failure's message and stack go into workflow history
 * (and the Web UI) as they are; provider errors are redacted where they are made, but anything else
 * (a database error quoting a value, a bug that prints an address) would go in unredacted. So every
 * activity is wrapped: a Temporal failure our code built passes through, any other error becomes an
 * `ApplicationFailure` of the same type name, still retryable, with a redacted message and without the
 * original's stack, cause or driver details (PostgreSQL's `detail` quotes the row).
 */
export function redactPersonalData(text: string): string {
  return (
    redactContacts(text)
      // IMbs (20 to 31 digits) and other long digit runs: barcodes, account and voter numbers.
      .replace(/\d{9,}/g, '[number]')
      // ZIP+4 and bare ZIP codes next to words such as "zip".
      .replace(/\b\d{5}-\d{4}\b/g, '[zip]')
  );
}

export function redactedFailure(error: unknown): unknown {
  if (error instanceof TemporalFailure) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ message: redactPersonalData(message), type: name, nonRetryable: false });
}

type ActivityFunction = (...args: never[]) => Promise<unknown>;

/** The same activities, each failing only with redacted failures. */
export function withRedactedFailures<T extends Record<string, ActivityFunction>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        try {
          return await activity(...args);
        } catch (error) {
          throw redactedFailure(error);
        }
      },
    ]),
  ) as T;
}
