/**
 * `/v1/broadcasts`: create a draft (scope broadcasts:write), preview it, dry-run it, have a second key
 * approve it (broadcasts:approve), start, follow and stop it. Routes parse and answer; the lifecycle
 * is `ingest/broadcasts.ts`.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Broadcast, BroadcastProgress } from '../db/broadcasts.js';
import type { Sql } from '../db/client.js';
import { BALLOT_STATUSES } from '../domain/ballot-status.js';
import { BROADCAST_MESSAGES, BROADCAST_STATES } from '../domain/broadcasts.js';
import type { Scope } from '../domain/principal.js';
import { describeIssues, idSchema } from '../domain/scan-event.js';
import type { CountyFallback } from '../delivery/county.js';
import {
  approve,
  BroadcastRefused,
  createDraft,
  dryRun,
  listVisible,
  preview,
  start,
  status,
  stop,
  type BroadcastServiceDeps,
} from '../ingest/broadcasts.js';
import type { Client } from '@temporalio/client';
import { principalOf, requireScope } from './auth.js';
import { ApiError } from './errors.js';

export const createBroadcastSchema = z
  .object({
    electionId: idSchema,
    counties: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(100)
      .optional()
      .describe("the counties whose ballots it selects; omitted: the key's counties (all, for an all-county key)"),
    statuses: z
      .array(z.enum(BALLOT_STATUSES))
      .min(1)
      .describe('ballot statuses it selects; the message allows only some (reminder.return: outbound)'),
    messageKey: z
      .enum(Object.keys(BROADCAST_MESSAGES) as [string, ...string[]])
      .describe('a catalog message worded in every language'),
    note: z.string().max(500).optional().describe('for operators: why this broadcast'),
  })
  .strict();

export const broadcastViewSchema = z.object({
  broadcastId: z.number().int(),
  electionId: z.string(),
  counties: z.array(z.string()).nullable().describe('null: every county'),
  statuses: z.array(z.string()),
  messageKey: z.string(),
  note: z.string().nullable(),
  state: z.enum(BROADCAST_STATES),
  createdBy: z.string().describe('the key ID that created it'),
  createdAt: z.string(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  dryRunAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  expiresAt: z.string().nullable().describe('a notice still waiting for a voter window is dropped from then'),
  stoppedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  progress: z
    .object({
      selected: z.number().int().nullable().describe('ballots selected when the run started'),
      signalled: z.number().int().describe('ballot workflows told'),
      gone: z.number().int().describe('selected ballots whose workflow had already ended'),
      partitions: z.number().int(),
      partitionsDone: z.number().int(),
      sent: z.number().int(),
      skipped: z.number().int(),
      skippedBecause: z.record(z.string(), z.number().int()).describe('broadcast_stopped, opted out, ...'),
      failed: z.number().int(),
      inFlight: z.number().int().describe('being sent or retried'),
    })
    .optional(),
});

const audienceLine = z.object({
  channel: z.enum(['sms', 'email', 'voice']),
  language: z.string(),
  ballots: z.number().int(),
  voters: z.number().int(),
  contacts: z.number().int(),
});

export const broadcastPreviewSchema = z.object({
  broadcastId: z.number().int(),
  messageKey: z.string(),
  ballots: z.number().int(),
  audience: z.array(audienceLine),
  messages: z.array(
    z.object({
      county: z.string(),
      language: z.string(),
      countyConfigured: z.boolean().describe("false: the county has no details; its voters' notices would pause"),
      sms: z.string().optional(),
      email: z.object({ subject: z.string(), text: z.string() }).optional(),
      voice: z.string().optional(),
    }),
  ),
});

export const broadcastDryRunSchema = z.object({
  broadcastId: z.number().int(),
  dryRun: z.literal(true),
  at: z.string(),
  ballots: z.number().int(),
  sends: z.array(
    audienceLine.extend({
      inWindowNow: z.number().int(),
      waitingForWindow: z.number().int(),
      firstWindowOpensAt: z.string().optional(),
    }),
  ),
  signalled: z.literal(0),
  sent: z.literal(0),
});

export const broadcastListSchema = z.object({ broadcasts: z.array(broadcastViewSchema) });

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function broadcastView(b: Broadcast, progress?: BroadcastProgress): z.output<typeof broadcastViewSchema> {
  return {
    broadcastId: b.broadcastId,
    electionId: b.electionId,
    counties: b.counties,
    statuses: b.statuses,
    messageKey: b.messageKey,
    note: b.note,
    state: b.state,
    createdBy: b.createdBy,
    createdAt: b.createdAt.toISOString(),
    approvedBy: b.approvedBy,
    approvedAt: iso(b.approvedAt),
    dryRunAt: iso(b.dryRunAt),
    startedAt: iso(b.startedAt),
    expiresAt: iso(b.expiresAt),
    stoppedAt: iso(b.stoppedAt),
    finishedAt: iso(b.finishedAt),
    ...(progress ? { progress } : {}),
  };
}

export interface BroadcastRouteDeps {
  sql: Sql;
  /** The API process's Temporal client and the worker's task queue: `start` runs `broadcast-<id>` there. */
  broadcasts?: { temporal: Client; taskQueue: string; countyFallback?: CountyFallback } | undefined;
}

const broadcastId = z.coerce.number().int().min(1).max(1_000_000_000);

function idOf(req: Request<{ id: string }>): number {
  const parsed = broadcastId.safeParse(req.params.id);
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'id: a broadcast number');
  return parsed.data;
}

/** Either scope reads broadcasts (the writer and the approver both need to see them). */
const requireAnyScope =
  (...scopes: Scope[]): RequestHandler =>
  (_req, res, next) => {
    const held = principalOf(res).scopes;
    if (!scopes.some((scope) => held.includes(scope))) {
      return next(new ApiError(403, 'forbidden', `This key lacks the scope ${scopes.join(' or ')}.`));
    }
    next();
  };

/** The service's refusals as API errors. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BroadcastRefused) throw new ApiError(error.status, error.code, error.message);
    throw error;
  }
}

/** Mounted by `v1Routes` after authentication (`auth`: the key check and its rate limit). */
export function broadcastRoutes(deps: BroadcastRouteDeps, auth: RequestHandler[], maxBodyBytes: number): Router {
  const router = Router();
  const json = express.json({ limit: maxBodyBytes, type: 'application/json' });
  const service: BroadcastServiceDeps = {
    sql: deps.sql,
    temporal: deps.broadcasts ? { client: deps.broadcasts.temporal, taskQueue: deps.broadcasts.taskQueue } : undefined,
    countyFallback: deps.broadcasts?.countyFallback,
  };
  const read = requireAnyScope('broadcasts:write', 'broadcasts:approve');
  const write = requireScope('broadcasts:write');

  router.post('/broadcasts', ...auth, write, json, async (req, res) => {
    if (!req.is('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.');
    }
    const parsed = createBroadcastSchema.safeParse(req.body);
    if (!parsed.success) throw new ApiError(400, 'invalid_request', `body: ${describeIssues(parsed.error)}`);
    const created = await answer(() => createDraft(service, principalOf(res), parsed.data));
    res.status(201).json(broadcastView(created));
  });

  router.get('/broadcasts', ...auth, read, async (req, res) => {
    const electionId = typeof req.query.electionId === 'string' ? req.query.electionId : undefined;
    if (electionId !== undefined && !idSchema.safeParse(electionId).success) {
      throw new ApiError(400, 'invalid_request', 'electionId: an election ID');
    }
    const list = await listVisible(deps.sql, principalOf(res), electionId);
    res.json({ broadcasts: list.map((b) => broadcastView(b)) });
  });

  router.get('/broadcasts/:id', ...auth, read, async (req: Request<{ id: string }>, res) => {
    const { broadcast, progress } = await answer(() => status(service, principalOf(res), idOf(req)));
    res.json(broadcastView(broadcast, progress));
  });

  router.get('/broadcasts/:id/preview', ...auth, read, async (req: Request<{ id: string }>, res) => {
    res.json(await answer(() => preview(service, principalOf(res), idOf(req))));
  });

  router.post('/broadcasts/:id/dry-run', ...auth, write, async (req: Request<{ id: string }>, res) => {
    res.json(await answer(() => dryRun(service, principalOf(res), idOf(req))));
  });

  router.post(
    '/broadcasts/:id/approve',
    ...auth,
    requireScope('broadcasts:approve'),
    async (req: Request<{ id: string }>, res) => {
      res.json(broadcastView(await answer(() => approve(service, principalOf(res), idOf(req)))));
    },
  );

  router.post('/broadcasts/:id/start', ...auth, write, async (req: Request<{ id: string }>, res) => {
    res.status(202).json(broadcastView(await answer(() => start(service, principalOf(res), idOf(req)))));
  });

  router.post('/broadcasts/:id/stop', ...auth, write, async (req: Request<{ id: string }>, res) => {
    res.json(broadcastView(await answer(() => stop(service, principalOf(res), idOf(req)))));
  });

  return router;
}
