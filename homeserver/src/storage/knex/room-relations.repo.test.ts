/**
 * The relations part of the room-state store on both dialects: pages by position and filters, aggregation reads,
 * thread listings, duplicate annotations, alias moves, public rooms and users sharing rooms.
 */
import { expect, it } from 'vitest';
import type { RelationRecord } from '../room-state.js';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';

function relation(roomId: string, parentId: string, position: number, overrides: Partial<RelationRecord> = {}): RelationRecord {
  return {
    eventId: uniqueId('$'),
    roomId,
    parentId,
    relType: 'm.thread',
    eventType: 'm.room.message',
    sender: '@a:x',
    streamOrdering: position,
    originServerTs: 1000 + position,
    key: null,
    ...overrides,
  };
}

forEachDatabase('room relations store', (getStorage) => {
  it('pages children by position with type filters, and forgets a removed child', async () => {
    const { roomState } = getStorage();
    const roomId = uniqueId('!');
    const parent = uniqueId('$');
    const base = Math.floor(Math.random() * 1e9);
    const rows = [
      relation(roomId, parent, base + 1),
      relation(roomId, parent, base + 2, { relType: 'm.annotation', eventType: 'm.reaction', key: '👍' }),
      relation(roomId, parent, base + 3),
      relation(uniqueId('!'), parent, base + 4),
    ];
    await roomState.addRelations(rows);
    await roomState.addRelations([rows[0] as RelationRecord]);
    const backward = await roomState.getRelations(roomId, parent, { direction: 'backward', limit: 10 });
    expect(backward.map((row) => row.streamOrdering)).toEqual([base + 3, base + 2, base + 1]);
    expect(backward[1]).toEqual(rows[1]);
    const threads = await roomState.getRelations(roomId, parent, { relType: 'm.thread', direction: 'forward', after: base + 1, limit: 10 });
    expect(threads.map((row) => row.streamOrdering)).toEqual([base + 3]);
    const reactions = await roomState.getRelations(roomId, parent, { eventType: 'm.reaction', direction: 'forward', upTo: base + 2, limit: 10 });
    expect(reactions.map((row) => row.eventId)).toEqual([rows[1]?.eventId]);
    expect(await roomState.findAnnotation(parent, '@a:x', 'm.reaction', '👍')).toBe(rows[1]?.eventId);
    expect(await roomState.findAnnotation(parent, '@a:x', 'm.reaction', '👎')).toBeNull();
    expect(await roomState.getRelation(rows[2]?.eventId as string)).toEqual(rows[2]);

    await roomState.removeRelation(rows[2]?.eventId as string);
    expect(await roomState.getRelation(rows[2]?.eventId as string)).toBeNull();
    expect((await roomState.getRelationsOfParents([parent], 'm.thread')).map((row) => row.streamOrdering)).toEqual([base + 1, base + 4]);
  });

  it('summarises threads per sender and lists a room’s threads by latest reply', async () => {
    const { roomState } = getStorage();
    const roomId = uniqueId('!');
    const [rootA, rootB] = [uniqueId('$'), uniqueId('$')];
    const base = Math.floor(Math.random() * 1e9);
    const latestOfA = relation(roomId, rootA, base + 5, { sender: '@b:x' });
    await roomState.addRelations([
      relation(roomId, rootA, base + 1),
      relation(roomId, rootB, base + 2, { sender: '@b:x' }),
      relation(roomId, rootA, base + 3),
      latestOfA,
    ]);
    const summaries = await roomState.getThreadSummaries([rootA]);
    expect(summaries.sort((x, y) => (x.sender < y.sender ? -1 : 1))).toEqual([
      { rootId: rootA, sender: '@a:x', count: 2, latestStreamOrdering: base + 3, latestEventId: expect.any(String) },
      { rootId: rootA, sender: '@b:x', count: 1, latestStreamOrdering: base + 5, latestEventId: latestOfA.eventId },
    ]);
    expect(await roomState.listThreads(roomId, { limit: 10 })).toEqual([
      { rootId: rootA, latestStreamOrdering: base + 5 },
      { rootId: rootB, latestStreamOrdering: base + 2 },
    ]);
    expect((await roomState.listThreads(roomId, { limit: 10, upTo: base + 4 })).map((thread) => thread.rootId)).toEqual([rootB]);
    expect((await roomState.listThreads(roomId, { limit: 10, participant: '@a:x' })).map((thread) => thread.rootId)).toEqual([rootA]);
  });

  it('moves aliases between rooms and counts joined members, sharing users', async () => {
    const storage = getStorage();
    const [oldRoom, newRoom] = [uniqueId('!'), uniqueId('!')];
    const alias = `#${uniqueId('$').slice(1)}:x`;
    await storage.roomState.createAlias(alias, oldRoom, '@a:x', 1);
    expect(await storage.roomState.getAliasCreator(alias)).toBe('@a:x');
    expect(await storage.roomState.moveAliases(oldRoom, newRoom)).toEqual([alias]);
    expect(await storage.roomState.getAliasRoom(alias)).toBe(newRoom);

    const [alice, bob, carol] = [uniqueId('@'), uniqueId('@'), uniqueId('@')];
    const member = (roomId: string, userId: string, membership: string, position: number) => ({
      roomId, userId, membership, previous: null, eventId: uniqueId('$'), sender: userId, streamOrdering: position, displayname: null, avatarUrl: null,
    });
    await storage.roomState.applyMembershipChanges([member(oldRoom, alice, 'join', 1), member(oldRoom, bob, 'join', 2), member(oldRoom, carol, 'invite', 3)]);
    expect(await storage.roomState.countJoinedMembers([oldRoom, newRoom])).toEqual(new Map([[oldRoom, 2], [newRoom, 0]]));
    expect((await storage.roomState.getUsersSharingRoomWith(alice)).sort()).toEqual([alice, bob].sort());
    expect(await storage.roomState.getUsersSharingRoomWith(carol)).toEqual([]);

    await storage.rooms.addRoom({ roomId: newRoom, roomVersion: '12', creator: alice, isPublic: true });
    expect(await storage.roomState.listPublicRoomIds()).toContain(newRoom);
  });
});
