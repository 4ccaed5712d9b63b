/**
 * The OpenAPI paths, schemas and examples of `/v1/broadcasts` (`api/broadcasts.ts`), added to the
 * document by `openapi.ts` in one block. Schemas come from the zod schemas the routes use.
 */
import { z } from 'zod';
import {
  broadcastDryRunSchema,
  broadcastListSchema,
  broadcastPreviewSchema,
  broadcastViewSchema,
  createBroadcastSchema,
} from './broadcasts.js';
import { errorResponsesWith } from './openapi-parts.js';

const schema = (type: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const ref = (name: string, example: unknown) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${name}` }, example },
});

const ERROR_TEXT: Record<number, string> = {
  400: 'malformed body or ID; a message outside the list, or statuses the message does not fit',
  401: 'missing, unknown or revoked API key',
  403: 'the key lacks the scope; a county outside the key; approval by the creating key (second_key_required)',
  404: 'unknown broadcast, or one outside the key counties (the same answer); unknown election',
  409: 'the broadcast is not in the state this step needs (approve a draft, start an approved one, ...)',
  415: 'unsupported Content-Type',
  429: 'rate limit of this key reached; see Retry-After',
};

const errors = errorResponsesWith(ERROR_TEXT);

const CREATE = {
  electionId: 'gen-2026',
  counties: ['sacramento'],
  statuses: ['outbound'],
  messageKey: 'reminder.return',
  note: 'Election Day: ballots still outbound',
};

const DRAFT = {
  broadcastId: 7,
  electionId: 'gen-2026',
  counties: ['sacramento'],
  statuses: ['outbound'],
  messageKey: 'reminder.return',
  note: 'Election Day: ballots still outbound',
  state: 'draft',
  createdBy: 'k3f9a1c20b7e',
  createdAt: '2026-11-03T14:02:11.000Z',
  approvedBy: null,
  approvedAt: null,
  dryRunAt: null,
  startedAt: null,
  expiresAt: null,
  stoppedAt: null,
  finishedAt: null,
};
const APPROVED = { ...DRAFT, state: 'approved', approvedBy: 'k8d21e0f4a93', approvedAt: '2026-11-03T14:10:40.000Z' };
const RUNNING = {
  ...APPROVED,
  state: 'running',
  dryRunAt: '2026-11-03T14:05:02.000Z',
  startedAt: '2026-11-03T14:12:00.000Z',
  expiresAt: '2026-11-04T04:00:00.000Z',
};
const PROGRESS = {
  ...RUNNING,
  progress: {
    selected: 18250,
    signalled: 9400,
    gone: 3,
    partitions: 4,
    partitionsDone: 1,
    sent: 6120,
    skipped: 12,
    skippedBecause: { 'no verified contact for this channel': 12 },
    failed: 4,
    inFlight: 35,
  },
};
const STOPPED = { ...RUNNING, state: 'stopped', stoppedAt: '2026-11-03T14:20:31.000Z' };

const PREVIEW = {
  broadcastId: 7,
  messageKey: 'reminder.return',
  ballots: 18250,
  audience: [
    { channel: 'sms', language: 'en', ballots: 11020, voters: 11020, contacts: 11020 },
    { channel: 'sms', language: 'es', ballots: 4310, voters: 4310, contacts: 4310 },
    { channel: 'email', language: 'en', ballots: 6900, voters: 6900, contacts: 6900 },
  ],
  messages: [
    {
      county: 'sacramento',
      language: 'en',
      countyConfigured: true,
      sms: 'Sacramento County Elections: We have not received your ballot yet. Mail it with a postmark by Election Day, November 3, 2026, or use a drop box by 8 p.m. that day. https://elections.saccounty.gov',
      email: {
        subject: 'Sacramento County Elections: Reminder to return your ballot',
        text: 'We have not received your vote-by-mail ballot yet. …',
      },
    },
  ],
};

const DRY_RUN = {
  broadcastId: 7,
  dryRun: true,
  at: '2026-11-03T14:05:02.000Z',
  ballots: 18250,
  sends: [
    {
      channel: 'sms',
      language: 'en',
      ballots: 11020,
      voters: 11020,
      contacts: 11020,
      inWindowNow: 10800,
      waitingForWindow: 220,
      firstWindowOpensAt: '2026-11-03T16:00:00.000Z',
    },
  ],
  signalled: 0,
  sent: 0,
};

const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };

export function broadcastSchemas(): Record<string, unknown> {
  return {
    BroadcastCreate: schema(createBroadcastSchema),
    Broadcast: schema(broadcastViewSchema, 'output'),
    BroadcastList: schema(broadcastListSchema, 'output'),
    BroadcastPreview: schema(broadcastPreviewSchema, 'output'),
    BroadcastDryRun: schema(broadcastDryRunSchema, 'output'),
  };
}

export function broadcastPaths(): Record<string, unknown> {
  return {
    '/v1/broadcasts': {
      post: {
        summary: 'Create a broadcast, as a draft (scope broadcasts:write)',
        description:
          'A selection over ballots (an election, counties within the key, statuses; subscribed voters only) and ' +
          'a catalog message worded in every language. Nothing is sent until a second key approves it and it is started.',
        requestBody: { required: true, content: ref('BroadcastCreate', CREATE) },
        responses: {
          '201': { description: 'the draft', content: ref('Broadcast', DRAFT) },
          ...errors(400, 401, 403, 404, 415, 429),
        },
      },
      get: {
        summary: "Broadcasts the key's counties cover, newest first (broadcasts:write or broadcasts:approve)",
        parameters: [{ name: 'electionId', in: 'query', required: false, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'broadcasts', content: ref('BroadcastList', { broadcasts: [APPROVED, DRAFT] }) },
          ...errors(400, 401, 403, 429),
        },
      },
    },
    '/v1/broadcasts/{id}': {
      get: {
        summary: 'A broadcast and its progress: selected, signalled, sent, skipped (and why), failed',
        parameters: [id],
        responses: {
          '200': { description: 'the broadcast', content: ref('Broadcast', PROGRESS) },
          ...errors(400, 401, 403, 404, 429),
        },
      },
    },
    '/v1/broadcasts/{id}/preview': {
      get: {
        summary:
          'Ballots selected, voters and contacts per channel and language, and the message per county and language',
        parameters: [id],
        responses: {
          '200': { description: 'the preview', content: ref('BroadcastPreview', PREVIEW) },
          ...errors(400, 401, 403, 404, 429),
        },
      },
    },
    '/v1/broadcasts/{id}/dry-run': {
      post: {
        summary: 'What a run would send now and what would wait for a voter window; nothing is signalled or sent',
        parameters: [id],
        responses: {
          '200': { description: 'the dry run', content: ref('BroadcastDryRun', DRY_RUN) },
          ...errors(400, 401, 403, 404, 429),
        },
      },
    },
    '/v1/broadcasts/{id}/approve': {
      post: {
        summary: 'Approve a draft (scope broadcasts:approve, a key other than the creating one)',
        parameters: [id],
        responses: {
          '200': { description: 'approved', content: ref('Broadcast', APPROVED) },
          ...errors(400, 401, 403, 404, 409, 429),
        },
      },
    },
    '/v1/broadcasts/{id}/start': {
      post: {
        summary: 'Start an approved broadcast (scope broadcasts:write)',
        description:
          'Its run signals the selected ballots, paced by the shared action budget; each ballot workflow sends in its ' +
          "voter's window, once per channel. Asked again while running, it makes sure the run is there.",
        parameters: [id],
        responses: {
          '202': { description: 'running', content: ref('Broadcast', RUNNING) },
          ...errors(400, 401, 403, 404, 409, 429),
        },
      },
    },
    '/v1/broadcasts/{id}/stop': {
      post: {
        summary: 'Stop a broadcast at once (scope broadcasts:write)',
        description:
          'No further ballot is signalled, and every notice not yet sent is skipped (broadcast_stopped), also those ' +
          "of a done run still waiting for a voter's window.",
        parameters: [id],
        responses: {
          '200': { description: 'stopped', content: ref('Broadcast', STOPPED) },
          ...errors(400, 401, 403, 404, 409, 429),
        },
      },
    },
  };
}
