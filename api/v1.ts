import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Sql } from '../db/client.js';
import { describeIssues, idSchema } from '../domain/scan-event.js';
import { readBallotStatus } from '../ingest/ballot-status.js';
import { ingestBallots } from '../ingest/ballots.js';
import { putElection } from '../ingest/elections.js';
import { allowsCounty } from '../domain/principal.js';
import { ingestScans } from '../ingest/scans.js';
import {
  ballotsBatchSchema,
  electionSchema,
  scansBatchSchema,
  summarize,
  votersBatchSchema,
  type ItemResult,
} from '../ingest/schemas.js';
import { ingestVoters } from '../ingest/voters.js';
import { authenticate, backPressure, principalOf, rateLimitPerKey, requireScope } from './auth.js';
import { ApiError } from './errors.js';
import type { KeyVerifier } from '../lib/api-keys.js';
import { ndjsonLines } from '../ingest/parsers/ndjson.js';
import { ingestInChunks } from '../ingest/import.js';
import { openApiDocument } from './openapi.js';

export interface V1Deps {
  sql: Sql;
  verifyKey: KeyVerifier;
  /** Pending outbox rows (for back-pressure). */
  backlog: () => Promise<number>;
  /** Called after rows were written to the outbox, so the local forwarder looks at once. */
  outboxWritten: () => void;
  rateLimitPerMinute: number;
  maxBodyBytes: number;
  maxBacklog: number;
  /** Items per database round trip when streaming NDJSON. */
  ndjsonChunk?: number;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid_request', `${what}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    return next(new ApiError(415, 'unsupported_media_type', 'Send Content-Type: application/json.'));
  }
  next();
};

/** The vendor and operator API, mounted at /v1. */
export function v1Routes(deps: V1Deps): Router {
  const router = Router();
  const json = express.json({ limit: deps.maxBodyBytes, type: 'application/json' });
  const auth = [authenticate(deps.verifyKey), rateLimitPerKey(deps.rateLimitPerMinute)];
  const guarded = backPressure(deps.backlog, deps.maxBacklog);
  const batchAnswer = (res: Response, results: ItemResult[]) => {
    deps.outboxWritten();
    res.status(202).json({ results, summary: summarize(results) });
  };

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  router.put(
    '/elections/:electionId',
    ...auth,
    requireScope('elections:write'),
    requireJson,
    json,
    async (req: Request<{ electionId: string }>, res) => {
      const electionId = parse(idSchema, req.params.electionId, 'electionId');
      const input = parse(electionSchema, req.body, 'body');
      const { created, changed, election } = await putElection(deps.sql, electionId, input);
      if (changed) deps.outboxWritten();
      res.status(created ? 201 : 200).json(election);
    },
  );

  router.post('/voters', ...auth, requireScope('voters:write'), requireJson, json, async (req, res) => {
    const { voters } = parse(votersBatchSchema, req.body, 'body');
    const results = await ingestVoters(deps.sql, principalOf(res), voters);
    res.status(202).json({ results, summary: summarize(results) });
  });

  router.post('/ballots', ...auth, requireScope('ballots:write'), guarded, requireJson, json, async (req, res) => {
    const { ballots } = parse(ballotsBatchSchema, req.body, 'body');
    batchAnswer(res, await ingestBallots(deps.sql, principalOf(res), ballots));
  });

  router.post('/scans', ...auth, requireScope('scans:write'), guarded, async (req, res) => {
    if (req.is('application/x-ndjson')) return streamScans(req, res, deps);
    if (!req.is('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', 'Send application/json or application/x-ndjson.');
    }
    await new Promise<void>((resolve, reject) =>
      json(req, res, (error?: unknown) =>
        error ? reject(error instanceof Error ? error : new Error('unreadable body', { cause: error })) : resolve(),
      ),
    );
    const { events } = parse(scansBatchSchema, req.body, 'body');
    batchAnswer(res, await ingestScans(deps.sql, principalOf(res), events));
  });

  router.get(
    '/ballots/:electionId/:ballotId',
    ...auth,
    requireScope('ballots:read'),
    async (req: Request<{ electionId: string; ballotId: string }>, res) => {
      const electionId = parse(idSchema, req.params.electionId, 'electionId');
      const ballotId = parse(idSchema, req.params.ballotId, 'ballotId');
      const principal = principalOf(res);
      const ballot = await readBallotStatus(deps.sql, electionId, ballotId);
      if (!ballot) throw new ApiError(404, 'not_found', `No ballot ${ballotId} in election ${electionId}.`);
      // A ballot with scans but no issuance record has no county yet: only an all-county key reads it.
      if (ballot.county === null ? principal.counties !== null : !allowsCounty(principal, ballot.county)) {
        throw new ApiError(403, 'county_forbidden', 'This key may not read this ballot.');
      }
      res.json(ballot);
    },
  );

  // Client errors raised by Express itself (e.g. a path segment that is not valid percent-encoding)
  // carry a 4xx status; they are the caller's problem, not a 500.
  router.use(((error, _req, _res, next) => {
    const status =
      (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
    if (!(error instanceof ApiError) && typeof status === 'number' && status >= 400 && status < 500) {
      const type = (error as { type?: unknown }).type;
      if (typeof type === 'string') return next(error); // body-parser errors: mapped by the error middleware
      return next(new ApiError(status, 'bad_request', 'The request could not be understood.'));
    }
    next(error);
  }) as ErrorRequestHandler);

  return router;
}

/**
 * `application/x-ndjson`: any number of events, read and recorded in chunks so memory stays bounded.
 * The 202 and the opening of the results array go out with the first chunk; results follow as each
 * chunk is recorded. A failure after that point (the status is sent) ends the body with an `error`
 * member: the results before it stand, the rest of the body was not recorded.
 */
async function streamScans(req: Request, res: Response, deps: V1Deps): Promise<void> {
  const principal = principalOf(res);
  const chunkSize = deps.ndjsonChunk ?? 500;
  const summary = { accepted: 0, duplicate: 0, invalid: 0 };
  let index = 0;
  let started = false;
  let first = true;

  const write = (results: ItemResult[]) => {
    if (!started) {
      res.status(202).type('application/json');
      res.write('{"results":[');
      started = true;
    }
    for (const result of results) {
      summary[result.outcome] += 1;
      res.write((first ? '' : ',') + JSON.stringify(result));
      first = false;
    }
  };

  const chunks = ingestInChunks(ndjsonLines(req), chunkSize, (items, lines) =>
    ingestScans(deps.sql, principal, items, lines),
  );
  try {
    for await (const results of chunks) {
      results.forEach((result, i) => (result.index = index + i));
      index += results.length;
      write(results);
      deps.outboxWritten();
    }
    res.end(`],"summary":${JSON.stringify(summary)}}`);
  } catch (error) {
    if (!started) throw error;
    req.log?.error({ err: error }, 'NDJSON scan stream failed after the answer began');
    res.end(
      `],"summary":${JSON.stringify(summary)},"error":${JSON.stringify({
        code: 'stream_failed',
        message: 'Recording stopped here; the results above stand, the rest of the body was not recorded.',
      })}}`,
    );
  }
}
