/**
 * The `presence` stream provider: presence of users who share a room with the syncing user.
 * https://spec.matrix.org/v1.19/client-server-api/#presence
 */
import type { JsonObject } from '@parley/federation';
import type { SyncContext } from '../context.js';
import { filterEvents } from '../filter.js';
import type { PresencePort } from '../types.js';

export async function collectPresence(port: PresencePort | undefined, context: SyncContext): Promise<void> {
  if (!port) return;
  const initial = context.since === null;
  const events = await port.getChanges(context.userId, context.since?.presence ?? 0, context.upTo.presence);
  const candidates = events
    .map((event) => ({ event, type: String(event.type ?? 'm.presence'), sender: typeof event.sender === 'string' ? event.sender : undefined }))
    .filter((item) => item.sender === undefined || !context.ignoredUsers.has(item.sender))
    // NOTSPEC: a client starting afresh takes everyone for offline: an initial sync sends only the others who are
    // not (the user's own presence always comes). Incremental syncs send every change, going offline included.
    .filter((item) => !initial || item.sender === context.userId || !isOffline(item.event));
  context.response.presence.events.push(...filterEvents(context.filter.presence, candidates).map((item) => item.event));
}

function isOffline(event: JsonObject): boolean {
  const content = event.content;
  return typeof content === 'object' && content !== null && !Array.isArray(content) && content.presence === 'offline';
}
