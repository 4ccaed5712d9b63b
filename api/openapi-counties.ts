/**
 * The county records API in the OpenAPI document (`/v1/counties`): its component schemas, paths and
 * examples, added to `openapi.ts` and `openapi-examples.ts` in one block each.
 */
import { z } from 'zod';
import { COUNTY_TEXT_PATHS } from '../domain/reasons.js';
import { LANGUAGES } from '../delivery/templates/index.js';
import {
  countyCodeSchema,
  countyListSchema,
  countyPatchSchema,
  countyPutSchema,
  countyRecordSchema,
  countyTextPutSchema,
  countyTextReviewSchema,
  countyTextSchema,
  countyTextsSchema,
} from './county-schemas.js';
import { errorResponsesWith, json } from './openapi-parts.js';

const schema = (type: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

export const COUNTY_SCHEMAS = {
  CountyPut: schema(countyPutSchema),
  CountyPatch: schema(countyPatchSchema),
  County: schema(countyRecordSchema, 'output'),
  CountyList: schema(countyListSchema, 'output'),
  CountyTextPut: schema(countyTextPutSchema),
  CountyTextReview: schema(countyTextReviewSchema),
  CountyText: schema(countyTextSchema, 'output'),
  CountyTexts: schema(countyTextsSchema, 'output'),
};

const ERRORS: Record<number, string> = {
  400: 'invalid_request: a field is wrong (details.fields names each, with a code), or invalid_json',
  401: 'missing, unknown or revoked API key',
  403: 'the key lacks the scope (forbidden); a review by the text’s own author (own_text)',
  404: 'no such county, or a county the key does not cover (the same answer: not_found)',
  409: 'text_changed: the text is no longer the one the reviewer read',
  413: 'the body is larger than the limit',
  415: 'unsupported Content-Type',
  429: 'rate limit of this key reached; see Retry-After',
};

const errors = errorResponsesWith(ERRORS);

const county = { name: 'county', in: 'path', required: true, schema: schema(countyCodeSchema) };
const textParameters = [
  county,
  { name: 'path', in: 'path', required: true, schema: { type: 'string', enum: [...COUNTY_TEXT_PATHS] } },
  { name: 'language', in: 'path', required: true, schema: { type: 'string', enum: [...LANGUAGES] } },
];

const RECORD_NOTE =
  'A key with some counties reads and writes only those; any other county answers 404 exactly as an unknown one. ';

export const countyPaths = () => ({
  '/v1/counties': {
    get: {
      summary: 'The records of the counties this key covers (scope counties:read)',
      responses: {
        '200': { description: 'the records, by county code', content: json('CountyList') },
        ...errors(401, 403, 429),
      },
    },
  },
  '/v1/counties/{county}': {
    get: {
      summary: "A county's record (scope counties:read)",
      description: RECORD_NOTE,
      parameters: [county],
      responses: {
        '200': { description: 'the record', content: json('County') },
        ...errors(400, 401, 403, 404, 429),
      },
    },
    put: {
      summary: "Create or replace a county's record (scope counties:write)",
      description:
        RECORD_NOTE +
        'PUT semantics: the body is the whole record. name, phone, url and timezone are required; an optional ' +
        'field it leaves out is cleared (null; cureForms: none; householdInitial: false), and the cure forms ' +
        "become exactly those given. The county's own texts are not part of the record (see /texts). Use PATCH " +
        'to change some fields only. emailSender and smsSender are used for every message to the county’s voters ' +
        '(the email sender must be verified in SendGrid; the Messaging Service must be in the same Twilio account).',
      parameters: [county],
      requestBody: { required: true, content: json('CountyPut') },
      responses: {
        '200': { description: 'replaced (or unchanged)', content: json('County') },
        '201': { description: 'created', content: json('County') },
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    },
    patch: {
      summary: "Change some fields of a county's record (scope counties:write)",
      description:
        RECORD_NOTE +
        'Only the fields present change; null clears an optional field; cureForms, when present, replaces every ' +
        'form. 404 if the county has no record (PUT creates one).',
      parameters: [county],
      requestBody: { required: true, content: json('CountyPatch') },
      responses: {
        '200': { description: 'updated (or unchanged)', content: json('County') },
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    },
  },
  '/v1/counties/{county}/texts': {
    get: {
      summary: "The county's own wording beside the catalog's, per text and language (scope counties:read)",
      description:
        "Every text a county may word its own way, in the languages it offers (and any it has texts in): the catalog's " +
        "text (`default`), the county's (`override`, with its author and review), and which one messages use now " +
        '(`used`: the override only once reviewed).',
      parameters: [county],
      responses: {
        '200': { description: 'the texts', content: json('CountyTexts') },
        ...errors(400, 401, 403, 404, 429),
      },
    },
  },
  '/v1/counties/{county}/texts/{path}/{language}': {
    put: {
      summary: "Store the county's own wording of one text in one language, as a draft (scope counties:write)",
      description:
        'Always stored as a draft, also when it replaces a reviewed text: messages keep the catalog’s words (or the ' +
        'previous reviewed ones are gone: the catalog’s) until another key reviews it.',
      parameters: textParameters,
      requestBody: { required: true, content: json('CountyTextPut') },
      responses: {
        '200': { description: 'replaced, now a draft', content: json('CountyText') },
        '201': { description: 'created as a draft', content: json('CountyText') },
        ...errors(400, 401, 403, 404, 413, 415, 429),
      },
    },
    delete: {
      summary: "Remove the county's own wording: messages use the catalog's again (scope counties:write)",
      parameters: textParameters,
      responses: { '204': { description: 'removed' }, ...errors(400, 401, 403, 404, 429) },
    },
  },
  '/v1/counties/{county}/texts/{path}/{language}/review': {
    post: {
      summary: 'Mark a draft reviewed: from now on messages use it (scope counties:write, another key than its author)',
      description:
        'Four eyes: the key that wrote the text cannot review it (403 own_text). Send the text as you read it to be ' +
        'sure it did not change since (409 text_changed); the body may be left out.',
      parameters: textParameters,
      requestBody: { required: false, content: json('CountyTextReview') },
      responses: {
        '200': { description: 'reviewed', content: json('CountyText') },
        ...errors(400, 401, 403, 404, 409, 415, 429),
      },
    },
  },
});

// ---- examples ------------------------------------------------------------------------------------

const REQUEST_ID = '7d5f0c1e-9a8b-4c3d-8e2f-1a2b3c4d5e6f';
const error = (code: string, message: string, details?: unknown) => ({
  error: { code, message, ...(details === undefined ? {} : { details }), requestId: REQUEST_ID },
});

const record = {
  name: 'Sacramento County Voter Registration and Elections',
  phone: '(916) 875-6451',
  url: 'https://elections.saccounty.gov',
  timezone: 'America/Los_Angeles',
  languages: ['en', 'es', 'zh-Hant', 'vi'],
  emailSender: { address: 'voter-notices@saccounty.gov', name: 'Sacramento County Elections' },
  smsSender: { messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' },
  cureUrl: 'https://elections.saccounty.gov/cure',
  cureForms: {
    no_signature: 'https://elections.saccounty.gov/unsigned-ballot-statement',
    signature_mismatch: 'https://elections.saccounty.gov/signature-verification-statement',
  },
  cureDeadlineRule: 'two_days_before_certification',
  certifiesAt: '2026-12-03T17:00:00-08:00',
  countedFrom: '2026-11-03T20:00:00-08:00',
  householdInitial: false,
};
const stored = {
  county: 'sacramento',
  ...record,
  certifiesAt: '2026-12-04T01:00:00.000Z',
  countedFrom: '2026-11-04T04:00:00.000Z',
  updatedAt: '2026-10-01T16:20:00.000Z',
};
const ownWords = 'La firma del sobre no se parece a la de su inscripción.';
const draft = {
  path: 'reason.challenged.signature_mismatch',
  language: 'es',
  text: ownWords,
  reviewState: 'draft',
  author: 'k_3f9a1c2b',
  reviewedBy: null,
  reviewedAt: null,
  updatedAt: '2026-10-01T16:25:00.000Z',
};
const reviewed = {
  ...draft,
  reviewState: 'reviewed',
  reviewedBy: 'k_77d0e4aa',
  reviewedAt: '2026-10-02T09:10:00.000Z',
};
const notFound = error('not_found', 'No county sacramento; PUT /v1/counties/sacramento creates its record.');
const invalid = error('invalid_request', 'body: url: an https URL', {
  fields: { url: { code: 'invalid_format', message: 'an https URL' } },
});

export const COUNTY_OPERATION_EXAMPLES: Record<
  string,
  { request?: Record<string, unknown>; responses: Record<string, unknown> }
> = {
  'GET /v1/counties': { responses: { 200: { counties: [stored] } } },
  'GET /v1/counties/{county}': { responses: { 200: stored, 400: invalid, 404: notFound } },
  'PUT /v1/counties/{county}': {
    request: { 'application/json': record },
    responses: { 200: stored, 201: stored, 400: invalid, 404: notFound },
  },
  'PATCH /v1/counties/{county}': {
    request: { 'application/json': { phone: '(916) 875-6000', smsSender: null } },
    responses: { 200: { ...stored, phone: '(916) 875-6000', smsSender: null }, 400: invalid, 404: notFound },
  },
  'GET /v1/counties/{county}/texts': {
    responses: {
      200: {
        county: 'sacramento',
        texts: [
          {
            path: 'reason.challenged.signature_mismatch',
            language: 'es',
            default: 'Su firma no coincide con la de nuestros registros.',
            override: reviewed,
            used: 'override',
          },
          {
            path: 'reason.challenged.no_signature',
            language: 'es',
            default: 'Su sobre de devolución no está firmado.',
            override: null,
            used: 'default',
          },
        ],
      },
      404: notFound,
    },
  },
  'PUT /v1/counties/{county}/texts/{path}/{language}': {
    request: { 'application/json': { text: ownWords } },
    responses: { 200: draft, 201: draft, 404: notFound },
  },
  'DELETE /v1/counties/{county}/texts/{path}/{language}': { responses: { 404: notFound } },
  'POST /v1/counties/{county}/texts/{path}/{language}/review': {
    request: { 'application/json': { text: ownWords } },
    responses: {
      200: reviewed,
      403: error('own_text', 'A text is reviewed by another key than the one that wrote it; ask a second reviewer.'),
      404: notFound,
      409: error(
        'text_changed',
        'The text changed since you read it; read it again (GET .../texts) before reviewing.',
        {
          text: 'Su firma no coincide.',
        },
      ),
    },
  },
};
