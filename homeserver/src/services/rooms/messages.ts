/**
 * GET /rooms/{id}/messages and the timeline reads sync builds on. /messages pages a room in topological order
 * (depth, then stream position); sync reads by stream position, leaving out historical events.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
 */
import { compileStarPattern, starPatternMatches, stateKeyString } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent, TopologicalPoint } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { checkRoomFilterSize } from './filter-size.js';
import { toClientEvents } from './format.js';
import { requireRoomAccess } from './reads.js';
import { loadGroup } from './state.js';
import { parseRoomPosition, roomPaginationToken, topologicalToken } from './tokens.js';
import type { MessagesQuery, MessagesResponse, RoomEventFilter, RoomEventsPage, RoomRequester } from './types.js';
import { filterEventsForUser } from './visibility.js';
import { ignoredUsersOf, isFromIgnored } from './ignored.js';

/** Largest page a client may ask for. */
export const MAX_MESSAGES_LIMIT = 1000;

/** Before every event of a room. */
const ROOM_START: TopologicalPoint = { depth: 0, stream: 0 };

/**
 * The topological point a token names. A stream token (`s<N>`, from /sync) names the point after everything a
 * client had at N: the topological point of the room's latest live event at or before N.
 */
export async function topologicalPointOf(ctx: RoomsContext, roomId: string, token: string, name: string): Promise<TopologicalPoint> {
  const position = parseRoomPosition(token);
  if (position === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid ${name} token`);
  if (position.kind === 'topological') return { depth: position.depth, stream: position.stream };
  return (await ctx.deps.storage.events.getTopologicalPointAt(roomId, position.stream)) ?? ROOM_START;
}

/** The point just before `event` (backward pagination continues there) or just after it (forward). */
export function pointBeside(event: StoredEvent, side: 'before' | 'after'): TopologicalPoint {
  return { depth: event.depth, stream: side === 'before' ? event.streamOrdering - 1 : event.streamOrdering };
}

export function pointToken(point: TopologicalPoint): string {
  return topologicalToken(point.depth, point.stream);
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
 * Reads in batches until `limit` visible events are found or the range is exhausted.
 */
export async function getMessages(ctx: RoomsContext, requester: RoomRequester, roomId: string, query: MessagesQuery): Promise<MessagesResponse> {
  checkRoomFilterSize(ctx, query.filter);
  await requireRoomAccess(ctx, requester.userId, roomId);
  const { storage } = ctx.deps;
  const limit = Math.min(Math.max(query.filter?.limit ?? query.limit, 0), MAX_MESSAGES_LIMIT);
  const backward = query.dir === 'b';
  const from =
    query.from !== undefined
      ? await topologicalPointOf(ctx, roomId, query.from, 'from')
      : backward
        ? ((await storage.events.getTopologicalPointAt(roomId, await storage.streams.current('events'))) ?? ROOM_START)
        : ROOM_START;
  const to = query.to !== undefined ? await topologicalPointOf(ctx, roomId, query.to, 'to') : undefined;
  // Events of ignored users never reach the ignorer (their state events still do).
  const ignored = await ignoredUsersOf(ctx, requester.userId);

  const chunk: StoredEvent[] = [];
  let cursor = from;
  let exhausted = false;
  while (chunk.length < limit && !exhausted) {
    const batchSize = Math.max(limit - chunk.length, 20);
    const batch = await storage.events.getRoomEventsByTopology(roomId, {
      from: cursor,
      ...(to !== undefined ? { to } : {}),
      direction: backward ? 'backward' : 'forward',
      limit: batchSize,
    });
    const matching = batch.filter((event) => matchesFilter(event, query.filter) && !isFromIgnored(event, ignored));
    const visibleIds = new Set((await filterEventsForUser(ctx, storage, requester.userId, matching)).map((event) => event.eventId));
    let consumed = 0;
    for (const event of batch) {
      if (chunk.length >= limit) break;
      cursor = pointBeside(event, backward ? 'before' : 'after');
      consumed += 1;
      if (visibleIds.has(event.eventId)) chunk.push(event);
    }
    // A short batch read to its end means nothing is left in this direction.
    exhausted = batch.length < batchSize && consumed === batch.length;
  }
  const response: MessagesResponse = {
    start: query.from ?? pointToken(from),
    chunk: await toClientEvents(ctx, storage, chunk, requester),
  };
  // NOTSPEC: a page with events always carries `end`, also the one that reached the end of the range; only an
  // empty page at the end omits it. Synapse and Dendrite do so and clients and sytest expect it ("returns end
  // until the end is reached"); the spec's wording would already omit it on the last page with events.
  if (!exhausted || chunk.length > 0) response.end = pointToken(cursor);
  if (query.filter?.lazy_load_members === true && chunk.length > 0) response.state = await lazyMembers(ctx, requester, chunk);
  return response;
}

/** The member events of the chunk's senders, from the state at the oldest (topologically) event of the chunk. */
async function lazyMembers(ctx: RoomsContext, requester: RoomRequester, chunk: readonly StoredEvent[]) {
  const { storage } = ctx.deps;
  const older = (a: StoredEvent, b: StoredEvent) => a.depth < b.depth || (a.depth === b.depth && a.streamOrdering < b.streamOrdering);
  const oldest = chunk.reduce((min, event) => (older(event, min) ? event : min));
  const ref = (await storage.roomState.getEventState([oldest.eventId])).get(oldest.eventId);
  if (ref === undefined) return [];
  const state = await loadGroup(storage, ctx.groups, ref.afterGroup);
  const senders = new Set(chunk.map((event) => event.sender));
  const ids = [...senders].flatMap((sender) => state.get(stateKeyString('m.room.member', sender)) ?? []);
  return toClientEvents(ctx, storage, await storage.events.getEvents(ids), requester);
}

/**
 * For sync: each room's events with `from < streamOrdering <= to`, the newest `limit` of them, oldest first,
 * with `limited` and the `prevBatch` token for GET /messages. Not visibility-filtered. Historical events (depth
 * below the room's newest when they arrived) are left out: they are not new; /messages shows them in place.
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
    const newestFirst = await ctx.deps.storage.events.getRoomEventsByStream(roomId, {
      after: from,
      upTo: to,
      direction: 'backward',
      limit: limit + 1,
      liveOnly: true,
    });
    const limited = newestFirst.length > limit;
    const events = newestFirst.slice(0, limit).reverse();
    const oldest = events[0];
    pages.set(roomId, { events, limited, prevBatch: roomPaginationToken(oldest ? oldest.streamOrdering - 1 : to) });
  }
  return pages;
}
