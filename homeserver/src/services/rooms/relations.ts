/**
 * The read side of event relationships: GET /relations (direct or recursive children of an event, paginated by
 * stream position) and GET /threads (thread roots by their latest reply).
 * https://spec.matrix.org/v1.19/client-server-api/#relationships-api
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidthreads
 */
import { redactEvent, type JsonObject, type Pdu } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { RelationRecord, StoredEvent } from '../../storage/index.js';
import { findRoomVersionOf, type RoomsContext } from './context.js';
import { toClientEvents } from './format.js';
import { ignoredUsersOf, isFromIgnored } from './ignored.js';
import { requireRoomAccess } from './reads.js';
import { parseRoomPaginationToken, roomPaginationToken } from './tokens.js';
import type { RelationsQuery, RelationsResponse, RoomRequester, ThreadsQuery, ThreadsResponse } from './types.js';
import { filterEventsForUser } from './visibility.js';

/** Default and largest page of /relations and /threads. */
export const DEFAULT_RELATIONS_LIMIT = 50;
export const MAX_RELATIONS_LIMIT = 1000;
/** How deep `recurse=true` follows relationships (the spec asks for at least 3). */
export const RELATIONS_RECURSION_DEPTH = 3;
/** Most children read per level when recursing. */
const MAX_CHILDREN_PER_LEVEL = 1000;

function tokenPosition(token: string | undefined, name: string): number | undefined {
  if (token === undefined) return undefined;
  const position = parseRoomPaginationToken(token);
  if (position === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid ${name} token`);
  return position;
}

function pageLimit(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_RELATIONS_LIMIT, 1), MAX_RELATIONS_LIMIT);
}

/** The event if the requester may see it in this room; 404 M_NOT_FOUND otherwise. */
async function requireVisibleEvent(ctx: RoomsContext, requester: RoomRequester, roomId: string, eventId: string): Promise<StoredEvent> {
  await requireRoomAccess(ctx, requester.userId, roomId);
  const [event] = await ctx.deps.storage.events.getEvents([eventId]);
  const notFound = new MatrixError(404, 'M_NOT_FOUND', 'Event not found.');
  if (event === undefined || event.roomId !== roomId || event.outlier || event.rejectedReason !== null) throw notFound;
  if ((await filterEventsForUser(ctx, ctx.deps.storage, requester.userId, [event])).length === 0) throw notFound;
  return event;
}

/** The events of `rows` the requester may see: stored, accepted, visible, not from ignored users; in row order. */
async function visibleChildren(ctx: RoomsContext, userId: string, rows: readonly RelationRecord[], ignored: ReadonlySet<string>): Promise<Set<string>> {
  const { storage } = ctx.deps;
  const events = (await storage.events.getEvents(rows.map((row) => row.eventId))).filter(
    (event) => event.rejectedReason === null && !event.outlier && !isFromIgnored(event, ignored),
  );
  return new Set((await filterEventsForUser(ctx, storage, userId, events)).map((event) => event.eventId));
}

/** GET /rooms/{id}/relations/{eventId}[/{relType}[/{eventType}]]. */
export async function getRelations(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
  eventId: string,
  query: RelationsQuery,
): Promise<RelationsResponse> {
  await requireVisibleEvent(ctx, requester, roomId, eventId);
  const { storage } = ctx.deps;
  const limit = pageLimit(query.limit);
  const backward = query.dir !== 'f';
  const fromPosition = tokenPosition(query.from, 'from');
  const toPosition = tokenPosition(query.to, 'to');
  const ignored = await ignoredUsersOf(ctx, requester.userId);
  const filter = { ...(query.relType !== undefined ? { relType: query.relType } : {}), ...(query.eventType !== undefined ? { eventType: query.eventType } : {}) };
  const bounds = (cursor: number | undefined) =>
    backward
      ? { ...(cursor !== undefined ? { upTo: cursor } : {}), ...(toPosition !== undefined ? { after: toPosition } : {}) }
      : { ...(cursor !== undefined ? { after: cursor } : {}), ...(toPosition !== undefined ? { upTo: toPosition } : {}) };

  const page: RelationRecord[] = [];
  let cursor = fromPosition;
  let exhausted = false;
  const recursive = query.recurse === true;
  const all = recursive ? await descendants(ctx, roomId, eventId, filter) : [];
  while (page.length < limit && !exhausted) {
    const batchSize = recursive ? all.length : Math.max(limit - page.length, 20);
    const batch = recursive
      ? inBounds(all, bounds(cursor), backward)
      : await storage.roomState.getRelations(roomId, eventId, { ...filter, ...bounds(cursor), direction: backward ? 'backward' : 'forward', limit: batchSize });
    const visible = await visibleChildren(ctx, requester.userId, batch, ignored);
    let consumed = 0;
    for (const row of batch) {
      if (page.length >= limit) break;
      cursor = backward ? row.streamOrdering - 1 : row.streamOrdering;
      consumed += 1;
      if (visible.has(row.eventId)) page.push(row);
    }
    exhausted = recursive ? consumed === batch.length : batch.length < batchSize && consumed === batch.length;
  }
  const events = await storage.events.getEvents(page.map((row) => row.eventId));
  const response: RelationsResponse = { chunk: await toClientEvents(ctx, storage, events, requester) };
  if (!exhausted && cursor !== undefined) response.next_batch = roomPaginationToken(cursor);
  if (query.from !== undefined) response.prev_batch = query.from;
  if (query.recurse !== undefined) response.recursion_depth = recursive ? RELATIONS_RECURSION_DEPTH : 1;
  return response;
}

/** Children, grandchildren… of `eventId` up to the recursion depth, each level filtered; oldest first. */
async function descendants(
  ctx: RoomsContext,
  roomId: string,
  eventId: string,
  filter: { relType?: string; eventType?: string },
): Promise<RelationRecord[]> {
  const found = new Map<string, RelationRecord>();
  let parents = [eventId];
  for (let level = 0; level < RELATIONS_RECURSION_DEPTH && parents.length > 0; level++) {
    const next: string[] = [];
    for (const parentId of parents) {
      const rows = await ctx.deps.storage.roomState.getRelations(roomId, parentId, { ...filter, direction: 'forward', limit: MAX_CHILDREN_PER_LEVEL });
      for (const row of rows) {
        if (found.has(row.eventId) || row.eventId === eventId) continue;
        found.set(row.eventId, row);
        next.push(row.eventId);
      }
    }
    parents = next;
  }
  return [...found.values()].sort((a, b) => a.streamOrdering - b.streamOrdering);
}

function inBounds(rows: readonly RelationRecord[], bounds: { after?: number; upTo?: number }, backward: boolean): RelationRecord[] {
  const within = rows.filter((row) => (bounds.after === undefined || row.streamOrdering > bounds.after) && (bounds.upTo === undefined || row.streamOrdering <= bounds.upTo));
  return backward ? within.reverse() : within;
}

/**
 * GET /rooms/{id}/threads: roots ordered by their latest reply, newest first. Roots sent by ignored users are
 * served redacted (as a client aggregating locally would show them).
 */
export async function getThreads(ctx: RoomsContext, requester: RoomRequester, roomId: string, query: ThreadsQuery): Promise<ThreadsResponse> {
  await requireRoomAccess(ctx, requester.userId, roomId);
  const { storage } = ctx.deps;
  const limit = pageLimit(query.limit);
  const participant = query.include === 'participated' ? requester.userId : undefined;
  let upTo = tokenPosition(query.from, 'from');
  const roots: StoredEvent[] = [];
  let more = true;
  while (roots.length < limit && more) {
    const batchSize = limit - roots.length;
    const threads = await storage.roomState.listThreads(roomId, { ...(upTo !== undefined ? { upTo } : {}), limit: batchSize, ...(participant ? { participant } : {}) });
    more = threads.length === batchSize;
    const events = (await storage.events.getEvents(threads.map((thread) => thread.rootId))).filter(
      (event) => event.roomId === roomId && event.rejectedReason === null && !event.outlier,
    );
    roots.push(...(await filterEventsForUser(ctx, storage, requester.userId, events)));
    const last = threads.at(-1);
    if (last !== undefined) upTo = last.latestStreamOrdering - 1;
  }
  const chunk = await toClientEvents(ctx, storage, roots, requester);
  const ignored = await ignoredUsersOf(ctx, requester.userId);
  const version = await findRoomVersionOf(ctx, storage, roomId);
  for (const [index, root] of roots.entries()) {
    const formatted = chunk[index];
    if (formatted === undefined || version === null || !ignored.has(root.sender)) continue;
    formatted.content = (redactEvent(root.pdu as JsonObject, version) as Pdu).content;
  }
  const response: ThreadsResponse = { chunk };
  if (more && upTo !== undefined) response.next_batch = roomPaginationToken(upTo);
  return response;
}
