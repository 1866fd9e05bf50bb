/**
 * The two orderings of state resolution v2: reverse topological power ordering and mainline ordering.
 * https://spec.matrix.org/v1.19/rooms/v2/#definitions
 */
import { compareCodePoints } from '../json/canonical.js';
import type { Pdu } from '../events/pdu.js';
import { readPowerLevels, roomCreators, userPowerLevel } from '../auth/power-levels.js';
import type { RoomVersion } from '../room-versions/table.js';
import type { AuthGraph, AuthNode } from './auth-chain.js';

const POWER_LEVELS = 'm.room.power_levels';
const CREATE = 'm.room.create';

/** What power ordering needs to know about a room beyond the events themselves. */
export interface PowerContext {
  graph: AuthGraph;
  version: RoomVersion;
  /** v12: the create event, which is not in `auth_events` (found from the room ID). */
  createEvent?: Pdu;
}

/**
 * The sender's power level "when looking at their `auth_events`": from the cited power levels event,
 * else 100 for the room creator and 0 for anyone else (the auth rules' defaults). In v12 creators have
 * infinite power.
 */
export function senderPowerLevel(node: AuthNode, context: PowerContext): number {
  const { graph, version } = context;
  let powerLevels: Pdu | undefined;
  let create = context.createEvent;
  for (const id of node.authIds) {
    const auth = graph.get(id)?.pdu;
    if (auth?.state_key !== '') continue;
    if (auth.type === POWER_LEVELS) powerLevels = auth;
    else if (auth.type === CREATE) create ??= auth;
  }
  const creators = create ? roomCreators(create, version) : [];
  return userPowerLevel(node.pdu.sender, readPowerLevels(powerLevels?.content, version), creators, version);
}

/** A binary min-heap; small and local because Kahn's algorithm needs "pop the smallest candidate". */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i] as T, items[parent] as T)) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.less(items[left] as T, items[smallest] as T)) smallest = left;
      if (right < items.length && this.less(items[right] as T, items[smallest] as T)) smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest] as T, items[i] as T];
      i = smallest;
    }
    return top;
  }
}

interface PowerKey {
  id: string;
  power: number;
  ts: number;
}

function powerLess(x: PowerKey, y: PowerKey): boolean {
  if (x.power !== y.power) return x.power > y.power;
  if (x.ts !== y.ts) return x.ts < y.ts;
  return compareCodePoints(x.id, y.id) < 0;
}

/**
 * Sorts `ids` by the reverse topological power ordering: Kahn's algorithm over the auth DAG restricted to
 * `ids`, earliest first, taking at each step the candidate whose sender has the greatest power, then the
 * smallest `origin_server_ts`, then the smallest event ID. Events the store lacks are left out.
 */
export function reverseTopologicalPowerOrder(ids: Iterable<string>, context: PowerContext): string[] {
  const nodes = new Map<string, AuthNode>();
  for (const id of ids) {
    const node = context.graph.get(id);
    if (node) nodes.set(id, node);
  }
  // An event waits for its auth events within the set; `dependents` are the edges reversed.
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, node] of nodes) {
    const inSet = new Set(node.authIds.filter((authId) => nodes.has(authId) && authId !== id));
    waitingOn.set(id, inSet.size);
    for (const authId of inSet) {
      const list = dependents.get(authId);
      if (list) list.push(id);
      else dependents.set(authId, [id]);
    }
  }
  const heap = new MinHeap<PowerKey>(powerLess);
  const keyOf = (id: string, node: AuthNode): PowerKey => ({
    id,
    power: senderPowerLevel(node, context),
    ts: node.pdu.origin_server_ts,
  });
  for (const [id, count] of waitingOn) if (count === 0) heap.push(keyOf(id, nodes.get(id) as AuthNode));
  const sorted: string[] = [];
  while (heap.size > 0) {
    const { id } = heap.pop() as PowerKey;
    sorted.push(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = (waitingOn.get(dependent) as number) - 1;
      waitingOn.set(dependent, left);
      if (left === 0) heap.push(keyOf(dependent, nodes.get(dependent) as AuthNode));
    }
  }
  // NOTSPEC: a cycle in auth_events (only forgeable with v1/v2 server-chosen IDs) leaves events unsorted; they are dropped.
  return sorted;
}

/** The `m.room.power_levels` event cited in an event's `auth_events`, if any. */
function citedPowerLevels(node: AuthNode, graph: AuthGraph): AuthNode | undefined {
  for (const id of node.authIds) {
    const auth = graph.get(id);
    if (auth && auth.pdu.type === POWER_LEVELS && auth.pdu.state_key === '') return auth;
  }
  return undefined;
}

/**
 * Sorts `ids` by the mainline ordering based on the power levels event `powerLevelsId` (none: every
 * position is ∞): greater mainline position first, then smaller `origin_server_ts`, then smaller event ID.
 */
export function mainlineOrder(ids: Iterable<string>, powerLevelsId: string | undefined, graph: AuthGraph): string[] {
  // Position i of each mainline event P_i; walking back from P_0 through cited power levels events.
  const positions = new Map<string, number>();
  const visited = new Set<string>();
  for (let node = powerLevelsId ? graph.get(powerLevelsId) : undefined; node && !visited.has(node.eventId); ) {
    visited.add(node.eventId);
    positions.set(node.eventId, positions.size);
    node = citedPowerLevels(node, graph);
  }
  // Memoised: every power levels event walked past gets the position its walk ended on.
  const memo = new Map<string, number>();
  const positionOf = (start: AuthNode): number => {
    const walked: string[] = [];
    let position = Number.POSITIVE_INFINITY;
    const seen = new Set<string>();
    for (let node = citedPowerLevels(start, graph); node && !seen.has(node.eventId); node = citedPowerLevels(node, graph)) {
      seen.add(node.eventId);
      const known = positions.get(node.eventId) ?? memo.get(node.eventId);
      if (known !== undefined) {
        position = known;
        break;
      }
      walked.push(node.eventId);
    }
    for (const id of walked) memo.set(id, position);
    return position;
  };
  const keyed: { id: string; position: number; ts: number }[] = [];
  for (const id of ids) {
    const node = graph.get(id);
    if (node) keyed.push({ id, position: positionOf(node), ts: node.pdu.origin_server_ts });
  }
  keyed.sort((x, y) => {
    if (x.position !== y.position) return x.position > y.position ? -1 : 1;
    if (x.ts !== y.ts) return x.ts - y.ts;
    return compareCodePoints(x.id, y.id);
  });
  return keyed.map((entry) => entry.id);
}
