/**
 * GET /rooms/{id}/messages and the timeline reads sync builds on: pages of a room's events by stream position.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
 */
import { compileStarPattern, starPatternMatches, stateKeyString } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { checkRoomFilterSize } from './filter-size.js';
import { toClientEvents } from './format.js';
import { requireRoomAccess } from './reads.js';
import { loadGroup } from './state.js';
import { parseRoomPaginationToken, roomPaginationToken } from './tokens.js';
import type { MessagesQuery, MessagesResponse, RoomEventFilter, RoomEventsPage, RoomRequester } from './types.js';
import { filterEventsForUser } from './visibility.js';
import { ignoredUsersOf, isFromIgnored } from './ignored.js';

/** Largest page a client may ask for. */
export const MAX_MESSAGES_LIMIT = 1000;

function parseToken(token: string, name: string): number {
  const position = parseRoomPaginationToken(token);
  if (position === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid ${name} token`);
  return position;
}

/** Whether `value` matches a filter pattern, where `*` matches any run of characters. */
function matchesPattern(pattern: string, value: string): boolean {
  // Not a `.*` regular expression: `*a*a*a…b` would backtrack for ever on a long type.
  return starPatternMatches(compileStarPattern(pattern), value);
}

/** Whether an event passes a RoomEventFilter's type, sender and url conditions. */
export function matchesFilter(event: StoredEvent, filter: RoomEventFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.types !== undefined && !filter.types.some((pattern) => matchesPattern(pattern, event.type))) return false;
  if (filter.not_types?.some((pattern) => matchesPattern(pattern, event.type))) return false;
  if (filter.senders !== undefined && !filter.senders.includes(event.sender)) return false;
  if (filter.not_senders?.includes(event.sender)) return false;
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.pdu.content.url === 'string';
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

/**
 * A page of events in `dir` from `from`, filtered by the RoomEventFilter, the user's history visibility and
 * their ignored users.
 * Reads in batches until `limit` visible events are found or the range is exhausted (`end` then omitted).
 */
export async function getMessages(ctx: RoomsContext, requester: RoomRequester, roomId: string, query: MessagesQuery): Promise<MessagesResponse> {
  checkRoomFilterSize(ctx, query.filter);
  await requireRoomAccess(ctx, requester.userId, roomId);
  const { storage } = ctx.deps;
  const limit = Math.min(Math.max(query.filter?.limit ?? query.limit, 0), MAX_MESSAGES_LIMIT);
  const backward = query.dir === 'b';
  const from = query.from !== undefined ? parseToken(query.from, 'from') : backward ? await storage.streams.current('events') : 0;
  const to = query.to !== undefined ? parseToken(query.to, 'to') : undefined;
  // Events of ignored users never reach the ignorer (their state events still do).
  const ignored = await ignoredUsersOf(ctx, requester.userId);

  const chunk: StoredEvent[] = [];
  let cursor = from;
  let exhausted = false;
  while (chunk.length < limit && !exhausted) {
    const batchSize = Math.max(limit - chunk.length, 20);
    const batch = await storage.events.getRoomEventsByStream(
      roomId,
      backward
        ? { upTo: cursor, ...(to !== undefined ? { after: to } : {}), direction: 'backward', limit: batchSize }
        : { after: cursor, ...(to !== undefined ? { upTo: to } : {}), direction: 'forward', limit: batchSize },
    );
    const matching = batch.filter((event) => matchesFilter(event, query.filter) && !isFromIgnored(event, ignored));
    const visibleIds = new Set((await filterEventsForUser(ctx, storage, requester.userId, matching)).map((event) => event.eventId));
    let consumed = 0;
    for (const event of batch) {
      if (chunk.length >= limit) break;
      cursor = backward ? event.streamOrdering - 1 : event.streamOrdering;
      consumed += 1;
      if (visibleIds.has(event.eventId)) chunk.push(event);
    }
    // A short batch read to its end means nothing is left in this direction.
    exhausted = batch.length < batchSize && consumed === batch.length;
  }
  const response: MessagesResponse = {
    start: query.from ?? roomPaginationToken(from),
    chunk: await toClientEvents(ctx, storage, chunk, requester),
  };
  // `end` is omitted when no further events are available.
  if (!exhausted) response.end = roomPaginationToken(cursor);
  if (query.filter?.lazy_load_members === true && chunk.length > 0) response.state = await lazyMembers(ctx, requester, chunk);
  return response;
}

/** The member events of the chunk's senders, from the state at the oldest event of the chunk. */
async function lazyMembers(ctx: RoomsContext, requester: RoomRequester, chunk: readonly StoredEvent[]) {
  const { storage } = ctx.deps;
  const oldest = chunk.reduce((min, event) => (event.streamOrdering < min.streamOrdering ? event : min));
  const ref = (await storage.roomState.getEventState([oldest.eventId])).get(oldest.eventId);
  if (ref === undefined) return [];
  const state = await loadGroup(storage, ctx.groups, ref.afterGroup);
  const senders = new Set(chunk.map((event) => event.sender));
  const ids = [...senders].flatMap((sender) => state.get(stateKeyString('m.room.member', sender)) ?? []);
  return toClientEvents(ctx, storage, await storage.events.getEvents(ids), requester);
}

/**
 * For sync: each room's events with `from < streamOrdering <= to`, the newest `limit` of them, oldest first,
 * with `limited` and the `prevBatch` token for GET /messages. Not visibility-filtered.
 */
export async function getRoomEvents(
  ctx: RoomsContext,
  roomIds: readonly string[],
  from: number,
  to: number,
  limit: number,
): Promise<Map<string, RoomEventsPage>> {
  const pages = new Map<string, RoomEventsPage>();
  for (const roomId of roomIds) {
    const newestFirst = await ctx.deps.storage.events.getRoomEventsByStream(roomId, { after: from, upTo: to, direction: 'backward', limit: limit + 1 });
    const limited = newestFirst.length > limit;
    const events = newestFirst.slice(0, limit).reverse();
    const oldest = events[0];
    pages.set(roomId, { events, limited, prevBatch: roomPaginationToken(oldest ? oldest.streamOrdering - 1 : to) });
  }
  return pages;
}
