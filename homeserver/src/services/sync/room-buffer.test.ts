import { describe, expect, it } from 'vitest';
import type { Pdu } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { createRoomBuffer } from './room-buffer.js';

/** An events table in memory: what getEventsAfter and the stream position read. */
function fakeStorage() {
  const events: StoredEvent[] = [];
  let fetches = 0;
  const storage = {
    events: {
      getEventsAfter: async (after: number, limit: number) => {
        fetches += 1;
        return events.filter((event) => event.streamOrdering > after).slice(0, limit);
      },
    },
    streams: { current: async () => events.at(-1)?.streamOrdering ?? 0 },
  } as unknown as Pick<Storage, 'events' | 'streams'>;
  const add = (roomId: string, options: { type?: string; rejected?: boolean } = {}): StoredEvent => {
    const streamOrdering = events.length + 1;
    const event: StoredEvent = {
      eventId: `$e${streamOrdering}`,
      roomId,
      type: options.type ?? 'm.room.message',
      stateKey: null,
      sender: '@a:hs',
      depth: streamOrdering,
      originServerTs: streamOrdering,
      streamOrdering,
      pdu: { type: options.type ?? 'm.room.message', content: {} } as unknown as Pdu,
      outlier: false,
      rejectedReason: options.rejected === true ? 'bad' : null,
      redactedBy: null,
    };
    events.push(event);
    return event;
  };
  return { storage, add, fetches: () => fetches, position: () => events.length };
}

describe('room buffer', () => {
  it('knows nothing before it started, then every event after, with one fetch shared by concurrent syncs', async () => {
    const db = fakeStorage();
    db.add('!a');
    const buffer = createRoomBuffer(db.storage, { perRoom: 10, maxEvents: 100 });
    await buffer.catchUp(db.position());
    const start = db.position();
    expect(buffer.page('!a', 0, start, 10)).toBeNull();
    expect(buffer.roomsWithEvents(['!a'], 0, start).unknown).toEqual(['!a']);

    const fetchesBefore = db.fetches();
    const e2 = db.add('!a');
    db.add('!b', { rejected: true });
    const e4 = db.add('!a');
    await Promise.all(Array.from({ length: 20 }, () => buffer.catchUp(db.position())));
    expect(db.fetches() - fetchesBefore).toBe(1);

    expect(buffer.page('!a', start, db.position(), 10)?.events.map((e) => e.eventId)).toEqual([e2.eventId, e4.eventId]);
    expect(buffer.page('!a', e2.streamOrdering, db.position(), 10)?.events).toEqual([e4]);
    const limited = buffer.page('!a', start, db.position(), 1);
    expect(limited?.limited).toBe(true);
    expect(limited?.events).toEqual([e4]);
    // A full page is known even though the range starts before the buffer did.
    expect(buffer.page('!a', 0, db.position(), 1)?.events).toEqual([e4]);
    const rooms = buffer.roomsWithEvents(['!a', '!b', '!never'], start, db.position());
    expect([...rooms.withEvents]).toEqual(['!a']);
    expect(rooms.unknown).toEqual([]);
    // Beyond what it caught up with, it cannot tell.
    db.add('!a');
    expect(buffer.page('!a', start, db.position(), 10)).toBeNull();
  });

  it('keeps the newest events per room and forgets the least recently used rooms beyond its budget', async () => {
    const db = fakeStorage();
    const buffer = createRoomBuffer(db.storage, { perRoom: 3, maxEvents: 5 });
    await buffer.catchUp(0);
    for (let i = 0; i < 5; i += 1) db.add('!busy');
    await buffer.catchUp(db.position());
    expect(buffer.page('!busy', 0, db.position(), 10)).toBeNull();
    expect(buffer.page('!busy', 2, db.position(), 10)?.events.map((e) => e.streamOrdering)).toEqual([3, 4, 5]);
    const quietAt = db.position();
    db.add('!quiet');
    db.add('!other');
    db.add('!other');
    db.add('!other');
    await buffer.catchUp(db.position());
    expect(buffer.stats().events).toBeLessThanOrEqual(5);
    // !busy was the least recently used: dropped, so its range is unknown (not "no events").
    expect(buffer.roomsWithEvents(['!busy'], quietAt - 1, db.position()).unknown).toEqual(['!busy']);
    expect(buffer.page('!other', quietAt, db.position(), 10)?.events).toHaveLength(3);
  });

  it('forgets a room’s events before a redaction and resets on a gap too large to fetch', async () => {
    const db = fakeStorage();
    const buffer = createRoomBuffer(db.storage, { perRoom: 10, maxEvents: 100, fetchLimit: 4 });
    await buffer.catchUp(0);
    db.add('!a');
    const redaction = db.add('!a', { type: 'm.room.redaction' });
    await buffer.catchUp(db.position());
    expect(buffer.page('!a', 0, db.position(), 10)).toBeNull();
    expect(buffer.page('!a', redaction.streamOrdering - 1, db.position(), 10)?.events).toEqual([redaction]);

    const before = db.position();
    for (let i = 0; i < 6; i += 1) db.add('!a');
    await buffer.catchUp(db.position());
    expect(buffer.stats().complete).toBe(db.position());
    expect(buffer.page('!a', before, db.position(), 10)).toBeNull();
  });
});
