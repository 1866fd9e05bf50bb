/**
 * Room upgrades, aliases, the public room directory, deactivation leaves and the membership reads other domains
 * use, on a real database (both dialects).
 */
import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { validateConfig } from '../../config/load.js';
import { silentLogger } from '../../log.js';
import { MatrixError } from '../../matrix-error.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { createRoomsService, type RoomRequester, type RoomsService } from './index.js';

const SERVER = 'upgrade.test';

function harness(storage: Storage): { rooms: RoomsService; tagCopies: string[][] } {
  const tagCopies: string[][] = [];
  const rooms = createRoomsService(
    {
      config: validateConfig({ server_name: SERVER }, { baseDir: '/tmp' }),
      storage,
      notifier: createMemoryNotifier(),
      clock: manualClock(1_700_000_000_000),
      logger: silentLogger(),
      serverName: SERVER,
      signingKey: generateSigningKey(),
    },
    { copyRoomTags: async (userId, from, to) => void tagCopies.push([userId, from, to]) },
  );
  return { rooms, tagCopies };
}

function user(): RoomRequester {
  return { userId: `@u${randomBytes(5).toString('hex')}:${SERVER}`, deviceId: 'DEV', accessTokenId: 1 };
}

async function rejection(promise: Promise<unknown>): Promise<MatrixError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(MatrixError);
  return error as MatrixError;
}

const alias = (name: string) => `#${name}-${randomBytes(4).toString('hex')}:${SERVER}`;

forEachDatabase('rooms upgrades and directory', (getStorage) => {
  describe('upgrades', () => {
    for (const [from, to] of [['12', '12'], ['10', '12'], ['12', '11'], ['9', '10']] as const) {
      it(`upgrades a v${from} room to v${to}: predecessor, copied state, moved alias, tombstone, restricted old room`, async () => {
        const { rooms, tagCopies } = harness(getStorage());
        const alice = user();
        const bob = user();
        const name = alias('up');
        const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat', room_version: from, name: 'Old name', topic: 'T', room_alias_name: name.slice(1, name.indexOf(':')), visibility: 'public' });
        await rooms.join(bob, roomId);
        const refused = await rejection(rooms.upgradeRoom(bob, roomId, { newVersion: to }));
        expect([refused.status, refused.errcode]).toEqual([403, 'M_FORBIDDEN']);

        const { replacementRoom } = await rooms.upgradeRoom(alice, roomId, { newVersion: to });
        expect(await rooms.getRoomVersion(replacementRoom)).toBe(to);
        const create = await rooms.getStateEvent(alice, replacementRoom, 'm.room.create', '');
        expect((create.content.predecessor as { room_id: string }).room_id).toBe(roomId);
        expect((await rooms.getStateEvent(alice, replacementRoom, 'm.room.name', '')).content.name).toBe('Old name');
        expect((await rooms.getStateEvent(alice, replacementRoom, 'm.room.join_rules', '')).content.join_rule).toBe('public');
        expect((await rooms.getStateEvent(alice, replacementRoom, 'm.room.canonical_alias', '')).content.alias).toBe(name);
        expect((await rooms.getAlias(name)).roomId).toBe(replacementRoom);
        expect(await rooms.getDirectoryVisibility(replacementRoom)).toBe('public');
        expect(await rooms.getDirectoryVisibility(roomId)).toBe('private');
        const tombstone = await rooms.getStateEvent(bob, roomId, 'm.room.tombstone', '');
        expect(tombstone.content.replacement_room).toBe(replacementRoom);
        const oldLevels = (await rooms.getStateEvent(alice, roomId, 'm.room.power_levels', '')).content;
        expect([oldLevels.events_default, oldLevels.invite]).toEqual([50, 50]);
        expect((await rejection(rooms.sendMessage(bob, roomId, 'm.room.message', 'late', { body: 'x' }))).status).toBe(403);
        // The upgrader can still administer the new room; bob joins and his tags follow.
        await rooms.setState(alice, replacementRoom, 'm.room.topic', '', { topic: 'new topic' });
        await rooms.join(bob, replacementRoom);
        expect(tagCopies).toContainEqual([bob.userId, roomId, replacementRoom]);
        expect(tagCopies).toContainEqual([alice.userId, roomId, replacementRoom]);
      });
    }

    it('invites the members of a private room and refuses unknown versions', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'private_chat', invite: [bob.userId] });
      await rooms.join(bob, roomId);
      const unknown = await rejection(rooms.upgradeRoom(alice, roomId, { newVersion: '99' }));
      expect([unknown.status, unknown.errcode]).toEqual([400, 'M_UNSUPPORTED_ROOM_VERSION']);
      const { replacementRoom } = await rooms.upgradeRoom(alice, roomId, { newVersion: '12', additionalCreators: [bob.userId] });
      expect((await rooms.getRoomsForUser(bob.userId)).find((room) => room.roomId === replacementRoom)?.membership).toBe('invite');
      await rooms.join(bob, replacementRoom);
      const create = await rooms.getStateEvent(bob, replacementRoom, 'm.room.create', '');
      expect(create.content.additional_creators).toEqual([bob.userId]);
    });
  });

  describe('aliases', () => {
    it('creates, resolves, lists and deletes aliases with the spec errors', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const outsider = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat' });
      await rooms.join(bob, roomId);
      const name = alias('a');
      await rooms.createAlias(bob, name, roomId);
      expect((await rejection(rooms.createAlias(alice, name, roomId))).status).toBe(409);
      expect((await rejection(rooms.createAlias(outsider, alias('b'), roomId))).status).toBe(403);
      expect((await rejection(rooms.createAlias(alice, '#x:other.example', roomId))).errcode).toBe('M_INVALID_PARAM');
      expect(await rooms.getAlias(name)).toEqual({ roomId, servers: [SERVER] });
      expect(await rooms.getLocalAliases(bob, roomId)).toEqual([name]);
      expect((await rejection(rooms.getLocalAliases(outsider, roomId))).status).toBe(403);

      // canonical alias: must point at this room.
      const bad = await rejection(rooms.setState(alice, roomId, 'm.room.canonical_alias', '', { alias: alias('none') }));
      expect([bad.status, bad.errcode]).toEqual([400, 'M_BAD_ALIAS']);
      expect((await rejection(rooms.setState(alice, roomId, 'm.room.canonical_alias', '', { alias: 'nope' }))).errcode).toBe('M_INVALID_PARAM');
      await rooms.setState(alice, roomId, 'm.room.canonical_alias', '', { alias: name });

      // Deletion: not by a plain member who did not create it; by the creator; then 404.
      const other = alias('c');
      await rooms.createAlias(alice, other, roomId);
      expect((await rejection(rooms.deleteAlias(bob, other))).status).toBe(403);
      await rooms.deleteAlias(bob, name);
      expect((await rejection(rooms.getAlias(name))).errcode).toBe('M_NOT_FOUND');
      expect((await rejection(rooms.deleteAlias(bob, name))).errcode).toBe('M_NOT_FOUND');
      await rooms.deleteAlias(alice, other);
    });
  });

  describe('public room directory', () => {
    it('lists published rooms largest first with their summary, filters and paginates', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const tag = randomBytes(4).toString('hex');
      const big = (await rooms.createRoom(alice, { preset: 'public_chat', visibility: 'public', name: `Big ${tag}`, topic: 'many' })).roomId;
      for (let i = 0; i < 2; i++) await rooms.join(user(), big);
      const small = (await rooms.createRoom(alice, { preset: 'public_chat', name: `Small ${tag}`, creation_content: { type: 'm.space' } })).roomId;
      await rooms.setDirectoryVisibility(alice, small, 'public');
      await rooms.createRoom(alice, { preset: 'public_chat', name: `Hidden ${tag}` });
      expect((await rejection(rooms.setDirectoryVisibility(user(), small, 'private'))).status).toBe(403);
      expect((await rejection(rooms.getDirectoryVisibility('!unknown:upgrade.test'))).status).toBe(404);

      const found = await rooms.listPublicRooms({ filter: { generic_search_term: tag.toUpperCase() } });
      expect(found.chunk.map((room) => room.room_id)).toEqual([big, small]);
      expect(found.total_room_count_estimate).toBe(2);
      expect(found.chunk[0]).toMatchObject({ name: `Big ${tag}`, topic: 'many', num_joined_members: 3, join_rule: 'public', world_readable: false, guest_can_join: false });
      expect(found.chunk[1]?.room_type).toBe('m.space');
      const spaces = await rooms.listPublicRooms({ filter: { generic_search_term: tag, room_types: ['m.space'] } });
      expect(spaces.chunk.map((room) => room.room_id)).toEqual([small]);
      const page = await rooms.listPublicRooms({ limit: 1, filter: { generic_search_term: tag } });
      expect(page.chunk.map((room) => room.room_id)).toEqual([big]);
      const next = await rooms.listPublicRooms({ limit: 1, since: page.next_batch as string, filter: { generic_search_term: tag } });
      expect([next.chunk.map((room) => room.room_id), next.next_batch, next.prev_batch]).toEqual([[small], undefined, 'p0']);
      expect((await rejection(rooms.listPublicRooms({ server: 'elsewhere.example' }))).status).toBe(400);
      expect((await rejection(rooms.listPublicRooms({ since: 'garbage' }))).errcode).toBe('M_INVALID_PARAM');
    });
  });

  describe('membership reads and deactivation', () => {
    it('answers isJoined and users sharing a room, and leaves every room on deactivation', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const carol = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat' });
      await rooms.join(bob, roomId);
      const { roomId: invited } = await rooms.createRoom(carol, { preset: 'private_chat', invite: [bob.userId] });
      expect(await rooms.isJoined(bob.userId, roomId)).toBe(true);
      expect(await rooms.isJoined(bob.userId, invited)).toBe(false);
      expect((await rooms.getUsersSharingRoomWith(bob.userId)).sort()).toEqual([alice.userId, bob.userId].sort());

      await rooms.leaveAllRooms(bob.userId);
      const memberships = await rooms.getRoomsForUser(bob.userId);
      expect(memberships.map((room) => room.membership)).toEqual(['leave', 'leave']);
      expect(await rooms.getUsersSharingRoomWith(bob.userId)).toEqual([]);
    });
  });
});
