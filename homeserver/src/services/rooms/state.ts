/**
 * Room state as maps `stateKeyString(type, stateKey) → event ID`: state groups read through a cache, the state
 * after a set of events (resolved with state resolution when they differ), and the StateResStore over storage.
 * https://spec.matrix.org/v1.19/server-server-api/#room-state-resolution
 */
import { resolveState, stateKeyString, type RoomVersion, type StateResEvent, type StateResStore } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';

export type StateMap = ReadonlyMap<string, string>;

/** Immutable snapshots by group id. Groups never change once committed, so caching them is always safe. */
export interface GroupCache {
  get(groupId: number): StateMap | undefined;
  put(groupId: number, state: StateMap): void;
}

/**
 * Most state entries (summed over the cached groups) kept. Bounded by entries rather than groups: a user in 500
 * small rooms needs a few thousand small groups, one large room's group alone may hold 10^5 members.
 */
export const MAX_CACHED_STATE_ENTRIES = 250_000;

/** A bounded LRU of committed groups. */
export function createGroupCache(maxEntries = MAX_CACHED_STATE_ENTRIES): GroupCache {
  const groups = new Map<number, StateMap>();
  let entries = 0;
  const remove = (groupId: number): void => {
    const state = groups.get(groupId);
    if (state === undefined) return;
    groups.delete(groupId);
    entries -= state.size;
  };
  return {
    get(groupId) {
      const state = groups.get(groupId);
      if (state !== undefined) {
        groups.delete(groupId);
        groups.set(groupId, state);
      }
      return state;
    },
    put(groupId, state) {
      remove(groupId);
      groups.set(groupId, state);
      entries += state.size;
      // Keep at least the newest group, however large.
      while (entries > maxEntries && groups.size > 1) remove(groups.keys().next().value as number);
    },
  };
}

/**
 * A cache view for one write transaction: reads fall through to the shared cache, writes stay local until
 * `commit()` (after the transaction committed), because a rolled-back group id may be handed out again.
 */
export interface PendingGroupCache extends GroupCache {
  commit(): void;
}

export function pendingGroupCache(shared: GroupCache): PendingGroupCache {
  const local = new Map<number, StateMap>();
  return {
    get: (groupId) => local.get(groupId) ?? shared.get(groupId),
    put: (groupId, state) => void local.set(groupId, state),
    commit() {
      for (const [groupId, state] of local) shared.put(groupId, state);
    },
  };
}

/** The full state of a group as a map. */
export async function loadGroup(storage: Storage, cache: GroupCache, groupId: number): Promise<StateMap> {
  const cached = cache.get(groupId);
  if (cached !== undefined) return cached;
  const entries = await storage.roomState.getStateGroup(groupId);
  const state = new Map(entries.map((entry) => [stateKeyString(entry.type, entry.stateKey), entry.eventId]));
  cache.put(groupId, state);
  return state;
}

/** The full states of several groups, the ones not cached read together. */
export async function loadGroups(storage: Storage, cache: GroupCache, groupIds: readonly number[]): Promise<Map<number, StateMap>> {
  const states = new Map<number, StateMap>();
  const missing: number[] = [];
  for (const groupId of new Set(groupIds)) {
    const cached = cache.get(groupId);
    if (cached === undefined) missing.push(groupId);
    else states.set(groupId, cached);
  }
  if (missing.length === 0) return states;
  for (const [groupId, entries] of await storage.roomState.getStateGroups(missing)) {
    const state = new Map(entries.map((entry) => [stateKeyString(entry.type, entry.stateKey), entry.eventId]));
    cache.put(groupId, state);
    states.set(groupId, state);
  }
  return states;
}

/** The state before the next event, as read from its prev events. `group` is set when it is an existing snapshot. */
export interface StateBefore {
  state: StateMap;
  /** The existing group holding exactly `state`, or null when `state` was resolved and needs a new group. */
  group: number | null;
  /** A nearby group to store a resolved `state` as a delta against. */
  parentGroup: number | null;
}

/**
 * The state after `prevEventIds` (the state before a new event that references them): the after-snapshot of a
 * single prev event, or the states after each resolved with the room version's state resolution.
 * Throws when a prev event has no recorded state (an outlier or an unknown event).
 */
export async function stateAfterEvents(
  storage: Storage,
  cache: GroupCache,
  roomVersion: RoomVersion,
  prevEventIds: readonly string[],
): Promise<StateBefore> {
  if (prevEventIds.length === 0) return { state: new Map(), group: null, parentGroup: null };
  const refs = await storage.roomState.getEventState(prevEventIds);
  const groups = new Set<number>();
  for (const eventId of prevEventIds) {
    const ref = refs.get(eventId);
    if (ref === undefined) throw new Error(`no state recorded for prev event ${eventId}`);
    groups.add(ref.afterGroup);
  }
  const groupIds = [...groups];
  const first = groupIds[0] as number;
  if (groupIds.length === 1) return { state: await loadGroup(storage, cache, first), group: first, parentGroup: null };
  const stateSets = await Promise.all(groupIds.map((id) => loadGroup(storage, cache, id)));
  const resolved = await resolveState({ roomVersion, stateSets, store: stateResStore(storage) });
  return { state: resolved, group: null, parentGroup: first };
}

/** Resolves several state maps (e.g. the states after each forward extremity) into one. */
export async function resolveStates(storage: Storage, roomVersion: RoomVersion, stateSets: readonly StateMap[]): Promise<StateMap> {
  if (stateSets.length === 1) return stateSets[0] as StateMap;
  return resolveState({ roomVersion, stateSets, store: stateResStore(storage) });
}

/** State resolution reads events from storage; events the auth rules rejected are marked. */
export function stateResStore(storage: Storage): StateResStore {
  return {
    async getEvents(ids) {
      const events = await storage.events.getEvents(ids);
      return new Map(events.map((event): [string, StateResEvent] => [event.eventId, toStateResEvent(event)]));
    },
  };
}

function toStateResEvent(event: StoredEvent): StateResEvent {
  return { eventId: event.eventId, pdu: event.pdu, rejected: event.rejectedReason !== null };
}

/** The changes that turn `from` into `to`. */
export function diffStates(from: StateMap, to: StateMap): { set: [string, string][]; remove: string[] } {
  const set: [string, string][] = [];
  const remove: string[] = [];
  for (const [key, eventId] of to) if (from.get(key) !== eventId) set.push([key, eventId]);
  for (const key of from.keys()) if (!to.has(key)) remove.push(key);
  return { set, remove };
}
