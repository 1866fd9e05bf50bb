/**
 * The rooms service on a real database (both dialects): creation in several room versions, membership
 * transitions the auth rules allow and refuse, idempotent sends, concurrency, history visibility, redaction.
 */
import { randomBytes } from 'node:crypto';
import { buildEvent, generateSigningKey, getRoomVersion, isValidRoomId, referencedEventIds, type Pdu, type SigningKey } from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { validateConfig } from '../../config/load.js';
import { silentLogger } from '../../log.js';
import { MatrixError } from '../../matrix-error.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { StreamAdvance } from '../../pubsub/index.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { createRoomsService, type RoomRequester, type RoomsService } from './index.js';

const SERVER = 'rooms.test';

interface Harness {
  rooms: RoomsService;
  clock: ReturnType<typeof manualClock>;
  signingKey: SigningKey;
  advances: StreamAdvance[];
}

function harness(storage: Storage, options: { retentionMs?: number } = {}): Harness {
  const clock = manualClock(1_700_000_000_000);
  const notifier = createMemoryNotifier();
  const advances: StreamAdvance[] = [];
  notifier.subscribe((advance) => advances.push(advance));
  const signingKey = generateSigningKey();
  const rooms = createRoomsService(
    {
      config: validateConfig({ server_name: SERVER }, { baseDir: '/tmp' }),
      storage,
      notifier,
      clock,
      logger: silentLogger(),
      serverName: SERVER,
      signingKey,
    },
    { getProfile: async (userId) => ({ displayname: `Name of ${userId.slice(1, 6)}` }) },
    { redactionRetentionMs: options.retentionMs ?? 60_000 },
  );
  return { rooms, clock, advances, signingKey };
}

function user(): RoomRequester {
  return { userId: `@u${randomBytes(5).toString('hex')}:${SERVER}`, deviceId: 'DEV', accessTokenId: 1 };
}

async function rejection(promise: Promise<unknown>): Promise<MatrixError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MatrixError);
  return error as MatrixError;
}

forEachDatabase('rooms service', (getStorage) => {
  describe('createRoom', () => {
    it.each(['1', '6', '11', '12'])('creates a room in version %s with the spec event order', async (version) => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const { roomId } = await rooms.createRoom(alice, {
        room_version: version,
        name: 'Room',
        topic: 'Topic',
        invite: [bob.userId],
        preset: 'private_chat',
      });
      expect(isValidRoomId(roomId)).toBe(true);
      expect(await rooms.getRoomVersion(roomId)).toBe(version);
      const page = await rooms.getMessages(alice, roomId, { dir: 'f', limit: 50 });
      expect(page.chunk.map((event) => event.type)).toEqual([
        'm.room.create',
        'm.room.member',
        'm.room.power_levels',
        'm.room.join_rules',
        'm.room.history_visibility',
        'm.room.guest_access',
        'm.room.name',
        'm.room.topic',
        'm.room.member',
      ]);
      const create = page.chunk[0]?.content ?? {};
      expect(create.room_version).toBe(version);
      const power = page.chunk[2]?.content as { users: Record<string, number>; events: Record<string, number> };
      if (version === '12') {
        expect(power.users[alice.userId]).toBeUndefined();
        expect(power.events['m.room.tombstone']).toBe(150);
        expect(create.creator).toBeUndefined();
      } else {
        expect(power.users[alice.userId]).toBe(100);
      }
      if (version === '1' || version === '6') expect(create.creator).toBe(alice.userId);
      expect(await rooms.joinedRooms(alice.userId)).toContain(roomId);
      const invited = await rooms.getRoomsForUser(bob.userId);
      expect(invited).toMatchObject([{ roomId, membership: 'invite', sender: alice.userId }]);
      const member = page.chunk[1]?.content;
      expect(member).toMatchObject({ membership: 'join', displayname: expect.stringMatching(/^Name of/) });
    });

    it('refuses unknown room versions and taken aliases, leaving nothing behind', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      expect((await rejection(rooms.createRoom(alice, { room_version: '99' }))).errcode).toBe('M_UNSUPPORTED_ROOM_VERSION');
      const alias = `a${randomBytes(4).toString('hex')}`;
      const { roomId } = await rooms.createRoom(alice, { room_alias_name: alias });
      expect(await rooms.resolveAlias(`#${alias}:${SERVER}`)).toBe(roomId);
      const before = await rooms.currentPosition();
      const taken = await rejection(rooms.createRoom(alice, { room_alias_name: alias }));
      expect(taken).toMatchObject({ status: 400, errcode: 'M_ROOM_IN_USE' });
      // The failed creation rolled back: no new room in the user's list, no position consumed.
      expect(await rooms.joinedRooms(alice.userId)).toEqual([roomId]);
      expect(await rooms.currentPosition()).toBe(before);
    });

    it('trusted_private_chat in v12 makes invitees additional creators; is_direct marks the invite', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'trusted_private_chat', invite: [bob.userId], is_direct: true });
      const state = await rooms.getCurrentState(roomId);
      const create = state.find((event) => event.type === 'm.room.create');
      expect(create?.pdu.content.additional_creators).toEqual([bob.userId]);
      const invite = state.find((event) => event.type === 'm.room.member' && event.stateKey === bob.userId);
      expect(invite?.pdu.content).toMatchObject({ membership: 'invite', is_direct: true });
    });

    it('a power level override that locks the creator out gives M_INVALID_ROOM_STATE', async () => {
      const { rooms } = harness(getStorage());
      const error = await rejection(
        rooms.createRoom(user(), { room_version: '10', name: 'x', power_level_content_override: { users: {}, state_default: 100 } }),
      );
      expect(error).toMatchObject({ status: 400, errcode: 'M_INVALID_ROOM_STATE' });
    });
  });

  describe('membership', () => {
    it('invite, join, kick, ban and unban follow the auth rules', async () => {
      const { rooms, advances } = harness(getStorage());
      const alice = user();
      const bob = user();
      const carol = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'private_chat' });
      // Not invited to an invite-only room.
      expect((await rejection(rooms.join(bob, roomId))).errcode).toBe('M_FORBIDDEN');
      await rooms.invite(alice, roomId, bob.userId);
      expect(advances.at(-1)?.userIds).toContain(bob.userId);
      await rooms.join(bob, roomId);
      expect(await rooms.getJoinedUserIds(roomId)).toEqual(expect.arrayContaining([alice.userId, bob.userId]));
      // Bob (power 0) may not kick Alice.
      const refused = await rejection(rooms.kick(bob, roomId, alice.userId));
      expect(refused.errcode).toBe('M_FORBIDDEN');
      expect(refused.message.length).toBeGreaterThan(0);
      await rooms.ban(alice, roomId, bob.userId, { reason: 'spam' });
      expect((await rooms.getRoomsForUser(bob.userId))[0]).toMatchObject({ membership: 'ban' });
      expect((await rejection(rooms.join(bob, roomId))).errcode).toBe('M_FORBIDDEN');
      await rooms.unban(alice, roomId, bob.userId);
      expect((await rejection(rooms.unban(alice, roomId, carol.userId))).errcode).toBe('M_FORBIDDEN');
      const changes = await rooms.getMembershipChanges(bob.userId, 0, await rooms.currentPosition());
      expect(changes.map((change) => change.membership)).toEqual(['invite', 'join', 'ban', 'leave']);
      expect(changes.map((change) => change.previous)).toEqual([null, 'invite', 'join', 'ban']);
    });

    it('public rooms can be joined by alias; leave and forget', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const alias = `p${randomBytes(4).toString('hex')}`;
      const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat', room_alias_name: alias });
      expect(await rooms.join(bob, `#${alias}:${SERVER}`)).toEqual({ roomId });
      expect((await rejection(rooms.forget(bob, roomId))).errcode).toBe('M_UNKNOWN');
      await rooms.leave(bob, roomId);
      await rooms.forget(bob, roomId);
      expect(await rooms.getRoomsForUser(bob.userId)).toEqual([]);
      expect((await rejection(rooms.join(bob, `#missing${alias}:${SERVER}`))).status).toBe(404);
    });

    it('knocking needs a version that supports it and a knock join rule', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      const { roomId } = await rooms.createRoom(alice, { initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
      await rooms.knock(bob, roomId, { reason: 'let me in' });
      expect((await rooms.getRoomsForUser(bob.userId))[0]?.membership).toBe('knock');
      const old = await rooms.createRoom(alice, { room_version: '6' });
      expect((await rejection(rooms.knock(bob, old.roomId))).errcode).toBe('M_FORBIDDEN');
    });
  });

  describe('sending', () => {
    it('transaction IDs are idempotent per device and echoed in unsigned', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const { roomId } = await rooms.createRoom(alice, {});
      const first = await rooms.sendMessage(alice, roomId, 'm.room.message', 'txn1', { msgtype: 'm.text', body: 'hi' });
      const again = await rooms.sendMessage(alice, roomId, 'm.room.message', 'txn1', { msgtype: 'm.text', body: 'hi' });
      expect(again.eventId).toBe(first.eventId);
      const otherDevice = await rooms.sendMessage({ ...alice, deviceId: 'OTHER' }, roomId, 'm.room.message', 'txn1', { body: 'x' });
      expect(otherDevice.eventId).not.toBe(first.eventId);
      const own = await rooms.getEvent(alice, roomId, first.eventId);
      expect(own.unsigned?.transaction_id).toBe('txn1');
      const seenByOther = await rooms.getEvent({ ...alice, deviceId: 'OTHER' }, roomId, first.eventId);
      expect(seenByOther.unsigned?.transaction_id).toBeUndefined();
    });

    it('concurrent sends build one linear DAG', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const { roomId } = await rooms.createRoom(alice, {});
      const sent = await Promise.all(
        Array.from({ length: 12 }, (_, i) => rooms.sendMessage(alice, roomId, 'm.room.message', `c${i}`, { msgtype: 'm.text', body: `${i}` })),
      );
      const events = await rooms.getEvents(sent.map((event) => event.eventId));
      const all = (await rooms.getMessages(alice, roomId, { dir: 'f', limit: 100 })).chunk;
      // Each event's only prev event is the one before it in the timeline.
      const stored = await rooms.getEvents(all.map((event) => event.event_id));
      for (let i = 1; i < stored.length; i += 1) {
        expect(referencedEventIds((stored[i] as { pdu: Pdu }).pdu.prev_events)).toEqual([stored[i - 1]?.eventId]);
        expect(stored[i]?.depth).toBe((stored[i - 1]?.depth ?? 0) + 1);
      }
      expect(events).toHaveLength(12);
    });

    it('state PUT is readable, unchanged state is not sent twice, prev_content is served', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const { roomId } = await rooms.createRoom(alice, { name: 'one' });
      const a = await rooms.setState(alice, roomId, 'm.room.name', '', { name: 'two' });
      const b = await rooms.setState(alice, roomId, 'm.room.name', '', { name: 'two' });
      expect(b.eventId).toBe(a.eventId);
      const event = await rooms.getStateEvent(alice, roomId, 'm.room.name', '');
      expect(event.content).toEqual({ name: 'two' });
      expect(event.unsigned?.prev_content).toEqual({ name: 'one' });
      expect((await rejection(rooms.getStateEvent(alice, roomId, 'm.room.avatar', ''))).status).toBe(404);
      const stateAtCreate = await rooms.getStateAtEvent(a.eventId);
      expect(stateAtCreate.find((e) => e.type === 'm.room.name')?.pdu.content).toEqual({ name: 'one' });
      expect((await rooms.getStateAtEvent(a.eventId, { after: true })).find((e) => e.type === 'm.room.name')?.eventId).toBe(a.eventId);
    });

    it('redaction strips content, keeps the redaction, and purges the original after the retention window', async () => {
      const storage = getStorage();
      const { rooms, clock } = harness(storage, { retentionMs: 1000 });
      const alice = user();
      const bob = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat' });
      await rooms.join(bob, roomId);
      const message = await rooms.sendMessage(bob, roomId, 'm.room.message', 't', { msgtype: 'm.text', body: 'secret' });
      // Bob has power 0 < redact 50: he may redact his own event but not Alice's.
      const aliceMessage = await rooms.sendMessage(alice, roomId, 'm.room.message', 't', { msgtype: 'm.text', body: 'mine' });
      expect((await rejection(rooms.redact(bob, roomId, aliceMessage.eventId, 'r0'))).errcode).toBe('M_FORBIDDEN');
      const redaction = await rooms.redact(bob, roomId, message.eventId, 'r1', { reason: 'oops' });
      const served = await rooms.getEvent(alice, roomId, message.eventId);
      expect(served.content).toEqual({});
      expect(served.unsigned?.redacted_because).toMatchObject({ event_id: redaction.eventId, content: { reason: 'oops', redacts: message.eventId } });
      const [original] = await storage.events.getEvents([message.eventId]);
      expect(original?.pdu.content.body).toBe('secret');
      clock.advance(1001);
      expect(await rooms.purgeExpiredRedactions()).toBe(1);
      const [purged] = await storage.events.getEvents([message.eventId]);
      expect(purged?.pdu.content).toEqual({});
    });
  });

  describe('two processes on one database', () => {
    it('builds on what the other process wrote, never on a stale cached room tip', async () => {
      const storage = getStorage();
      const first = harness(storage);
      const second = harness(storage);
      const alice = user();
      const bob = user();
      const { roomId } = await first.rooms.createRoom(alice, { preset: 'public_chat' });
      await first.rooms.join(bob, roomId);
      const message = (rooms: RoomsService, sender: RoomRequester, body: string) =>
        rooms.sendEvent({ roomId, sender: sender.userId, type: 'm.room.message', content: { msgtype: 'm.text', body } });

      const one = await message(first.rooms, bob, 'one');
      // The other process bans bob: the first process's cached tip (after "one") is now stale.
      await second.rooms.ban(alice, roomId, bob.userId);
      expect((await rejection(message(first.rooms, bob, 'two'))).errcode).toBe('M_FORBIDDEN');

      const three = await message(second.rooms, alice, 'three');
      const four = await message(first.rooms, alice, 'four');
      expect(referencedEventIds(four.pdu.prev_events)).toEqual([three.eventId]);
      expect(four.pdu.depth).toBe(three.pdu.depth + 1);
      expect(three.pdu.depth).toBeGreaterThan(one.pdu.depth + 1);
      expect(await storage.events.getForwardExtremities(roomId)).toEqual([four.eventId]);
    });
  });

  describe('history visibility', () => {
    it('joined: a later joiner sees nothing before their join; shared: they see everything', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const bob = user();
      for (const visibility of ['joined', 'shared', 'invited'] as const) {
        const { roomId } = await rooms.createRoom(alice, {
          preset: 'public_chat',
          initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: visibility } }],
        });
        const early = await rooms.sendMessage(alice, roomId, 'm.room.message', `e-${visibility}`, { body: 'early' });
        await rooms.join(bob, roomId);
        const late = await rooms.sendMessage(alice, roomId, 'm.room.message', `l-${visibility}`, { body: 'late' });
        const [earlyEvent, lateEvent] = await rooms.getEvents([early.eventId, late.eventId]);
        expect(await rooms.canSeeEvent(bob.userId, lateEvent as never)).toBe(true);
        expect(await rooms.canSeeEvent(bob.userId, earlyEvent as never)).toBe(visibility === 'shared');
        const bodies = (await rooms.getMessages(bob, roomId, { dir: 'b', limit: 50 })).chunk.map((event) => event.content.body);
        expect(bodies.includes('early')).toBe(visibility === 'shared');
        if (visibility !== 'shared') expect((await rejection(rooms.getEvent(bob, roomId, early.eventId))).status).toBe(404);
        // After leaving, Bob sees nothing new.
        await rooms.leave(bob, roomId);
        const after = await rooms.sendMessage(alice, roomId, 'm.room.message', `a-${visibility}`, { body: 'after' });
        const [afterEvent] = await rooms.getEvents([after.eventId]);
        expect(await rooms.canSeeEvent(bob.userId, afterEvent as never)).toBe(false);
      }
    });

    it('non-members get 403 on reads unless the room is world_readable', async () => {
      const { rooms } = harness(getStorage());
      const alice = user();
      const eve = user();
      const { roomId } = await rooms.createRoom(alice, {});
      expect((await rejection(rooms.getMessages(eve, roomId, { dir: 'b', limit: 10 }))).status).toBe(403);
      expect((await rejection(rooms.getState(eve, roomId))).status).toBe(403);
      expect((await rejection(rooms.getMembers(eve, roomId, {}))).status).toBe(403);
      expect((await rejection(rooms.getJoinedMembers(eve, roomId))).status).toBe(403);
      await rooms.setState(alice, roomId, 'm.room.history_visibility', '', { history_visibility: 'world_readable' });
      const page = await rooms.getMessages(eve, roomId, { dir: 'b', limit: 1 });
      expect(page.chunk).toHaveLength(1);
      expect((await rooms.getState(eve, roomId)).length).toBeGreaterThan(3);
    });
  });
  describe('forks', () => {
    it('resolves state over several forward extremities and stores refused PDUs as rejected', async () => {
      const { rooms, signingKey } = harness(getStorage());
      const alice = user();
      const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat' });
      const version = getRoomVersion('12');
      const state = await rooms.getCurrentState(roomId);
      const idOf = (type: string, stateKey = '') => state.find((event) => event.type === type && event.stateKey === stateKey)?.eventId as string;
      const tip = (await rooms.getMessages(alice, roomId, { dir: 'b', limit: 1 })).chunk[0];
      const stored = (await rooms.getEvents([tip?.event_id as string]))[0];
      const fork = (type: string, content: Record<string, string>, sender = alice.userId) =>
        buildEvent({
          roomVersion: version,
          template: {
            type,
            room_id: roomId,
            sender,
            state_key: '',
            content,
            prev_events: [stored?.eventId as string],
            auth_events: [idOf('m.room.power_levels'), idOf('m.room.member', alice.userId)],
            depth: (stored?.depth ?? 0) + 1,
            origin_server_ts: 1_700_000_000_500,
          },
          signer: { serverName: SERVER, key: signingKey },
        });
      const topic = fork('m.room.topic', { topic: 'left branch' });
      const name = fork('m.room.name', { name: 'right branch' });
      expect((await rooms.persistPdu(roomId, topic.pdu)).rejectedReason).toBeNull();
      expect((await rooms.persistPdu(roomId, name.pdu)).rejectedReason).toBeNull();
      const current = await rooms.getCurrentState(roomId);
      expect(current.find((event) => event.type === 'm.room.topic')?.eventId).toBe(topic.eventId);
      expect(current.find((event) => event.type === 'm.room.name')?.eventId).toBe(name.eventId);

      // A PDU from someone who is not in the room is stored rejected and changes nothing.
      const intruder = fork('m.room.name', { name: 'intruder' }, `@intruder:${SERVER}`);
      const rejected = await rooms.persistPdu(roomId, intruder.pdu);
      expect(rejected.rejectedReason).not.toBeNull();
      expect((await rooms.getCurrentState(roomId)).find((event) => event.type === 'm.room.name')?.eventId).toBe(name.eventId);

      // The next local event merges both branches.
      const merged = await rooms.sendMessage(alice, roomId, 'm.room.message', 'merge', { body: 'merge' });
      const [mergedEvent] = await rooms.getEvents([merged.eventId]);
      expect(referencedEventIds((mergedEvent as { pdu: Pdu }).pdu.prev_events).sort()).toEqual([topic.eventId, name.eventId].sort());
      const stateBefore = await rooms.getStateAtEvent(merged.eventId);
      expect(stateBefore.map((event) => event.eventId)).toEqual(expect.arrayContaining([topic.eventId, name.eventId]));
    });
  });
});
