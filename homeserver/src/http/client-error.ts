/**
 * Requests Node's HTTP parser refuses before express sees them (malformed request line or headers, headers over
 * 16 KiB, a request that took longer than `http.request_timeout_ms`). Node answers those with a bare
 * `400 Bad Request` and no body; here they get the spec's error JSON like every other error, with the CORS headers
 * so a browser client can read it.
 * https://nodejs.org/api/http.html#event-clienterror
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { CORS_HEADERS } from './app.js';
import { JSON_CONTENT_TYPE } from './json-response.js';
import { MatrixError } from './errors.js';

/** The error Node's parser reports: `code` is e.g. `HPE_INVALID_METHOD` or `HPE_HEADER_OVERFLOW`. */
type ParserError = Error & { code?: string };

/** The Matrix error for a parser failure. */
export function clientErrorFor(error: ParserError): MatrixError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new MatrixError(431, 'M_TOO_LARGE', 'Request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new MatrixError(413, 'M_TOO_LARGE', 'Chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new MatrixError(408, 'M_UNKNOWN', 'The request took too long to arrive');
    default:
      return new MatrixError(400, 'M_UNKNOWN', 'Malformed HTTP request');
  }
}

/** The raw HTTP/1.1 response carrying `error`; the connection is closed after it. */
export function rawErrorResponse(error: MatrixError): string {
  const body = JSON.stringify(error.toJSON());
  const headers = {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body, 'utf8')),
    Connection: 'close',
    ...CORS_HEADERS,
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n${head}\r\n${body}`;
}

/** A `clientError` listener for the server: answers with the error JSON when it safely can, then closes the socket. */
export function answerClientErrors(logger: Logger): (error: ParserError, socket: Duplex) => void {
  return (error, socket) => {
    // A response already under way on this socket (keep-alive) must not be corrupted by a second one written over it.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      const matrixError = clientErrorFor(error);
      logger.debug({ code: error.code, status: matrixError.status }, 'refused a malformed request');
      // Destroyed once written, so a client that never closes its side does not keep the socket.
      socket.end(rawErrorResponse(matrixError), () => socket.destroy());
      return;
    }
    socket.destroy();
  };
}
