/**
 * Running one `room_events` search: which rooms, which hits the user may see, in which order, how far.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 *
 * The index answers the text match cheaply but knows nothing of history visibility, so hits are read in batches
 * and each batch goes through the rooms domain's `filterEventsForUser` ("The server must only return results that
 * the user has permission to see"). A page ends at the last hit it consumed; the next page resumes right after it.
 */
import type { SearchCriteria, SearchHit, SearchPage, Storage, StoredEvent } from '../../storage/index.js';
import type { UserRoomMembership } from '../rooms/index.js';
import { decodeBatchToken, encodeBatchToken, type BatchPosition } from './batch-token.js';
import { admittedTypes, pageLimit } from './criteria.js';
import type { RoomEventsCriteria, SearchRoomsAccess } from './types.js';

/** Hits examined per request at most: bounds the work a search with mostly invisible hits can cause. */
const MAX_EXAMINED = 1000;

/** A hit the user may see, with its event. */
export interface VisibleHit {
  hit: SearchHit;
  event: StoredEvent;
}

/** The outcome of one page, before formatting. */
export interface SearchPageResult {
  hits: VisibleHit[];
  /** Approximate total (`count`). */
  count: number;
  nextBatch?: string;
  /** The user's memberships of the rooms searched, by room ID (for `include_state`). */
  memberships: Map<string, UserRoomMembership>;
  /** Users the searcher ignores: their events are left out of the context too. */
  ignored: ReadonlySet<string>;
}

interface Plan {
  criteria: SearchCriteria;
  position: BatchPosition;
  limit: number;
  containsUrl: boolean | undefined;
}

/** Finds one page of visible hits for `userId`. Throws 400 M_INVALID_PARAM for a foreign `nextBatch`. */
export async function findVisibleHits(
  storage: Storage,
  rooms: SearchRoomsAccess,
  userId: string,
  request: RoomEventsCriteria,
  nextBatch: string | undefined,
): Promise<SearchPageResult> {
  const order = request.order_by ?? 'rank';
  const position = nextBatch === undefined ? await firstPosition(storage, order) : decodeBatchToken(nextBatch, order);
  const memberships = await searchableRooms(rooms, userId, request);
  const ignored = await ignoredUsers(storage, userId);
  const plan: Plan = {
    criteria: {
      term: request.search_term,
      roomIds: [...memberships.keys()],
      keys: request.keys ?? [],
      types: admittedTypes(request.filter),
      senders: request.filter?.senders,
      notSenders: [...(request.filter?.not_senders ?? []), ...ignored],
      maxStreamOrdering: position.snapshot,
    },
    position,
    limit: pageLimit(request.filter),
    containsUrl: request.filter?.contains_url,
  };
  const { hits, next, exhausted } = await collect(storage, rooms, userId, plan);
  const count = exhausted && nextBatch === undefined ? hits.length : await storage.search.count(plan.criteria);
  return { hits, count, memberships, ignored: new Set(ignored), ...(next === undefined ? {} : { nextBatch: encodeBatchToken(next) }) };
}

async function firstPosition(storage: Storage, order: 'recent' | 'rank'): Promise<BatchPosition> {
  const snapshot = await storage.streams.current('events');
  return order === 'recent' ? { order, snapshot, before: snapshot + 1 } : { order, snapshot, offset: 0 };
}

/**
 * The rooms the user has been in (any membership, forgotten rooms excluded by the rooms domain), narrowed by the
 * filter's `rooms` / `not_rooms`. Per-event visibility is checked later.
 */
async function searchableRooms(
  rooms: SearchRoomsAccess,
  userId: string,
  request: RoomEventsCriteria,
): Promise<Map<string, UserRoomMembership>> {
  const wanted = request.filter?.rooms === undefined ? null : new Set(request.filter.rooms);
  const unwanted = new Set(request.filter?.not_rooms ?? []);
  const result = new Map<string, UserRoomMembership>();
  for (const membership of await rooms.getRoomsForUser(userId)) {
    if (wanted !== null && !wanted.has(membership.roomId)) continue;
    if (unwanted.has(membership.roomId)) continue;
    result.set(membership.roomId, membership);
  }
  return result;
}

/** The users in the searcher's `m.ignored_user_list`: their events never reach the ignorer. */
async function ignoredUsers(storage: Storage, userId: string): Promise<string[]> {
  const content = await storage.userData.getAccountData(userId, null, 'm.ignored_user_list');
  const ignored = content?.ignored_users;
  return typeof ignored === 'object' && ignored !== null && !Array.isArray(ignored) ? Object.keys(ignored) : [];
}

/**
 * Reads hits batch by batch from the plan's position until `limit` visible ones are found or the index runs
 * out. `next` is where the following page starts (absent when nothing is left).
 */
async function collect(
  storage: Storage,
  rooms: SearchRoomsAccess,
  userId: string,
  plan: Plan,
): Promise<{ hits: VisibleHit[]; next?: BatchPosition; exhausted: boolean }> {
  const batchSize = Math.max(plan.limit * 2, 20);
  const visible: VisibleHit[] = [];
  let position = plan.position;
  let examined = 0;
  for (;;) {
    const batch = await storage.search.search(plan.criteria, pageAt(position, batchSize));
    const kept = await visibleOf(storage, rooms, userId, batch, plan.containsUrl);
    for (const [index, hit] of batch.entries()) {
      position = after(position, hit);
      examined += 1;
      const seen = kept.get(hit.eventId);
      if (seen !== undefined) visible.push(seen);
      if (visible.length === plan.limit) {
        // More may follow if this batch has more rows or was full.
        const more = index < batch.length - 1 || batch.length === batchSize;
        return more ? { hits: visible, next: position, exhausted: false } : { hits: visible, exhausted: true };
      }
    }
    if (batch.length < batchSize) return { hits: visible, exhausted: true };
    if (examined >= MAX_EXAMINED) return { hits: visible, next: position, exhausted: false };
  }
}

function pageAt(position: BatchPosition, limit: number): SearchPage {
  return position.order === 'recent'
    ? { order: 'recent', before: position.before, limit }
    : { order: 'rank', offset: position.offset, limit };
}

/** The position just past `hit`. */
function after(position: BatchPosition, hit: SearchHit): BatchPosition {
  return position.order === 'recent'
    ? { ...position, before: hit.streamOrdering }
    : { ...position, offset: position.offset + 1 };
}

/** The hits of `batch` the user may see under history visibility (and `contains_url`), by event ID. */
async function visibleOf(
  storage: Storage,
  rooms: SearchRoomsAccess,
  userId: string,
  batch: readonly SearchHit[],
  containsUrl: boolean | undefined,
): Promise<Map<string, VisibleHit>> {
  if (batch.length === 0) return new Map();
  const events = await storage.events.getEvents(batch.map((hit) => hit.eventId));
  const allowed = await rooms.filterEventsForUser(userId, events);
  const hitsById = new Map(batch.map((hit) => [hit.eventId, hit]));
  const result = new Map<string, VisibleHit>();
  for (const event of allowed) {
    const hit = hitsById.get(event.eventId);
    if (hit === undefined || !matchesContainsUrl(event, containsUrl)) continue;
    result.set(event.eventId, { hit, event });
  }
  return result;
}

/** RoomEventFilter `contains_url`: true keeps only events with a `content.url`, false only those without. */
function matchesContainsUrl(event: StoredEvent, containsUrl: boolean | undefined): boolean {
  if (containsUrl === undefined) return true;
  return (typeof event.pdu.content.url === 'string') === containsUrl;
}
