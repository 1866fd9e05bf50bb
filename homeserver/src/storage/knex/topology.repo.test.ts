/**
 * The topological order of a room's events (depth, then stream ordering), the historical and state-resolved
 * flags, and the partial-state flag of rooms (migration 0018).
 */
import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { testEvent, uniqueId } from '../testing/fixtures.js';

forEachDatabase('topological order', (getStorage) => {
  async function room() {
    const { events } = getStorage();
    const roomId = uniqueId('!');
    const create = testEvent({ roomId, type: 'm.room.create', stateKey: '', depth: 1 });
    const a2 = testEvent({ roomId, depth: 2, prevEvents: [create.eventId] });
    const a3 = testEvent({ roomId, depth: 3, prevEvents: [a2.eventId] });
    // Arrives last, one below the newest depth: historical.
    const late = { ...testEvent({ roomId, depth: 2, prevEvents: [create.eventId] }), historical: true };
    const streams = new Map<string, number>();
    for (const event of [create, a2, a3, late]) streams.set(event.eventId, (await events.persist(event)).streamOrdering);
    return { roomId, create, a2, a3, late, streams };
  }

  it('pages by depth then arrival, both ways, with bounds', async () => {
    const { events } = getStorage();
    const { roomId, create, a2, a3, late } = await room();
    const ids = (list: { eventId: string }[]) => list.map((event) => event.eventId);
    const top = { depth: Number.MAX_SAFE_INTEGER, stream: Number.MAX_SAFE_INTEGER };
    expect(ids(await events.getRoomEventsByTopology(roomId, { from: top, direction: 'backward', limit: 10 }))).toEqual([
      a3.eventId,
      late.eventId,
      a2.eventId,
      create.eventId,
    ]);
    const start = { depth: 0, stream: 0 };
    expect(ids(await events.getRoomEventsByTopology(roomId, { from: start, direction: 'forward', limit: 2 }))).toEqual([create.eventId, a2.eventId]);
    const [storedA2] = await events.getEvents([a2.eventId]);
    const atA2 = { depth: 2, stream: storedA2?.streamOrdering ?? 0 };
    // Forward from just after a2, up to and including a3.
    expect(
      ids(await events.getRoomEventsByTopology(roomId, { from: atA2, to: { depth: 3, stream: top.stream }, direction: 'forward', limit: 10 })),
    ).toEqual([late.eventId, a3.eventId]);
    // Backward from a2 (inclusive), down to but excluding the create event.
    const [storedCreate] = await events.getEvents([create.eventId]);
    const atCreate = { depth: 1, stream: storedCreate?.streamOrdering ?? 0 };
    expect(ids(await events.getRoomEventsByTopology(roomId, { from: atA2, to: atCreate, direction: 'backward', limit: 10 }))).toEqual([a2.eventId]);
  });

  it('maps a stream position to the point of the latest live event, and flags historical events', async () => {
    const { events } = getStorage();
    const { roomId, a3, late, streams } = await room();
    const lateStream = streams.get(late.eventId) as number;
    expect(await events.getTopologicalPointAt(roomId, lateStream)).toEqual({ depth: 3, stream: streams.get(a3.eventId) });
    expect(await events.getTopologicalPointAt(roomId, 0)).toBeNull();
    const [storedLate, storedA3] = await events.getEvents([late.eventId, a3.eventId]);
    expect(storedLate?.historical).toBe(true);
    expect(storedA3?.historical).toBeUndefined();
    // Sync timelines leave historical events out.
    const live = await events.getRoomEventsByStream(roomId, { direction: 'backward', limit: 10, liveOnly: true });
    expect(live.map((event) => event.eventId)).not.toContain(late.eventId);
    expect(live).toHaveLength(3);
    await events.markStateResolved(a3.eventId);
    expect((await events.getEvents([a3.eventId]))[0]?.stateResolved).toBe(true);
    const hidden = await getStorage().sync.getRoomsWithHiddenStateChanges([roomId], 0, lateStream);
    expect([...hidden]).toEqual([roomId]);
    expect([...(await getStorage().sync.getRoomsWithHiddenStateChanges([roomId], lateStream, lateStream + 5))]).toEqual([]);
  });

  it('keeps a partial-state flag per room', async () => {
    const { rooms } = getStorage();
    const roomId = uniqueId('!');
    await rooms.addRoom({ roomId, roomVersion: '12', creator: '@a:test.example', isPublic: false });
    expect(await rooms.hasPartialState(roomId)).toBe(false);
    await rooms.setPartialState(roomId, true);
    expect(await rooms.hasPartialState(roomId)).toBe(true);
    await rooms.setPartialState(roomId, false);
    expect(await rooms.hasPartialState(roomId)).toBe(false);
    expect(await rooms.hasPartialState(uniqueId('!'))).toBe(false);
  });
});
