import { z } from 'zod';
import { checkReason, idSchema, issuanceSchema, scanEventSchema } from '../domain/scan-event.js';
import { isValidTimeZone } from '../domain/zoned-time.js';

/**
 * Request item schemas. Scan and issuance items extend the shared domain schemas (never loosen them),
 * so the API rejects exactly what the ballot workflow would. The same schemas generate the OpenAPI
 * document.
 */

export const MAX_BATCH_ITEMS = 1_000;

const instant = z.iso.datetime({
  offset: true,
  error: 'an ISO 8601 date-time with an offset, e.g. 2026-11-03T20:00:00-08:00',
});
const date = z.iso.date({ error: 'a date as YYYY-MM-DD' });
const county = z.string().min(1).max(64);
const reminderDays = z.number().int().min(0).max(60);

export const electionSchema = storableText(
  z.object({
    name: z.string().min(1).max(200),
    electionDay: date,
    timezone: z.string().max(64).refine(isValidTimeZone, 'an IANA time zone, e.g. America/Los_Angeles'),
    receiptDeadline: instant.optional(),
    cureDeadline: instant.optional(),
    closesAt: instant.optional(),
    returnReminderDaysBefore: reminderDays.optional().describe('default 5'),
    cureReminderDaysBefore: z.array(reminderDays).max(10).optional().describe('default [3, 1]'),
  }),
);
export type ElectionInput = z.output<typeof electionSchema>;

/**
 * PATCH: only the fields present change; `null` clears an optional field (a deadline, the closing).
 * The reminder settings go back to their defaults with `null`.
 */
export const electionPatchSchema = storableText(
  z
    .object({
      name: z.string().min(1).max(200),
      electionDay: date,
      timezone: z.string().max(64).refine(isValidTimeZone, 'an IANA time zone, e.g. America/Los_Angeles'),
      receiptDeadline: instant.nullable(),
      cureDeadline: instant.nullable(),
      closesAt: instant.nullable(),
      returnReminderDaysBefore: reminderDays.nullable(),
      cureReminderDaysBefore: z.array(reminderDays).max(10).nullable(),
    })
    .partial()
    .strict(),
);
export type ElectionPatch = z.output<typeof electionPatchSchema>;

export const voterItemSchema = storableText(
  z.object({
    voterId: idSchema,
    county,
    firstName: z.string().trim().min(1).max(100),
    lastName: z.string().trim().min(1).max(100),
    dateOfBirth: date,
    zip: z.string().regex(/^\d{5}(-\d{4})?$/, 'a ZIP code: five digits, optionally -four'),
    status: z.enum(['active', 'inactive']).optional().describe('default active'),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as es or zh-Hant')
      .optional(),
  }),
);
export type VoterItem = z.output<typeof voterItemSchema>;

export const ballotItemSchema = storableText(
  issuanceSchema
    .extend({
      electionId: idSchema,
      ballotId: idSchema,
      county,
      issuedAt: instant.optional(),
      returnImb: z
        .string()
        .regex(/^\d{20,31}$/, '20 to 31 digits')
        .optional()
        .describe("the return envelope's IMb (USPS scans of it are the ballot's way back); imb is the outbound one"),
    })
    .superRefine((ballot, ctx) => {
      if (ballot.imb && ballot.returnImb && ballot.imb.slice(0, 20) === ballot.returnImb.slice(0, 20)) {
        ctx.addIssue({
          code: 'custom',
          path: ['returnImb'],
          message: 'the return IMb needs its own tracking code (first 20 digits), not the outbound one',
        });
      }
    }),
);
export type BallotItem = z.output<typeof ballotItemSchema>;

export const scanItemSchema = storableText(
  scanEventSchema
    .extend({
      electionId: idSchema,
      ballotId: idSchema,
    })
    .superRefine(checkReason),
);
export type ScanItem = z.output<typeof scanItemSchema>;

// eslint-disable-next-line no-control-regex -- NUL is exactly what this pattern looks for
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * PostgreSQL text and jsonb cannot hold NUL or unpaired UTF-16 surrogates: such strings are a
 * malformed item (`invalid`), not a server error. Checked over every string in the item.
 */
export function storableText<T extends z.ZodType>(schema: T) {
  return schema.superRefine((value, ctx) => {
    const walk = (node: unknown, path: (string | number)[]) => {
      if (typeof node === 'string') {
        if (UNSAFE_TEXT.test(node)) {
          ctx.addIssue({ code: 'custom', path, message: 'contains NUL or an unpaired surrogate' });
        }
      } else if (Array.isArray(node)) {
        node.forEach((child, i) => walk(child, [...path, i]));
      } else if (node && typeof node === 'object') {
        for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
      }
    };
    walk(value, []);
  });
}

const batch = <K extends string>(key: K, item: z.ZodType) =>
  z.object({ [key]: z.array(item).min(1).max(MAX_BATCH_ITEMS) } as Record<K, z.ZodArray<z.ZodType>>);

/** Envelopes: items are checked one by one (a bad item is `invalid`, not a 400), so they are `unknown` here. */
export const votersBatchSchema = batch('voters', z.unknown());
export const ballotsBatchSchema = batch('ballots', z.unknown());
export const scansBatchSchema = batch('events', z.unknown());

/** The same envelopes with their item schemas, for the OpenAPI document. */
export const documentedBatches = {
  voters: batch('voters', voterItemSchema),
  ballots: batch('ballots', ballotItemSchema),
  events: batch('events', scanItemSchema),
};

export const OUTCOMES = ['accepted', 'duplicate', 'invalid'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface ItemError {
  code: string;
  message: string;
  /** The HTTP status this item alone would have had (403 outside the key's counties). */
  status?: number;
}

export interface ItemResult {
  /** Position in the request (0-based). */
  index: number;
  /** Line in an NDJSON body or an imported file (1-based). */
  line?: number;
  outcome: Outcome;
  error?: ItemError;
}

export const itemResultSchema = z.object({
  index: z.number().int(),
  line: z.number().int().optional(),
  outcome: z.enum(OUTCOMES),
  error: z.object({ code: z.string(), message: z.string(), status: z.number().int().optional() }).optional(),
});

export function summarize(results: readonly { outcome: Outcome }[]): Record<Outcome, number> {
  const summary = { accepted: 0, duplicate: 0, invalid: 0 };
  for (const result of results) summary[result.outcome] += 1;
  return summary;
}

/** The item's own ID if it has a usable one (for the result line), whatever else is wrong with it. */
function stringField(item: unknown, field: string): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const value = (item as Record<string, unknown>)[field];
  return typeof value === 'string' && value.length <= 256 ? value : undefined;
}

/**
 * One `accepted` result per item, in order, carrying its line (if given) and whichever of the ID
 * `fields` the item has in usable form; the ingest functions then mark the items they reject.
 */
export function initialResults<F extends string>(
  items: readonly unknown[],
  lines: readonly number[] | undefined,
  fields: readonly F[],
): (ItemResult & Partial<Record<F, string>>)[] {
  return items.map((item, index) => {
    const ids: Partial<Record<F, string>> = {};
    for (const field of fields) {
      const value = stringField(item, field);
      if (value !== undefined) ids[field] = value;
    }
    return { index, ...(lines ? { line: lines[index]! } : {}), ...ids, outcome: 'accepted' };
  });
}
