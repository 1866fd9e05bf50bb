/**
 * GET /events (the old event stream) and its peeking form GET /events?room_id=: room events after `from`,
 * long-polling on the notifier like /sync. Tokens are rooms pagination tokens `s<N>` (after stream position N),
 * so the `end` of /initialSync and /rooms/{roomId}/initialSync can be followed here.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3events
 * https://spec.matrix.org/v1.19/client-server-api/#peeking
 */
import { performance } from 'node:perf_hooks';
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { parseRoomPaginationToken, roomPaginationToken } from '../rooms/index.js';
import type { SyncRequester, SyncSources } from './types.js';
import type { EventStreamParams, EventStreamResponse, OldSyncRoomsPort } from './old-types.js';
import type { WakeDispatcher } from './wait.js';

/** The most events one response carries; the rest come with the next request from its `end`. */
export const MAX_EVENT_STREAM_EVENTS = 100;
/** NOTSPEC: the spec gives no default `timeout`; like Synapse, a request without one waits up to 30 seconds. */
export const DEFAULT_EVENT_STREAM_TIMEOUT_MS = 30_000;

export interface EventStreamDeps {
  storage: Storage;
  rooms: OldSyncRoomsPort;
  sources: SyncSources;
  dispatcher: WakeDispatcher;
  maxTimeoutMs: number;
}

/** `from` as a stream position: absent means now; 400 M_INVALID_PARAM unless it is an `s<N>` token. */
function parseFrom(from: string | undefined, now: number): number {
  if (from === undefined || from === '') return now;
  const position = from.startsWith('s') ? parseRoomPaginationToken(from) : undefined;
  if (position === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', 'Bad pagination from token');
  // A token from the future (another deployment, a restored database) starts at now rather than never.
  return Math.min(position, now);
}

async function isWorldReadable(storage: Storage, roomId: string): Promise<boolean> {
  const eventId = await storage.events.getCurrentStateEventId(roomId, 'm.room.history_visibility', '');
  if (eventId === null) return false;
  const [event] = await storage.events.getEvents([eventId]);
  return event?.pdu.content.history_visibility === 'world_readable';
}

/**
 * The rooms whose events the user follows: with `room_id`, that room if they are joined or it is world_readable
 * (403 M_FORBIDDEN otherwise); else the rooms they are joined or invited to, and those whose membership changed
 * since `from` (so a leave or kick still arrives).
 */
async function roomsToFollow(deps: EventStreamDeps, userId: string, roomId: string | undefined, from: number, now: number): Promise<string[]> {
  const memberships = await deps.rooms.getRoomsForUser(userId);
  if (roomId !== undefined) {
    const joined = memberships.some((entry) => entry.roomId === roomId && entry.membership === 'join');
    if (joined || (await isWorldReadable(deps.storage, roomId))) return [roomId];
    throw new MatrixError(403, 'M_FORBIDDEN', `You are not joined to ${roomId} and it is not world_readable`);
  }
  const rooms = new Set(memberships.filter((entry) => entry.membership === 'join' || entry.membership === 'invite').map((entry) => entry.roomId));
  if (from < now) for (const change of await deps.rooms.getMembershipChanges(userId, from, now)) rooms.add(change.roomId);
  return [...rooms];
}

/**
 * The first events after `from` (at most MAX_EVENT_STREAM_EVENTS across the rooms, in stream order) and the
 * position the next request continues from: the last event read when the cap cut the range, else `now`.
 */
async function readRange(storage: Storage, roomIds: readonly string[], from: number, now: number): Promise<{ events: StoredEvent[]; end: number }> {
  if (from >= now) return { events: [], end: now };
  const all: StoredEvent[] = [];
  for (const roomId of roomIds) {
    all.push(...(await storage.events.getRoomEventsByStream(roomId, { after: from, upTo: now, direction: 'forward', limit: MAX_EVENT_STREAM_EVENTS, liveOnly: true })));
  }
  all.sort((a, b) => a.streamOrdering - b.streamOrdering);
  // Each room returned its first events in order, so cutting the merge at the cap leaves no gap before `end`.
  if (all.length <= MAX_EVENT_STREAM_EVENTS) return { events: all, end: now };
  const events = all.slice(0, MAX_EVENT_STREAM_EVENTS);
  return { events, end: (events[events.length - 1] as StoredEvent).streamOrdering };
}

/** What the user may see of `events`: history visibility, and no non-state events of ignored users. */
async function visibleEvents(deps: EventStreamDeps, requester: SyncRequester, events: readonly StoredEvent[]): Promise<JsonObject[]> {
  if (events.length === 0) return [];
  const ignored = (await deps.sources.accountData?.getIgnoredUsers(requester.userId)) ?? new Set<string>();
  const candidates = events.filter((event) => event.stateKey !== null || !ignored.has(event.sender));
  const visible = await deps.rooms.filterEventsForUser(requester.userId, candidates);
  return (await deps.rooms.toClientEvents(visible, requester)) as unknown as JsonObject[];
}

/**
 * GET /events[?room_id=]: waits up to the timeout for the first visible event after `from`.
 * NOTSPEC: room events only; presence, typing and receipts stay on /sync (the spec does not list the kinds).
 */
export async function streamEvents(deps: EventStreamDeps, requester: SyncRequester, params: EventStreamParams): Promise<EventStreamResponse> {
  let now = await deps.storage.streams.current('events');
  const start = parseFrom(params.from, now);
  const timeoutMs = Math.min(Math.max(params.timeoutMs ?? DEFAULT_EVENT_STREAM_TIMEOUT_MS, 0), deps.maxTimeoutMs);
  // Registered before the first read, so an event committed while we read still wakes us.
  const watch = timeoutMs > 0 ? deps.dispatcher.watch(requester.userId) : null;
  // A monotonic timer: the long-poll is unaffected by the injected clock.
  const deadline = performance.now() + timeoutMs;
  try {
    let from = start;
    for (;;) {
      const roomIds = await roomsToFollow(deps, requester.userId, params.roomId, from, now);
      const range = await readRange(deps.storage, roomIds, from, now);
      const chunk = await visibleEvents(deps, requester, range.events);
      // Events the user may not see still move the position: the next wait starts after them.
      from = range.end;
      const remaining = deadline - performance.now();
      if (chunk.length > 0 || !watch || remaining <= 0 || params.signal?.aborted) {
        return { start: roomPaginationToken(start), end: roomPaginationToken(from), chunk };
      }
      watch.setRooms(roomIds);
      if (!(await watch.wait(remaining, params.signal))) return { start: roomPaginationToken(start), end: roomPaginationToken(from), chunk };
      now = await deps.storage.streams.current('events');
    }
  } finally {
    watch?.close();
  }
}

/** GET /events/{eventId}: the event when the user may see it, else 404 M_NOT_FOUND (unknown or not visible). */
export async function getEventById(rooms: OldSyncRoomsPort, requester: SyncRequester, eventId: string): Promise<JsonObject> {
  const [event] = await rooms.getEvents([eventId]);
  if (event === undefined) throw new MatrixError(404, 'M_NOT_FOUND', 'Event not found or you may not see it');
  return (await rooms.getEvent(requester, event.roomId, eventId)) as unknown as JsonObject;
}
