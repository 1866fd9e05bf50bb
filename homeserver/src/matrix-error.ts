/**
 * The one error type of the homeserver: an HTTP status and a Matrix `errcode`. Services and HTTP handlers throw it
 * in one line; the HTTP error handler (http/errors.ts) turns it into the spec's JSON.
 * https://spec.matrix.org/v1.19/client-server-api/#standard-error-response
 */
import type { JsonValue } from '@parley/federation';

/** The JSON body of a Matrix error response. */
export interface MatrixErrorBody {
  errcode: string;
  error: string;
  [extra: string]: JsonValue;
}

/**
 * An error with an HTTP status and a Matrix `errcode`, thrown anywhere in request handling:
 * `throw new MatrixError(403, 'M_FORBIDDEN', 'You are not invited to this room')`.
 */
export class MatrixError extends Error {
  readonly extra: Readonly<Record<string, JsonValue>>;

  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    extra: Record<string, JsonValue> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
    this.extra = extra;
  }

  /** The response body: `{ errcode, error, ...extra }`. */
  toJSON(): MatrixErrorBody {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

