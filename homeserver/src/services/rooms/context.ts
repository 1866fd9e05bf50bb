/** What the parts of the rooms service share: dependencies, caches, the per-room mutex and the listeners. */
import { getRoomVersion, type RoomVersion } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { BuildingBlock, LruMap, RoomTip } from './caches.js';
import type { KeyedMutex } from './keyed-mutex.js';
import type { GroupCache } from './state.js';
import type { DerivedRowsWriter, EventPersistedListener, RoomsCallbacks } from './types.js';

export interface RoomsContext {
  deps: CoreDeps;
  callbacks: RoomsCallbacks;
  /** How long redacted originals are kept. */
  redactionRetentionMs: number;
  groups: GroupCache;
  /** Prev and auth events for building local events (see caches.ts). */
  events: LruMap<string, BuildingBlock>;
  /** Per room: the forward extremities and the state after them, as last written here (see caches.ts). */
  tips: LruMap<string, RoomTip>;
  mutex: KeyedMutex;
  listeners: Set<EventPersistedListener>;
  /** Written in each event's transaction (see persist.ts). */
  derivedWriters: DerivedRowsWriter[];
  /**
   * Per room: the tip after a local event that is queued but not committed yet, which the room's next local event
   * may build on (local-event.ts). Dropped when that event's write settles.
   */
  pendingTips: Map<string, RoomTip>;
  /** Room versions never change: cached by room ID. */
  versions: Map<string, RoomVersion>;
}

/** Default retention of redacted originals: 7 days. */
export const DEFAULT_REDACTION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The room's version, or null when the room is unknown. */
export async function findRoomVersionOf(ctx: RoomsContext, storage: Storage, roomId: string): Promise<RoomVersion | null> {
  const cached = ctx.versions.get(roomId);
  if (cached !== undefined) return cached;
  const room = await storage.rooms.getRoom(roomId);
  if (room === null) return null;
  const version = getRoomVersion(room.roomVersion);
  ctx.versions.set(roomId, version);
  return version;
}

/** The room's version; 404 M_NOT_FOUND for an unknown room. */
export async function requireRoomVersion(ctx: RoomsContext, storage: Storage, roomId: string): Promise<RoomVersion> {
  const version = await findRoomVersionOf(ctx, storage, roomId);
  if (version === null) throw new MatrixError(404, 'M_NOT_FOUND', `Unknown room ${roomId}`);
  return version;
}
