/**
 * The `presence` stream provider: presence of users who share a room with the syncing user.
 * https://spec.matrix.org/v1.19/client-server-api/#presence
 */
import type { SyncContext } from '../context.js';
import { filterEvents } from '../filter.js';
import type { PresencePort } from '../types.js';

export async function collectPresence(port: PresencePort | undefined, context: SyncContext): Promise<void> {
  if (!port) return;
  const events = await port.getChanges(context.userId, context.since?.presence ?? 0, context.upTo.presence);
  const candidates = events
    .map((event) => ({ event, type: String(event.type ?? 'm.presence'), sender: typeof event.sender === 'string' ? event.sender : undefined }))
    .filter((item) => item.sender === undefined || !context.ignoredUsers.has(item.sender));
  context.response.presence.events.push(...filterEvents(context.filter.presence, candidates).map((item) => item.event));
}
