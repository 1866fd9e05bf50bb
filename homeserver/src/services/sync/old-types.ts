/**
 * Types of the old sync endpoints still in the spec (deprecated, kept for peeking and old clients):
 * GET /events, GET /events/{eventId}, GET /initialSync, GET /rooms/{roomId}/initialSync.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3initialsync
 */
import type { JsonObject } from '@parley/federation';
import type { RoomsService } from '../rooms/index.js';

/** The rooms domain's reads the old endpoints use (visibility-checked reads do the authorisation). */
export type OldSyncRoomsPort = Pick<
  RoomsService,
  | 'getRoomsForUser'
  | 'getMembershipChanges'
  | 'getEvents'
  | 'getEvent'
  | 'getMessages'
  | 'getState'
  | 'getDirectoryVisibility'
  | 'getJoinedUserIds'
  | 'filterEventsForUser'
  | 'toClientEvents'
>;

/** The spec's PaginationChunk of /initialSync: `chunk` oldest first, `start` to paginate back with /messages. */
export interface PaginationChunk {
  start?: string;
  end: string;
  chunk: JsonObject[];
}

/** One room of GET /initialSync (RoomInfo), also the body of GET /rooms/{roomId}/initialSync. */
export interface RoomInfo {
  room_id: string;
  membership?: 'invite' | 'join' | 'leave' | 'ban';
  invite?: JsonObject;
  messages?: PaginationChunk;
  state?: JsonObject[];
  visibility?: 'public' | 'private';
  account_data?: JsonObject[];
  /** Only in GET /rooms/{roomId}/initialSync: presence of the room's joined members. */
  presence?: JsonObject[];
}

/** The 200 body of GET /initialSync. */
export interface InitialSyncResponse {
  end: string;
  presence: JsonObject[];
  rooms: RoomInfo[];
  account_data: JsonObject[];
}

/** The 200 body of GET /events (with or without `room_id`). */
export interface EventStreamResponse {
  start: string;
  end: string;
  chunk: JsonObject[];
}

/** GET /events's query, validated by the route. */
export interface EventStreamParams {
  from?: string;
  timeoutMs?: number;
  /** Peek into this room (joined or world_readable). */
  roomId?: string;
  signal?: AbortSignal;
}
