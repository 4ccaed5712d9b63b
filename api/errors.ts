import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../lib/logger.js';

/**
 * The one error type routes throw. `code` is machine-readable and stable; `message` is for a person.
 * Anything else that reaches the error middleware is our fault and becomes a 500 without details.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/** body-parser's error types mapped to client errors, so malformed or oversized bodies never 500. */
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'invalid_json', 'The request body is not valid JSON.'],
  'entity.too.large': [413, 'payload_too_large', 'The request body is larger than this endpoint accepts.'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'The request body uses an unsupported character encoding.'],
  'charset.unsupported': [415, 'unsupported_charset', 'The request body uses an unsupported character set.'],
  'request.aborted': [400, 'request_aborted', 'The request was aborted before its body was read.'],
  'request.size.invalid': [400, 'invalid_body_size', 'The request body size does not match Content-Length.'],
};

function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && type in BODY_PARSER_ERRORS) {
    const [status, code, message] = BODY_PARSER_ERRORS[type]!;
    return new ApiError(status, code, message);
  }
  return undefined;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const apiError = toApiError(error);
    const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '';
    if (!apiError) {
      (req.log ?? logger).error({ err: error }, 'unhandled error');
      res.status(500).json({
        error: { code: 'internal_error', message: 'Something went wrong on our side.', requestId },
      } satisfies ErrorBody);
      return;
    }
    res.set(apiError.headers);
    res.status(apiError.status).json({
      error: {
        code: apiError.code,
        message: apiError.message,
        ...(apiError.details === undefined ? {} : { details: apiError.details }),
        requestId,
      },
    } satisfies ErrorBody);
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
};
