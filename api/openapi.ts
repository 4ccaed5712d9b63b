import { z } from 'zod';
import { idSchema } from '../domain/scan-event.js';
import { ALL_SCOPES } from '../domain/principal.js';
import { ballotStatusResponseSchema } from '../ingest/ballot-status.js';
import {
  documentedBatches,
  electionPatchSchema,
  electionSchema,
  itemResultSchema,
  MAX_BATCH_ITEMS,
  OUTCOMES,
} from '../ingest/schemas.js';
import { LANGUAGES } from '../delivery/templates/index.js';
import { CONTACT_CHANNELS } from '../voters/contract.js';
import { ERROR_EXAMPLES, OPERATION_EXAMPLES, VOTER_ERROR_EXAMPLES } from './openapi-examples.js';
import { broadcastPaths, broadcastSchemas } from './broadcasts-openapi.js';
import { ivmtrPushSchema, MAX_IVMTR_RECORDS, uspsResultsSchema } from '../ingest/usps.js';
import { preferencesPatchSchema, resendSchema, signUpSchema, verifySchema } from '../voters/schemas.js';
import { REPORT_DESCRIPTIONS, REPORT_NAMES, reportQuerySchema, reportResultSchema } from '../reports/reports.js';
import { REPORT_CSV_EXAMPLE } from './openapi-examples.js';
import { COUNTY_SCHEMAS, countyPaths } from './openapi-counties.js';
import { errorResponsesWith, json } from './openapi-parts.js';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests (JSON Schema
 * 2020-12 is OpenAPI 3.1's schema dialect), so the document cannot drift from the checks.
 */

const schema = (type: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});

const batchResponse = (idField: string, extra: Record<string, z.ZodType> = {}) =>
  z.object({
    results: z.array(itemResultSchema.extend({ [idField]: z.string().optional(), ...extra })),
    summary: z.object(Object.fromEntries(OUTCOMES.map((outcome) => [outcome, z.number().int()]))),
  });

// ---- the voters' API (no API key; manage token for a subscription's own requests) ----------------

const channel = z.enum(CONTACT_CHANNELS as [string, ...string[]]);

const voterError = z.object({
  error: z.object({
    code: z
      .string()
      .describe(
        'no_match, multiple_matches, validation_failed, rate_limited, not_found, invalid_code, code_expired, ' +
          'too_many_attempts, already_verified, invalid_token, token_expired, token_mismatch, unsubscribed',
      ),
    message: z.string(),
    fields: z
      .record(z.string(), z.object({ code: z.string(), message: z.string() }))
      .optional()
      .describe("validation_failed: each bad field by its path ('contacts.sms'), with a stable code"),
    attemptsRemaining: z.number().int().optional().describe('invalid_code: wrong codes still allowed'),
  }),
});

const signUpBody = signUpSchema.extend({
  consentTextVersion: z
    .string()
    .max(100)
    .optional()
    .describe('Version of the consent text your client showed (recorded with the consent)'),
});

const preferencesView = z.object({
  subscriptionId: z.uuid(),
  status: z.enum(['active', 'unsubscribed']),
  language: z.enum(LANGUAGES),
  quietHours: z.object({ start: z.string(), end: z.string() }),
  timezone: z.string(),
  contacts: z.array(
    z.object({
      channel,
      address: z.string().describe("masked: '•••-•••-4567', 'j•••@e•••.org'"),
      verified: z.boolean(),
      pendingVerification: z.boolean(),
      optedOut: z.boolean(),
    }),
  ),
  languages: z
    .array(z.enum(LANGUAGES))
    .optional()
    .describe("the languages the voter's county offers (a PATCH to another is language_not_offered); absent: all"),
  county: z
    .object({ name: z.string(), phone: z.string(), url: z.string() })
    .optional()
    .describe("whom the voter contacts: the voter's county"),
});

const voterErrors = (entries: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(entries).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/VoterError' } } } },
    ]),
  );

const subscriptionId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const manageToken = [
  subscriptionId,
  { name: 'token', in: 'query', required: false, schema: { type: 'string' }, description: 'or Authorization: Bearer' },
];
const manageErrors = {
  401: 'invalid_token (missing, malformed, tampered) or token_expired',
  403: 'token_mismatch: the token is for another subscription',
  404: 'not_found',
  429: 'rate_limited (per client address and subscription); see Retry-After',
};

/** Built on first use (after the helpers below are defined). */
const voterPaths = () => ({
  '/v1/subscriptions': {
    post: {
      summary: 'Sign up for ballot notices (no API key)',
      description:
        'Matches the voter on the roll (case, spacing, diacritics, hyphens and apostrophes ignored; no nicknames) and ' +
        'sends a 6-digit code, valid 10 minutes, to each contact. An existing subscription of the voter is reused.',
      security: [],
      requestBody: { required: true, content: json('SignUp') },
      responses: {
        '202': {
          description: 'codes sent',
          content: {
            'application/json': {
              schema: schema(z.object({ subscriptionId: z.uuid(), pendingVerification: z.array(channel) }), 'output'),
            },
          },
        },
        ...voterErrors({
          404: 'no_match: the same body whichever field failed, also for an inactive registration',
          409: 'multiple_matches: send again with voterId',
          415: 'not application/json',
          422: 'validation_failed, with fields',
          429: 'rate_limited (per client address and per looked-up identity); see Retry-After',
        }),
      },
    },
  },
  '/v1/subscriptions/{id}/verify': {
    post: {
      summary: 'Confirm a contact with its code (5 attempts per code)',
      security: [],
      parameters: [subscriptionId],
      requestBody: { required: true, content: json('Verify') },
      responses: {
        '200': {
          description: 'verified; the manage token reads and changes the subscription',
          content: {
            'application/json': {
              schema: schema(
                z.object({ subscriptionId: z.uuid(), channel, verified: z.literal(true), manageToken: z.string() }),
                'output',
              ),
            },
          },
        },
        ...voterErrors({
          404: 'not_found',
          409: 'already_verified',
          410: 'code_expired or too_many_attempts: ask for a new code',
          422: 'invalid_code (with attemptsRemaining) or validation_failed',
          429: 'rate_limited; see Retry-After',
        }),
      },
    },
  },
  '/v1/subscriptions/{id}/verify/resend': {
    post: {
      summary: 'Send a new code to a pending contact (resets the attempts)',
      security: [],
      parameters: [subscriptionId],
      requestBody: { required: true, content: json('Resend') },
      responses: {
        '202': {
          description: 'sent',
          content: { 'application/json': { schema: schema(z.object({ channel }), 'output') } },
        },
        ...voterErrors({ 404: 'not_found', 409: 'already_verified', 422: 'validation_failed', 429: 'rate_limited' }),
      },
    },
  },
  '/v1/subscriptions/{id}': {
    get: {
      summary: 'Read preferences, contacts masked (manage token)',
      security: [{ manageToken: [] }],
      parameters: manageToken,
      responses: { '200': { description: 'preferences', content: json('Preferences') }, ...voterErrors(manageErrors) },
    },
    patch: {
      summary: 'Change contacts, language, quiet hours or time zone (manage token)',
      description:
        'A changed address replaces the contact and must be verified again (a code is sent); null removes a channel. ' +
        'An unsubscribed subscription answers 409 unsubscribed: sign up again.',
      security: [{ manageToken: [] }],
      parameters: manageToken,
      requestBody: { required: true, content: json('PreferencesPatch') },
      responses: {
        '200': {
          description: 'the new preferences and the channels waiting for a code',
          content: {
            'application/json': {
              schema: schema(preferencesView.extend({ pendingVerification: z.array(channel) }), 'output'),
            },
          },
        },
        ...voterErrors({ ...manageErrors, 409: 'unsubscribed', 415: 'not application/json', 422: 'validation_failed' }),
      },
    },
    delete: {
      summary: 'Unsubscribe (manage token)',
      security: [{ manageToken: [] }],
      parameters: manageToken,
      responses: {
        '200': {
          description: 'unsubscribed (also when it already was)',
          content: {
            'application/json': {
              schema: schema(z.object({ subscriptionId: z.uuid(), status: z.literal('unsubscribed') }), 'output'),
            },
          },
        },
        ...voterErrors(manageErrors),
      },
    },
  },
  '/v1/unsubscribe': {
    post: {
      summary: 'One-click unsubscribe (RFC 8058), the List-Unsubscribe link of every email',
      description: 'Body `List-Unsubscribe=One-Click` (form-encoded) or empty; the token is in the query.',
      security: [],
      parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'unsubscribed',
          content: {
            'application/json': { schema: schema(z.object({ status: z.literal('unsubscribed') }), 'output') },
          },
        },
        ...voterErrors({ 401: 'invalid_token or token_expired', 429: 'rate_limited' }),
      },
    },
    get: {
      summary: 'Opened in a browser: 303 to the preferences page /manage?token=…',
      security: [],
      parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }],
      responses: { '303': { description: 'redirect to /manage' } },
    },
  },
});

const ERROR_TEXT: Record<number, string> = {
  400: 'the body is not JSON, or not the expected shape (items themselves are judged one by one)',
  401: 'missing, unknown or revoked API key',
  403: 'the key lacks the scope, or the ballot is outside its counties',
  404: 'unknown ballot (reports: unknown report, election, or a county outside the key)',
  406: 'an Accept header that is neither application/json nor text/csv',
  409: 'conflict',
  413: 'the body is larger than the limit',
  415: 'unsupported Content-Type',
  429: 'rate limit of this key reached; see Retry-After',
  503: 'forwarding is behind or Temporal is unreachable for reads; see Retry-After',
};

const errorResponses = errorResponsesWith(ERROR_TEXT);

const batchNote = `1 to ${MAX_BATCH_ITEMS} items; answered 202 with one result per item in request order.`;

/** A JSON batch endpoint: `${plural}Batch` in, `${singular}Results` out. */
const batchPost = (summary: string, plural: string, singular: string, ...moreStatuses: number[]) => ({
  post: {
    summary,
    description: batchNote,
    requestBody: { required: true, content: json(`${plural}Batch`) },
    responses: {
      '202': { description: 'results', content: json(`${singular}Results`) },
      ...errorResponses(400, 401, 403, 413, 415, 429, ...moreStatuses),
    },
  },
});

let cached: Record<string, unknown> | undefined;

interface Operation {
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }>;
}

/**
 * Puts the example of `openapi-examples.ts` on every request body and response; error responses
 * get the example of their status (the vendor API's `Error` or the voters' `VoterError`).
 */
function withExamples<T extends object>(paths: T): T {
  for (const [path, methods] of Object.entries(paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      const examples = OPERATION_EXAMPLES[`${method.toUpperCase()} ${path}`];
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
        if (examples?.request?.[type] !== undefined) media.example = examples.request[type];
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          const ref = media.schema?.$ref;
          const example =
            examples?.responses[status] ??
            (ref === '#/components/schemas/VoterError'
              ? VOTER_ERROR_EXAMPLES[status]
              : ref === '#/components/schemas/Error'
                ? ERROR_EXAMPLES[status]
                : undefined);
          // An example given with the operation itself (per media type) wins.
          if (example !== undefined && media.example === undefined) media.example = example;
        }
      }
    }
  }
  return paths;
}

export function openApiDocument(): Record<string, unknown> {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Ballot Tracker API',
      version: '1',
      description:
        'Vendors and county systems report elections, voters, issued ballots and scan events; ' +
        'a 202 means the accepted items are stored durably and will reach their ballot workflow. ' +
        'Voters sign up, verify their contacts and manage their preferences under /v1/subscriptions without an API key.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `Keys carry scopes (${ALL_SCOPES.join(', ')}) and a list of counties (or all).`,
        },
        manageToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The signed, expiring manage token from verification or from any message (or ?token=).',
        },
      },
      schemas: {
        Error: schema(errorBody, 'output'),
        Election: schema(electionSchema),
        ElectionPatch: schema(electionPatchSchema),
        VotersBatch: schema(documentedBatches.voters),
        BallotsBatch: schema(documentedBatches.ballots),
        ScansBatch: schema(documentedBatches.events),
        ScanEvent: schema(documentedBatches.events.shape.events.element),
        VoterResults: schema(batchResponse('voterId'), 'output'),
        BallotResults: schema(batchResponse('ballotId', { electionId: z.string().optional() }), 'output'),
        ScanResults: schema(
          batchResponse('eventId', {
            effect: z
              .enum(['applied', 'stale', 'pending', 'capped'])
              .optional()
              .describe('accepted scans: what the scan did to the ballot'),
          }),
          'output',
        ),
        BallotStatus: schema(ballotStatusResponseSchema, 'output'),
        SignUp: schema(signUpBody),
        Verify: schema(verifySchema),
        Resend: schema(resendSchema),
        PreferencesPatch: schema(preferencesPatchSchema),
        Preferences: schema(preferencesView, 'output'),
        VoterError: schema(voterError, 'output'),
        Report: schema(reportResultSchema, 'output'),
        ...broadcastSchemas(),
        ...COUNTY_SCHEMAS,
        IvmtrPush: schema(ivmtrPushSchema),
        UspsResults: schema(uspsResultsSchema, 'output'),
      },
    },
    paths: withExamples({
      ...voterPaths(),
      ...broadcastPaths(),
      '/v1/elections/{electionId}': {
        put: {
          summary: 'Create or replace an election (scope elections:write, a key with every county)',
          description:
            'PUT semantics: the body is the whole election. An optional field it leaves out is cleared ' +
            '(receiptDeadline, cureDeadline, closesAt) or reset to its default (the reminder days). Use PATCH ' +
            'to change some fields only.',
          parameters: [{ name: 'electionId', in: 'path', required: true, schema: schema(idSchema) }],
          requestBody: { required: true, content: json('Election') },
          responses: {
            '200': { description: 'updated (or unchanged)', content: json('Election') },
            '201': { description: 'created', content: json('Election') },
            ...errorResponses(400, 401, 403, 413, 415, 429),
          },
        },
        patch: {
          summary: 'Change some fields of an election (scope elections:write, a key with every county)',
          description:
            'Only the fields present change; null clears an optional field. 404 if the election does not exist.',
          parameters: [{ name: 'electionId', in: 'path', required: true, schema: schema(idSchema) }],
          requestBody: { required: true, content: json('ElectionPatch') },
          responses: {
            '200': { description: 'updated (or unchanged)', content: json('Election') },
            ...errorResponses(400, 401, 403, 404, 413, 415, 429),
          },
        },
      },
      '/v1/voters': batchPost('Upsert voters by voterId (scope voters:write)', 'Voters', 'Voter'),
      '/v1/ballots': batchPost('Record issued ballots (scope ballots:write)', 'Ballots', 'Ballot', 503),
      '/v1/scans': {
        post: {
          summary: 'Record scan events (scope scans:write)',
          description:
            `${batchNote} With Content-Type application/x-ndjson: one event per line, any number of lines, ` +
            'streamed; results carry the line number.',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/ScansBatch' } },
              'application/x-ndjson': { schema: { $ref: '#/components/schemas/ScanEvent' } },
            },
          },
          responses: {
            '202': { description: 'results', content: json('ScanResults') },
            ...errorResponses(400, 401, 403, 413, 415, 429, 503),
          },
        },
      },
      '/v1/usps/ivmtr': {
        post: {
          summary: 'Record USPS IV-MTR piece scans of one election (scope scans:write)',
          description:
            `IV-MTR JSON ({"events": [...]}) or the pipe-delimited file (text/plain, a header line naming the fields), ` +
            `1 to ${MAX_IVMTR_RECORDS} records; answered 202 with one result per record in order (line: the record's ` +
            'number in JSON, its line in the file). The first 20 digits of the IMb find the ballot and the envelope ' +
            '(imb: outbound, returnImb: return); the operation table (README "USPS feeds") says what the scan means ' +
            'there. A barcode no issued ballot carries is kept (effect pending) and applied when one is issued; a key ' +
            'limited to counties gets unknown_barcode (403) for it instead. A scan sent again is duplicate.',
          parameters: [
            {
              name: 'electionId',
              in: 'query',
              required: true,
              schema: schema(idSchema),
              description: 'the election the scanned ballots belong to',
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/IvmtrPush' } },
              'text/plain': {
                schema: { type: 'string', description: 'pipe-delimited IV-MTR records with a header line' },
              },
            },
          },
          responses: {
            '202': { description: 'results', content: json('UspsResults') },
            ...errorResponses(400, 401, 403, 413, 415, 429, 503),
          },
        },
      },
      '/v1/ballots/{electionId}/{ballotId}': {
        get: {
          summary: "A ballot's status, events and notices, open or closed (scope ballots:read)",
          parameters: [
            { name: 'electionId', in: 'path', required: true, schema: schema(idSchema) },
            { name: 'ballotId', in: 'path', required: true, schema: schema(idSchema) },
          ],
          responses: {
            '200': { description: 'the ballot', content: json('BallotStatus') },
            ...errorResponses(400, 401, 403, 404, 429, 503),
          },
        },
      },
      '/v1/reports/{report}': {
        get: {
          summary: "A county report, JSON or a CSV download (scope reports:read; a county key: its counties')",
          description:
            `${REPORT_NAMES.map((name) => `\`${name}\`: ${REPORT_DESCRIPTIONS[name]}`).join('; ')}. ` +
            "Days are the county's (its time zone, else DEFAULT_TIME_ZONE). CSV with ?format=csv or Accept: text/csv " +
            '(Content-Disposition: attachment). A county outside the key answers 404 as an unknown county does.',
          parameters: [
            { name: 'report', in: 'path', required: true, schema: schema(z.enum(REPORT_NAMES)) },
            ...(['county', 'electionId', 'from', 'to', 'format'] as const).map((name) => ({
              name,
              in: 'query',
              required: false,
              description: reportQuerySchema.shape[name].description,
              schema: schema(reportQuerySchema.shape[name].unwrap()),
            })),
          ],
          responses: {
            '200': {
              description: 'the report: JSON by default, or CSV (a header row, then the rows; the same columns)',
              content: {
                ...json('Report'),
                'text/csv': { schema: { type: 'string' }, example: REPORT_CSV_EXAMPLE },
              },
            },
            ...errorResponses(400, 401, 403, 404, 406, 429, 503),
          },
        },
      },
      ...countyPaths(),
    }),
  };
  return cached;
}
