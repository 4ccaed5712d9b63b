import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { redactPersonalData, withRedactedFailures } from '../../activities/redact.js';

/** A driver error the way postgres.js makes one: the row's values in `detail`, the message naming them. */
function databaseError() {
  return Object.assign(
    new Error('duplicate key value violates unique constraint: (address)=(jane.doe@example.org, +19165550123)'),
    {
      name: 'PostgresError',
      detail: 'Key (imb)=(0004012345678901000195814120101) already exists; ZIP 95814-1201',
    },
  );
}

describe('activity failures reach workflow history redacted', () => {
  it('turns any error into an ApplicationFailure of the same type, without contacts, barcodes, ZIP+4 or the driver detail', async () => {
    const activities = withRedactedFailures({
      failing: () => Promise.reject(databaseError()),
      fine: (value: number) => Promise.resolve(value + 1),
    });
    expect(await activities.fine(1)).toBe(2);
    const failure = await activities.failing().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const { type, message, nonRetryable, cause } = failure as ApplicationFailure;
    expect({ type, nonRetryable, cause }).toEqual({ type: 'PostgresError', nonRetryable: false, cause: undefined });
    expect(message).not.toMatch(/jane|5550123|0004012345/);
    expect(JSON.stringify(failure)).not.toMatch(/0004012345678901000195814120101|95814-1201/);
    expect((failure as ApplicationFailure).stack).not.toMatch(/jane|5550123/);
  });

  it('passes the failures our activities build (a type the workflow decides on) through as they are', async () => {
    const decided = ApplicationFailure.nonRetryable('still failing after 3 attempts', 'StillFailing');
    const activities = withRedactedFailures({ send: () => Promise.reject(decided) });
    expect(await activities.send().catch((error: unknown) => error)).toBe(decided);
  });

  it('redacts IMbs, ZIP+4, phone numbers and email addresses in free text', () => {
    expect(
      redactPersonalData('imb 0004012345678901000195814120101 zip 95814-1201 call (916) 555-0123 or a@b.org'),
    ).toBe('imb [number] zip [zip] call [phone] or [email]');
  });
});
