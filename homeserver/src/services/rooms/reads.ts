/**
 * Client reads of rooms: state, members, single events. History visibility is enforced on every read.
 * https://spec.matrix.org/v1.19/client-server-api/#getting-events-for-a-room
 */
import { stateKeyString } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent } from '../../storage/index.js';
import { findRoomVersionOf, type RoomsContext } from './context.js';
import { toClientEvents } from './format.js';
import { requireRoomId } from './membership.js';
import { loadGroup, type StateMap } from './state.js';
import { parseRoomPaginationToken } from './tokens.js';
import type { ClientEvent, MembersQuery, RoomRequester } from './types.js';
import { filterEventsForUser, historyVisibilityOf } from './visibility.js';

/** What a user may read of a room's state: the current state, or the state when they left. */
export interface ReadableState {
  state: StateMap;
  current: boolean;
}

const notMember = (roomId: string) =>
  new MatrixError(403, 'M_FORBIDDEN', `You aren't a member of the room ${roomId} and weren't previously a member of it`);

/** The current state of a room as a map. */
export async function currentStateMap(ctx: RoomsContext, roomId: string): Promise<StateMap> {
  const entries = await ctx.deps.storage.events.getCurrentState(roomId);
  return new Map(entries.map((entry) => [stateKeyString(entry.type, entry.stateKey), entry.eventId]));
}

/** Whether the room's current history visibility is world_readable. */
export async function isWorldReadable(ctx: RoomsContext, state: StateMap): Promise<boolean> {
  const id = state.get(stateKeyString('m.room.history_visibility', ''));
  if (id === undefined) return false;
  const [event] = await ctx.deps.storage.events.getEvents([id]);
  return historyVisibilityOf(event?.pdu.content) === 'world_readable';
}

/**
 * The state `userId` may read: current while joined (or world_readable), else the state right after their last
 * membership event (leave, ban); 403 M_FORBIDDEN for rooms they never were in, unknown or forgotten rooms.
 */
export async function readableState(ctx: RoomsContext, userId: string, roomId: string): Promise<ReadableState> {
  requireRoomId(roomId);
  if ((await findRoomVersionOf(ctx, ctx.deps.storage, roomId)) === null) throw notMember(roomId);
  const current = await currentStateMap(ctx, roomId);
  const membership = await ctx.deps.storage.roomState.getMembership(roomId, userId);
  if (membership?.membership === 'join' || (await isWorldReadable(ctx, current))) return { state: current, current: true };
  if (membership === null || membership.forgotten || membership.membership === 'invite' || membership.membership === 'knock') {
    throw notMember(roomId);
  }
  const ref = (await ctx.deps.storage.roomState.getEventState([membership.eventId])).get(membership.eventId);
  if (ref === undefined) throw notMember(roomId);
  return { state: await loadGroup(ctx.deps.storage, ctx.groups, ref.afterGroup), current: false };
}

/** 403 unless the user has (or had) a membership in the room, or the room is world_readable. */
export async function requireRoomAccess(ctx: RoomsContext, userId: string, roomId: string): Promise<void> {
  requireRoomId(roomId);
  if ((await findRoomVersionOf(ctx, ctx.deps.storage, roomId)) === null) throw notMember(roomId);
  const membership = await ctx.deps.storage.roomState.getMembership(roomId, userId);
  if (membership !== null && !membership.forgotten) return;
  if (await isWorldReadable(ctx, await currentStateMap(ctx, roomId))) return;
  throw notMember(roomId);
}

async function stateEvents(ctx: RoomsContext, state: StateMap): Promise<StoredEvent[]> {
  return ctx.deps.storage.events.getEvents([...state.values()]);
}

/** GET /rooms/{id}/state. */
export async function getState(ctx: RoomsContext, requester: RoomRequester, roomId: string): Promise<ClientEvent[]> {
  const { state } = await readableState(ctx, requester.userId, roomId);
  return toClientEvents(ctx, ctx.deps.storage, await stateEvents(ctx, state), requester);
}

/** GET /rooms/{id}/state/{type}/{stateKey}: 404 M_NOT_FOUND when there is no such state. */
export async function getStateEvent(ctx: RoomsContext, requester: RoomRequester, roomId: string, type: string, stateKey: string): Promise<ClientEvent> {
  const { state } = await readableState(ctx, requester.userId, roomId);
  const eventId = state.get(stateKeyString(type, stateKey));
  const [event] = eventId === undefined ? [] : await ctx.deps.storage.events.getEvents([eventId]);
  if (event === undefined) throw new MatrixError(404, 'M_NOT_FOUND', `No ${type} state with key ${JSON.stringify(stateKey)} in ${roomId}`);
  const [formatted] = await toClientEvents(ctx, ctx.deps.storage, [event], requester);
  return formatted as ClientEvent;
}

/** GET /rooms/{id}/members: at a pagination token, filtered by membership / not_membership. */
export async function getMembers(ctx: RoomsContext, requester: RoomRequester, roomId: string, query: MembersQuery): Promise<ClientEvent[]> {
  let { state } = await readableState(ctx, requester.userId, roomId);
  if (query.at !== undefined) {
    const position = parseRoomPaginationToken(query.at);
    if (position === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid at token');
    const last = await ctx.deps.storage.events.getLastEventAtOrBefore(roomId, position);
    const ref = last ? (await ctx.deps.storage.roomState.getEventState([last.eventId])).get(last.eventId) : undefined;
    const atState = ref ? await loadGroup(ctx.deps.storage, ctx.groups, ref.currentGroup ?? ref.afterGroup) : new Map<string, string>();
    // A user who left sees no state after they left, even when asking for a later point.
    if (last && (await filterEventsForUser(ctx, ctx.deps.storage, requester.userId, [last])).length === 1) state = atState;
  }
  const memberIds = [...state].filter(([key]) => key.startsWith('m.room.member\u0000')).map(([, id]) => id);
  const members = (await ctx.deps.storage.events.getEvents(memberIds)).filter((event) => {
    const membership = event.pdu.content.membership;
    if (query.membership !== undefined && query.notMembership !== undefined) return membership === query.membership || membership !== query.notMembership;
    if (query.membership !== undefined) return membership === query.membership;
    if (query.notMembership !== undefined) return membership !== query.notMembership;
    return true;
  });
  return toClientEvents(ctx, ctx.deps.storage, members, requester);
}

/** GET /rooms/{id}/joined_members: only for members who are joined. */
export async function getJoinedMembers(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
): Promise<Record<string, { display_name: string | null; avatar_url: string | null }>> {
  requireRoomId(roomId);
  const own = await ctx.deps.storage.roomState.getMembership(roomId, requester.userId);
  if (own?.membership !== 'join') throw new MatrixError(403, 'M_FORBIDDEN', `You are not joined to ${roomId}`);
  const joined: Record<string, { display_name: string | null; avatar_url: string | null }> = {};
  for (const member of await ctx.deps.storage.roomState.getMembershipsOfRoom(roomId, 'join')) {
    // NOTSPEC: both keys are always present, null when unset. The spec types them as strings without saying
    // whether they may be left out; Synapse sends null and clients (and sytest) expect the keys.
    joined[member.userId] = { display_name: member.displayname, avatar_url: member.avatarUrl };
  }
  return joined;
}

/** GET /rooms/{id}/event/{eventId}: 404 M_NOT_FOUND when unknown or not visible to the user. */
export async function getEvent(ctx: RoomsContext, requester: RoomRequester, roomId: string, eventId: string): Promise<ClientEvent> {
  const notFound = new MatrixError(404, 'M_NOT_FOUND', 'Event not found or you may not see it');
  // The spec answers 404 (not 403) to a user who may not see the event, in the room or not.
  await requireRoomAccess(ctx, requester.userId, roomId).catch((error: unknown) => {
    throw error instanceof MatrixError && error.status === 403 ? notFound : error;
  });
  const [event] = await ctx.deps.storage.events.getEvents([eventId]);
  if (event === undefined || event.roomId !== roomId || event.outlier || event.rejectedReason !== null) throw notFound;
  if ((await filterEventsForUser(ctx, ctx.deps.storage, requester.userId, [event])).length === 0) throw notFound;
  const [formatted] = await toClientEvents(ctx, ctx.deps.storage, [event], requester);
  return formatted as ClientEvent;
}
