/**
 * An example for every request body and every response of the OpenAPI document, so the API
 * reference (`/v1/docs`) shows real payloads and its "try it" client starts from a valid request. A
 * unit test checks that each request example passes the API's own validation and each response
 * example matches its documented schema. The IDs follow the README's "Try it" walk-through.
 */

import { REPORT_COLUMNS as COLUMNS } from '../reports/reports.js';
import { COUNTY_OPERATION_EXAMPLES } from './openapi-counties.js';

const ELECTION = 'gen-2026';
const REPORT_COLUMNS = [...COLUMNS.notices];
const BALLOT = 'B-1001';
const VOTER = 'V-1001';
const SUBSCRIPTION = '5b0f7e0a-3c1d-4a55-9d1e-2f1c9a0b7e21';
const REQUEST_ID = '7d5f0c1e-9a8b-4c3d-8e2f-1a2b3c4d5e6f';

const error = (code: string, message: string) => ({ error: { code, message, requestId: REQUEST_ID } });

/** What each status of the vendor API answers when it is an error (`Error` schema). */
export const ERROR_EXAMPLES: Record<string, unknown> = {
  400: error('invalid_request', 'body: voters: Invalid input: expected array, received undefined'),
  401: error('unauthorized', 'Send a valid API key as "Authorization: Bearer <key>".'),
  403: error('forbidden', 'This key lacks the scope scans:write.'),
  404: error('not_found', `No ballot ${BALLOT} in election ${ELECTION}.`),
  406: error('not_acceptable', 'Reports are application/json or text/csv (or ?format=csv).'),
  409: error('conflict', 'The request conflicts with what is recorded.'),
  413: error('payload_too_large', 'The request body is larger than 5242880 bytes.'),
  415: error('unsupported_media_type', 'Send Content-Type: application/json.'),
  429: error('rate_limited', 'This key sent more than 600 requests in a minute; retry after the Retry-After seconds.'),
  503: error('backlog', 'Forwarding is behind; retry after the Retry-After seconds.'),
};

const voterError = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, ...extra },
});

/** The voter API's errors (`VoterError` schema), by status. */
export const VOTER_ERROR_EXAMPLES: Record<string, unknown> = {
  401: voterError('invalid_token', 'The manage link is not valid.'),
  403: voterError('token_mismatch', 'This manage link belongs to another subscription.'),
  404: voterError('no_match', 'We could not find a registration with those details.'),
  409: voterError('already_verified', 'This contact is already confirmed.'),
  410: voterError('code_expired', 'This code has expired; ask for a new one.'),
  415: voterError('unsupported_media_type', 'Send Content-Type: application/json.'),
  422: voterError('invalid_code', 'That code is not right.', { attemptsRemaining: 4 }),
  429: voterError('rate_limited', 'Too many attempts; try again later.'),
};

const election = {
  name: 'General Election 2026',
  electionDay: '2026-11-03',
  timezone: 'America/Los_Angeles',
  closesAt: '2026-12-04T17:00:00-08:00',
  returnReminderDaysBefore: 5,
};

const preferences = {
  subscriptionId: SUBSCRIPTION,
  status: 'active',
  language: 'es',
  quietHours: { start: '08:00', end: '21:00' },
  timezone: 'America/Los_Angeles',
  contacts: [{ channel: 'sms', address: '•••-•••-0123', verified: true, pendingVerification: false, optedOut: false }],
  languages: ['en', 'es', 'zh-Hant', 'vi'],
  county: { name: 'Sacramento County Elections', phone: '(916) 875-6451', url: 'https://elections.saccounty.gov' },
};

const IVMTR_RECORD = {
  imb: '0004012345610000000194612123456',
  scanDatetime: '2026-10-06 14:03:27',
  scanEventCode: 'SD',
  opCode: '919',
  handlingEventType: 'P',
  mailPhase: 'Phase 3c - Destination Processing',
  scanFacilityName: 'OAKLAND CA PROCESSING',
  scanFacilityZip: '94612',
};

/** Request and response examples by operation (`METHOD path`), by media type and by status. */
export const OPERATION_EXAMPLES: Record<
  string,
  { request?: Record<string, unknown>; responses: Record<string, unknown> }
> = {
  [`PUT /v1/elections/{electionId}`]: {
    request: { 'application/json': election },
    responses: { 200: election, 201: election },
  },
  [`PATCH /v1/elections/{electionId}`]: {
    request: { 'application/json': { cureDeadline: '2026-12-01T17:00:00-08:00', closesAt: null } },
    responses: {
      200: {
        name: election.name,
        electionDay: election.electionDay,
        timezone: election.timezone,
        cureDeadline: '2026-12-01T17:00:00-08:00',
        returnReminderDaysBefore: election.returnReminderDaysBefore,
      },
    },
  },
  'POST /v1/voters': {
    request: {
      'application/json': {
        voters: [
          {
            voterId: VOTER,
            county: 'sacramento',
            firstName: 'Maria',
            lastName: 'Lopez',
            dateOfBirth: '1961-04-17',
            zip: '95814',
            language: 'es',
          },
        ],
      },
    },
    responses: {
      202: {
        results: [{ index: 0, voterId: VOTER, outcome: 'accepted' }],
        summary: { accepted: 1, duplicate: 0, invalid: 0 },
      },
    },
  },
  'POST /v1/ballots': {
    request: {
      'application/json': {
        ballots: [
          {
            electionId: ELECTION,
            ballotId: BALLOT,
            voterId: VOTER,
            county: 'sacramento',
            issuedAt: '2026-10-05T09:00:00-07:00',
            imb: '0004012345610000000194612123456',
            returnImb: '0070098765410000000195814',
          },
        ],
      },
    },
    responses: {
      202: {
        results: [
          { index: 0, electionId: ELECTION, ballotId: BALLOT, outcome: 'accepted' },
          {
            index: 1,
            electionId: ELECTION,
            ballotId: 'B-1002',
            outcome: 'invalid',
            error: { code: 'unknown_election', message: 'Election gen-2027 does not exist.' },
          },
        ],
        summary: { accepted: 1, duplicate: 0, invalid: 1 },
      },
    },
  },
  'POST /v1/usps/ivmtr': {
    request: {
      'application/json': {
        events: [
          IVMTR_RECORD,
          { ...IVMTR_RECORD, imb: '0070098765410000000195814', scanDatetime: '2026-10-20 09:00:00', opCode: '814' },
        ],
      },
      'text/plain':
        'imb|scan_datetime|op_code|scan_facility_zip\n' +
        '0004012345610000000194612123456|2026-10-06 14:03:27|919|94612\n' +
        '0070098765410000000195814|2026-10-20 09:00:00|814|94612\n',
    },
    responses: {
      202: {
        results: [
          {
            index: 0,
            line: 1,
            outcome: 'accepted',
            trackingCode: '00040123456100000001',
            eventId: 'usps-3f0c5b1e9a7d2c4b8e6f1a0d9c8b7a65',
            ballotId: BALLOT,
            envelope: 'outbound',
            type: 'outbound',
            effect: 'applied',
          },
          {
            index: 1,
            line: 2,
            outcome: 'accepted',
            trackingCode: '00700987654100000001',
            eventId: 'usps-9b1d7e2f4a6c8e0b3d5f7a9c1e3b5d70',
            effect: 'pending',
          },
        ],
        summary: { accepted: 2, duplicate: 0, invalid: 0 },
      },
    },
  },
  'POST /v1/scans': {
    request: {
      'application/json': {
        events: [
          {
            eventId: 'usps-0001',
            electionId: ELECTION,
            ballotId: BALLOT,
            type: 'received',
            occurredAt: '2026-10-20T10:15:00-07:00',
            source: 'county',
          },
        ],
      },
      'application/x-ndjson': {
        eventId: 'usps-0002',
        electionId: ELECTION,
        ballotId: BALLOT,
        type: 'inbound',
        occurredAt: '2026-10-19T18:02:00-07:00',
        facilityZip: '95813',
      },
    },
    responses: {
      202: {
        results: [{ index: 0, eventId: 'usps-0001', outcome: 'accepted', effect: 'applied' }],
        summary: { accepted: 1, duplicate: 0, invalid: 0 },
      },
    },
  },
  'GET /v1/ballots/{electionId}/{ballotId}': {
    responses: {
      200: {
        electionId: ELECTION,
        ballotId: BALLOT,
        county: 'sacramento',
        status: 'received',
        statusChangedAt: '2026-10-20T17:15:02.512Z',
        awaitingIssuance: false,
        needsAttention: false,
        attention: null,
        events: [
          {
            eventId: 'usps-0001',
            type: 'received',
            occurredAt: '2026-10-20T17:15:00.000Z',
            receivedAt: '2026-10-20T17:15:02.512Z',
            outcome: 'applied',
            source: 'county',
          },
        ],
        notices: [
          {
            status: 'received',
            sequence: 0,
            channel: 'sms',
            attempts: 1,
            state: 'sent',
            at: '2026-10-20T17:15:04.080Z',
            deliveryStatus: 'delivered',
          },
          { status: 'received', sequence: 0, channel: 'email', state: 'scheduled', at: '2026-10-21T15:00:00.000Z' },
        ],
      },
    },
  },
  'POST /v1/subscriptions': {
    request: {
      'application/json': {
        firstName: 'Maria',
        lastName: 'Lopez',
        dateOfBirth: '1961-04-17',
        zip: '95814',
        contacts: { sms: '(916) 555-0123' },
        language: 'es',
        quietHours: { start: '08:00', end: '21:00' },
        consentTextVersion: 'web-2026-01',
      },
    },
    responses: { 202: { subscriptionId: SUBSCRIPTION, pendingVerification: ['sms'] } },
  },
  'POST /v1/subscriptions/{id}/verify': {
    request: { 'application/json': { channel: 'sms', code: '482913' } },
    responses: {
      200: { subscriptionId: SUBSCRIPTION, channel: 'sms', verified: true, manageToken: 'v1.5b0f7e0a.1793750400.Yk3…' },
    },
  },
  'POST /v1/subscriptions/{id}/verify/resend': {
    request: { 'application/json': { channel: 'sms' } },
    responses: { 202: { channel: 'sms' } },
  },
  'GET /v1/subscriptions/{id}': { responses: { 200: preferences } },
  'PATCH /v1/subscriptions/{id}': {
    request: { 'application/json': { language: 'en', quietHours: { start: '09:00', end: '20:00' } } },
    responses: {
      200: { ...preferences, language: 'en', quietHours: { start: '09:00', end: '20:00' }, pendingVerification: [] },
    },
  },
  'DELETE /v1/subscriptions/{id}': { responses: { 200: { subscriptionId: SUBSCRIPTION, status: 'unsubscribed' } } },
  'POST /v1/unsubscribe': { responses: { 200: { status: 'unsubscribed' } } },
  'GET /v1/unsubscribe': { responses: {} },
  'GET /v1/reports/{report}': {
    responses: {
      200: {
        report: 'notices',
        county: 'sacramento',
        electionId: ELECTION,
        from: '2026-10-06',
        to: '2026-10-06',
        timeZone: 'America/Los_Angeles',
        generatedAt: '2026-10-07T16:00:00.000Z',
        columns: REPORT_COLUMNS,
        rows: [
          {
            county: 'sacramento',
            electionId: ELECTION,
            day: '2026-10-06',
            status: 'received',
            notice: 'status',
            channel: 'sms',
            language: 'es',
            outcome: 'sent',
            deliveryStatus: 'delivered',
            notices: 1204,
          },
          {
            county: 'sacramento',
            electionId: ELECTION,
            day: '2026-10-06',
            status: 'received',
            notice: 'status',
            channel: 'sms',
            language: 'es',
            outcome: 'failed',
            deliveryStatus: null,
            notices: 3,
          },
        ],
        truncated: false,
      },
      400: error('invalid_range', 'from (2026-10-09) is after to (2026-10-06).'),
      404: error('not_found', 'No county yolo.'),
      503: error(
        'report_timeout',
        'The report ran longer than 60 s and was stopped: narrow it (one county, one election, fewer days) or run it with the CLI.',
      ),
    },
  },
  ...COUNTY_OPERATION_EXAMPLES,
};

/** The same notices report as a CSV download. */
export const REPORT_CSV_EXAMPLE = [
  REPORT_COLUMNS.join(','),
  `sacramento,${ELECTION},2026-10-06,received,status,sms,es,sent,delivered,1204`,
  `sacramento,${ELECTION},2026-10-06,received,status,sms,es,failed,,3`,
  '',
].join('\r\n');
