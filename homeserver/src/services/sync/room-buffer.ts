/**
 * The per-process buffer of recent room events that woken syncs read their timelines from.
 *
 * The buffer is complete up to `complete`: it holds, for each room it has an entry for, every accepted timeline
 * event with `lo < streamOrdering <= complete` (the newest `perRoom` of them), and it knows that rooms without an
 * entry had no event in `(absentFloor, complete]`. It catches up with one fetch of the events stream shared by every
 * sync of the process (`events` positions commit in order, so every position up to one the sync read is there), in
 * one process or many: another process's writes arrive through the same fetch. A redaction resets its room's entry
 * (the targets held there are stale); a gap too large to fetch resets the whole buffer.
 * Per-user work (history visibility, ignored users, filters, formatting) is not done here: it stays per sync.
 */
import type { Storage, StoredEvent } from '../../storage/index.js';
import { roomPaginationToken, type RoomEventsPage } from '../rooms/index.js';

export interface RoomBufferOptions {
  /** Events kept per room (the newest). */
  perRoom: number;
  /** Events kept over all rooms; least recently used rooms are dropped beyond. */
  maxEvents: number;
  /** Most events one catch-up fetches; a larger gap resets the buffer. */
  fetchLimit?: number;
}

export interface RoomBuffer {
  /** Makes the buffer complete up to `position` (at most one fetch in flight, shared). */
  catchUp(position: number): Promise<void>;
  /**
   * The room's page of `(from, to]` (the newest `limit` events, oldest first, as the rooms domain's getRoomEvents
   * returns it), or null when the buffer cannot tell it.
   */
  page(roomId: string, from: number, to: number, limit: number): RoomEventsPage | null;
  /** Which of `roomIds` have events in `(from, to]`, and the rooms the buffer cannot tell about. */
  roomsWithEvents(roomIds: readonly string[], from: number, to: number): { withEvents: Set<string>; unknown: string[] };
  stats(): { rooms: number; events: number; complete: number };
}

interface Entry {
  /** Every accepted event of the room after `lo` (up to `complete`) is in `events`, oldest first. */
  lo: number;
  events: StoredEvent[];
}

const DEFAULT_FETCH_LIMIT = 1_000;

export function createRoomBuffer(storage: Pick<Storage, 'events' | 'streams'>, options: RoomBufferOptions): RoomBuffer {
  const fetchLimit = options.fetchLimit ?? DEFAULT_FETCH_LIMIT;
  /** Insertion order is recency of use: the first entry is the least recently used. */
  const rooms = new Map<string, Entry>();
  let total = 0;
  let complete: number | null = null;
  let absentFloor = 0;
  let inflight: Promise<void> | null = null;

  function reset(position: number): void {
    rooms.clear();
    total = 0;
    complete = position;
    absentFloor = position;
  }

  function entryOf(roomId: string): Entry {
    let entry = rooms.get(roomId);
    if (!entry) rooms.set(roomId, (entry = { lo: absentFloor, events: [] }));
    return entry;
  }

  function add(event: StoredEvent): void {
    if (event.rejectedReason !== null || event.outlier) return;
    const entry = entryOf(event.roomId);
    if (event.type === 'm.room.redaction') {
      // The target held here (if any) may now be redacted: forget what came before the redaction.
      total -= entry.events.length;
      entry.events = [];
      entry.lo = event.streamOrdering - 1;
    }
    entry.events.push(event);
    total += 1;
    while (entry.events.length > options.perRoom) {
      const dropped = entry.events.shift() as StoredEvent;
      entry.lo = dropped.streamOrdering;
      total -= 1;
    }
  }

  function evict(): void {
    for (const [roomId, entry] of rooms) {
      if (total <= options.maxEvents) return;
      rooms.delete(roomId);
      total -= entry.events.length;
      absentFloor = Math.max(absentFloor, entry.events.at(-1)?.streamOrdering ?? entry.lo);
    }
  }

  async function fetchUpTo(position: number): Promise<void> {
    if (complete === null) {
      // Started now: nothing is known before the current position.
      reset(Math.max(position, await storage.streams.current('events')));
      return;
    }
    const from = complete;
    const events = await storage.events.getEventsAfter(from, fetchLimit);
    if (complete !== from) return;
    if (events.length >= fetchLimit) {
      reset(Math.max(position, events.at(-1)?.streamOrdering ?? position));
      return;
    }
    for (const event of events) add(event);
    complete = Math.max(position, events.at(-1)?.streamOrdering ?? from);
    evict();
  }

  /** Coverage of the room: every event after `lo` up to `complete` is in `events`. */
  function coverage(roomId: string): Entry {
    const entry = rooms.get(roomId);
    if (!entry) return { lo: absentFloor, events: [] };
    rooms.delete(roomId);
    rooms.set(roomId, entry);
    return entry;
  }

  function eventsIn(entry: Entry, from: number, to: number): StoredEvent[] {
    return entry.events.filter((event) => event.streamOrdering > from && event.streamOrdering <= to);
  }

  return {
    async catchUp(position) {
      while (complete === null || position > complete) {
        if (!inflight) inflight = fetchUpTo(position).finally(() => (inflight = null));
        await inflight;
      }
    },

    page(roomId, from, to, limit) {
      if (complete === null || to > complete) return null;
      const entry = coverage(roomId);
      // Historical events (older than the room's tips when they arrived) are held, so the room still counts as
      // having events, but a timeline never shows them as new (spec/pipeline.md, "Ordering").
      const inRange = eventsIn(entry, from, to).filter((event) => event.historical !== true);
      const limited = inRange.length > limit;
      // The range starts before what the buffer holds: only a page already full is known.
      if (from < entry.lo && !limited) return null;
      const events = inRange.slice(inRange.length - Math.min(limit, inRange.length));
      const oldest = events[0];
      return { events, limited, prevBatch: roomPaginationToken(oldest ? oldest.streamOrdering - 1 : to) };
    },

    roomsWithEvents(roomIds, from, to) {
      const withEvents = new Set<string>();
      const unknown: string[] = [];
      for (const roomId of roomIds) {
        if (complete === null || to > complete) {
          unknown.push(roomId);
          continue;
        }
        const entry = coverage(roomId);
        if (eventsIn(entry, from, to).length > 0) withEvents.add(roomId);
        else if (from < entry.lo) unknown.push(roomId);
      }
      return { withEvents, unknown };
    },

    stats: () => ({ rooms: rooms.size, events: total, complete: complete ?? 0 }),
  };
}
