/**
 * GET /rooms/{id}/context/{eventId}: an event with the events before and after it, and the room state at the
 * last event returned. History visibility, the RoomEventFilter and ignored users apply to the surrounding events.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidcontexteventid
 */
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent, TopologicalPoint } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { checkRoomFilterSize } from './filter-size.js';
import { toClientEvents } from './format.js';
import { ignoredUsersOf, isFromIgnored } from './ignored.js';
import { matchesFilter, MAX_MESSAGES_LIMIT, pointBeside, pointToken } from './messages.js';
import { requireRoomAccess } from './reads.js';
import { loadGroup } from './state.js';
import type { ContextQuery, ContextResponse, RoomEventFilter, RoomRequester } from './types.js';
import { filterEventsForUser } from './visibility.js';

/** Rows read per batch while collecting visible events on one side. */
const BATCH = 50;

export async function getContext(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
  eventId: string,
  query: ContextQuery,
): Promise<ContextResponse> {
  checkRoomFilterSize(ctx, query.filter);
  await requireRoomAccess(ctx, requester.userId, roomId);
  const { storage } = ctx.deps;
  const [event] = await storage.events.getEvents([eventId]);
  const notFound = new MatrixError(404, 'M_NOT_FOUND', 'Event not found.');
  if (event === undefined || event.roomId !== roomId || event.outlier || event.rejectedReason !== null) throw notFound;
  if ((await filterEventsForUser(ctx, storage, requester.userId, [event])).length === 0) throw notFound;

  // The limit covers events before and after; like other servers, half before and the rest after.
  const limit = Math.min(Math.max(query.filter?.limit ?? query.limit, 0), MAX_MESSAGES_LIMIT);
  const beforeLimit = Math.floor(limit / 2);
  const ignored = await ignoredUsersOf(ctx, requester.userId);
  const keep = (candidate: StoredEvent) => matchesFilter(candidate, query.filter) && !isFromIgnored(candidate, ignored);
  const before = await collect(ctx, requester.userId, roomId, pointBeside(event, 'before'), 'backward', beforeLimit, keep);
  const after = await collect(ctx, requester.userId, roomId, pointBeside(event, 'after'), 'forward', limit - beforeLimit, keep);

  const oldest = before.events.at(-1) ?? event;
  const newest = after.events.at(-1) ?? event;
  const [eventsBefore, formattedEvent, eventsAfter] = await Promise.all([
    toClientEvents(ctx, storage, before.events, requester),
    toClientEvents(ctx, storage, [event], requester),
    toClientEvents(ctx, storage, after.events, requester),
  ]);
  return {
    start: pointToken(before.cursor ?? pointBeside(oldest, 'before')),
    end: pointToken(after.cursor ?? pointBeside(newest, 'after')),
    events_before: eventsBefore,
    event: formattedEvent[0] as ContextResponse['event'],
    events_after: eventsAfter,
    state: await stateAt(ctx, requester, newest, [event, ...before.events, ...after.events], query.filter),
  };
}

/**
 * Up to `limit` visible, kept events on one side of `start` in topological order (backward: newest first), and
 * the cursor the pagination token continues from (beside the last event looked at).
 */
async function collect(
  ctx: RoomsContext,
  userId: string,
  roomId: string,
  start: TopologicalPoint,
  direction: 'backward' | 'forward',
  limit: number,
  keep: (event: StoredEvent) => boolean,
): Promise<{ events: StoredEvent[]; cursor: TopologicalPoint | undefined }> {
  const { storage } = ctx.deps;
  const events: StoredEvent[] = [];
  let cursor = start;
  let looked = false;
  while (events.length < limit) {
    const batch = await storage.events.getRoomEventsByTopology(roomId, { from: cursor, direction, limit: BATCH });
    const visible = new Set((await filterEventsForUser(ctx, storage, userId, batch.filter(keep))).map((event) => event.eventId));
    for (const candidate of batch) {
      if (events.length >= limit) break;
      cursor = pointBeside(candidate, direction === 'backward' ? 'before' : 'after');
      looked = true;
      if (visible.has(candidate.eventId)) events.push(candidate);
    }
    if (batch.length < BATCH) break;
  }
  return { events, cursor: looked ? cursor : undefined };
}

/**
 * The state after the last event returned. With `lazy_load_members`, member events only for the senders of the
 * returned events.
 */
async function stateAt(
  ctx: RoomsContext,
  requester: RoomRequester,
  last: StoredEvent,
  returned: readonly StoredEvent[],
  filter: RoomEventFilter | undefined,
) {
  const { storage } = ctx.deps;
  const ref = (await storage.roomState.getEventState([last.eventId])).get(last.eventId);
  if (ref === undefined) return [];
  const state = await loadGroup(storage, ctx.groups, ref.afterGroup);
  const senders = new Set(returned.map((event) => event.sender));
  const ids = [...state]
    .filter(([key]) => {
      if (filter?.lazy_load_members !== true || !key.startsWith('m.room.member\u0000')) return true;
      return senders.has(key.slice('m.room.member\u0000'.length));
    })
    .map(([, id]) => id);
  return toClientEvents(ctx, storage, await storage.events.getEvents(ids), requester, 'none');
}
