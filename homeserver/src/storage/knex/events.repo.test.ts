import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { testEvent, uniqueId } from '../testing/fixtures.js';

forEachDatabase('EventRepository', (getStorage) => {
  describe('persist', () => {
    it('stores an event with its prev and auth edges, readable back', async () => {
      const { events } = getStorage();
      const roomId = uniqueId('!');
      const create = testEvent({ roomId, type: 'm.room.create', stateKey: '' });
      const member = testEvent({
        roomId,
        type: 'm.room.member',
        stateKey: '@alice:test.example',
        depth: 2,
        prevEvents: [create.eventId],
        authEvents: [create.eventId],
      });
      const message = testEvent({
        roomId,
        depth: 3,
        prevEvents: [member.eventId, '$missing-prev'],
        authEvents: [create.eventId, member.eventId],
      });
      const results = [];
      for (const event of [create, member, message]) results.push(await events.persist(event));

      expect(results.every((result) => result.inserted)).toBe(true);
      const orderings = results.map((result) => result.streamOrdering);
      expect(orderings[1]).toBeGreaterThan(orderings[0] as number);
      expect(orderings[2]).toBeGreaterThan(orderings[1] as number);

      const stored = await events.getEvents([message.eventId, '$unknown', create.eventId]);
      expect(stored.map((event) => event.eventId)).toEqual([message.eventId, create.eventId]);
      const [storedMessage, storedCreate] = stored;
      expect(storedMessage).toEqual({
        eventId: message.eventId,
        roomId,
        type: 'm.room.message',
        stateKey: null,
        sender: '@alice:test.example',
        depth: 3,
        originServerTs: 1_700_000_000_000,
        streamOrdering: orderings[2],
        pdu: message.pdu,
        outlier: false,
        rejectedReason: null,
        redactedBy: null,
      });
      expect(storedCreate?.stateKey).toBe('');

      const edges = await events.getEdges([create.eventId, message.eventId, '$unknown']);
      expect([...edges.keys()].sort()).toEqual([create.eventId, message.eventId].sort());
      expect(edges.get(create.eventId)).toEqual({ prevEventIds: [], authEventIds: [] });
      expect(edges.get(message.eventId)).toEqual({
        prevEventIds: ['$missing-prev', member.eventId].sort(),
        authEventIds: [create.eventId, member.eventId].sort(),
      });
    });

    it('is idempotent: a second persist of the same event writes nothing and reports the first position', async () => {
      const { events } = getStorage();
      const event = testEvent({ roomId: uniqueId('!'), prevEvents: ['$a'] });
      const first = await events.persist(event);
      const second = await events.persist({ ...event, outlier: true });
      expect(second).toEqual({ streamOrdering: first.streamOrdering, inserted: false });
      const [stored] = await events.getEvents([event.eventId]);
      expect(stored?.outlier).toBe(false);
    });

    it('keeps outlier and rejection flags, and de-duplicates repeated edges', async () => {
      const { events } = getStorage();
      const event = testEvent({
        roomId: uniqueId('!'),
        prevEvents: ['$p', '$p'],
        authEvents: ['$x', '$x'],
        outlier: true,
        rejectedReason: 'auth_error',
      });
      await events.persist(event);
      const [stored] = await events.getEvents([event.eventId]);
      expect(stored).toMatchObject({ outlier: true, rejectedReason: 'auth_error' });
      expect((await events.getEdges([event.eventId])).get(event.eventId)).toEqual({
        prevEventIds: ['$p'],
        authEventIds: ['$x'],
      });
    });

    it('accepts room version 1-2 reference pairs as edges', async () => {
      const { events } = getStorage();
      const event = testEvent({ roomId: uniqueId('!') });
      event.pdu.prev_events = [['$old:test.example', { sha256: 'abc' }]];
      event.pdu.auth_events = [['$create:test.example', { sha256: 'def' }]];
      await events.persist(event);
      expect((await events.getEdges([event.eventId])).get(event.eventId)).toEqual({
        prevEventIds: ['$old:test.example'],
        authEventIds: ['$create:test.example'],
      });
    });
  });

  it('reports which events are stored', async () => {
    const { events } = getStorage();
    const event = testEvent({ roomId: uniqueId('!') });
    await events.persist(event);
    expect(await events.haveEvents([event.eventId, '$nope', event.eventId])).toEqual(new Set([event.eventId]));
    expect(await events.haveEvents([])).toEqual(new Set());
  });

  it('records redactions', async () => {
    const { events } = getStorage();
    const event = testEvent({ roomId: uniqueId('!') });
    await events.persist(event);
    await events.markRedacted(event.eventId, '$redaction');
    const [stored] = await events.getEvents([event.eventId]);
    expect(stored?.redactedBy).toBe('$redaction');
  });

  it('replaces forward extremities by delta, per room', async () => {
    const { events } = getStorage();
    const roomId = uniqueId('!');
    const otherRoom = uniqueId('!');
    await events.updateForwardExtremities(roomId, { add: ['$a', '$b'], remove: [] });
    await events.updateForwardExtremities(otherRoom, { add: ['$a'], remove: [] });
    await events.updateForwardExtremities(roomId, { add: ['$c', '$b'], remove: ['$a', '$never'] });
    expect(await events.getForwardExtremities(roomId)).toEqual(['$b', '$c']);
    expect(await events.getForwardExtremities(otherRoom)).toEqual(['$a']);
  });

  it('sets, replaces and removes current state entries', async () => {
    const { events } = getStorage();
    const roomId = uniqueId('!');
    await events.updateCurrentState(roomId, {
      set: [
        { type: 'm.room.create', stateKey: '', eventId: '$create' },
        { type: 'm.room.member', stateKey: '@a:x', eventId: '$join-a' },
        { type: 'm.room.member', stateKey: '@b:x', eventId: '$join-b' },
      ],
      remove: [],
    });
    await events.updateCurrentState(roomId, {
      set: [{ type: 'm.room.member', stateKey: '@a:x', eventId: '$leave-a' }],
      remove: [{ type: 'm.room.member', stateKey: '@b:x' }],
    });
    expect(await events.getCurrentState(roomId)).toEqual([
      { type: 'm.room.create', stateKey: '', eventId: '$create' },
      { type: 'm.room.member', stateKey: '@a:x', eventId: '$leave-a' },
    ]);
    expect(await events.getCurrentStateEventId(roomId, 'm.room.member', '@a:x')).toBe('$leave-a');
    expect(await events.getCurrentStateEventId(roomId, 'm.room.member', '@b:x')).toBeNull();
    expect(await events.getCurrentState(uniqueId('!'))).toEqual([]);
  });

  it('handles more IDs than fit in one statement', async () => {
    const { events } = getStorage();
    const roomId = uniqueId('!');
    const ids = Array.from({ length: 1_200 }, (_, i) => `$bulk-${roomId}-${i}`);
    await events.updateForwardExtremities(roomId, { add: ids, remove: [] });
    expect(await events.getForwardExtremities(roomId)).toHaveLength(1_200);
    await events.updateForwardExtremities(roomId, { add: [], remove: ids.slice(0, 1_100) });
    expect(await events.getForwardExtremities(roomId)).toHaveLength(100);
  });
});
