/**
 * Storage: the repository interfaces services use. This file is the only part of `storage/` that
 * `services/` may import; the knex implementation lives in `knex/` and is chosen in `main.ts`.
 *
 * No driver or query-builder types appear here. Timestamps are milliseconds since the Unix epoch,
 * keys are unpadded base64, events are stored exactly as the PDU JSON we accepted.
 */
import type { Pdu } from '@parley/federation';
import type { AccountStore } from './accounts.js';
import type { EphemeralStore } from './ephemeral.js';
import type { PushStore } from './push.js';
import type { RoomStateStore } from './room-state.js';
import type { SearchStore } from './search.js';
import type { SyncStore } from './sync.js';
import type { UserDataStore } from './user-data.js';
import type { KeyBackupStore } from './key-backup.js';
import type { JobLeaseStore } from './leases.js';
import type { ToDeviceStore } from './to-device.js';
import type { E2eeStore } from './e2ee.js';
import type { StreamReaderStore } from './stream-readers.js';
import type { OpenIdTokenStore } from './openid.js';

export type * from './accounts.js';
export type * from './ephemeral.js';
export type * from './push.js';
export type * from './room-state.js';
export type * from './search.js';
export type * from './sync.js';
export type * from './user-data.js';
export type * from './key-backup.js';
export type * from './to-device.js';
export type * from './e2ee.js';
export type * from './stream-readers.js';
export type * from './leases.js';
export type * from './openid.js';

// ---------------------------------------------------------------------------------------------
// Server keys

/**
 * One of our own ed25519 signing keys (public half only; the private key stays in the key file).
 * https://spec.matrix.org/v1.19/server-server-api/#publishing-keys
 */
export interface OwnSigningKey {
  /** e.g. `ed25519:a_AbCd` */
  keyId: string;
  /** Unpadded base64 public key. */
  publicKey: string;
  /** Until when servers may cache this key (`valid_until_ts`). */
  validUntilTs: number;
  /** When set, the key has been retired and is published under `old_verify_keys` with this `expired_ts`. */
  expiredTs: number | null;
}

/**
 * A verify key of another server, from its `/_matrix/key/v2/server` response or a notary.
 * https://spec.matrix.org/v1.19/server-server-api/#retrieving-server-keys
 */
export interface RemoteServerKey {
  serverName: string;
  keyId: string;
  publicKey: string;
  /** `valid_until_ts` of the response the key came in (0 for `old_verify_keys`). */
  validUntilTs: number;
  /** Set for keys that came from `old_verify_keys`. */
  expiredTs: number | null;
  /** When we fetched it. */
  fetchedTs: number;
  /** The signed key response the key came from, kept so we can serve it as a notary. */
  responseJson: string | null;
}

/** Our own keys and the keys we learned from other servers. */
export interface ServerKeyRepository {
  /** Inserts or replaces one of our keys (matched by key ID). */
  saveOwnKey(key: OwnSigningKey): Promise<void>;
  /** All our keys, current and expired, ordered by key ID. */
  getOwnKeys(): Promise<OwnSigningKey[]>;
  /** Inserts or replaces remote keys (matched by server name and key ID). */
  storeRemoteKeys(keys: readonly RemoteServerKey[]): Promise<void>;
  /** The stored keys of `serverName`; only the given key IDs when `keyIds` is passed. Ordered by key ID. */
  getRemoteKeys(serverName: string, keyIds?: readonly string[]): Promise<RemoteServerKey[]>;
}

// ---------------------------------------------------------------------------------------------
// Stream positions

/**
 * The streams a sync token tracks. Each has its own monotonic position.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
export const STREAM_NAMES = [
  'events',
  'receipts',
  'typing',
  'presence',
  'account_data',
  'to_device',
  'device_lists',
  'key_counts',
] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/**
 * Monotonic positions per stream, shared by every process of a deployment.
 *
 * `next()` called inside {@link Storage.transaction} holds the stream's row lock until that
 * transaction ends, so positions become visible in the order they were handed out: a reader that
 * sees position N has also seen every position below N that will ever commit. A rolled-back
 * transaction gives its position back.
 */
export interface StreamPositions {
  /** Allocates the next position of `stream` (strictly greater than any before it; starts at 1). */
  next(stream: StreamName): Promise<number>;
  /** The highest position handed out and committed so far (0 before the first). */
  current(stream: StreamName): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Rooms

/** A room this server knows about. */
export interface RoomRecord {
  roomId: string;
  roomVersion: string;
  /** Sender of the `m.room.create` event. */
  creator: string;
  /** Listed in our public room directory. */
  isPublic: boolean;
}

export interface RoomRepository {
  /** Records a room; does nothing and returns false if its ID is already known (a version never changes). */
  addRoom(room: RoomRecord): Promise<boolean>;
  getRoom(roomId: string): Promise<RoomRecord | null>;
  /** Lists or unlists a room in the public directory. */
  setPublic(roomId: string, isPublic: boolean): Promise<void>;
  /** Whether the room's state is known only partially (a fast federated join in progress); false if unknown. */
  hasPartialState(roomId: string): Promise<boolean>;
  /** Marks the room's state partial (joining) or complete (the full state arrived). */
  setPartialState(roomId: string, partial: boolean): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Events

/** What the caller knows about an event it wants to persist. */
export interface NewEvent {
  eventId: string;
  roomId: string;
  /** The PDU as accepted; stored as JSON and returned unchanged. Its edges are read from here. */
  pdu: Pdu;
  /** Events we hold without their place in the DAG (fetched for auth chains, invites). */
  outlier: boolean;
  /** Why the auth rules rejected it, or null if accepted. */
  rejectedReason: string | null;
  /** Its depth is below the room's newest (backfill, a late branch): left out of sync timelines. Default false. */
  historical?: boolean;
}

/** An event as stored. */
export interface StoredEvent {
  eventId: string;
  roomId: string;
  type: string;
  stateKey: string | null;
  sender: string;
  depth: number;
  originServerTs: number;
  /** Its position on the `events` stream. */
  streamOrdering: number;
  pdu: Pdu;
  outlier: boolean;
  rejectedReason: string | null;
  /** Event ID of the redaction applied to it, if any. */
  redactedBy: string | null;
  /** Arrived with a depth below the room's newest: not new to sync (see spec/pipeline.md "Ordering"). */
  historical?: boolean;
  /** Persisting it changed the room's current state by state resolution (not only by its own entry). */
  stateResolved?: boolean;
}

/** The DAG edges recorded for one event. */
export interface EventEdges {
  prevEventIds: string[];
  authEventIds: string[];
}

/** The result of {@link EventRepository.persist}. */
export interface PersistResult {
  streamOrdering: number;
  /** False when the event was already stored (nothing was written). */
  inserted: boolean;
}

/** One entry of a room's current state. */
export interface StateEntry {
  type: string;
  stateKey: string;
  eventId: string;
}

/** A change to a room's current state: entries to set (replacing) and keys to remove. */
export interface CurrentStateDelta {
  set: readonly StateEntry[];
  remove: readonly { type: string; stateKey: string }[];
}

/** A window of a room's timeline by stream position (see {@link EventRepository.getRoomEventsByStream}). */
export interface RoomStreamQuery {
  /** Exclusive lower bound. */
  after?: number;
  /** Inclusive upper bound. */
  upTo?: number;
  direction: 'forward' | 'backward';
  limit: number;
  /** Leave out historical events (sync timelines). */
  liveOnly?: boolean;
}

/** A point of a room's topological order: between events, ordered by (depth, stream ordering). */
export interface TopologicalPoint {
  depth: number;
  stream: number;
}

/**
 * A window of a room's timeline in topological order. `backward`: events at or before `from` and after `to`,
 * newest first; `forward`: events after `from` and at or before `to`, oldest first.
 */
export interface RoomTopologyQuery {
  from: TopologicalPoint;
  to?: TopologicalPoint;
  direction: 'forward' | 'backward';
  limit: number;
}

/** A change to a room's forward extremities. */
export interface ExtremitiesDelta {
  add: readonly string[];
  remove: readonly string[];
}

/**
 * Room events and their DAG. Persisting, extremity and state changes are separate steps so the
 * rooms service decides them; run them together in {@link Storage.transaction}.
 */
export interface EventRepository {
  /**
   * Stores an event with its `prev_events` and `auth_events` edges and a fresh `events` stream
   * position, all in one transaction. Idempotent: a known event ID writes nothing.
   */
  persist(event: NewEvent): Promise<PersistResult>;
  /** The stored events among `eventIds`, in the order asked, skipping unknown IDs. */
  getEvents(eventIds: readonly string[]): Promise<StoredEvent[]>;
  /** Which of `eventIds` are stored. */
  haveEvents(eventIds: readonly string[]): Promise<Set<string>>;
  /** The recorded edges of each known event among `eventIds`. */
  getEdges(eventIds: readonly string[]): Promise<Map<string, EventEdges>>;
  /** Records that `redactionEventId` redacts `eventId`. */
  markRedacted(eventId: string, redactionEventId: string): Promise<void>;
  /** Replaces the stored JSON of an event (purging a redacted original: `pdu` is its redacted form). */
  replaceEventJson(eventId: string, pdu: Pdu): Promise<void>;
  /**
   * A room's accepted (not rejected), non-outlier events by stream position, for timelines: those with
   * `after < streamOrdering <= upTo` (either bound optional), oldest first for `forward`, newest first for
   * `backward`, at most `limit`.
   */
  getRoomEventsByStream(roomId: string, options: RoomStreamQuery): Promise<StoredEvent[]>;
  /** The room's latest accepted, non-outlier event at or before stream position `position`, or null. */
  getLastEventAtOrBefore(roomId: string, position: number): Promise<StoredEvent | null>;
  /** A room's accepted, non-outlier events by (depth, stream ordering), for /messages and /context. */
  getRoomEventsByTopology(roomId: string, query: RoomTopologyQuery): Promise<StoredEvent[]>;
  /**
   * The topological point just after everything a client had at stream position `position`: that of the room's
   * latest live (non-historical) accepted event at or before it; null when the room had none.
   */
  getTopologicalPointAt(roomId: string, position: number): Promise<TopologicalPoint | null>;
  /** Flags an event whose persisting changed the room's current state by state resolution. */
  markStateResolved(eventId: string): Promise<void>;
  /**
   * Every room's non-outlier events (accepted and rejected) with `streamOrdering > after`, oldest first, at most
   * `limit`: what the durable stream readers process.
   */
  getEventsAfter(after: number, limit: number): Promise<StoredEvent[]>;

  /** The room's forward extremities (events with no children yet), sorted. */
  getForwardExtremities(roomId: string): Promise<string[]>;
  updateForwardExtremities(roomId: string, delta: ExtremitiesDelta): Promise<void>;

  /** The room's whole current state. */
  getCurrentState(roomId: string): Promise<StateEntry[]>;
  /** The event ID of one current state entry, or null. */
  getCurrentStateEventId(roomId: string, type: string, stateKey: string): Promise<string | null>;
  updateCurrentState(roomId: string, delta: CurrentStateDelta): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Aggregate

/** Everything the services persist, plus transactions over all of it. */
export interface Storage {
  readonly serverKeys: ServerKeyRepository;
  readonly streams: StreamPositions;
  readonly rooms: RoomRepository;
  readonly events: EventRepository;
  readonly accounts: AccountStore;
  readonly roomState: RoomStateStore;
  readonly ephemeral: EphemeralStore;
  readonly push: PushStore;
  readonly search: SearchStore;
  readonly sync: SyncStore;
  readonly userData: UserDataStore;
  readonly keyBackup: KeyBackupStore;
  readonly toDevice: ToDeviceStore;
  readonly e2ee: E2eeStore;
  readonly streamReaders: StreamReaderStore;
  readonly leases: JobLeaseStore;
  readonly openIdTokens: OpenIdTokenStore;
  /**
   * Runs `fn` with a Storage whose every call belongs to one database transaction: committed when
   * `fn` resolves, rolled back entirely when it throws. Nested calls become savepoints.
   * Inside `fn` use only the `tx` it is given: on SQLite (one connection) a call on the outer Storage
   * would wait for this very transaction to end.
   */
  transaction<T>(fn: (tx: Storage) => Promise<T>): Promise<T>;
}
