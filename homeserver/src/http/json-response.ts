/**
 * The one way JSON leaves the server: `Content-Type: application/json` exactly, never express's
 * `application/json; charset=utf-8`. JSON is UTF-8 by definition (RFC 8259), and the spec's examples and some
 * clients compare the header as a whole.
 * https://spec.matrix.org/v1.19/client-server-api/#api-standards
 */
import type { ServerResponse } from 'node:http';

export const JSON_CONTENT_TYPE = 'application/json';

/** Sends `body` as JSON with `status`; headers already set (CORS, Retry-After) are kept. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.statusCode = status;
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(text, 'utf8'));
  // Node leaves the body out of a HEAD response by itself; Content-Length still tells what a GET would send.
  res.end(text, 'utf8');
}
