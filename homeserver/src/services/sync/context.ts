/**
 * What every stream provider of one /sync computation shares: who syncs, from where to where, with which
 * filter, and the response being built.
 */
import type { JsonObject } from '@parley/federation';
import { eventMatches, type ResolvedFilter } from './filter.js';
import type { SyncToken } from './token.js';
import type { JoinedRoom, RoomEphemeralUpdate, SyncResponse } from './types.js';
import { roomPaginationToken } from '../rooms/index.js';

export interface SyncContext {
  userId: string;
  deviceId: string | null;
  accessTokenId: number | string;
  filter: ResolvedFilter;
  /** Where the client is; null for an initial sync. */
  since: SyncToken | null;
  /** Where this response brings it: every provider reads up to these positions and no further. */
  upTo: SyncToken;
  fullState: boolean;
  useStateAfter: boolean;
  /** From `m.ignored_user_list`: their non-state events, invites and ephemeral data never reach this user. */
  ignoredUsers: ReadonlySet<string>;
  /** Rooms the user is joined to at `upTo` (after the filter's rooms/not_rooms), set by the events provider. */
  joinedRoomIds: string[];
  /** Rooms whose advances concern the user (joined, invited, knocked), set by the events provider. */
  watchedRoomIds: string[];
  response: SyncResponse;
}

/** An empty response to fill. */
export function emptyResponse(): SyncResponse {
  return {
    next_batch: '',
    rooms: { join: {}, invite: {}, knock: {}, leave: {} },
    presence: { events: [] },
    account_data: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
  };
}

/**
 * The joined room's entry, created empty when only ephemeral data or account data changed (no new events):
 * then its timeline is empty and not limited, and `prev_batch` points at the response's end.
 */
export function joinedRoomEntry(context: SyncContext, roomId: string): JoinedRoom {
  const existing = context.response.rooms.join[roomId];
  if (existing) return existing;
  const entry: JoinedRoom = {
    summary: {},
    timeline: { events: [], limited: false, prev_batch: roomPaginationToken(context.upTo.events) },
    ephemeral: { events: [] },
    account_data: { events: [] },
    unread_notifications: { highlight_count: 0, notification_count: 0 },
  };
  if (context.useStateAfter) entry.state_after = { events: [] };
  else entry.state = { events: [] };
  context.response.rooms.join[roomId] = entry;
  return entry;
}

/** Adds ephemeral events (typing, receipts) to the joined rooms they belong to, through the ephemeral filter. */
export function addRoomEphemeral(context: SyncContext, updates: readonly RoomEphemeralUpdate[]): void {
  const joined = new Set(context.joinedRoomIds);
  for (const update of updates) {
    if (!joined.has(update.roomId)) continue;
    if (!eventMatches(context.filter.ephemeral, { type: update.event.type, roomId: update.roomId })) continue;
    joinedRoomEntry(context, update.roomId).ephemeral.events.push(update.event as unknown as JsonObject);
  }
}

/** True when the response carries nothing for the client (a long-poll keeps waiting). */
export function isEmptyResponse(response: SyncResponse): boolean {
  const { rooms } = response;
  return (
    Object.keys(rooms.join).length === 0 &&
    Object.keys(rooms.invite).length === 0 &&
    Object.keys(rooms.knock).length === 0 &&
    Object.keys(rooms.leave).length === 0 &&
    response.presence.events.length === 0 &&
    response.account_data.events.length === 0 &&
    response.to_device.events.length === 0 &&
    response.device_lists.changed.length === 0 &&
    response.device_lists.left.length === 0
  );
}

/** A JSON object view of an event-shaped value. */
export function asJson(value: object): JsonObject {
  return value as JsonObject;
}
