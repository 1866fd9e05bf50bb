/**
 * In-process caches of the write path, each safe across processes by construction:
 * - events by ID: an event ID names one immutable PDU (v3+ it is the PDU's hash; v1/v2 IDs are unique), so a
 *   cached PDU can never be wrong. Only the fields the builder needs are kept (no redaction or rejection marks).
 * - room tips: per room, the forward extremities and the state after them. A tip is only used for exactly the
 *   extremities it was made for, and the write transaction re-reads the extremities under the room lock, so a
 *   stale tip (another process wrote) costs a rebuild, never a wrong event.
 */
import type { Pdu } from '@parley/federation';
import type { StoredEvent } from '../../storage/index.js';
import type { StateBefore } from './state.js';

/** A Map bounded to `max` entries, evicting the least recently used. */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}

/** What building an event needs of another event (prev or auth event). */
export interface BuildingBlock {
  eventId: string;
  type: string;
  stateKey: string | null;
  depth: number;
  pdu: Pdu;
}

export function buildingBlockOf(event: Pick<StoredEvent, 'eventId' | 'type' | 'stateKey' | 'depth' | 'pdu'>): BuildingBlock {
  return { eventId: event.eventId, type: event.type, stateKey: event.stateKey, depth: event.depth, pdu: event.pdu };
}

/** The forward extremities of a room (sorted, as storage returns them) and the state a new event on them sees. */
export interface RoomTip {
  extremities: readonly string[];
  /** The state after the extremities a new local event references (all of them, up to MAX_LOCAL_PREV_EVENTS). */
  stateBeforeNext: StateBefore;
}

/** Events kept for building: the latest events of busy rooms and their auth events. */
export const MAX_CACHED_EVENTS = 4096;
/** Rooms whose tip is kept. */
export const MAX_CACHED_TIPS = 2048;

/** True when both sorted ID lists are the same. */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}
