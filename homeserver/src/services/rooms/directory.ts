/**
 * The published room directory: a room's visibility in it, and GET/POST /publicRooms of this server.
 * https://spec.matrix.org/v1.19/client-server-api/#listing-rooms
 */
import { stateKeyString } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import { requireRoomVersion, type RoomsContext } from './context.js';
import { requireRoomId } from './membership.js';
import { maySendState } from './power.js';
import { currentStateMap } from './reads.js';
import type { PublicRoomChunk, PublicRoomsQuery, PublicRoomsResponse, RoomRequester } from './types.js';

/** Default and largest page of /publicRooms. */
export const DEFAULT_PUBLIC_ROOMS_LIMIT = 100;
export const MAX_PUBLIC_ROOMS_LIMIT = 500;

/** GET /directory/list/room/{id}: 404 M_NOT_FOUND for an unknown room. */
export async function getDirectoryVisibility(ctx: RoomsContext, roomId: string): Promise<'public' | 'private'> {
  requireRoomId(roomId);
  const room = await ctx.deps.storage.rooms.getRoom(roomId);
  if (room === null) throw new MatrixError(404, 'M_NOT_FOUND', `Unknown room ${roomId}`);
  return room.isPublic ? 'public' : 'private';
}

/**
 * PUT /directory/list/room/{id}. The spec lets servers restrict who may do this: here, joined users with the
 * power to change the room's canonical alias (who already decide how the room is found).
 */
export async function setDirectoryVisibility(ctx: RoomsContext, requester: RoomRequester, roomId: string, visibility: 'public' | 'private'): Promise<void> {
  requireRoomId(roomId);
  await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const membership = await ctx.deps.storage.roomState.getMembership(roomId, requester.userId);
  if (membership?.membership !== 'join' || !(await maySendState(ctx, roomId, requester.userId, 'm.room.canonical_alias'))) {
    throw new MatrixError(403, 'M_FORBIDDEN', 'You may not change the directory visibility of this room');
  }
  await ctx.deps.storage.rooms.setPublic(roomId, visibility === 'public');
}

/** `p<offset>` pagination tokens: the directory is small and sorted in memory. */
function parseSince(since: string | undefined): number {
  if (since === undefined) return 0;
  const match = /^p(\d{1,9})$/.exec(since);
  if (match === null) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid since token');
  return Number(match[1]);
}

/**
 * GET/POST /publicRooms: published rooms, largest first (then by room ID), filtered by `generic_search_term`
 * (case-insensitive, in name, topic, canonical alias and room ID) and `room_types` (`null` = no type).
 */
export async function listPublicRooms(ctx: RoomsContext, query: PublicRoomsQuery): Promise<PublicRoomsResponse> {
  if (query.server !== undefined && query.server !== ctx.deps.serverName) {
    // NOTSPEC: other servers' directories need federation (GET /_matrix/federation/v1/publicRooms), not built yet.
    throw new MatrixError(400, 'M_UNRECOGNIZED', `Fetching the room directory of ${query.server} is not supported yet`);
  }
  const { roomState } = ctx.deps.storage;
  const roomIds = await roomState.listPublicRoomIds();
  const counts = await roomState.countJoinedMembers(roomIds);
  const rooms = await Promise.all(roomIds.map((roomId) => publicRoomChunk(ctx, roomId, counts.get(roomId) ?? 0)));
  const term = query.filter?.generic_search_term?.trim().toLowerCase();
  const types = query.filter?.room_types;
  const matching = rooms
    .filter((room) => term === undefined || term === '' || [room.name, room.topic, room.canonical_alias, room.room_id].some((text) => text?.toLowerCase().includes(term)))
    .filter((room) => types === undefined || types.includes(room.room_type ?? null))
    .sort((a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : 1));
  const limit = Math.min(Math.max(query.limit ?? DEFAULT_PUBLIC_ROOMS_LIMIT, 1), MAX_PUBLIC_ROOMS_LIMIT);
  const offset = parseSince(query.since);
  const response: PublicRoomsResponse = { chunk: matching.slice(offset, offset + limit), total_room_count_estimate: matching.length };
  if (offset + limit < matching.length) response.next_batch = `p${offset + limit}`;
  if (offset > 0) response.prev_batch = `p${Math.max(0, offset - limit)}`;
  return response;
}

/** One directory entry from the room's current state. */
async function publicRoomChunk(ctx: RoomsContext, roomId: string, joined: number): Promise<PublicRoomChunk> {
  const state = await currentStateMap(ctx, roomId);
  const types = ['m.room.create', 'm.room.name', 'm.room.topic', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.join_rules', 'm.room.history_visibility', 'm.room.guest_access'];
  const events = await ctx.deps.storage.events.getEvents(types.flatMap((type) => state.get(stateKeyString(type, '')) ?? []));
  const content = (type: string) => events.find((event) => event.type === type)?.pdu.content ?? {};
  const text = (type: string, key: string): string | undefined => {
    const value = content(type)[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const chunk: PublicRoomChunk = {
    room_id: roomId,
    num_joined_members: joined,
    world_readable: text('m.room.history_visibility', 'history_visibility') === 'world_readable',
    guest_can_join: text('m.room.guest_access', 'guest_access') === 'can_join',
  };
  const optional: [keyof PublicRoomChunk, string | undefined][] = [
    ['name', text('m.room.name', 'name')],
    ['topic', text('m.room.topic', 'topic')],
    ['avatar_url', text('m.room.avatar', 'url')],
    ['canonical_alias', text('m.room.canonical_alias', 'alias')],
    ['join_rule', text('m.room.join_rules', 'join_rule')],
    ['room_type', text('m.room.create', 'type')],
  ];
  for (const [key, value] of optional) if (value !== undefined) (chunk as unknown as Record<string, unknown>)[key] = value;
  return chunk;
}
