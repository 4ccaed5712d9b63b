import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { Readable } from 'node:stream';
import { FALLBACK_TIME_ZONE } from '../config/env.js';
import type { Sql } from '../db/client.js';
import { MAX_ITEMS_PER_REQUEST_UNIT } from '../domain/principal.js';
import { describeIssues, idSchema } from '../domain/scan-event.js';
import { ingestInChunks } from '../ingest/import.js';
import type { OperationTable } from '../ingest/parsers/imb.js';
import { ivmtrDelimitedRecords, ivmtrJsonRecords } from '../ingest/parsers/ivmtr.js';
import type { SourceRecord } from '../ingest/parsers/source.js';
import { summarize } from '../ingest/schemas.js';
import { defaultOperationTable, ingestIvmtr, MAX_IVMTR_RECORDS, type UspsResult } from '../ingest/usps.js';
import { principalOf, requireScope, type KeyRateLimit } from './auth.js';
import { ApiError } from './errors.js';

export interface UspsDeps {
  sql: Sql;
  maxBodyBytes: number;
  /** The operation table (USPS_OPERATIONS_FILE, else ingest/usps-operations.json). */
  uspsOperations?: OperationTable;
  outboxWritten: () => void;
  auth: RequestHandler[];
  keyLimit: KeyRateLimit;
  guarded: RequestHandler;
}

/**
 * `POST /v1/usps/ivmtr?electionId=...` (scope scans:write): USPS IV-MTR piece scans pushed as JSON
 * (`{"events": [...]}`, the IV-MTR push shape, or an array) or as the pipe-delimited file with its
 * header line (`text/plain`). Answers 202 with one result per record, like POST /v1/scans.
 */
export function uspsRoutes(deps: UspsDeps): Router {
  const router = Router();
  const table = deps.uspsOperations ?? defaultOperationTable(FALLBACK_TIME_ZONE);
  const json = express.json({ limit: deps.maxBodyBytes, type: 'application/json' });
  const text = express.text({ limit: deps.maxBodyBytes, type: ['text/plain', 'text/csv'] });

  router.post(
    '/usps/ivmtr',
    ...deps.auth,
    requireScope('scans:write'),
    deps.guarded,
    (req, _res, next) => {
      if (!req.is('application/json') && !req.is('text/plain') && !req.is('text/csv')) {
        return next(
          new ApiError(
            415,
            'unsupported_media_type',
            'Send application/json (IV-MTR JSON) or text/plain (the pipe-delimited file).',
          ),
        );
      }
      next();
    },
    json,
    text,
    async (req: Request, res: Response) => {
      const electionId = idSchema.safeParse(req.query.electionId);
      if (!electionId.success) {
        throw new ApiError(400, 'invalid_request', `electionId (query): ${describeIssues(electionId.error)}`);
      }
      let records: SourceRecord[];
      if (req.is('application/json')) {
        const list = ivmtrJsonRecords(req.body);
        if (!list || list.length === 0) {
          throw new ApiError(
            400,
            'invalid_request',
            'body: {"events": [record, ...]} (IV-MTR JSON) with at least one record',
          );
        }
        records = list.map((value, i) => ({ line: i + 1, value }));
      } else {
        records = [];
        const body = typeof req.body === 'string' ? req.body : '';
        for await (const record of ivmtrDelimitedRecords(Readable.from(body.split(/\r?\n/)))) records.push(record);
        if (records.length === 0) {
          throw new ApiError(400, 'invalid_request', 'body: a header line naming the fields, then one record per line');
        }
      }
      if (records.length > MAX_IVMTR_RECORDS) {
        throw new ApiError(413, 'too_many_items', `A request carries at most ${MAX_IVMTR_RECORDS} records.`);
      }
      const extra = Math.ceil(records.length / MAX_ITEMS_PER_REQUEST_UNIT) - 1;
      if (extra > 0) {
        const wait = await deps.keyLimit.charge(res, extra);
        if (wait !== undefined) {
          throw new ApiError(
            429,
            'rate_limited',
            'Too many records for this key now; retry after the Retry-After delay.',
            undefined,
            {
              'Retry-After': String(wait),
            },
          );
        }
      }
      const principal = principalOf(res);
      const results: UspsResult[] = [];
      const chunks = ingestInChunks(Readable.from(records) as AsyncIterable<SourceRecord>, 500, (items, lines) =>
        ingestIvmtr(deps.sql, principal, electionId.data, items, table, lines),
      );
      for await (const chunk of chunks) results.push(...(chunk as UspsResult[]));
      // One result per record, in record order; `line` is the record's number (JSON) or line (text).
      results.forEach((result, i) => (result.index = i));
      deps.outboxWritten();
      res.status(202).json({ results, summary: summarize(results) });
    },
  );
  return router;
}
