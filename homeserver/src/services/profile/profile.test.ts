import { generateSigningKey, type JsonObject, type Pdu } from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { configSchema, type Config } from '../../config/schema.js';
import { createLogger } from '../../log.js';
import { MatrixError } from '../../matrix-error.js';
import type { StreamAdvance } from '../../pubsub/index.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { uniqueId } from '../../storage/testing/fixtures.js';
import type { CoreDeps } from '../deps.js';
import type { LocalEventRequest, PersistedEvent } from '../rooms/index.js';
import { createProfileService, type ProfileOptions, type ProfileRoomsPort } from './index.js';

const SERVER = 'test.example';

/** A rooms domain reduced to what profile uses: rooms as state maps, sent events recorded. */
function fakeRooms() {
  const state = new Map<string, Map<string, JsonObject>>();
  const sent: LocalEventRequest[] = [];
  const key = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;
  const setState = (roomId: string, type: string, stateKey: string, content: JsonObject) => {
    if (!state.has(roomId)) state.set(roomId, new Map());
    state.get(roomId)?.set(key(type, stateKey), content);
  };
  const storedEvents = (roomId: string): StoredEvent[] =>
    [...(state.get(roomId) ?? new Map<string, JsonObject>()).entries()].map(([entry, content]) => {
      const [type = '', stateKey = ''] = entry.split('\u0000');
      const pdu = { type, state_key: stateKey, content, room_id: roomId, sender: stateKey } as unknown as Pdu;
      return { eventId: uniqueId('$'), roomId, type, stateKey, sender: stateKey, depth: 1, originServerTs: 0, streamOrdering: 1, pdu, outlier: false, rejectedReason: null, redactedBy: null };
    });
  const joinedRooms = async (userId: string) =>
    [...state.keys()].filter((roomId) => state.get(roomId)?.get(key('m.room.member', userId))?.membership === 'join');
  const port: ProfileRoomsPort = {
    joinedRooms,
    getJoinedUserIds: async (roomId) =>
      storedEvents(roomId).filter((e) => e.type === 'm.room.member' && e.pdu.content.membership === 'join').map((e) => e.stateKey ?? ''),
    getCurrentState: async (roomId) => storedEvents(roomId),
    getRoomVersion: async (roomId) => (state.has(roomId) ? '12' : null),
    sendEvent: async (request) => {
      if (request.type === 'm.room.member' && request.content.forbidden === true) throw new MatrixError(403, 'M_FORBIDDEN', 'no');
      sent.push(request);
      setState(request.roomId, request.type, request.stateKey ?? '', request.content);
      return { eventId: uniqueId('$'), roomId: request.roomId, streamOrdering: 1, pdu: {} as Pdu, rejectedReason: null } satisfies PersistedEvent;
    },
  };
  return { port, sent, setState };
}

function deps(storage: Storage, published: StreamAdvance[]): CoreDeps {
  const notifier = createMemoryNotifier();
  notifier.subscribe((advance) => published.push(advance));
  return {
    config: { ...configSchema.parse({}), server_name: 'test' } as Config,
    storage,
    notifier,
    clock: manualClock(1_700_000_000_000),
    logger: createLogger({ level: 'silent' }),
    serverName: SERVER,
    signingKey: generateSigningKey(),
  };
}

async function rejects(promise: Promise<unknown>, status: number, errcode: string): Promise<void> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatrixError);
  expect({ status: (error as MatrixError).status, errcode: (error as MatrixError).errcode }).toEqual({ status, errcode });
}

forEachDatabase('profile service', (getStorage) => {
  const setup = (options: ProfileOptions = {}) => {
    const published: StreamAdvance[] = [];
    const rooms = fakeRooms();
    const registered = new Set<string>();
    const service = createProfileService(deps(getStorage(), published), { rooms: rooms.port, userExists: async (u) => registered.has(u) }, options);
    const user = () => {
      const userId = uniqueId('@', SERVER);
      registered.add(userId);
      return userId;
    };
    return { service, rooms, published, user };
  };

  describe('profiles', () => {
    it('serves an empty profile for a registered user and 404 for unknown or remote users', async () => {
      const { service, rooms, user } = setup();
      const alice = user();
      expect(await service.getProfileFields(alice)).toEqual({});
      await rejects(service.getProfileFields(uniqueId('@', SERVER)), 404, 'M_NOT_FOUND');
      await rejects(service.getProfileFields('@bob:elsewhere.example'), 404, 'M_NOT_FOUND');
      // A remote user we share a room with reads as their member event says.
      const roomId = uniqueId('!');
      rooms.setState(roomId, 'm.room.member', '@carol:elsewhere.example', { membership: 'join', displayname: 'Carol', avatar_url: 'mxc://e/c' });
      expect(await service.getProfileFields('@carol:elsewhere.example')).toEqual({ displayname: 'Carol', avatar_url: 'mxc://e/c' });
      await rejects(service.getProfileFields('not-a-user'), 400, 'M_INVALID_PARAM');
      await rejects(service.getProfileField(alice, 'displayname'), 404, 'M_NOT_FOUND');
    });

    it('sets, reads and deletes fields, with the spec limits', async () => {
      const { service, user } = setup();
      const alice = user();
      await service.setProfileField(alice, alice, 'displayname', 'Alice');
      await service.setProfileField(alice, alice, 'avatar_url', 'mxc://test.example/abc123');
      await service.setProfileField(alice, alice, 'm.tz', 'Europe/London');
      await service.setProfileField(alice, alice, 'org.example.custom', null);
      expect(await service.getProfileFields(alice)).toEqual({
        displayname: 'Alice',
        avatar_url: 'mxc://test.example/abc123',
        'm.tz': 'Europe/London',
        'org.example.custom': null,
      });
      expect(await service.getProfile(alice)).toEqual({ displayname: 'Alice', avatar_url: 'mxc://test.example/abc123' });
      expect(await service.getProfileField(alice, 'org.example.custom')).toBeNull();

      await service.deleteProfileField(alice, alice, 'm.tz');
      await service.setProfileField(alice, alice, 'avatar_url', '');
      expect(await service.getProfileFields(alice)).toEqual({ displayname: 'Alice', 'org.example.custom': null });

      await rejects(service.setProfileField(user(), alice, 'displayname', 'Mallory'), 403, 'M_FORBIDDEN');
      await rejects(service.setProfileField(alice, alice, 'avatar_url', 'https://example.com/a.png'), 400, 'M_INVALID_PARAM');
      await rejects(service.setProfileField(alice, alice, 'displayname', 42), 400, 'M_BAD_JSON');
      await rejects(service.setProfileField(alice, alice, 'displayname', undefined), 400, 'M_MISSING_PARAM');
      await rejects(service.setProfileField(alice, alice, 'NotNamespaced', 'x'), 400, 'M_INVALID_PARAM');
      await rejects(service.setProfileField(alice, alice, `org.${'a'.repeat(260)}`, 'x'), 400, 'M_KEY_TOO_LARGE');
      await rejects(service.setProfileField(alice, alice, 'org.example.big', 'x'.repeat(64 * 1024)), 400, 'M_PROFILE_TOO_LARGE');
      // Nothing of the refused writes was stored.
      expect(await service.getProfileFields(alice)).toEqual({ displayname: 'Alice', 'org.example.custom': null });
    });

    it('propagates displayname and avatar changes to member events in joined rooms only', async () => {
      const { service, rooms, user } = setup();
      const alice = user();
      const joined = uniqueId('!');
      const left = uniqueId('!');
      const refusing = uniqueId('!');
      rooms.setState(joined, 'm.room.member', alice, { membership: 'join', displayname: 'old', join_authorised_via_users_server: '@x:y' });
      rooms.setState(left, 'm.room.member', alice, { membership: 'leave' });
      rooms.setState(refusing, 'm.room.member', alice, { membership: 'join', forbidden: true });

      await service.setProfileField(alice, alice, 'displayname', 'Alice');
      expect(rooms.sent).toEqual([
        { roomId: joined, sender: alice, type: 'm.room.member', stateKey: alice, content: { membership: 'join', displayname: 'Alice' } },
      ]);
      // A custom field does not touch member events.
      await service.setProfileField(alice, alice, 'org.example.x', 1);
      expect(rooms.sent).toHaveLength(1);
      await service.deleteProfileField(alice, alice, 'displayname');
      expect(rooms.sent[1]?.content).toEqual({ membership: 'join' });
    });
  });

  describe('account data', () => {
    it('stores global and room account data on the account_data stream and wakes the user', async () => {
      const { service, user, published } = setup();
      const alice = user();
      const roomId = uniqueId('!');
      const before = await service.currentAccountDataPosition();
      await service.setAccountData(alice, alice, null, 'org.example.a', { a: 1 });
      await service.setAccountData(alice, alice, roomId, 'org.example.b', { b: 2 });
      const after = await service.currentAccountDataPosition();
      expect(after).toBeGreaterThan(before);
      expect(published.at(-1)).toEqual({ stream: 'account_data', position: after, userIds: [alice] });
      expect(await service.getAccountData(alice, alice, null, 'org.example.a')).toEqual({ a: 1 });
      expect(await service.getAccountData(alice, alice, roomId, 'org.example.b')).toEqual({ b: 2 });
      await rejects(service.getAccountData(alice, alice, roomId, 'org.example.a'), 404, 'M_NOT_FOUND');

      expect(await service.getAccountDataChanges(alice, before, after)).toEqual({
        global: [{ type: 'org.example.a', content: { a: 1 } }],
        rooms: { [roomId]: [{ type: 'org.example.b', content: { b: 2 } }] },
      });
      expect(await service.getAccountDataChanges(alice, before, after, [])).toEqual({ global: [{ type: 'org.example.a', content: { a: 1 } }], rooms: {} });
      expect(await service.getAccountDataChanges(alice, after, after)).toEqual({ global: [], rooms: {} });
    });

    it('refuses other users, server-managed types, non-objects and bad room IDs', async () => {
      const { service, user } = setup();
      const alice = user();
      const bob = user();
      await rejects(service.setAccountData(bob, alice, null, 'org.example.a', {}), 403, 'M_FORBIDDEN');
      await rejects(service.getAccountData(bob, alice, null, 'org.example.a'), 403, 'M_FORBIDDEN');
      await rejects(service.setAccountData(alice, alice, null, 'm.push_rules', {}), 405, 'M_BAD_JSON');
      await rejects(service.setAccountData(alice, alice, uniqueId('!'), 'm.fully_read', { event_id: '$x' }), 405, 'M_BAD_JSON');
      await rejects(service.setAccountData(alice, alice, null, 'org.example.a', [1, 2]), 400, 'M_BAD_JSON');
      await rejects(service.setAccountData(alice, alice, null, 'org.example.a', 'text'), 400, 'M_BAD_JSON');
      await rejects(service.setAccountData(alice, alice, 'not-a-room', 'org.example.a', {}), 400, 'M_INVALID_PARAM');
      // The server itself may write m.fully_read, and clients may read it.
      const roomId = uniqueId('!');
      await service.setServerAccountData(alice, roomId, 'm.fully_read', { event_id: '$e' });
      expect(await service.getAccountData(alice, alice, roomId, 'm.fully_read')).toEqual({ event_id: '$e' });
    });

    it('tells the registry about client writes once they committed, and a failing listener fails nothing', async () => {
      const changes: [string, string | null, string][] = [];
      const published: StreamAdvance[] = [];
      const service = createProfileService(deps(getStorage(), published), {
        onAccountDataChanged: async (userId, roomId, type) => {
          changes.push([userId, roomId, type]);
          // The write is already visible to whoever the listener calls.
          expect(await service.getServerAccountData(userId, roomId, type)).not.toBeNull();
          if (type === 'org.example.broken') throw new Error('listener broke');
        },
      });
      const alice = uniqueId('@', SERVER);
      await service.setAccountData(alice, alice, null, 'org.parley.presence_privacy', { hide_presence: true });
      await service.setAccountData(alice, alice, '!room:test.example', 'org.example.room', { a: 1 });
      await service.setAccountData(alice, alice, null, 'org.example.broken', { b: 2 });
      expect(changes).toEqual([
        [alice, null, 'org.parley.presence_privacy'],
        [alice, '!room:test.example', 'org.example.room'],
        [alice, null, 'org.example.broken'],
      ]);
      expect(await service.getAccountData(alice, alice, null, 'org.example.broken')).toEqual({ b: 2 });
      // Refused writes and server-side writes are not client changes.
      await rejects(service.setAccountData(alice, alice, null, 'm.push_rules', {}), 405, 'M_BAD_JSON');
      await service.setServerAccountData(alice, '!room:test.example', 'm.fully_read', { event_id: '$e' });
      expect(changes).toHaveLength(3);
    });

    it('validates and reads the ignored-user list', async () => {
      const { service, user } = setup();
      const alice = user();
      expect(await service.getIgnoredUsers(alice)).toEqual(new Set());
      await rejects(service.setAccountData(alice, alice, null, 'm.ignored_user_list', { ignored_users: ['@b:x'] }), 400, 'M_BAD_JSON');
      await rejects(service.setAccountData(alice, alice, null, 'm.ignored_user_list', {}), 400, 'M_BAD_JSON');
      await rejects(service.setAccountData(alice, alice, null, 'm.ignored_user_list', { ignored_users: { bob: {} } }), 400, 'M_BAD_JSON');
      await service.setAccountData(alice, alice, null, 'm.ignored_user_list', { ignored_users: { '@bob:x.example': {}, '@carol:y.example': {} } });
      expect(await service.getIgnoredUsers(alice)).toEqual(new Set(['@bob:x.example', '@carol:y.example']));
    });

    it('keeps tags as the m.tag room account data', async () => {
      const { service, user, published } = setup();
      const alice = user();
      const roomId = uniqueId('!');
      await service.setTag(alice, alice, roomId, 'm.favourite', { order: 0.25 });
      await service.setTag(alice, alice, roomId, 'u.work', {});
      expect(await service.getTags(alice, alice, roomId)).toEqual({ 'm.favourite': { order: 0.25 }, 'u.work': {} });
      const changes = await service.getAccountDataChanges(alice, 0, await service.currentAccountDataPosition());
      expect(changes.rooms[roomId]).toEqual([{ type: 'm.tag', content: { tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } } }]);

      await service.deleteTag(alice, alice, roomId, 'm.favourite');
      expect(await service.getTags(alice, alice, roomId)).toEqual({ 'u.work': {} });
      // Deleting an absent tag writes nothing.
      const count = published.length;
      await service.deleteTag(alice, alice, roomId, 'm.favourite');
      expect(published).toHaveLength(count);

      await rejects(service.setTag(alice, alice, roomId, 'u.x', { order: 1.5 }), 400, 'M_BAD_JSON');
      await rejects(service.setTag(alice, alice, roomId, 'u.x', { order: -0.1 }), 400, 'M_BAD_JSON');
      await rejects(service.setTag(alice, alice, roomId, 'u.x', { order: 'first' }), 400, 'M_BAD_JSON');
      await rejects(service.setTag(alice, alice, roomId, 'x'.repeat(256), {}), 400, 'M_INVALID_PARAM');
      await rejects(service.getTags(user(), alice, roomId), 403, 'M_FORBIDDEN');

      // Upgrades carry tags to the new room, without overwriting tags already set there.
      const successor = uniqueId('!');
      await service.copyRoomTags(alice, roomId, successor);
      expect(await service.getTags(alice, alice, successor)).toEqual({ 'u.work': {} });
      await service.setTag(alice, alice, roomId, 'm.lowpriority', {});
      await service.copyRoomTags(alice, roomId, successor);
      expect(await service.getTags(alice, alice, successor)).toEqual({ 'u.work': {} });
    });
  });

  describe('user directory', () => {
    it('finds users sharing a room or in public rooms, not others, unless configured to search all', async () => {
      const { service, rooms, user } = setup();
      const tag = uniqueId('$').slice(1, 7).toLowerCase().replace(/[^a-z0-9]/g, 'k');
      const searcher = user();
      const [shared, inPublic, hidden] = [user(), user(), user()];
      await service.initProfile(shared, { displayname: `Shared ${tag}` });
      await service.initProfile(inPublic, { displayname: `Public ${tag}` });
      await service.initProfile(hidden, { displayname: `Hidden ${tag}` });
      const privateRoom = uniqueId('!');
      const publicRoom = uniqueId('!');
      const otherPrivate = uniqueId('!');
      rooms.setState(privateRoom, 'm.room.member', searcher, { membership: 'join' });
      rooms.setState(privateRoom, 'm.room.member', shared, { membership: 'join' });
      rooms.setState(privateRoom, 'm.room.member', '@remote:far.example', { membership: 'join', displayname: `Remote ${tag}` });
      rooms.setState(publicRoom, 'm.room.join_rules', '', { join_rule: 'public' });
      rooms.setState(publicRoom, 'm.room.member', inPublic, { membership: 'join' });
      rooms.setState(otherPrivate, 'm.room.join_rules', '', { join_rule: 'invite' });
      rooms.setState(otherPrivate, 'm.room.member', hidden, { membership: 'join' });

      const found = await service.searchUserDirectory(searcher, tag.toUpperCase(), 10);
      expect(found.results.map((r) => r.user_id).sort()).toEqual(['@remote:far.example', inPublic, shared].sort());
      expect(found.limited).toBe(false);
      expect(found.results.find((r) => r.user_id === shared)).toEqual({ user_id: shared, display_name: `Shared ${tag}` });

      const limited = await service.searchUserDirectory(searcher, tag, 1);
      expect(limited).toMatchObject({ limited: true, results: [expect.anything()] });

      const all = setup({ searchAllUsers: true });
      const everyone = await all.service.searchUserDirectory(searcher, tag, 10);
      expect(everyone.results.map((r) => r.user_id)).toContain(hidden);
    });
  });

  describe('reports', () => {
    it('stores event reports only from joined users for events of that room', async () => {
      const { service, rooms, user } = setup();
      const storage = getStorage();
      const alice = user();
      const roomId = uniqueId('!');
      rooms.setState(roomId, 'm.room.member', alice, { membership: 'join' });
      const { testEvent } = await import('../../storage/testing/fixtures.js');
      const event = testEvent({ roomId, sender: '@spammer:x.example' });
      await storage.events.persist(event);

      await service.reportEvent(alice, roomId, event.eventId, { reason: 'spam', score: -100 });
      const [report] = await service.listReports({ limit: 1 });
      expect(report).toMatchObject({ kind: 'event', reporterId: alice, roomId, eventId: event.eventId, targetUserId: '@spammer:x.example', reason: 'spam', score: -100 });

      await rejects(service.reportEvent(user(), roomId, event.eventId, {}), 404, 'M_NOT_FOUND');
      await rejects(service.reportEvent(alice, roomId, uniqueId('$'), {}), 404, 'M_NOT_FOUND');
      await rejects(service.reportEvent(alice, uniqueId('!'), event.eventId, {}), 404, 'M_NOT_FOUND');
    });

    it('stores room and user reports, 404 for unknown rooms and local users', async () => {
      const { service, rooms, user } = setup();
      const alice = user();
      const bob = user();
      const roomId = uniqueId('!');
      rooms.setState(roomId, 'm.room.create', '', {});
      await service.reportRoom(alice, roomId, { reason: 'bad room' });
      await service.reportUser(alice, bob, { reason: '' });
      await service.reportUser(alice, '@someone:far.example', { reason: 'remote' });
      const reports = await service.listReports({ limit: 3 });
      expect(reports.map((r) => [r.kind, r.roomId ?? r.targetUserId])).toEqual([
        ['user', '@someone:far.example'],
        ['user', bob],
        ['room', roomId],
      ]);
      await rejects(service.reportRoom(alice, uniqueId('!'), { reason: 'x' }), 404, 'M_NOT_FOUND');
      await rejects(service.reportUser(alice, uniqueId('@', SERVER), { reason: 'x' }), 404, 'M_NOT_FOUND');
      await rejects(service.reportUser(alice, 'nobody', { reason: 'x' }), 400, 'M_INVALID_PARAM');
    });
  });
});
