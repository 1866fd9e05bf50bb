/**
 * The `events` stream provider: `rooms.join`, `rooms.invite`, `rooms.knock` and `rooms.leave`.
 *
 * Work is proportional to what changed: an incremental sync reads the user's memberships (one query), their
 * membership changes in the range (one query) and which rooms have new events (one indexed query), and only
 * then touches those rooms.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
 */
import type { JsonObject } from '@parley/federation';
import type { MembershipChange, RoomEventsPage, StoredEvent, UserRoomMembership } from '../../rooms/index.js';
import { roomPaginationToken } from '../../rooms/index.js';
import type { Storage } from '../../../storage/index.js';
import { joinedRoomEntry, type SyncContext } from '../context.js';
import { roomAllowed } from '../filter.js';
import type { RoomBuffer } from '../room-buffer.js';
import { buildRoomContent, formatRoomContents, type RoomContent, type RoomContentDeps, type RoomPlan } from './room-content.js';

export interface EventsProviderDeps extends RoomContentDeps {
  storage: Pick<Storage, 'sync'>;
  /** Recent events in memory: what it can tell is not read from the database. */
  buffer?: RoomBuffer;
}

/** Fills the room sections of `context.response` and sets `context.joinedRoomIds`. */
export async function collectRoomEvents(deps: EventsProviderDeps, context: SyncContext): Promise<void> {
  const { rooms } = deps.sources;
  const memberships = (await rooms.getRoomsForUser(context.userId)).filter((m) => roomAllowed(context.filter, m.roomId));
  // A membership that committed after we read the stream positions moves the events position up to it: every
  // position below a committed one is committed too, so the response stays consistent.
  for (const membership of memberships) {
    if (membership.streamOrdering > context.upTo.events) context.upTo = { ...context.upTo, events: membership.streamOrdering };
  }
  const to = context.upTo.events;
  const since = context.since?.events ?? null;
  const changesByRoom = since === null ? new Map<string, MembershipChange[]>() : groupByRoom(await rooms.getMembershipChanges(context.userId, since, to));

  context.joinedRoomIds = memberships.filter((m) => m.membership === 'join').map((m) => m.roomId);
  context.watchedRoomIds = memberships.filter((m) => ['join', 'invite', 'knock'].includes(m.membership)).map((m) => m.roomId);

  const plans: RoomPlan[] = [];
  const leftPlans: RoomPlan[] = [];
  const roomsWithEvents = since === null || context.fullState ? null : await findRoomsWithEvents(deps, context.joinedRoomIds, since, to);
  // Rooms where something the timeline leaves out (historical events) or state resolution changed the state.
  const hiddenChanges =
    since === null || roomsWithEvents === null || roomsWithEvents.size === 0
      ? new Set<string>()
      : await deps.storage.sync.getRoomsWithHiddenStateChanges([...roomsWithEvents], since, to);

  for (const membership of memberships) {
    const changes = changesByRoom.get(membership.roomId) ?? [];
    const changedInRange = changes.length > 0;
    switch (membership.membership) {
      case 'join': {
        const newlyJoined = changedInRange && (changes[0]?.previous !== 'join' || changes.some((c) => c.membership !== 'join'));
        if (since === null || context.fullState || newlyJoined) {
          plans.push({
            roomId: membership.roomId,
            // A room joined since `since` comes as in an initial sync: its newest events, whenever they were sent
            // (history visibility then decides which the user sees), `limited` when there are more.
            from: since === null || newlyJoined ? 0 : since,
            to,
            stateMode: 'full',
            includeOwnMember: true,
            forceSummary: true,
            joinedAt: membership.streamOrdering,
          });
        } else if (roomsWithEvents?.has(membership.roomId)) {
          plans.push({
            roomId: membership.roomId,
            from: since,
            to,
            stateMode: 'delta',
            includeOwnMember: false,
            forceSummary: false,
            joinedAt: membership.streamOrdering,
            hiddenStateChanges: hiddenChanges.has(membership.roomId),
          });
        }
        break;
      }
      case 'invite':
      case 'knock':
        if ((since === null || changedInRange) && !context.ignoredUsers.has(membership.sender)) {
          await addStrippedRoom(deps, context, membership);
        }
        break;
      case 'leave':
      case 'ban': {
        // Newly left (or banned) rooms always come, so the client moves them out of `join`/`invite`; on an initial
        // or full_state sync, every left room comes with include_leave.
        const newlyLeft = changedInRange && changes[0]?.previous !== membership.membership;
        const include = newlyLeft || ((since === null || context.fullState) && context.filter.includeLeave);
        if (include) {
          const full = since === null || context.fullState || changes[0]?.previous !== 'join';
          leftPlans.push({
            roomId: membership.roomId,
            from: since ?? 0,
            to: membership.streamOrdering,
            stateMode: full ? 'full' : 'delta',
            includeOwnMember: true,
            forceSummary: false,
            ownMembershipEventId: membership.eventId,
          });
        }
        break;
      }
    }
  }

  const built = await buildRooms(deps, context, [...plans, ...leftPlans]);
  for (const plan of plans) {
    const content = built.get(plan.roomId);
    if (!content || (plan.stateMode === 'delta' && isEmptyContent(content))) continue;
    const entry = joinedRoomEntry(context, plan.roomId);
    entry.timeline = content.timeline;
    entry.summary = content.summary;
    if (context.useStateAfter) entry.state_after = { events: content.stateAfter ?? [] };
    else entry.state = { events: content.state };
  }
  for (const plan of leftPlans) {
    const content = built.get(plan.roomId);
    if (!content) continue;
    context.response.rooms.leave[plan.roomId] = {
      ...(context.useStateAfter ? { state_after: { events: content.stateAfter ?? [] } } : { state: { events: content.state } }),
      timeline: content.timeline,
      account_data: { events: [] },
    };
  }
}

/**
 * Reads every planned room's page in as few calls as possible (one per distinct range), filters them for the
 * user in one call, then builds each room.
 */
async function buildRooms(deps: EventsProviderDeps, context: SyncContext, plans: readonly RoomPlan[]) {
  const { rooms } = deps.sources;
  const pages = new Map<string, RoomEventsPage>();
  const byRange = new Map<string, RoomPlan[]>();
  for (const plan of plans) {
    const buffered = deps.buffer?.page(plan.roomId, plan.from, plan.to, context.filter.timelineLimit);
    if (buffered) {
      pages.set(plan.roomId, buffered);
      continue;
    }
    const key = `${plan.from}:${plan.to}`;
    byRange.set(key, [...(byRange.get(key) ?? []), plan]);
  }
  for (const group of byRange.values()) {
    const first = group[0] as RoomPlan;
    const read = await rooms.getRoomEvents(group.map((plan) => plan.roomId), first.from, first.to, context.filter.timelineLimit);
    for (const [roomId, page] of read) pages.set(roomId, page);
  }

  // Events after the user's current join are visible to them whatever the history visibility (they were joined
  // throughout); only the others go through the rooms domain's visibility check.
  const visible = new Set<string>();
  const toCheck: StoredEvent[] = [];
  for (const plan of plans) {
    for (const event of pages.get(plan.roomId)?.events ?? []) {
      if (event.stateKey === null && context.ignoredUsers.has(event.sender)) continue;
      if (plan.joinedAt !== undefined && event.streamOrdering > plan.joinedAt) visible.add(event.eventId);
      else toCheck.push(event);
    }
  }
  if (toCheck.length > 0) {
    for (const event of await rooms.filterEventsForUser(context.userId, toCheck)) visible.add(event.eventId);
  }
  // NOTSPEC: history visibility would hide a ban that follows a leave (neither membership lets the user see it);
  // a left room's timeline always ends with the user's own latest membership event so the client learns it.
  for (const plan of plans) if (plan.ownMembershipEventId) visible.add(plan.ownMembershipEventId);

  const built = new Map<string, RoomContent<StoredEvent>>();
  for (const plan of plans) {
    const page = pages.get(plan.roomId) ?? { events: [], limited: false, prevBatch: '' };
    const pageVisible: StoredEvent[] = page.events.filter((event) => visible.has(event.eventId));
    built.set(plan.roomId, await buildRoomContent(deps, context, plan, withPrevBatch(page, plan), pageVisible));
  }
  return formatRoomContents(deps, context, built);
}

/** The joined rooms with events in `(since, to]`: from the buffer, and from the database for what it cannot tell. */
async function findRoomsWithEvents(deps: EventsProviderDeps, roomIds: readonly string[], since: number, to: number): Promise<Set<string>> {
  if (!deps.buffer) return deps.storage.sync.getRoomsWithEvents(roomIds, since, to);
  const { withEvents, unknown } = deps.buffer.roomsWithEvents(roomIds, since, to);
  if (unknown.length > 0) for (const roomId of await deps.storage.sync.getRoomsWithEvents(unknown, since, to)) withEvents.add(roomId);
  return withEvents;
}

/**
 * Nothing the client may see changed: every new event was hidden (an ignored sender, history visibility, the
 * filter). Such a room is left out of an incremental sync, so it does not end a long-poll with an empty entry.
 */
function isEmptyContent(content: RoomContent): boolean {
  return (
    content.timeline.events.length === 0 &&
    !content.timeline.limited &&
    content.state.length === 0 &&
    (content.stateAfter?.length ?? 0) === 0 &&
    Object.keys(content.summary).length === 0
  );
}

/** An empty page still needs a `prev_batch`: the end of the range. */
function withPrevBatch(page: RoomEventsPage, plan: RoomPlan): RoomEventsPage {
  if (page.prevBatch !== '') return page;
  return { ...page, prevBatch: roomPaginationToken(plan.to) };
}

/**
 * `rooms.invite` / `rooms.knock`: the stripped state, with the user's own member event and, for an invite, the
 * inviter's member event (clients name a DM invite after the inviter).
 */
async function addStrippedRoom(deps: EventsProviderDeps, context: SyncContext, membership: UserRoomMembership): Promise<void> {
  const { rooms } = deps.sources;
  const [own] = await rooms.getEvents([membership.eventId]);
  const members = [context.userId];
  if (membership.membership === 'invite' && own !== undefined && own.sender !== context.userId) members.push(own.sender);
  const stripped = (await rooms.getInviteState(membership.roomId, { members })) as unknown as JsonObject[];
  const hasOwn = stripped.some((event) => event.type === 'm.room.member' && event.state_key === context.userId);
  if (!hasOwn && own) {
    stripped.push({ type: own.type, state_key: own.stateKey ?? '', sender: own.sender, content: own.pdu.content as JsonObject });
  }
  if (membership.membership === 'invite') context.response.rooms.invite[membership.roomId] = { invite_state: { events: stripped } };
  else context.response.rooms.knock[membership.roomId] = { knock_state: { events: stripped } };
}

function groupByRoom(changes: readonly MembershipChange[]): Map<string, MembershipChange[]> {
  const byRoom = new Map<string, MembershipChange[]>();
  for (const change of changes) byRoom.set(change.roomId, [...(byRoom.get(change.roomId) ?? []), change]);
  return byRoom;
}
