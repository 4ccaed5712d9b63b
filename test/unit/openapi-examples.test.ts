/**
 * The API reference shows an example for every request body and every response, and the examples
 * are true: each request example passes the API's own validation, and each example matches the
 * schema the document gives for it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from '../../api/openapi.js';
import { createBroadcastSchema } from '../../api/broadcasts.js';
import {
  ballotItemSchema,
  electionPatchSchema,
  electionSchema,
  scanItemSchema,
  voterItemSchema,
} from '../../ingest/schemas.js';
import { preferencesPatchSchema, resendSchema, signUpSchema, verifySchema } from '../../voters/schemas.js';
import {
  countyPatchSchema,
  countyPutSchema,
  countyTextPutSchema,
  countyTextReviewSchema,
} from '../../api/county-schemas.js';
import { FALLBACK_TIME_ZONE } from '../../config/env.js';
import { parseIvmtrRecord } from '../../ingest/parsers/ivmtr.js';
import { defaultOperationTable, ivmtrPushSchema } from '../../ingest/usps.js';

const uspsTable = defaultOperationTable(FALLBACK_TIME_ZONE);
/** What POST /v1/usps/ivmtr checks of each record (the request is accepted record by record). */
const ivmtrRecordsValid = (records: unknown[], ctx: z.RefinementCtx) =>
  records.forEach((record, i) => {
    const parsed = parseIvmtrRecord(record, uspsTable);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', path: [i], message: `${parsed.code}: ${parsed.message}` });
  });
const ivmtrText = z.string().superRefine((text, ctx) => {
  const [header, ...rows] = text.split('\n').filter((line) => line.trim() !== '');
  const names = (header ?? '').split('|');
  ivmtrRecordsValid(
    rows.map((row) => Object.fromEntries(row.split('|').map((value, i) => [names[i] ?? `_${i}`, value]))),
    ctx,
  );
});

interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
}
interface Operation {
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}

const document = openApiDocument() as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

/** Replaces every `$ref` to a component by the component itself (the document has no cycles). */
function inline(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(inline);
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref) return inline(document.components.schemas[ref.replace('#/components/schemas/', '')]);
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inline(value)]));
}

const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
);

const requestMedia = operations.flatMap(({ name, operation }) =>
  Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({ name, type, media })),
);
const responseMedia = operations.flatMap(({ name, operation }) =>
  Object.entries(operation.responses).flatMap(([status, response]) =>
    Object.entries(response.content ?? {}).map(([type, media]) => ({ name: `${name} → ${status}`, type, media })),
  ),
);

const each = <T>(schema: z.ZodType<T>) => z.array(schema).min(1);
/** The validation the API itself runs on each request body. */
const REQUEST_CHECKS: Record<string, z.ZodType> = {
  'PUT /v1/elections/{electionId} application/json': electionSchema,
  'PATCH /v1/elections/{electionId} application/json': electionPatchSchema,
  'POST /v1/voters application/json': z.object({ voters: each(voterItemSchema) }),
  'POST /v1/ballots application/json': z.object({ ballots: each(ballotItemSchema) }),
  'POST /v1/scans application/json': z.object({ events: each(scanItemSchema) }),
  'POST /v1/scans application/x-ndjson': scanItemSchema,
  'POST /v1/usps/ivmtr application/json': ivmtrPushSchema.superRefine((body, ctx) =>
    ivmtrRecordsValid(body.events, ctx),
  ),
  'POST /v1/usps/ivmtr text/plain': ivmtrText,
  'POST /v1/subscriptions application/json': signUpSchema,
  'POST /v1/subscriptions/{id}/verify application/json': verifySchema,
  'POST /v1/subscriptions/{id}/verify/resend application/json': resendSchema,
  'PATCH /v1/subscriptions/{id} application/json': preferencesPatchSchema,
  'POST /v1/broadcasts application/json': createBroadcastSchema,
  'PUT /v1/counties/{county} application/json': countyPutSchema,
  'PATCH /v1/counties/{county} application/json': countyPatchSchema,
  'PUT /v1/counties/{county}/texts/{path}/{language} application/json': countyTextPutSchema,
  'POST /v1/counties/{county}/texts/{path}/{language}/review application/json': countyTextReviewSchema,
};

describe('OpenAPI examples', () => {
  it('every request body and every response with content has an example', () => {
    const missing = [...requestMedia, ...responseMedia]
      .filter(({ media }) => media.example === undefined)
      .map(({ name, type }) => `${name} ${type}`);
    expect(missing).toEqual([]);
    expect(responseMedia.length).toBeGreaterThan(60);
  });

  it.each(requestMedia.map((m) => [`${m.name} ${m.type}`, m] as const))(
    'the request example of %s passes the API validation',
    (key, { media }) => {
      const check = REQUEST_CHECKS[key];
      expect(check, `no validation listed for ${key}`).toBeDefined();
      const parsed = check!.safeParse(media.example);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    },
  );

  it.each([...requestMedia, ...responseMedia].map((m) => [`${m.name} ${m.type}`, m] as const))(
    'the example of %s matches its documented schema',
    (_key, { media }) => {
      const schema = z.fromJSONSchema(inline(media.schema) as Parameters<typeof z.fromJSONSchema>[0]);
      const parsed = schema.safeParse(media.example);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    },
  );
});
