/**
 * Which of the users a key request names are ours, and the `failures` entries for the servers of the others
 * (until federation can ask those servers).
 */
import type { JsonObject } from '@parley/federation';
import type { E2eeContext } from './types.js';

// NOTSPEC: the spec leaves the failure object's content open; this is what other servers put there.
const REMOTE_FAILURE: JsonObject = { status: 503, message: 'Federation is not available on this server yet' };

/** Splits user IDs into ours and the servers of the others. */
export function partition(ctx: E2eeContext, userIds: Iterable<string>): { local: string[]; remoteServers: Set<string> } {
  const local: string[] = [];
  const remoteServers = new Set<string>();
  for (const userId of userIds) {
    const server = userId.slice(userId.indexOf(':') + 1);
    if (server === ctx.deps.serverName) local.push(userId);
    else remoteServers.add(server);
  }
  return { local, remoteServers };
}

export function failuresFor(servers: Set<string>): Record<string, JsonObject> {
  return Object.fromEntries([...servers].map((server) => [server, REMOTE_FAILURE]));
}
