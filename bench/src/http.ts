import type { TestUser } from '../../test/support/start.js';

/** Anything with a base URL: an in-process test server or the bench's child-process server. */
export interface HasUrl {
  url: string;
}

let retried = 0;

/** How many requests were sent again after a connection error (a keep-alive socket closed under us). */
export function retriedRequests(): number {
  return retried;
}

/**
 * Calls a Client-Server v3 endpoint as `user`; any non-200 answer aborts the benchmark. A request that fails
 * at the connection (ECONNRESET on a reused keep-alive socket, common on a loaded machine) is sent once more:
 * every call made through here is idempotent (sends carry their txnId).
 */
export async function call(
  server: HasUrl,
  user: Pick<TestUser, 'accessToken'>,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const request = (): Promise<Response> =>
    fetch(`${server.url}/_matrix/client/v3${path}`, {
      method,
      headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  let response: Response;
  try {
    response = await request();
  } catch (error) {
    if (signal?.aborted === true) throw error;
    retried++;
    response = await request().catch((again: unknown) => {
      throw new Error(`${method} ${path.slice(0, 80)}: ${String(again)}`, { cause: again });
    });
  }
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${method} ${path.slice(0, 80)}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
