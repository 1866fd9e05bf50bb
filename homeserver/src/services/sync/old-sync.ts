/**
 * The old sync endpoints still in the spec (deprecated; the room initial sync and /events?room_id= are how clients
 * peek): GET /events, GET /events/{eventId}, GET /initialSync, GET /rooms/{roomId}/initialSync.
 * https://spec.matrix.org/v1.19/client-server-api/#peeking
 */
import type { JsonObject } from '@parley/federation';
import type { CoreDeps } from '../deps.js';
import { getEventById, streamEvents } from './old-events.js';
import { initialSync, roomInitialSync } from './old-initial-sync.js';
import type { EventStreamParams, EventStreamResponse, InitialSyncResponse, OldSyncRoomsPort, RoomInfo } from './old-types.js';
import type { SyncRequester, SyncSources } from './types.js';
import { createWakeDispatcher } from './wait.js';

const DEFAULT_MAX_TIMEOUT_MS = 5 * 60_000;

export interface OldSyncService {
  /** GET /events[?room_id=]: room events after `from`, waiting up to `timeoutMs` for one. */
  events(requester: SyncRequester, params: EventStreamParams): Promise<EventStreamResponse>;
  /** GET /events/{eventId}: 404 M_NOT_FOUND when unknown or not visible. */
  event(requester: SyncRequester, eventId: string): Promise<JsonObject>;
  /** GET /initialSync. */
  initialSync(requester: SyncRequester, params: { limit?: number; archived?: boolean }): Promise<InitialSyncResponse>;
  /** GET /rooms/{roomId}/initialSync: 403 M_FORBIDDEN when the user may not read the room. */
  roomInitialSync(requester: SyncRequester, roomId: string, params: { limit?: number }): Promise<RoomInfo>;
}

export function createOldSyncService(
  deps: CoreDeps,
  rooms: OldSyncRoomsPort,
  sources: SyncSources,
  options: { maxTimeoutMs?: number } = {},
): OldSyncService {
  const { storage } = deps;
  // One notifier subscription for every waiting /events of this process.
  const dispatcher = createWakeDispatcher(deps.notifier);
  const streamDeps = { storage, rooms, sources, dispatcher, maxTimeoutMs: options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS };
  const snapshotDeps = { storage, rooms, sources };
  return {
    events: (requester, params) => streamEvents(streamDeps, requester, params),
    event: (requester, eventId) => getEventById(rooms, requester, eventId),
    initialSync: (requester, params) => initialSync(snapshotDeps, requester, params),
    roomInitialSync: (requester, roomId, params) => roomInitialSync(snapshotDeps, requester, roomId, params),
  };
}
