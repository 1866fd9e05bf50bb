/**
 * State resolution v2 (room versions 2-11) and v2.1 (room version 12).
 * https://spec.matrix.org/v1.19/rooms/v2/#state-resolution
 * https://spec.matrix.org/v1.19/rooms/v12/#state-resolution
 */
import { stateKeyString, type Pdu } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';
import { AuthGraph } from './auth-chain.js';
import { authStateKeysFor, iterativeAuthChecks, type IterativeAuthOptions } from './iterative-auth.js';
import { mainlineOrder, reverseTopologicalPowerOrder } from './ordering.js';
import type { Authorize, StateMap, StateResStore } from './types.js';

const POWER_LEVELS_KEY = stateKeyString('m.room.power_levels', '');

/** Input to {@link resolveStateV2}. */
export interface ResolveV2Input {
  roomVersion: RoomVersion;
  stateSets: readonly StateMap[];
  store: StateResStore;
  authorize: Authorize;
}

/** The unconflicted state map, the conflicted state set, and each set's own conflicted events. */
export interface StateSplit {
  unconflicted: Map<string, string>;
  conflicted: Set<string>;
  /** For each input set, the event IDs it holds under conflicted keys. */
  conflictedPerSet: string[][];
}

/** Splits state sets into the unconflicted state map and the conflicted state set. */
export function splitConflicts(stateSets: readonly StateMap[]): StateSplit {
  const unconflicted = new Map<string, string>();
  const conflicted = new Set<string>();
  const conflictedPerSet: string[][] = stateSets.map(() => []);
  const keys = new Set<string>();
  for (const set of stateSets) for (const key of set.keys()) keys.add(key);
  for (const key of keys) {
    const first = stateSets[0]?.get(key);
    if (first !== undefined && stateSets.every((set) => set.get(key) === first)) {
      unconflicted.set(key, first);
      continue;
    }
    stateSets.forEach((set, index) => {
      const value = set.get(key);
      if (value === undefined) return;
      conflicted.add(value);
      conflictedPerSet[index]?.push(value);
    });
  }
  return { unconflicted, conflicted, conflictedPerSet };
}

/**
 * A power event: `m.room.power_levels`, `m.room.join_rules`, or an `m.room.member` leave or ban whose
 * sender is not its target (a kick or ban).
 */
export function isPowerEvent(pdu: Pdu): boolean {
  if (typeof pdu.state_key !== 'string') return false;
  if (pdu.type === 'm.room.power_levels' || pdu.type === 'm.room.join_rules') return true;
  if (pdu.type !== 'm.room.member') return false;
  const membership = pdu.content.membership;
  return (membership === 'leave' || membership === 'ban') && pdu.sender !== pdu.state_key;
}

/**
 * Resolves `stateSets` with state resolution v2, or v2.1 when the room version says so (the first
 * iterative auth checks start from an empty state, and the conflicted state subgraph joins the full
 * conflicted set).
 */
export async function resolveStateV2(input: ResolveV2Input): Promise<Map<string, string>> {
  const { roomVersion: version, stateSets, store } = input;
  const isV21 = version.stateResolution === 'v2.1';
  const { unconflicted, conflicted, conflictedPerSet } = splitConflicts(stateSets);
  // No conflicted key means every set is identical: the auth difference is empty too.
  if (conflicted.size === 0) return unconflicted;

  const graph = new AuthGraph(store);
  await graph.loadClosure(conflicted);
  const missing = [...conflicted].filter((id) => !graph.get(id));
  if (missing.length > 0) throw new Error(`state resolution: the store lacks conflicted state events ${missing.join(', ')}`);
  const createEventId = await loadImplicitCreateEvent(graph, version, conflicted);

  // The full conflicted set: conflicted state set ∪ auth difference (∪ conflicted state subgraph in v2.1).
  const commonChain = await unconflictedAuthChain(graph, store, [...unconflicted.values()]);
  const fullConflicted = new Set(conflicted);
  for (const id of graph.authDifference(commonChain, conflictedPerSet)) fullConflicted.add(id);
  if (isV21) for (const id of graph.conflictedSubgraph(conflicted)) fullConflicted.add(id);
  await loadAuthStateFor(graph, fullConflicted, unconflicted, version);

  // Step 1: power events and the parts of their auth chains inside the full conflicted set.
  const powerEvents = [...fullConflicted].filter((id) => {
    const node = graph.get(id);
    return node !== undefined && isPowerEvent(node.pdu);
  });
  const powerSet = new Set(powerEvents);
  for (const id of graph.authChainUnion(powerEvents)) if (fullConflicted.has(id)) powerSet.add(id);
  const createEvent = createEventId ? graph.get(createEventId)?.pdu : undefined;
  const sortedPower = reverseTopologicalPowerOrder(powerSet, { graph, version, createEvent });

  // Step 2: iterative auth checks from the unconflicted state (v2) or an empty state (v2.1).
  const options: IterativeAuthOptions = { graph, version, authorize: input.authorize, createEventId };
  const partial = iterativeAuthChecks(isV21 ? new Map() : new Map(unconflicted), sortedPower, options);

  // Steps 3-4: the other events by mainline ordering based on the partially resolved power levels.
  const others = [...fullConflicted].filter((id) => !powerSet.has(id));
  const powerLevelsId = partial.get(POWER_LEVELS_KEY);
  if (powerLevelsId !== undefined) await graph.loadClosure([powerLevelsId]);
  const sortedOthers = mainlineOrder(others, powerLevelsId, graph);
  const resolved = iterativeAuthChecks(partial, sortedOthers, options);

  // Step 5: the unconflicted state map wins over anything the checks wrote.
  for (const [key, eventId] of unconflicted) resolved.set(key, eventId);
  return resolved;
}

/**
 * The union of the auth chains of the unconflicted events, from the store's index when it has one, else
 * by loading and walking them.
 */
async function unconflictedAuthChain(graph: AuthGraph, store: StateResStore, ids: string[]): Promise<ReadonlySet<string>> {
  if (store.getAuthChainUnion) return new Set(await store.getAuthChainUnion(ids));
  await graph.loadClosure(ids);
  return graph.authChainUnion(ids);
}

/**
 * Loads the unconflicted events the iterative auth checks may read for the events they replay (the
 * conflicted events and their auth chains are loaded already).
 */
async function loadAuthStateFor(
  graph: AuthGraph,
  eventIds: Iterable<string>,
  unconflicted: StateMap,
  version: RoomVersion,
): Promise<void> {
  const needed = new Set<string>();
  for (const id of eventIds) {
    const node = graph.get(id);
    if (!node) continue;
    for (const key of authStateKeysFor(node.pdu, version)) {
      const eventId = unconflicted.get(key);
      if (eventId !== undefined) needed.add(eventId);
    }
  }
  await graph.load(needed);
}

/**
 * v12: events do not cite the create event, whose ID is the room ID's hash with a `$` sigil. Loads it
 * and returns its ID (undefined for other versions, where the create event is an auth event).
 * https://spec.matrix.org/v1.19/rooms/v12/#event-format
 */
async function loadImplicitCreateEvent(
  graph: AuthGraph,
  version: RoomVersion,
  someEventIds: Iterable<string>,
): Promise<string | undefined> {
  if (!version.roomIdIsCreateEventHash) return undefined;
  for (const id of someEventIds) {
    const roomId = graph.get(id)?.pdu.room_id;
    if (typeof roomId !== 'string') continue;
    const createEventId = `$${roomId.slice(1)}`;
    await graph.load([createEventId]);
    return createEventId;
  }
  return undefined;
}
