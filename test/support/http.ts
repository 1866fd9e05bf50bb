/**
 * Raw HTTP helpers for tests that check exact status codes and bodies.
 */
import type { TestHomeserver } from './homeserver.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // Test code reads fields freely; a missing field simply fails the assertion.
  body: Record<string, unknown>;
}

export interface ApiOptions {
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** JSON-encoded unless `rawBody` is given. */
  body?: unknown;
  /** Sent exactly as is (e.g. malformed JSON). */
  rawBody?: string;
}

/** Calls `method path` on the server and parses the JSON answer. */
export async function api(server: Pick<TestHomeserver, 'url'>, method: string, path: string, options: ApiOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
