/**
 * Shaping a page of visible hits into the `room_events` response: results with context and profiles, room
 * state, groups and highlights.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search
 */
import type { JsonValue } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { roomPaginationToken, type ClientEvent, type EventViewer } from '../rooms/index.js';
import { highlightsFor, MAX_CONTEXT } from './criteria.js';
import type { SearchPageResult, VisibleHit } from './run.js';
import type {
  RoomEventsCriteria,
  RoomEventsResults,
  SearchGroup,
  SearchProfile,
  SearchResult,
  SearchResultContext,
  SearchRoomsAccess,
} from './types.js';

/** Context events on each side when `event_context` does not say. */
const DEFAULT_CONTEXT = 5;

interface FormatDeps {
  storage: Storage;
  rooms: SearchRoomsAccess;
  viewer: EventViewer;
}

export async function formatResults(
  deps: FormatDeps,
  request: RoomEventsCriteria,
  page: SearchPageResult,
): Promise<RoomEventsResults> {
  const clientEvents = await deps.rooms.toClientEvents(
    page.hits.map(({ event }) => event),
    deps.viewer,
  );
  const results: SearchResult[] = [];
  for (const [index, visible] of page.hits.entries()) {
    const result: SearchResult = { rank: visible.hit.rank, result: clientEvents[index] as ClientEvent };
    if (request.event_context !== undefined) result.context = await contextOf(deps, visible, request.event_context, page.ignored);
    results.push(result);
  }
  const response: RoomEventsResults = {
    count: page.count,
    highlights: highlightsFor(
      request.search_term,
      page.hits.map(({ hit }) => hit.body),
    ),
    results,
  };
  if (request.include_state === true) response.state = await stateOf(deps, page);
  const groups = groupsOf(request, page);
  if (groups !== undefined) response.groups = groups;
  if (page.nextBatch !== undefined) response.next_batch = page.nextBatch;
  return response;
}

/** `context`: visible neighbours of the hit in its room, pagination tokens around them, optional profiles. */
async function contextOf(
  deps: FormatDeps,
  { hit }: VisibleHit,
  options: NonNullable<RoomEventsCriteria['event_context']>,
  ignored: ReadonlySet<string>,
): Promise<SearchResultContext> {
  const limits = { before: contextLimit(options.before_limit), after: contextLimit(options.after_limit) };
  const ids = await deps.storage.search.neighbours(hit.roomId, hit.streamOrdering, limits);
  const stored = await deps.storage.events.getEvents([...ids.before, ...ids.after]);
  const visible = (await deps.rooms.filterEventsForUser(deps.viewer.userId, stored)).filter((event) => !ignored.has(event.sender));
  const beforeIds = new Set(ids.before);
  // before: nearest first (reverse chronological), after: chronological, as /context returns them.
  const before = visible.filter((event) => beforeIds.has(event.eventId));
  const afterEvents = visible.filter((event) => !beforeIds.has(event.eventId));
  const positions = new Map(stored.map((event) => [event.eventId, event.streamOrdering]));
  const oldest = positions.get(ids.before.at(-1) ?? '') ?? hit.streamOrdering;
  const newest = positions.get(ids.after.at(-1) ?? '') ?? hit.streamOrdering;
  const context: SearchResultContext = {
    // Back-pagination from `start` continues before the oldest event looked at; forward from `end` after the newest.
    start: roomPaginationToken(oldest - 1),
    end: roomPaginationToken(newest),
    events_before: await deps.rooms.toClientEvents(before, deps.viewer),
    events_after: await deps.rooms.toClientEvents(afterEvents, deps.viewer),
  };
  if (options.include_profile === true) {
    const senders = new Set([hit.sender, ...before.map((event) => event.sender), ...afterEvents.map((event) => event.sender)]);
    context.profile_info = await profilesAt(deps.storage, hit.roomId, [...senders], hit.streamOrdering);
  }
  return context;
}

function contextLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_CONTEXT;
  return Math.max(0, Math.min(Math.trunc(limit), MAX_CONTEXT));
}

/**
 * The senders' displayname / avatar_url from their member events as of the hit ("historic profile"): the latest
 * member event at or below the hit's stream position, which equals the state at the hit except across DAG forks.
 * A sender whose member event is redacted or carries neither field gets an empty object.
 */
async function profilesAt(
  storage: Storage,
  roomId: string,
  senders: readonly string[],
  position: number,
): Promise<Record<string, SearchProfile>> {
  const profiles: Record<string, SearchProfile> = {};
  for (const sender of senders) {
    const eventId = await storage.search.memberEventIdAt(roomId, sender, position);
    const [member] = eventId === null ? [] : await storage.events.getEvents([eventId]);
    profiles[sender] = member === undefined ? {} : profileOf(member);
  }
  return profiles;
}

function profileOf(member: StoredEvent): SearchProfile {
  if (member.redactedBy !== null) return {};
  const profile: SearchProfile = {};
  const displayname: JsonValue | undefined = member.pdu.content.displayname;
  const avatarUrl: JsonValue | undefined = member.pdu.content.avatar_url;
  if (typeof displayname === 'string') profile.displayname = displayname;
  if (typeof avatarUrl === 'string') profile.avatar_url = avatarUrl;
  return profile;
}

/**
 * `state`: each result room's state as the user may see it: the current state while joined, the state when they
 * left for rooms they have left or were banned from. Rooms they were only invited to or knocked on get none.
 */
async function stateOf(deps: FormatDeps, page: SearchPageResult): Promise<Record<string, ClientEvent[]>> {
  const state: Record<string, ClientEvent[]> = {};
  for (const roomId of new Set(page.hits.map(({ hit }) => hit.roomId))) {
    const membership = page.memberships.get(roomId);
    if (membership === undefined) continue;
    let events: StoredEvent[];
    if (membership.membership === 'join') events = await deps.rooms.getCurrentState(roomId);
    else if (membership.membership === 'leave' || membership.membership === 'ban') {
      events = await deps.rooms.getStateAtPosition(roomId, membership.streamOrdering);
    } else continue;
    state[roomId] = await deps.rooms.toClientEvents(events, deps.viewer);
  }
  return state;
}

/**
 * `groups`: the page's results partitioned by each requested key, ordered by first appearance. A group carries
 * the page's `next_batch` when there is one: more results of the group may follow on the next page.
 */
function groupsOf(request: RoomEventsCriteria, page: SearchPageResult): RoomEventsResults['groups'] {
  const keys = request.groupings?.group_by?.map((group) => group.key) ?? [];
  if (keys.length === 0) return undefined;
  const groups: NonNullable<RoomEventsResults['groups']> = {};
  for (const key of new Set(keys)) {
    const byValue: Record<string, SearchGroup> = {};
    for (const { hit } of page.hits) {
      const value = key === 'room_id' ? hit.roomId : hit.sender;
      const group = (byValue[value] ??= { order: Object.keys(byValue).length + 1, results: [] });
      group.results.push(hit.eventId);
    }
    // NOTSPEC: a group's token should page within the group; ours continues the whole search (whose next page
    // holds the group's further results among others). Clients (Element) page with the top-level token.
    if (page.nextBatch !== undefined) for (const group of Object.values(byValue)) group.next_batch = page.nextBatch;
    groups[key] = byValue;
  }
  return groups;
}
