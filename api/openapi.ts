import { z } from 'zod';
import { EVENT_TYPES } from '../domain/ballot-status.js';
import { idSchema } from '../domain/scan-event.js';
import { ALL_SCOPES } from '../ingest/principal.js';
import { documentedBatches, electionSchema, itemResultSchema, MAX_BATCH_ITEMS, OUTCOMES } from '../ingest/schemas.js';

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

const ballotStatusResponse = z.object({
  electionId: z.string(),
  ballotId: z.string(),
  county: z.string().nullable(),
  status: z.string(),
  awaitingIssuance: z.boolean(),
  events: z.array(
    z.object({
      eventId: z.string(),
      type: z.enum(EVENT_TYPES),
      occurredAt: z.string(),
      receivedAt: z.string(),
      outcome: z.enum(['applied', 'stale', 'pending']),
    }),
  ),
  notices: z.array(
    z.object({
      status: z.string(),
      channel: z.string(),
      state: z.string(),
      at: z.string(),
      reason: z.string().optional(),
    }),
  ),
});

const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: ERROR_TEXT[status] ?? 'error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'the body is not JSON, or not the expected shape (items themselves are judged one by one)',
  401: 'missing, unknown or revoked API key',
  403: 'the key lacks the scope, or the ballot is outside its counties',
  404: 'unknown ballot',
  409: 'conflict',
  413: 'the body is larger than the limit',
  415: 'unsupported Content-Type',
  429: 'rate limit of this key reached; see Retry-After',
  503: 'forwarding is behind or Temporal is unreachable for reads; see Retry-After',
};

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const batchNote = `1 to ${MAX_BATCH_ITEMS} items; answered 202 with one result per item in request order.`;

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Ballot Tracker API',
      version: '1',
      description:
        'Vendors and county systems report elections, voters, issued ballots and scan events; ' +
        'a 202 means the accepted items are stored durably and will reach their ballot workflow.',
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
      },
      schemas: {
        Error: schema(errorBody, 'output'),
        Election: schema(electionSchema),
        VotersBatch: schema(documentedBatches.voters),
        BallotsBatch: schema(documentedBatches.ballots),
        ScansBatch: schema(documentedBatches.events),
        ScanEvent: schema(documentedBatches.events.shape.events.element),
        VoterResults: schema(batchResponse('voterId'), 'output'),
        BallotResults: schema(batchResponse('ballotId', { electionId: z.string().optional() }), 'output'),
        ScanResults: schema(batchResponse('eventId'), 'output'),
        BallotStatus: schema(ballotStatusResponse, 'output'),
      },
    },
    paths: {
      '/v1/elections/{electionId}': {
        put: {
          summary: 'Create or replace an election (scope elections:write)',
          parameters: [{ name: 'electionId', in: 'path', required: true, schema: schema(idSchema) }],
          requestBody: { required: true, content: json('Election') },
          responses: {
            '200': { description: 'updated (or unchanged)', content: json('Election') },
            '201': { description: 'created', content: json('Election') },
            ...errorResponses(400, 401, 403, 413, 415, 429),
          },
        },
      },
      '/v1/voters': {
        post: {
          summary: 'Upsert voters by voterId (scope voters:write)',
          description: batchNote,
          requestBody: { required: true, content: json('VotersBatch') },
          responses: {
            '202': { description: 'results', content: json('VoterResults') },
            ...errorResponses(400, 401, 403, 413, 415, 429),
          },
        },
      },
      '/v1/ballots': {
        post: {
          summary: 'Record issued ballots (scope ballots:write)',
          description: batchNote,
          requestBody: { required: true, content: json('BallotsBatch') },
          responses: {
            '202': { description: 'results', content: json('BallotResults') },
            ...errorResponses(400, 401, 403, 413, 415, 429, 503),
          },
        },
      },
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
    },
  };
  return cached;
}

/** A self-contained, human-readable page rendered from the same document (no external scripts). */
export function docsPage(): string {
  const doc = openApiDocument() as {
    info: { title: string; description: string };
    paths: Record<
      string,
      Record<string, { summary: string; description?: string; responses: Record<string, unknown> }>
    >;
    components: { schemas: Record<string, unknown> };
  };
  const escape = (text: string) =>
    text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const operations = Object.entries(doc.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, op]) =>
          `<section><h2><code>${method.toUpperCase()} ${escape(path)}</code></h2><p>${escape(op.summary)}</p>` +
          (op.description ? `<p>${escape(op.description)}</p>` : '') +
          `<p>Responses: ${Object.keys(op.responses).join(', ')}</p></section>`,
      ),
    )
    .join('\n');
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, body]) => `<h3 id="${name}">${name}</h3><pre>${escape(JSON.stringify(body, null, 2))}</pre>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f5f5f5;padding:1rem;overflow:auto}code{font-size:1.05em}</style></head><body>
<h1>${escape(doc.info.title)}</h1><p>${escape(doc.info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with
<code>Authorization: Bearer &lt;key&gt;</code>. Outcomes per item: ${OUTCOMES.map((o) => `<code>${o}</code>`).join(', ')}.
Errors: <code>{ "error": { "code", "message" } }</code>.</p>
${operations}
<h2>Schemas</h2>
${schemas}
</body></html>`;
}
