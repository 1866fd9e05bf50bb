import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { testEvent, uniqueId } from '../testing/fixtures.js';
import type { NewEvent } from '../index.js';

forEachDatabase('Storage.transaction', (getStorage) => {
  it('commits every write together when the function resolves', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const event = testEvent({ roomId, prevEvents: ['$p'] });
    const result = await storage.transaction(async (tx) => {
      await tx.rooms.addRoom({ roomId, roomVersion: '12', creator: '@a:x', isPublic: false });
      const persisted = await tx.events.persist(event);
      await tx.events.updateForwardExtremities(roomId, { add: [event.eventId], remove: [] });
      return persisted;
    });
    expect(result.inserted).toBe(true);
    expect(await storage.rooms.getRoom(roomId)).not.toBeNull();
    expect(await storage.events.haveEvents([event.eventId])).toEqual(new Set([event.eventId]));
    expect(await storage.events.getForwardExtremities(roomId)).toEqual([event.eventId]);
  });

  it('rolls back everything, edges and stream position included, when the function throws midway', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const first = testEvent({ roomId, prevEvents: ['$p'], authEvents: ['$a'] });
    const second = testEvent({ roomId, prevEvents: [first.eventId] });
    const positionBefore = await storage.streams.current('events');

    await expect(
      storage.transaction(async (tx) => {
        await tx.rooms.addRoom({ roomId, roomVersion: '12', creator: '@a:x', isPublic: false });
        await tx.events.persist(first);
        await tx.events.persist(second);
        await tx.events.updateCurrentState(roomId, { set: [{ type: 't', stateKey: '', eventId: first.eventId }], remove: [] });
        throw new Error('midway');
      }),
    ).rejects.toThrow('midway');

    expect(await storage.rooms.getRoom(roomId)).toBeNull();
    expect(await storage.events.haveEvents([first.eventId, second.eventId])).toEqual(new Set());
    expect(await storage.events.getEdges([first.eventId])).toEqual(new Map());
    expect(await storage.events.getCurrentState(roomId)).toEqual([]);
    expect(await storage.streams.current('events')).toBe(positionBefore);
  });

  it('rolls back when the database itself rejects a write midway', async () => {
    const storage = getStorage();
    const good = testEvent({ roomId: uniqueId('!') });
    const bad = testEvent({ roomId: uniqueId('!') });
    // A NOT NULL column left empty: the database, not our code, fails the second write.
    const broken = { ...bad, pdu: { ...bad.pdu, sender: null } } as unknown as NewEvent;
    await expect(
      storage.transaction(async (tx) => {
        await tx.events.persist(good);
        await tx.events.persist(broken);
      }),
    ).rejects.toThrow();
    expect(await storage.events.haveEvents([good.eventId, bad.eventId])).toEqual(new Set());
  });

  it('turns a nested transaction into a savepoint: its failure undoes only its own writes', async () => {
    const storage = getStorage();
    const kept = testEvent({ roomId: uniqueId('!') });
    const undone = testEvent({ roomId: uniqueId('!') });
    await storage.transaction(async (tx) => {
      await tx.events.persist(kept);
      await expect(
        tx.transaction(async (inner) => {
          await inner.events.persist(undone);
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
    });
    expect(await storage.events.haveEvents([kept.eventId, undone.eventId])).toEqual(new Set([kept.eventId]));
  });

  it('returns the function result', async () => {
    expect(await getStorage().transaction(async () => 42)).toBe(42);
  });
});
