import { z } from 'zod';
import { EVENT_TYPES } from './ballot-status.js';
import { ID_PATTERN } from './ids.js';
import { CHALLENGE_REASONS, REJECTION_REASONS, reasonCodesFor } from './reasons.js';

/**
 * The scan event contract, shared by the API (request validation, OpenAPI) and the ballot workflow
 * (the `recordEvent` update validator), so both reject the same malformed events.
 */

export { ID_PATTERN };
export const idSchema = z.string().regex(ID_PATTERN, 'letters, digits, ".", "_" or "-", 1 to 64 characters');

const instantSchema = z.iso.datetime({
  offset: true,
  error: 'an ISO 8601 date-time with an offset, e.g. 2026-10-06T14:03:00-07:00',
});
const dateSchema = z.iso.date({ error: 'a date as YYYY-MM-DD' });

/** A feed identifier: starts with a letter or digit; letters, digits, ".", "_", ":" and "-"; at most 64. */
export const SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export const scanEventSchema = z.object({
  eventId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  type: z.enum(EVENT_TYPES),
  occurredAt: instantSchema,
  /**
   * Which feed reported the event, as an identifier (`usps-ivmtr`, `county:dropbox-7`): never free
   * text, so no name or address can ride in it. Stored in PostgreSQL only.
   */
  source: z
    .string()
    .regex(SOURCE_PATTERN, 'an identifier: letters, digits, ".", "_", ":" or "-", 1 to 64 characters')
    .optional(),
  reason: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      `challenged and rejected only: a reason code (domain/reasons.ts). challenged: ${CHALLENGE_REASONS.join(', ')}; ` +
        `rejected: ${REJECTION_REASONS.join(', ')}`,
    ),
  cureDeadline: z.union([instantSchema, dateSchema]).optional(),
  expectedDeliveryDate: dateSchema.optional(),
  facilityZip: z
    .string()
    .regex(/^\d{5}$/, 'five digits')
    .optional(),
});

/**
 * The reason rule, applied over a whole scan (its type decides which codes are allowed): a reason
 * is a listed code of the scan's type, and only challenged and rejected scans carry one. Kept apart
 * from the object schema so that schemas extending it (the API's scan item) apply it too.
 */
export function checkReason(
  scan: { type: string; reason?: string | undefined },
  ctx: { addIssue: (issue: { code: 'custom'; path: string[]; message: string }) => void },
): void {
  if (scan.reason === undefined) return;
  const codes = reasonCodesFor(scan.type);
  if (!codes) {
    ctx.addIssue({ code: 'custom', path: ['reason'], message: `a ${scan.type} scan carries no reason` });
  } else if (!codes.includes(scan.reason)) {
    ctx.addIssue({
      code: 'custom',
      path: ['reason'],
      message: `not a ${scan.type} reason code; use one of ${codes.join(', ')}`,
    });
  }
}

/** One event as the workflow stores it: IDs, codes and dates only. */
export type ScanEvent = z.output<typeof scanEventSchema>;

export const issuanceSchema = z.object({
  voterId: idSchema,
  county: z.string().min(1).max(64),
  imb: z
    .string()
    .regex(/^\d{20,31}$/, '20 to 31 digits')
    .optional(),
});

/** The ballot's issuance record: who it belongs to, by ID. */
export type Issuance = z.output<typeof issuanceSchema>;

/** Human-readable reasons for every problem, e.g. `occurredAt: an ISO 8601 date-time ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`).join('; ');
}
