/**
 * The rooms service interface (the domain's public API; import it from index.ts).
 */
import type { JsonObject, Pdu } from '@parley/federation';
import type { StoredEvent } from '../../storage/index.js';
import type {
  ClientEvent,
  ContextQuery,
  ContextResponse,
  CreateRoomRequest,
  DerivedRowsWriter,
  EventPersistedListener,
  EventViewer,
  LocalEventRequest,
  MembersQuery,
  MembershipChange,
  JoinOptions,
  MembershipOptions,
  MessagesQuery,
  MessagesResponse,
  PersistedEvent,
  PublicRoomsQuery,
  PublicRoomsResponse,
  RelationsQuery,
  RelationsResponse,
  RoomEventsPage,
  RoomRequester,
  StrippedStateEvent,
  ThreadsQuery,
  ThreadsResponse,
  UpgradeRequest,
  UserRoomMembership,
} from './types.js';

export interface RoomsService {
  // ---- the PDU pipeline ---------------------------------------------------------------------------------------
  /**
   * Builds a local event in the room version's format (prev_events = forward extremities, depth, auth_events),
   * authorises it against the current state and persists it in one transaction. Throws 403 M_FORBIDDEN with the
   * auth rule's reason when the rules refuse it (nothing is stored). With `txn`, a retry returns the first event.
   */
  sendEvent(request: LocalEventRequest): Promise<PersistedEvent>;
  /**
   * Persists an already-built PDU (from federation) through the same path: state before it from its prev_events
   * (resolved when several), auth against its auth events and that state; stored rejected when refused.
   * Its prev_events must be known.
   */
  persistPdu(roomId: string, pdu: Pdu): Promise<PersistedEvent>;
  /** Registers a listener run after each committed event; returns the unsubscribe function. */
  onEventPersisted(listener: EventPersistedListener): () => void;
  /** Adds a writer of rows derived from each accepted event, run in the event's transaction; before any write. */
  addDerivedRowsWriter(writer: DerivedRowsWriter): void;

  // ---- client API ---------------------------------------------------------------------------------------------
  /** POST /createRoom. */
  createRoom(requester: RoomRequester, request: CreateRoomRequest): Promise<{ roomId: string }>;
  /** POST /join/{roomIdOrAlias} and /rooms/{id}/join. */
  join(requester: RoomRequester, roomIdOrAlias: string, options?: JoinOptions): Promise<{ roomId: string }>;
  /** POST /knock/{roomIdOrAlias}. */
  knock(requester: RoomRequester, roomIdOrAlias: string, options?: MembershipOptions): Promise<{ roomId: string }>;
  /** POST /rooms/{id}/invite. */
  invite(requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions & { isDirect?: boolean }): Promise<void>;
  /** POST /rooms/{id}/leave (also rejects an invite or withdraws a knock). */
  leave(requester: RoomRequester, roomId: string, options?: MembershipOptions): Promise<void>;
  /** POST /rooms/{id}/forget. */
  forget(requester: RoomRequester, roomId: string): Promise<void>;
  /** POST /rooms/{id}/kick. */
  kick(requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions): Promise<void>;
  /** POST /rooms/{id}/ban. */
  ban(requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions): Promise<void>;
  /** POST /rooms/{id}/unban. */
  unban(requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions): Promise<void>;
  /** GET /joined_rooms. */
  joinedRooms(userId: string): Promise<string[]>;
  /** GET /rooms/{id}/members. */
  getMembers(requester: RoomRequester, roomId: string, query: MembersQuery): Promise<ClientEvent[]>;
  /** GET /rooms/{id}/joined_members. */
  getJoinedMembers(requester: RoomRequester, roomId: string): Promise<Record<string, { display_name: string | null; avatar_url: string | null }>>;
  /** PUT /rooms/{id}/send/{type}/{txnId}. */
  sendMessage(requester: RoomRequester, roomId: string, type: string, txnId: string, content: JsonObject): Promise<{ eventId: string }>;
  /** PUT /rooms/{id}/state/{type}/{stateKey}. */
  setState(requester: RoomRequester, roomId: string, type: string, stateKey: string, content: JsonObject): Promise<{ eventId: string }>;
  /** GET /rooms/{id}/state/{type}/{stateKey}: the event (the route picks content or event format). */
  getStateEvent(requester: RoomRequester, roomId: string, type: string, stateKey: string): Promise<ClientEvent>;
  /** GET /rooms/{id}/state. */
  getState(requester: RoomRequester, roomId: string): Promise<ClientEvent[]>;
  /** PUT /rooms/{id}/redact/{eventId}/{txnId}. */
  redact(requester: RoomRequester, roomId: string, eventId: string, txnId: string, options?: MembershipOptions): Promise<{ eventId: string }>;
  /** GET /rooms/{id}/event/{eventId}. */
  getEvent(requester: RoomRequester, roomId: string, eventId: string): Promise<ClientEvent>;
  /** GET /rooms/{id}/messages. */
  getMessages(requester: RoomRequester, roomId: string, query: MessagesQuery): Promise<MessagesResponse>;

  /**
   * GET /rooms/{id}/context/{eventId}: the event with up to `limit` events around it, the state at the last one,
   * visibility-checked (404 M_NOT_FOUND when the user may not see the event).
   */
  getContext(requester: RoomRequester, roomId: string, eventId: string, query: ContextQuery): Promise<ContextResponse>;

  // ---- relations (edits, threads, reactions) ------------------------------------------------------------------
  /** GET /rooms/{id}/relations/{eventId}[/{relType}[/{eventType}]]: children of a visible event, paginated. */
  getRelations(requester: RoomRequester, roomId: string, eventId: string, query: RelationsQuery): Promise<RelationsResponse>;
  /** GET /rooms/{id}/threads: thread roots ordered by their latest reply, with bundled aggregations. */
  getThreads(requester: RoomRequester, roomId: string, query: ThreadsQuery): Promise<ThreadsResponse>;

  // ---- upgrades, aliases, the public room directory -----------------------------------------------------------
  /** POST /rooms/{id}/upgrade: the replacement room's ID. */
  upgradeRoom(requester: RoomRequester, roomId: string, request: UpgradeRequest): Promise<{ replacementRoom: string }>;
  /** PUT /directory/room/{alias}: 409 M_UNKNOWN when taken. */
  createAlias(requester: RoomRequester, alias: string, roomId: string): Promise<void>;
  /** GET /directory/room/{alias}: 404 M_NOT_FOUND when unknown. */
  getAlias(alias: string): Promise<{ roomId: string; servers: string[] }>;
  /** DELETE /directory/room/{alias}: by its creator or a user who may change the room's canonical alias. */
  deleteAlias(requester: RoomRequester, alias: string): Promise<void>;
  /** GET /rooms/{id}/aliases: members (or anyone for world_readable rooms). */
  getLocalAliases(requester: RoomRequester, roomId: string): Promise<string[]>;
  /** GET /directory/list/room/{id}. */
  getDirectoryVisibility(roomId: string): Promise<'public' | 'private'>;
  /** PUT /directory/list/room/{id}: by users who may change the room's canonical alias. */
  setDirectoryVisibility(requester: RoomRequester, roomId: string, visibility: 'public' | 'private'): Promise<void>;
  /** GET/POST /publicRooms of this server. */
  listPublicRooms(query: PublicRoomsQuery): Promise<PublicRoomsResponse>;

  // ---- reads for other domains (sync, search, push, receipts) -------------------------------------------------
  /** The room's version, or null for an unknown room. */
  getRoomVersion(roomId: string): Promise<string | null>;
  /** Every room the user has a membership in (any kind, forgotten rooms excluded), with its position. */
  getRoomsForUser(userId: string): Promise<UserRoomMembership[]>;
  /** The user's membership changes with `from < streamOrdering <= to`, oldest first. */
  getMembershipChanges(userId: string, from: number, to: number): Promise<MembershipChange[]>;
  /** Whether the user's current membership in the room is `join` (one indexed lookup). */
  isJoined(userId: string, roomId: string): Promise<boolean>;
  /** Users joined to at least one room the user is joined to, the user included (one SQL join). */
  getUsersSharingRoomWith(userId: string): Promise<string[]>;
  /** Makes the user leave every room they are joined to, invited to or knocking on (account deactivation). */
  leaveAllRooms(userId: string): Promise<void>;
  /** Joined members of a room (user IDs). */
  getJoinedUserIds(roomId: string): Promise<string[]>;
  /**
   * Each room's accepted, non-outlier events with `from < streamOrdering <= to`: the newest `limit` of them,
   * returned oldest first, with `limited` and the `prevBatch` token to paginate back. Not visibility-filtered.
   */
  getRoomEvents(roomIds: readonly string[], from: number, to: number, limit: number): Promise<Map<string, RoomEventsPage>>;
  /** The room's current state events. */
  getCurrentState(roomId: string): Promise<StoredEvent[]>;
  /** The room's current state as of stream position `position` (after the last event at or before it was written, forks resolved). */
  getStateAtPosition(roomId: string, position: number): Promise<StoredEvent[]>;
  /** The room state before (default) or after an event. */
  getStateAtEvent(eventId: string, options?: { after?: boolean }): Promise<StoredEvent[]>;
  /**
   * Stripped state for `invite_state`/`knock_state`: the spec's recommended types that are set (create, join rules,
   * name, avatar, encryption, canonical alias, topic), then the current member events of `members` (the user
   * and, for an invite, the inviter: clients name a DM invite after the inviter).
   */
  getInviteState(roomId: string, options?: { members?: readonly string[] }): Promise<StrippedStateEvent[]>;
  /** The highest committed `events` stream position. */
  currentPosition(): Promise<number>;
  /** Room alias → room ID (local store), or null. */
  resolveAlias(alias: string): Promise<string | null>;
  /** Events by ID (stored form). */
  getEvents(eventIds: readonly string[]): Promise<StoredEvent[]>;

  // ---- visibility and formatting ------------------------------------------------------------------------------
  /** The events `userId` may see under history visibility, in the given order. */
  filterEventsForUser(userId: string, events: readonly StoredEvent[]): Promise<StoredEvent[]>;
  /** Whether `userId` may see `event` under history visibility. */
  canSeeEvent(userId: string, event: StoredEvent): Promise<boolean>;
  /**
   * Formats events for clients (ClientEvent): redacted per room version with `unsigned.redacted_because`,
   * `unsigned.age`, `prev_content`, and `transaction_id` when the viewer's device (or token) sent it.
   */
  toClientEvents(events: readonly StoredEvent[], viewer: EventViewer): Promise<ClientEvent[]>;
  /** Replaces the originals of events redacted longer than the retention window by their redacted form. */
  purgeExpiredRedactions(): Promise<number>;
  /** Stops the background redaction purge. */
  close(): void;
}

