import type { TestUser } from '../../test/support/start.js';

/** Anything with a base URL: an in-process test server or the bench's child-process server. */
export interface HasUrl {
  url: string;
}

/** Calls a Client-Server v3 endpoint as `user`; any non-200 answer aborts the benchmark. */
export async function call(
  server: HasUrl,
  user: Pick<TestUser, 'accessToken'>,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/_matrix/client/v3${path}`, {
    method,
    headers: { Authorization: `Bearer ${user.accessToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}
