/**
 * Repository interface: state snapshots, memberships per user and room, client transaction IDs, aliases and
 * redaction retention: everything the rooms domain reads beyond events.
 * Re-exported by storage/index.ts; implemented by knex/room-state.repo.ts for both dialects.
 */

/** One `(type, state_key) → event ID` entry of a room state. */
export interface StateGroupEntry {
  type: string;
  stateKey: string;
  eventId: string;
}

/** A new state snapshot, given as its changes relative to `prevGroup` (or in full when `prevGroup` is null). */
export interface NewStateGroup {
  roomId: string;
  prevGroup: number | null;
  set: readonly StateGroupEntry[];
  remove: readonly { type: string; stateKey: string }[];
}

/** Where an event sits in the state: the snapshot before it and after it. */
export interface EventStateRef {
  eventId: string;
  roomId: string;
  beforeGroup: number;
  afterGroup: number;
  /** For state events: the state event it replaced, if any. */
  replacesEventId: string | null;
  /** The room's current state right after the event was persisted, when not `afterGroup` (a fork resolved). */
  currentGroup?: number | null;
}

/** A user's current membership in a room. */
export interface MembershipRecord {
  roomId: string;
  userId: string;
  membership: string;
  eventId: string;
  sender: string;
  streamOrdering: number;
  displayname: string | null;
  avatarUrl: string | null;
  forgotten: boolean;
}

/** One change of a membership, logged with the stream position it took effect at. */
export interface MembershipChangeRecord {
  roomId: string;
  userId: string;
  membership: string;
  previous: string | null;
  eventId: string;
  sender: string;
  streamOrdering: number;
}

/** A stored client transaction ID. */
export interface TxnRecord {
  scope: string;
  txnId: string;
  eventId: string;
  roomId: string;
}

/** One event relationship: a child event pointing at its parent with `m.relates_to`. */
export interface RelationRecord {
  /** The child. */
  eventId: string;
  roomId: string;
  /** The parent (`m.relates_to.event_id`). */
  parentId: string;
  relType: string;
  /** The child's event type and sender. */
  eventType: string;
  sender: string;
  streamOrdering: number;
  originServerTs: number;
  /** `m.relates_to.key` (annotations), else null. */
  key: string | null;
}

/** A page of a parent's children by stream position (bounds as in RoomStreamQuery: `after` exclusive, `upTo` inclusive). */
export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  after?: number;
  upTo?: number;
  direction: 'forward' | 'backward';
  limit: number;
}

/** Per thread root and sender: how many `m.thread` children the sender has and the position of their latest. */
export interface ThreadSenderSummary {
  rootId: string;
  sender: string;
  count: number;
  latestStreamOrdering: number;
  /** The sender's latest reply in the thread. */
  latestEventId: string;
}

/** A thread of a room with the position of its latest reply. */
export interface ThreadRootRecord {
  rootId: string;
  latestStreamOrdering: number;
}

/** Event relationships (edits, threads, annotations) and room-directory reads. */
export interface RoomRelationsStore {
  /** Records relationships (ignores ones already recorded). */
  addRelations(records: readonly RelationRecord[]): Promise<void>;
  /** Forgets the relationship of a child (when the child is redacted). */
  removeRelation(eventId: string): Promise<void>;
  /** The relationship an event has as a child, or null. */
  getRelation(eventId: string): Promise<RelationRecord | null>;
  /** Children of `parentId` in `roomId`, by stream position (newest first for `backward`). */
  getRelations(roomId: string, parentId: string, query: RelationsQuery): Promise<RelationRecord[]>;
  /** Every child of the given parents with `relType`, oldest first (for aggregations of a page of parents). */
  getRelationsOfParents(parentIds: readonly string[], relType: string): Promise<RelationRecord[]>;
  /** Thread reply counts and latest positions per root and sender. */
  getThreadSummaries(rootIds: readonly string[]): Promise<ThreadSenderSummary[]>;
  /**
   * Threads of a room by their latest reply, newest first, those whose latest reply is at or before `upTo`;
   * with `participant`, only threads the user started or replied in.
   */
  listThreads(roomId: string, options: { upTo?: number; limit: number; participant?: string }): Promise<ThreadRootRecord[]>;
  /** An annotation by `sender` on `parentId` with this event type and key, or null. */
  findAnnotation(parentId: string, sender: string, eventType: string, key: string): Promise<string | null>;

  /** Who created an alias, or null for an unknown alias. */
  getAliasCreator(alias: string): Promise<string | null>;
  /** Points every alias of `fromRoomId` at `toRoomId`; returns the aliases moved. */
  moveAliases(fromRoomId: string, toRoomId: string): Promise<string[]>;
  /** Rooms published in the directory (the `rooms.is_public` flag), sorted by room ID. */
  listPublicRoomIds(): Promise<string[]>;
  /** Joined member counts of rooms (0 for rooms without joined members). */
  countJoinedMembers(roomIds: readonly string[]): Promise<Map<string, number>>;
  /** Users joined to at least one room `userId` is joined to (including `userId` when joined anywhere). */
  getUsersSharingRoomWith(userId: string): Promise<string[]>;
}

export interface RoomStateStore extends RoomRelationsStore {
  /**
   * Serialises writers of one room across processes: on PostgreSQL a row lock on the room held until the
   * surrounding transaction ends; on SQLite (one writer at a time) nothing. Call inside a transaction.
   */
  lockRoom(roomId: string): Promise<void>;

  /**
   * Stores a snapshot as a delta from `prevGroup`; when the parent's chain is at the bound, stores it in full
   * instead (the bound keeps reads to two queries and the delta chain short). Returns the new group's id.
   */
  createStateGroup(group: NewStateGroup): Promise<number>;
  /** The full state of a group, sorted by type then state key. Throws for an unknown group. */
  getStateGroup(groupId: number): Promise<StateGroupEntry[]>;
  /** The full states of several groups at once (two queries whatever their number); throws for an unknown group. */
  getStateGroups(groupIds: readonly number[]): Promise<Map<number, StateGroupEntry[]>>;
  /** Records the state before/after events. */
  setEventState(refs: readonly EventStateRef[]): Promise<void>;
  /** The state references of the known events among `eventIds`. */
  getEventState(eventIds: readonly string[]): Promise<Map<string, EventStateRef>>;

  /** Sets current memberships and appends them to the change log (one row per change). */
  applyMembershipChanges(changes: readonly (MembershipChangeRecord & { displayname: string | null; avatarUrl: string | null })[]): Promise<void>;
  getMembership(roomId: string, userId: string): Promise<MembershipRecord | null>;
  /** The user's memberships (all kinds); forgotten ones only with `includeForgotten`. */
  getMembershipsOfUser(userId: string, options?: { includeForgotten?: boolean }): Promise<MembershipRecord[]>;
  /** The room's memberships, optionally of one kind. */
  getMembershipsOfRoom(roomId: string, membership?: string): Promise<MembershipRecord[]>;
  /** The user's membership changes with `from < streamOrdering <= to`, oldest first (all rooms, or one). */
  getMembershipChanges(userId: string, from: number, to: number, roomId?: string): Promise<MembershipChangeRecord[]>;
  /** Whether the user's membership ever changed to `membership` in the room after stream position `after`. */
  hasMembershipAfter(roomId: string, userId: string, membership: string, after: number): Promise<boolean>;
  /** Marks the room forgotten for the user (only while their membership is leave or ban). */
  forgetRoom(roomId: string, userId: string): Promise<void>;

  /** The event a client transaction ID produced, or null. */
  getTxn(scope: string, txnId: string): Promise<TxnRecord | null>;
  /** Records a client transaction ID; false (and nothing written) when the scope already has this transaction ID. */
  saveTxn(record: TxnRecord & { createdTs: number }): Promise<boolean>;
  /** The transaction records of the events among `eventIds` that have one. */
  getTxnsForEvents(eventIds: readonly string[]): Promise<Map<string, TxnRecord>>;

  /** Maps an alias to a room; false (and nothing written) when the alias is taken. */
  createAlias(alias: string, roomId: string, creator: string, createdTs: number): Promise<boolean>;
  getAliasRoom(alias: string): Promise<string | null>;
  getAliasesOfRoom(roomId: string): Promise<string[]>;
  /** Removes an alias; false when it did not exist. */
  deleteAlias(alias: string): Promise<boolean>;

  /** Keeps the original of a redacted event until `purgeAfterTs`. */
  retainRedacted(eventId: string, redactionEventId: string, purgeAfterTs: number): Promise<void>;
  /** Redacted events whose retention ended at or before `now` (up to `limit`). */
  expiredRedactions(now: number, limit: number): Promise<string[]>;
  /** Forgets the retention rows of `eventIds` (after their originals were replaced). */
  clearRedactionRetention(eventIds: readonly string[]): Promise<void>;
}
