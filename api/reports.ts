import { Router, type Request, type RequestHandler } from 'express';
import type { Sql } from '../db/client.js';
import { API_REPORT_TIMEOUT_MS, reportFileName, ReportError, runReport, toCsv } from '../reports/reports.js';
import { principalOf, requireScope } from './auth.js';
import { ApiError } from './errors.js';

export interface ReportRoutesDeps {
  sql: Sql;
  /** DEFAULT_TIME_ZONE: the days of a county without a `counties` row. */
  defaultTimeZone: string;
}

/**
 * `GET /reports/{report}` (scope `reports:read`), mounted inside /v1 behind its authentication and
 * per-key rate limit (`auth`). JSON by default; CSV as a download with `?format=csv` or
 * `Accept: text/csv`.
 */
export function reportRoutes(deps: ReportRoutesDeps, auth: RequestHandler[]): Router {
  const router = Router();
  router.get(
    '/reports/:report',
    ...auth,
    requireScope('reports:read'),
    async (req: Request<{ report: string }>, res) => {
      const { format: asked, ...rest } = req.query;
      const negotiated = req.accepts(['application/json', 'text/csv']);
      const format = asked ?? (negotiated === 'text/csv' ? 'csv' : 'json');
      if (asked === undefined && negotiated === false) {
        throw new ApiError(406, 'not_acceptable', 'Reports are application/json or text/csv (or ?format=csv).');
      }
      const result = await runReport(
        deps.sql,
        principalOf(res),
        req.params.report,
        { ...rest, format },
        { defaultTimeZone: deps.defaultTimeZone, statementTimeoutMs: API_REPORT_TIMEOUT_MS },
      ).catch((error: unknown) => {
        if (error instanceof ReportError) throw new ApiError(error.status, error.code, error.message, error.details);
        throw error;
      });
      // Reports are a county's records: no shared cache keeps them.
      res.setHeader('Cache-Control', 'no-store');
      if (format === 'csv') {
        res
          .status(200)
          .type('text/csv; charset=utf-8')
          // The file name is IDs and dates only (letters, digits, '.', '_', '-'), so it needs no escaping.
          .setHeader('Content-Disposition', `attachment; filename="${reportFileName(result)}"`)
          .setHeader('X-Report-Truncated', String(result.truncated));
        res.send(toCsv(result));
        return;
      }
      res.json(result);
    },
  );
  return router;
}
