/**
 * The public types of the rooms domain, re-exported by index.ts (import them from there).
 */
import type { JsonObject, Pdu } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';

export type { StoredEvent } from '../../storage/index.js';

/**
 * Who is acting. `Requester` of the accounts domain fits this shape; `deviceId`/`accessTokenId` scope
 * transaction IDs and `unsigned.transaction_id`.
 */
export interface RoomRequester {
  userId: string;
  deviceId: string | null;
  accessTokenId: number | string;
  /** A guest account (https://spec.matrix.org/v1.19/client-server-api/#guest-access); absent means a full account. */
  isGuest?: boolean;
}

/** A membership state of `m.room.member`. https://spec.matrix.org/v1.19/client-server-api/#mroommember */
export type Membership = 'invite' | 'join' | 'knock' | 'leave' | 'ban';

/** The body of POST /createRoom, validated. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom */
export interface CreateRoomRequest {
  visibility?: 'public' | 'private';
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  /** Counted against the invite limit; third-party invites are not supported (400 M_UNRECOGNIZED when given). */
  invite_3pid?: readonly unknown[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: { type: string; state_key?: string; content: JsonObject }[];
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

/** An event as clients see it. https://spec.matrix.org/v1.19/client-server-api/#room-event-format */
export interface ClientEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  unsigned?: JsonObject;
  /** Only on v1-v10 redaction events (top-level `redacts`); clients read it from here for those versions. */
  redacts?: string;
  [key: string]: unknown;
}

/** A stripped state event, as in `invite_state`/`knock_state`. https://spec.matrix.org/v1.19/client-server-api/#stripped-state */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: JsonObject;
}

/** Who reads: scopes `unsigned.transaction_id` to the sending device or token. */
export interface EventViewer {
  userId: string;
  deviceId?: string | null;
  accessTokenId?: number | string | null;
}

/** What one event write produced (after commit). */
export interface PersistedEvent {
  eventId: string;
  roomId: string;
  streamOrdering: number;
  pdu: Pdu;
  /** Null when accepted; the auth rule's reason when stored rejected (remote events only). */
  rejectedReason: string | null;
}

/** A local event to build, sign, authorise and persist through the one PDU pipeline. */
export interface LocalEventRequest {
  roomId: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
  /** For m.room.redaction. */
  redacts?: string;
  /** Client transaction ID, stored with the event so retries return the same event ID. */
  txn?: { scope: string; txnId: string };
}

/** What a listener learns about a persisted event besides the event itself. */
export interface EventPersistedContext {
  roomVersion: string;
  /**
   * The state snapshot after the event (`storage.roomState.getStateGroup`). Snapshots never change, so anything
   * derived from one may be cached under its number.
   */
  stateGroup: number;
}

/** A membership transition a write recorded (a member event, or a state resolution that changed a member). */
export interface MembershipTransitionRecord {
  roomId: string;
  userId: string;
  membership: string;
  previous: string | null;
  /** The member event now in effect. */
  eventId: string;
}

/** What a {@link DerivedRowsWriter} gets with each accepted event, inside the event's own transaction. */
export interface DerivedRowsContext {
  /** The event's transaction: every read sees the event's writes; every write commits with the event or not at all. */
  tx: Storage;
  roomVersion: string;
  /** The state snapshot after the event. */
  stateGroup: number;
  /** The room state after the event: `stateKeyString(type, stateKey)` → event ID. */
  stateAfter: ReadonlyMap<string, string>;
  /** Membership transitions this event caused (its own, or a resolution's). */
  membershipChanges: readonly MembershipTransitionRecord[];
}

/** Best-effort work once the event's transaction committed (a notifier publish); a failure is only logged. */
export type AfterEventCommit = () => Promise<void>;

/**
 * Rows derived from an event that must exist exactly when the event does (notification counts, search entry,
 * device-list changes): written in the event's transaction, for local and remote events alike (spec/pipeline.md).
 */
export interface DerivedRowsWriter {
  name: string;
  write(event: StoredEvent, context: DerivedRowsContext): Promise<AfterEventCommit | void>;
  /** Once per write transaction that persisted events, with the highest stream position it wrote. */
  finish?(tx: Storage, lastStreamOrdering: number): Promise<void>;
}

/** Called after an event committed: push, search, receipts hook in here (see `onEventPersisted`). */
export type EventPersistedListener = (event: StoredEvent, context: EventPersistedContext) => void | Promise<void>;

/** A user's membership in one room with the stream position it took effect at. */
export interface UserRoomMembership {
  roomId: string;
  membership: Membership;
  /** The `m.room.member` event that set it. */
  eventId: string;
  /** `events` stream position of that event. */
  streamOrdering: number;
  sender: string;
}

/** One change of one user's membership in a room. */
export interface MembershipChange extends UserRoomMembership {
  userId: string;
  /** The membership before this change (null: none). */
  previous: Membership | null;
}

/** A page of room events between two stream positions (newest first as read, returned oldest first). */
export interface RoomEventsPage {
  /** Events in stream order, oldest first. */
  events: StoredEvent[];
  /** True when `limit` cut off older events in the range. */
  limited: boolean;
  /** Token for GET /messages?dir=b to fetch what comes before `events[0]` (the `prev_batch`). */
  prevBatch: string;
}

/** GET /rooms/{id}/messages query, validated. */
export interface MessagesQuery {
  from?: string;
  to?: string;
  dir: 'b' | 'f';
  limit: number;
  /** A RoomEventFilter (https://spec.matrix.org/v1.19/client-server-api/#filtering), parsed JSON. */
  filter?: RoomEventFilter;
}

/** The parts of a RoomEventFilter /messages honours. */
export interface RoomEventFilter {
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  contains_url?: boolean;
  limit?: number;
}

/** The response of GET /rooms/{id}/messages. */
export interface MessagesResponse {
  start: string;
  end?: string;
  chunk: ClientEvent[];
  state?: ClientEvent[];
}

/** GET /rooms/{id}/members query. */
export interface MembersQuery {
  at?: string;
  membership?: Membership;
  notMembership?: Membership;
}

/** Options for membership changes a user makes about themself or others. */
export interface MembershipOptions {
  reason?: string;
}

/** A join's options: the reason and any other keys of the request body, for the member event's content. */
export interface JoinOptions extends MembershipOptions {
  extraContent?: JsonObject;
}

/** Callbacks the registry passes in for needs that belong to other domains. */
export interface RoomsCallbacks {
  /** The user's global profile, copied into their member events. Default: none. */
  getProfile?(userId: string): Promise<{ displayname?: string | null; avatar_url?: string | null }>;
  /**
   * The users `userId` ignores (`m.ignored_user_list`): their non-state events are left out of /messages,
   * /context, /relations, /threads and bundled aggregations served to `userId`. Default: none.
   */
  getIgnoredUsers?(userId: string): Promise<ReadonlySet<string>>;
  /** Copies the user's room tags when they first join an upgraded room's successor. Default: nothing. */
  copyRoomTags?(userId: string, fromRoomId: string, toRoomId: string): Promise<void>;
  /**
   * Whether a local account is suspended: its events are refused with 403 `M_USER_SUSPENDED` except leaving and
   * redacting its own events (suspension.ts). Default: nobody is.
   */
  isSuspended?(userId: string): Promise<boolean>;
  /** Which of these local users are guest accounts, made to leave rooms that stop allowing guests. Default: none. */
  guestsAmong?(userIds: readonly string[]): Promise<string[]>;
}

/** Tunables, from config. */
export interface RoomsOptions {
  /** How long the original of a redacted event is kept for admins before it is purged. Default 7 days. */
  redactionRetentionMs?: number;
}

/** GET /rooms/{id}/relations/{eventId}[/{relType}[/{eventType}]] query, validated. */
export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  from?: string;
  to?: string;
  limit?: number;
  dir: 'b' | 'f';
  /** Absent when the client did not send `recurse` (then `recursion_depth` is absent too). */
  recurse?: boolean;
}

/** https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidrelationseventid */
export interface RelationsResponse {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

/** GET /rooms/{id}/threads query. */
export interface ThreadsQuery {
  include: 'all' | 'participated';
  from?: string;
  limit?: number;
}

/** https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidthreads */
export interface ThreadsResponse {
  chunk: ClientEvent[];
  next_batch?: string;
}

/** GET /rooms/{id}/context/{eventId} query. */
export interface ContextQuery {
  limit: number;
  filter?: RoomEventFilter;
}

/** https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidcontexteventid */
export interface ContextResponse {
  start: string;
  end: string;
  events_before: ClientEvent[];
  event: ClientEvent;
  events_after: ClientEvent[];
  state: ClientEvent[];
}

/** POST /rooms/{id}/upgrade body. */
export interface UpgradeRequest {
  newVersion: string;
  additionalCreators?: string[];
}

/** Body of POST /publicRooms (GET passes `limit`/`since` only). */
export interface PublicRoomsQuery {
  /** The server whose directory is asked for; only this server's is served for now. */
  server?: string;
  limit?: number;
  since?: string;
  filter?: { generic_search_term?: string; room_types?: (string | null)[] };
}

/** One room of the public room directory. https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3publicrooms */
export interface PublicRoomChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule?: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  room_type?: string;
}

export interface PublicRoomsResponse {
  chunk: PublicRoomChunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}
