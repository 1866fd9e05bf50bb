import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import type { NewEvent } from '../index.js';
import { testEvent, uniqueId } from '../testing/fixtures.js';

forEachDatabase('sync store', (storage) => {
  it('stores a filter per user and reads it back by ID', async () => {
    const alice = uniqueId('@');
    const id = await storage().sync.saveFilter(alice, '{"room":{}}', 'd1');
    expect(id).toMatch(/^[1-9][0-9]*$/);
    expect(await storage().sync.getFilter(alice, id)).toEqual({ filterId: id, userId: alice, json: '{"room":{}}' });
  });

  it('returns the existing ID for the same filter of the same user, a new one otherwise', async () => {
    const alice = uniqueId('@');
    const bob = uniqueId('@');
    const first = await storage().sync.saveFilter(alice, '{}', 'same');
    expect(await storage().sync.saveFilter(alice, '{}', 'same')).toBe(first);
    expect(await storage().sync.saveFilter(alice, '{"a":1}', 'other')).not.toBe(first);
    expect(await storage().sync.saveFilter(bob, '{}', 'same')).not.toBe(first);
  });

  it("never serves another user's filter or an ID that is not one of ours", async () => {
    const alice = uniqueId('@');
    const id = await storage().sync.saveFilter(alice, '{}', 'x');
    expect(await storage().sync.getFilter(uniqueId('@'), id)).toBeNull();
    for (const bad of ['', '0', '01', '{}', 'abc', '99999999999999999999', `${id} `]) {
      expect(await storage().sync.getFilter(alice, bad)).toBeNull();
    }
  });

  it('gives concurrent uploads of one filter one ID', async () => {
    const alice = uniqueId('@');
    const ids = await Promise.all(Array.from({ length: 5 }, () => storage().sync.saveFilter(alice, '{}', 'race')));
    expect(new Set(ids).size).toBe(1);
  });
});

forEachDatabase('sync store: rooms with events', (storage) => {
  it('finds the rooms with accepted, non-outlier events in a stream range', async () => {
    const [quiet, busy, outlierOnly, rejectedOnly] = [uniqueId('!'), uniqueId('!'), uniqueId('!'), uniqueId('!')];
    const before = await storage().streams.current('events');
    const persist = async (event: NewEvent) => (await storage().transaction((tx) => tx.events.persist(event))).streamOrdering;
    await persist(testEvent({ roomId: quiet }));
    const start = await storage().streams.current('events');
    const busyAt = await persist(testEvent({ roomId: busy }));
    await persist(testEvent({ roomId: outlierOnly, outlier: true }));
    await persist(testEvent({ roomId: rejectedOnly, rejectedReason: 'auth' }));
    const end = await storage().streams.current('events');
    const all = [quiet, busy, outlierOnly, rejectedOnly, uniqueId('!')];

    expect(await storage().sync.getRoomsWithEvents(all, start, end)).toEqual(new Set([busy]));
    expect(await storage().sync.getRoomsWithEvents(all, before, end)).toEqual(new Set([quiet, busy]));
    expect(await storage().sync.getRoomsWithEvents(all, busyAt, end)).toEqual(new Set());
    expect(await storage().sync.getRoomsWithEvents([quiet], before, end)).toEqual(new Set([quiet]));
    expect(await storage().sync.getRoomsWithEvents(all, end, start)).toEqual(new Set());
  });
});
