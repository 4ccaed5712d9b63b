import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Sql } from '../db/client.js';
import { describeIssues, idSchema } from '../domain/scan-event.js';
import { readBallotStatus } from '../ingest/ballot-status.js';
import { ingestBallots } from '../ingest/ballots.js';
import { patchElection, putElection } from '../ingest/elections.js';
import { allowsCounty, keyScopeProblem, MAX_ITEMS_PER_REQUEST_UNIT } from '../domain/principal.js';
import { ingestScans } from '../ingest/scans.js';
import {
  ballotsBatchSchema,
  electionPatchSchema,
  electionSchema,
  scansBatchSchema,
  summarize,
  votersBatchSchema,
  type ItemResult,
} from '../ingest/schemas.js';
import { ingestVoters } from '../ingest/voters.js';
import { authenticate, backPressure, principalOf, rateLimitPerKey, requireScope } from './auth.js';
import type { RateLimiter } from '../lib/rate-limiter.js';
import { ApiError } from './errors.js';
import type { KeyVerifier } from '../lib/api-keys.js';
import { ndjsonLines } from '../ingest/parsers/ndjson.js';
import { ingestInChunks } from '../ingest/import.js';
import { openApiDocument } from './openapi.js';
import { reportRoutes } from './reports.js';
import { FALLBACK_TIME_ZONE } from '../config/env.js';
import { broadcastRoutes, type BroadcastRouteDeps } from './broadcasts.js';
import { countyRoutes } from './counties.js';
import { uspsRoutes } from './usps.js';
import type { OperationTable } from '../ingest/parsers/imb.js';

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
  /** Most items one NDJSON stream may carry (API_NDJSON_MAX_ITEMS). */
  ndjsonMaxItems?: number;
  /** Where the per-key limits count: PostgreSQL in the API process (every process shares it). */
  rateLimiter?: RateLimiter;
  /** DEFAULT_TIME_ZONE: report days of a county without a `counties` row. */
  defaultTimeZone?: string;
  /** Broadcasts' run workflows start through this client (`/v1/broadcasts`). */
  broadcasts?: BroadcastRouteDeps['broadcasts'];
  /** The USPS operation table of POST /v1/usps/ivmtr (USPS_OPERATIONS_FILE). */
  uspsOperations?: OperationTable;
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
  const keyLimit = rateLimitPerKey(deps.rateLimitPerMinute, deps.rateLimiter);
  const auth = [authenticate(deps.verifyKey), keyLimit.middleware];
  /** Election-wide writes: the key must cover every county (checked per request, whatever the scope says). */
  const allCounties: RequestHandler = (_req, res, next) => {
    const principal = principalOf(res);
    if (keyScopeProblem(['elections:write'], principal.counties)) {
      return next(
        new ApiError(
          403,
          'county_forbidden',
          "An election is every county's: only a key with every county may write it.",
        ),
      );
    }
    next();
  };
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
    allCounties,
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

  router.patch(
    '/elections/:electionId',
    ...auth,
    requireScope('elections:write'),
    allCounties,
    requireJson,
    json,
    async (req: Request<{ electionId: string }>, res) => {
      const electionId = parse(idSchema, req.params.electionId, 'electionId');
      const patch = parse(electionPatchSchema, req.body, 'body');
      const result = await patchElection(deps.sql, electionId, patch);
      if (!result) throw new ApiError(404, 'not_found', `No election ${electionId}; PUT creates one.`);
      if (result.changed) deps.outboxWritten();
      res.json(result.election);
    },
  );

  router.post('/voters', ...auth, requireScope('voters:write'), requireJson, json, async (req, res) => {
    const { voters } = parse(votersBatchSchema, req.body, 'body');
    const results = await ingestVoters(deps.sql, principalOf(res), voters, undefined, {
      onForeignVoter: (write) =>
        req.log?.warn(write, "voter ID already on another county's roll: not written, answered as accepted"),
    });
    res.status(202).json({ results, summary: summarize(results) });
  });

  router.post('/ballots', ...auth, requireScope('ballots:write'), guarded, requireJson, json, async (req, res) => {
    const { ballots } = parse(ballotsBatchSchema, req.body, 'body');
    batchAnswer(res, await ingestBallots(deps.sql, principalOf(res), ballots));
  });

  router.post('/scans', ...auth, requireScope('scans:write'), guarded, async (req, res) => {
    if (req.is('application/x-ndjson'))
      return streamScans(req, res, deps, (response, points) => keyLimit.charge(response, points));
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
      // A ballot with scans but no issuance record has no county yet: only an all-county key reads it.
      // Another county's ballot gets the answer of a ballot nobody has heard of (no existence oracle).
      const visible =
        ballot && (ballot.county === null ? principal.counties === null : allowsCounty(principal, ballot.county));
      if (!visible) throw new ApiError(404, 'not_found', `No ballot ${ballotId} in election ${electionId}.`);
      res.json(ballot);
    },
  );

  router.use(reportRoutes({ sql: deps.sql, defaultTimeZone: deps.defaultTimeZone ?? FALLBACK_TIME_ZONE }, auth));
  router.use(broadcastRoutes(deps, auth, deps.maxBodyBytes));
  router.use('/counties', countyRoutes({ sql: deps.sql, auth, maxBodyBytes: deps.maxBodyBytes }));
  router.use(uspsRoutes({ ...deps, auth, keyLimit, guarded }));

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
 * `application/x-ndjson`: events read and recorded in chunks so memory stays bounded. The 202 and the
 * opening of the results array go out with the first chunk; results follow as each chunk is
 * recorded. A failure after that point (the status is sent) ends the body with an `error` member:
 * the results before it stand, the rest of the body was not recorded.
 *
 * A stream is held to what a batch request is: the next chunk is read only once the client has taken
 * the results so far (`drain`), so a client that never reads cannot grow the API's memory; the outbox
 * backlog is checked before every chunk (`backlog`); every `MAX_ITEMS_PER_REQUEST_UNIT` items count as
 * one more request against the key's rate limit (`rate_limited`); and a stream ends after
 * `ndjsonMaxItems` items (`too_many_items`).
 */
async function streamScans(
  req: Request,
  res: Response,
  deps: V1Deps,
  charge: (res: Response, points: number) => Promise<number | undefined>,
): Promise<void> {
  const principal = principalOf(res);
  const chunkSize = deps.ndjsonChunk ?? 500;
  const maxItems = deps.ndjsonMaxItems ?? 100_000;
  const summary = { accepted: 0, duplicate: 0, invalid: 0 };
  let index = 0;
  let started = false;
  let first = true;
  let charged = MAX_ITEMS_PER_REQUEST_UNIT; // the request itself paid for the first unit
  let stop: { code: string; message: string } | undefined;

  const written = () =>
    res.writableNeedDrain
      ? new Promise<void>((resolve, reject) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            if (res.destroyed) reject(new Error('the client went away'));
            else resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        })
      : Promise.resolve();

  const write = async (results: ItemResult[]) => {
    if (!started) {
      // A stream may stop before the body ends (limits below); its connection then cannot be reused.
      res.status(202).type('application/json').setHeader('Connection', 'close');
      res.write('{"results":[');
      started = true;
    }
    let text = '';
    for (const result of results) {
      summary[result.outcome] += 1;
      text += (first ? '' : ',') + JSON.stringify(result);
      first = false;
    }
    res.write(text);
    await written();
  };

  /** Why the stream must stop before recording the next chunk, or undefined to go on. */
  const checkpoint = async (items: number): Promise<{ code: string; message: string } | undefined> => {
    if (index + items > maxItems) {
      return {
        code: 'too_many_items',
        message: `A stream carries at most ${maxItems} events; send the rest in another.`,
      };
    }
    if ((await deps.backlog()) > deps.maxBacklog) {
      return { code: 'backlog', message: 'Forwarding to the ballot workflows is behind; retry the rest later.' };
    }
    while (index + items > charged) {
      const retryAfter = await charge(res, 1);
      if (retryAfter !== undefined) {
        return { code: 'rate_limited', message: `This key is over its rate limit; retry the rest in ${retryAfter} s.` };
      }
      charged += MAX_ITEMS_PER_REQUEST_UNIT;
    }
    return undefined;
  };

  const chunks = ingestInChunks(ndjsonLines(req), chunkSize, async (items, lines) => {
    stop ??= await checkpoint(items.length);
    if (stop) throw new StreamStopped();
    return ingestScans(deps.sql, principal, items, lines);
  });
  try {
    for await (const results of chunks) {
      results.forEach((result, i) => (result.index = index + i));
      index += results.length;
      await write(results);
      deps.outboxWritten();
    }
    res.end(`],"summary":${JSON.stringify(summary)}}`);
  } catch (error) {
    if (res.destroyed) return;
    if (error instanceof StreamStopped && stop) {
      if (!started) {
        const status = stop.code === 'rate_limited' ? 429 : stop.code === 'backlog' ? 503 : 413;
        throw new ApiError(status, stop.code, stop.message);
      }
      req.resume(); // the rest of the body is not read into memory
      res.end(`],"summary":${JSON.stringify(summary)},"error":${JSON.stringify(stop)}}`);
      return;
    }
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

class StreamStopped extends Error {
  override name = 'StreamStopped';
}
