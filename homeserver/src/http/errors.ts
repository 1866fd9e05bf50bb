/**
 * Matrix errors and the express handlers that turn every failure into the spec's error JSON.
 * https://spec.matrix.org/v1.19/client-server-api/#standard-error-response
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { sendJson } from './json-response.js';

export { MatrixError, type MatrixErrorBody } from '../matrix-error.js';
import { MatrixError } from '../matrix-error.js';

/** Errors raised by express and body-parser carry these fields. */
interface HttpLibraryError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Maps any thrown value to the MatrixError the client sees; unknown errors become a bare 500. */
export function toMatrixError(error: unknown): MatrixError {
  if (error instanceof MatrixError) return error;
  const libraryError = (typeof error === 'object' && error !== null ? error : {}) as HttpLibraryError;
  const status = libraryError.status ?? libraryError.statusCode;
  if (libraryError.type === 'entity.too.large' || status === 413) {
    return new MatrixError(413, 'M_TOO_LARGE', 'Request body is too large');
  }
  if (libraryError.type === 'entity.parse.failed') return new MatrixError(400, 'M_NOT_JSON', 'Content is not valid JSON');
  if (libraryError.type === 'encoding.unsupported' || libraryError.type === 'charset.unsupported') {
    return new MatrixError(415, 'M_NOT_JSON', 'Unsupported content encoding');
  }
  // The router throws this for a path parameter with a broken %-escape.
  if (error instanceof URIError) return new MatrixError(400, 'M_INVALID_PARAM', 'Malformed percent-encoding in the path');
  // Other client mistakes that the HTTP libraries flag as safe to show.
  if (status !== undefined && status >= 400 && status < 500 && libraryError.expose) {
    return new MatrixError(status, 'M_UNKNOWN', libraryError.message ?? 'Bad request');
  }
  return new MatrixError(500, 'M_UNKNOWN', 'Internal server error');
}

/** Sends `error` as the spec's JSON, with `Retry-After` for rate limits that say when to retry. */
export function sendMatrixError(res: Parameters<RequestHandler>[1], error: MatrixError): void {
  const retryAfterMs = error.extra.retry_after_ms;
  if (typeof retryAfterMs === 'number') res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
  sendJson(res, error.status, error.toJSON());
}

/**
 * The last middleware: logs server faults with their stack (to the log only) and answers with the error JSON.
 * Never sends a stack trace to the client.
 */
export function matrixErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const matrixError = toMatrixError(error);
    if (matrixError.status >= 500) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      // Too late for an error body: cut the connection so the client sees the response is incomplete.
      req.socket.destroy();
      return;
    }
    sendMatrixError(res, matrixError);
  };
}

/** 404 `M_UNRECOGNIZED` for every path no route matched. */
export function unrecognizedEndpoint(): RequestHandler {
  return (_req, res) => {
    sendMatrixError(res, new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized request'));
  };
}

/** 405 `M_UNRECOGNIZED`: the path exists but not with this method. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (_req, res) => {
    res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
    sendMatrixError(res, new MatrixError(405, 'M_UNRECOGNIZED', 'Unrecognized request method'));
  };
}
