/**
 * GET /initialSync and GET /rooms/{roomId}/initialSync: a snapshot of rooms (state and latest messages) and a
 * token to follow them with GET /events. The room variant is how clients peek into world_readable rooms.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3initialsync
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidinitialsync
 */
import type { JsonObject } from '@parley/federation';
import { roomPaginationToken, type UserRoomMembership } from '../rooms/index.js';
import type { AccountDataItem, SyncRequester, SyncSources } from './types.js';
import type { InitialSyncResponse, OldSyncRoomsPort, PaginationChunk, RoomInfo } from './old-types.js';
import type { Storage } from '../../storage/index.js';

/** Messages per room when the client gives no `limit` (the spec sets no default; Synapse uses 10 too). */
export const DEFAULT_INITIAL_SYNC_LIMIT = 10;
/** The most messages per room one snapshot carries. */
export const MAX_INITIAL_SYNC_LIMIT = 100;

export interface InitialSyncDeps {
  storage: Storage;
  rooms: OldSyncRoomsPort;
  sources: SyncSources;
}

/** Positions read before anything else, so that nothing written meanwhile falls between the snapshot and /events. */
interface Snapshot {
  events: number;
  accountData: { global: AccountDataItem[]; rooms: Record<string, AccountDataItem[]> };
}

const SNAPSHOT_MEMBERSHIPS: ReadonlySet<string> = new Set(['join', 'invite', 'leave', 'ban']);

async function takeSnapshot(deps: InitialSyncDeps, userId: string): Promise<Snapshot> {
  const events = await deps.storage.streams.current('events');
  const accountDataTo = await deps.storage.streams.current('account_data');
  const accountData = (await deps.sources.accountData?.getChanges(userId, 0, accountDataTo, { initial: true })) ?? { global: [], rooms: {} };
  return { events, accountData };
}

function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_INITIAL_SYNC_LIMIT, 0), MAX_INITIAL_SYNC_LIMIT);
}

/** The latest `limit` messages the user may see, oldest first, ending at the snapshot. */
async function latestMessages(deps: InitialSyncDeps, requester: SyncRequester, roomId: string, limit: number, end: number): Promise<PaginationChunk> {
  const endToken = roomPaginationToken(end);
  const page = await deps.rooms.getMessages(requester, roomId, { dir: 'b', limit, from: endToken });
  const messages: PaginationChunk = { end: endToken, chunk: [...page.chunk].reverse() as unknown as JsonObject[] };
  // `start` is left out only when there is nothing earlier to paginate to (the spec allows omitting it then).
  if (page.end !== undefined) messages.start = page.end;
  return messages;
}

function accountDataEvents(items: readonly AccountDataItem[] | undefined): JsonObject[] {
  return (items ?? []).map((item) => ({ type: item.type, content: item.content }));
}

/** One room's RoomInfo. State and messages come from the visibility-checked reads (403 when not readable). */
async function roomInfo(
  deps: InitialSyncDeps,
  requester: SyncRequester,
  roomId: string,
  membership: UserRoomMembership | undefined,
  options: { limit: number; snapshot: Snapshot },
): Promise<RoomInfo> {
  const info: RoomInfo = { room_id: roomId };
  // NOTSPEC: a peeker without a membership gets no `membership` (Synapse says `join`, which would misinform the client).
  if (membership !== undefined) info.membership = membership.membership as NonNullable<RoomInfo['membership']>;
  if (membership?.membership === 'invite') {
    const [inviteEvent] = await deps.rooms.getEvents([membership.eventId]);
    if (inviteEvent) info.invite = (await deps.rooms.toClientEvents([inviteEvent], requester))[0] as unknown as JsonObject;
  } else {
    info.state = (await deps.rooms.getState(requester, roomId)) as unknown as JsonObject[];
    info.messages = await latestMessages(deps, requester, roomId, options.limit, options.snapshot.events);
  }
  info.visibility = await deps.rooms.getDirectoryVisibility(roomId);
  info.account_data = accountDataEvents(options.snapshot.accountData.rooms[roomId]);
  return info;
}

async function presenceEvents(deps: InitialSyncDeps, userId: string): Promise<JsonObject[]> {
  if (!deps.sources.presence) return [];
  const to = await deps.storage.streams.current('presence');
  return deps.sources.presence.getChanges(userId, 0, to);
}

/**
 * GET /initialSync: every room the user is joined to or invited to (with `archived`, also those they left or were
 * banned from), each with its state and latest `limit` messages, plus presence and global account data.
 */
export async function initialSync(
  deps: InitialSyncDeps,
  requester: SyncRequester,
  params: { limit?: number; archived?: boolean },
): Promise<InitialSyncResponse> {
  const snapshot = await takeSnapshot(deps, requester.userId);
  const limit = clampLimit(params.limit);
  const memberships = (await deps.rooms.getRoomsForUser(requester.userId)).filter(
    (entry) => SNAPSHOT_MEMBERSHIPS.has(entry.membership) && (params.archived === true || entry.membership === 'join' || entry.membership === 'invite'),
  );
  const rooms: RoomInfo[] = [];
  for (const membership of memberships) rooms.push(await roomInfo(deps, requester, membership.roomId, membership, { limit, snapshot }));
  return {
    end: roomPaginationToken(snapshot.events),
    presence: await presenceEvents(deps, requester.userId),
    rooms,
    account_data: accountDataEvents(snapshot.accountData.global),
  };
}

/**
 * GET /rooms/{roomId}/initialSync: the room's state and latest messages for a member, for a former member as of
 * their leaving, and for anyone when the room is world_readable (peeking); 403 M_FORBIDDEN otherwise. `membership`
 * is left out for a user who never had one. Presence is that of the joined members the user shares a room with.
 */
export async function roomInitialSync(
  deps: InitialSyncDeps,
  requester: SyncRequester,
  roomId: string,
  params: { limit?: number },
): Promise<RoomInfo> {
  const snapshot = await takeSnapshot(deps, requester.userId);
  const membership = (await deps.rooms.getRoomsForUser(requester.userId)).find(
    (entry) => entry.roomId === roomId && SNAPSHOT_MEMBERSHIPS.has(entry.membership),
  );
  // An invitee reads the room like anyone else who is not joined: only a world_readable room shows its contents.
  const info = await roomInfo(deps, requester, roomId, membership?.membership === 'invite' ? undefined : membership, {
    limit: clampLimit(params.limit),
    snapshot,
  });
  if (membership?.membership === 'invite') info.membership = 'invite';
  const joined = new Set(await deps.rooms.getJoinedUserIds(roomId));
  info.presence = (await presenceEvents(deps, requester.userId)).filter((event) => typeof event.sender === 'string' && joined.has(event.sender));
  return info;
}
