/**
 * The sync domain's public types (import them from index.ts): the request, the response shapes of the spec,
 * and the ports through which sync reads the other domains (wired by services/registry.ts).
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
 */
import type { JsonObject } from '@parley/federation';
import type { RoomsService } from '../rooms/index.js';

/** Who is syncing. `Requester` of the accounts domain fits this shape. */
export interface SyncRequester {
  userId: string;
  deviceId: string | null;
  accessTokenId: number | string;
  isGuest?: boolean;
}

export type SetPresence = 'online' | 'unavailable' | 'offline';

/** GET /sync's query, validated by the route. */
export interface SyncParams {
  /** A filter ID or inline filter JSON (starting with `{`). */
  filter?: string;
  since?: string;
  fullState?: boolean;
  setPresence?: SetPresence;
  /** Milliseconds; 0 returns at once. */
  timeoutMs?: number;
  useStateAfter?: boolean;
  /** Aborts a long-poll (the client went away). */
  signal?: AbortSignal;
}

/** A list of events, the spec's `EventBatch`/`StateEventBatch`. */
export interface EventBatch {
  events: JsonObject[];
}

export interface Timeline extends EventBatch {
  limited: boolean;
  prev_batch: string;
}

export interface UnreadCounts {
  highlight_count: number;
  notification_count: number;
}

export interface RoomSummary {
  'm.heroes'?: string[];
  'm.joined_member_count'?: number;
  'm.invited_member_count'?: number;
}

export interface JoinedRoom {
  summary: RoomSummary;
  state?: EventBatch;
  state_after?: EventBatch;
  timeline: Timeline;
  ephemeral: EventBatch;
  account_data: EventBatch;
  unread_notifications: UnreadCounts;
  unread_thread_notifications?: Record<string, UnreadCounts>;
}

export interface InvitedRoom {
  invite_state: EventBatch;
}

export interface KnockedRoom {
  knock_state: EventBatch;
}

export interface LeftRoom {
  state?: EventBatch;
  state_after?: EventBatch;
  timeline: Timeline;
  account_data: EventBatch;
}

/** The 200 body of GET /sync. */
export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoom>;
    invite: Record<string, InvitedRoom>;
    knock: Record<string, KnockedRoom>;
    leave: Record<string, LeftRoom>;
  };
  presence: EventBatch;
  account_data: EventBatch;
  to_device: EventBatch;
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types?: string[];
}

// ---- ports: what sync reads from other domains --------------------------------------------------------------

/** The rooms domain's reads that sync uses. */
export type SyncRoomsPort = Pick<
  RoomsService,
  | 'getRoomsForUser'
  | 'getMembershipChanges'
  | 'getRoomEvents'
  | 'getStateAtPosition'
  | 'getInviteState'
  | 'getEvents'
  | 'filterEventsForUser'
  | 'toClientEvents'
>;

/** One room's ephemeral event (m.typing, m.receipt), as the typing and receipts domains return them. */
export interface RoomEphemeralUpdate {
  roomId: string;
  event: { type: string; content: JsonObject };
}

/** Typing or receipts: what changed in `(from, to]` in `roomIds`, as `userId` may see it. */
export interface EphemeralPort {
  getChanges(userId: string, from: number, to: number, roomIds: readonly string[]): Promise<RoomEphemeralUpdate[]>;
}

/** An account data event. */
export interface AccountDataItem {
  type: string;
  content: JsonObject;
}

/** The user-data domain's account data reads. */
export interface AccountDataPort {
  /**
   * Global and per-room account data that changed in `(from, to]`; with `initial` (no `since`), all of it, including
   * server-managed entries that never changed (`m.push_rules`).
   */
  getChanges(
    userId: string,
    from: number,
    to: number,
    options: { initial: boolean },
  ): Promise<{ global: AccountDataItem[]; rooms: Record<string, AccountDataItem[]> }>;
  /** The users in the user's `m.ignored_user_list`. */
  getIgnoredUsers(userId: string): Promise<ReadonlySet<string>>;
}

/** The presence domain's reads and the `set_presence` write. */
export interface PresencePort {
  /** `m.presence` events of users sharing a room with `userId` whose presence changed in `(from, to]`. */
  getChanges(userId: string, from: number, to: number): Promise<JsonObject[]>;
  /** Called at every /sync with its `set_presence` (default `online`). */
  setFromSync(userId: string, presence: SetPresence): Promise<void>;
}

/** The push domain's unread counts. */
export interface UnreadCountsPort {
  /**
   * Unread notification counts per room. With `threads`, `main` counts only the main timeline and `threads`
   * holds each thread's counts.
   */
  getUnreadCounts(
    userId: string,
    roomIds: readonly string[],
    options: { threads: boolean },
  ): Promise<Map<string, { main: UnreadCounts; threads?: Record<string, UnreadCounts> }>>;
}

/** The to-device domain's per-device queue. */
export interface ToDevicePort {
  /**
   * The device's messages with `from < position <= to`, oldest first, and how far the response may move the
   * `to_device` position (short of `to` when not all fitted); with `acknowledged`, first deletes those at or before it.
   */
  getMessagesForSync(
    userId: string,
    deviceId: string,
    range: { from: number; to: number; acknowledged: number | null },
  ): Promise<{ events: { sender: string; type: string; content: JsonObject }[]; position: number }>;
}

/** The e2ee domain's device-list changes and key counts. */
export interface DeviceListsPort {
  /** Users whose devices changed or who newly share a room (`changed`), or share none any more (`left`). */
  getDeviceListChanges(userId: string, from: number, to: number): Promise<{ changed: string[]; left: string[] }>;
  getKeyCounts(userId: string, deviceId: string): Promise<{ oneTimeKeyCounts: Record<string, number>; unusedFallbackKeyTypes: string[] }>;
}

/** Everything sync reads from other domains. Optional ports not wired yet leave their sections empty. */
export interface SyncSources {
  rooms: SyncRoomsPort;
  typing?: EphemeralPort;
  receipts?: EphemeralPort;
  accountData?: AccountDataPort;
  presence?: PresencePort;
  unreadCounts?: UnreadCountsPort;
  deviceLists?: DeviceListsPort;
  toDevice?: ToDevicePort;
}

/** Tunables. */
export interface SyncOptions {
  /** Longest long-poll we hold; longer `timeout`s are capped. Default 5 minutes. */
  maxTimeoutMs?: number;
}
