/**
 * Sync conformance over HTTP: newly joined rooms in an incremental sync, lazy-loaded members, the room summary,
 * ignored users and presence.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, createRoom, joinRoom, ok, sendMessage, sync, type Json } from './sync-helpers.js';

const enc = encodeURIComponent;

interface Room {
  summary: Json;
  state?: { events: Json[] };
  timeline: { events: Json[]; limited: boolean; prev_batch: string };
}

function joined(response: Json, roomId: string): Room {
  const room = ((response.rooms as Json).join as Record<string, Room>)[roomId];
  if (!room) throw new Error(`room ${roomId} missing from rooms.join: ${JSON.stringify(response.rooms)}`);
  return room;
}

function memberKeys(room: Room): string[] {
  return (room.state?.events ?? []).filter((event) => event.type === 'm.room.member').map((event) => event.state_key as string);
}

function bodies(events: readonly Json[]): string[] {
  return events.filter((event) => event.type === 'm.room.message').map((event) => (event.content as Json).body as string);
}

forEachDialect('sync conformance: newly joined rooms', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('sends a room joined since `since` like an initial sync: last N events, limited, prev_batch, full state', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', name: 'History' });
    for (let i = 0; i < 8; i += 1) await sendMessage(server(), alice, roomId, `before ${i}`);
    const start = await sync(server(), bob);
    await joinRoom(server(), bob, roomId);

    const filter = JSON.stringify({ room: { timeline: { limit: 5 } } });
    const next = await sync(server(), bob, { since: start.next_batch as string, filter });
    const room = joined(next, roomId);
    // The last 5 events: 4 of alice's messages and bob's join; more came before.
    expect(room.timeline.events).toHaveLength(5);
    expect(bodies(room.timeline.events)).toEqual(['before 4', 'before 5', 'before 6', 'before 7']);
    expect(room.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId });
    expect(room.timeline.limited).toBe(true);
    // The state before the timeline: the room's name and creation, alice's membership; bob's join is in the timeline.
    const types = new Set((room.state?.events ?? []).map((event) => event.type));
    for (const type of ['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.name']) expect(types).toContain(type);
    expect(memberKeys(room)).toContain(alice.userId);

    // prev_batch paginates back from the start of the timeline into the history bob may see (public_chat: shared).
    const back = await ok(
      api(server(), 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=4&from=${enc(room.timeline.prev_batch)}`, bob),
      'messages',
    );
    expect(bodies(back.chunk as Json[])).toEqual(['before 3', 'before 2', 'before 1', 'before 0']);
  });

  it('is not limited when the room has fewer events than the limit, and lazy-loads members like an initial sync', async () => {
    const alice = await register('alice');
    const carol = await register('carol');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', name: 'Small' });
    await joinRoom(server(), carol, roomId);
    await sendMessage(server(), alice, roomId, 'hello');
    const start = await sync(server(), bob);
    await joinRoom(server(), bob, roomId);

    const filter = JSON.stringify({ room: { timeline: { limit: 50 }, state: { lazy_load_members: true } } });
    const next = await sync(server(), bob, { since: start.next_batch as string, filter });
    const room = joined(next, roomId);
    expect(room.timeline.limited).toBe(false);
    expect(room.timeline.events[0]).toMatchObject({ type: 'm.room.create' });
    // Every sender is in the timeline with its member event (or its state before): nothing extra in state.
    const initial = await sync(server(), bob, { filter });
    expect(joined(initial, roomId).timeline.events.map((event) => event.event_id)).toEqual(room.timeline.events.map((event) => event.event_id));
  });
});

forEachDialect('sync conformance: summary and lazy-loaded members', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));
  const lazy = (extra: Json = {}) => JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true, ...extra } } });

  async function roomOfFour(body: Json): Promise<{ alice: TestUser; others: TestUser[]; roomId: string }> {
    const alice = await register('alice');
    const others = await Promise.all(['bob', 'carol', 'dave'].map((name) => register(name)));
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', ...body });
    for (const user of others) await joinRoom(server(), user, roomId);
    return { alice, others, roomId };
  }

  it('a named room has no m.heroes, and its lazy-loaded members are exactly the timeline senders and the user', async () => {
    const { alice, others, roomId } = await roomOfFour({ name: 'Named' });
    const [bob] = others as [TestUser];
    await sendMessage(server(), bob, roomId, 'from bob');
    const room = joined(await sync(server(), alice, { filter: lazy() }), roomId);
    expect(room.summary).toEqual({ 'm.joined_member_count': 4, 'm.invited_member_count': 0 });
    expect(new Set(memberKeys(room))).toEqual(new Set([alice.userId, bob.userId]));
    expect(memberKeys(room)).toHaveLength(2);
  });

  it('a room with only a canonical alias has no m.heroes', async () => {
    const { alice, roomId } = await roomOfFour({ room_alias_name: uniqueLocalpart('alias') });
    const room = joined(await sync(server(), alice, { filter: lazy() }), roomId);
    expect(room.summary['m.heroes']).toBeUndefined();
    expect(room.summary['m.joined_member_count']).toBe(4);
  });

  it('an unnamed room has m.heroes (never the user), whose member events come with lazy loading', async () => {
    const { alice, others, roomId } = await roomOfFour({});
    const room = joined(await sync(server(), alice, { filter: lazy() }), roomId);
    const heroes = room.summary['m.heroes'] as string[];
    expect(new Set(heroes)).toEqual(new Set(others.map((user) => user.userId)));
    expect(room.summary['m.joined_member_count']).toBe(4);
    expect(room.summary['m.invited_member_count']).toBe(0);
    // The last event is dave's join (the timeline); the state holds alice (the user) and the other heroes.
    const dave = others[2] as TestUser;
    expect(room.timeline.events.map((event) => event.state_key)).toEqual([dave.userId]);
    expect(new Set(memberKeys(room))).toEqual(new Set([alice.userId, ...heroes.filter((hero) => hero !== dave.userId)]));
  });

  it('incremental syncs send a member event once per device, and every time with include_redundant_members', async () => {
    const { alice, others, roomId } = await roomOfFour({ name: 'Incremental' });
    const [bob, carol] = others as [TestUser, TestUser];
    await sendMessage(server(), bob, roomId, 'bob 1');
    const first = await sync(server(), alice, { filter: lazy() });
    expect(memberKeys(joined(first, roomId))).toContain(bob.userId);

    await sendMessage(server(), bob, roomId, 'bob 2');
    const second = await sync(server(), alice, { filter: lazy(), since: first.next_batch as string });
    expect(memberKeys(joined(second, roomId))).toEqual([]);

    await sendMessage(server(), carol, roomId, 'carol 1');
    const third = await sync(server(), alice, { filter: lazy(), since: second.next_batch as string });
    expect(memberKeys(joined(third, roomId))).toEqual([carol.userId]);

    await sendMessage(server(), bob, roomId, 'bob 3');
    const redundant = lazy({ include_redundant_members: true });
    const fourth = await sync(server(), alice, { filter: redundant, since: third.next_batch as string });
    expect(memberKeys(joined(fourth, roomId))).toEqual([bob.userId]);
  });

  it('sends the heroes in the incremental sync where the room loses its name', async () => {
    const { alice, others, roomId } = await roomOfFour({ name: 'Soon unnamed' });
    const start = await sync(server(), alice, { filter: lazy() });
    expect(joined(start, roomId).summary['m.heroes']).toBeUndefined();
    await ok(api(server(), 'PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, alice, { name: '' }), 'unname');
    const next = await sync(server(), alice, { filter: lazy(), since: start.next_batch as string });
    expect(new Set(joined(next, roomId).summary['m.heroes'] as string[])).toEqual(new Set(others.map((user) => user.userId)));
    // The heroes' member events this device lacks come along: dave's join was the initial sync's timeline.
    const [bob, carol] = others as [TestUser, TestUser];
    expect(new Set(memberKeys(joined(next, roomId)))).toEqual(new Set([bob.userId, carol.userId]));
  });

  it('sends the member counts of an incremental sync whose membership changed', async () => {
    const { alice, roomId } = await roomOfFour({ name: 'Counts' });
    const start = await sync(server(), alice, { filter: lazy() });
    const erin = await register('erin');
    await ok(api(server(), 'POST', `/rooms/${enc(roomId)}/invite`, alice, { user_id: erin.userId }), 'invite');
    const next = await sync(server(), alice, { filter: lazy(), since: start.next_batch as string });
    expect(joined(next, roomId).summary).toEqual({ 'm.joined_member_count': 4, 'm.invited_member_count': 1 });
  });
});

forEachDialect('sync conformance: ignored users', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));
  const ignore = (user: TestUser, ignored: TestUser[]) =>
    ok(
      api(server(), 'PUT', `/user/${enc(user.userId)}/account_data/m.ignored_user_list`, user, {
        ignored_users: Object.fromEntries(ignored.map((other) => [other.userId, {}])),
      }),
      'ignore',
    );
  const invites = (response: Json) => Object.keys((response.rooms as Json).invite as Json);

  it("never sends an ignored user's invites, in initial or incremental syncs", async () => {
    const alice = await register('alice');
    const mallory = await register('mallory');
    const bob = await register('bob');
    const before = await createRoom(server(), mallory, { preset: 'private_chat' });
    await ok(api(server(), 'POST', `/rooms/${enc(before)}/invite`, mallory, { user_id: alice.userId }), 'invite');
    expect(invites(await sync(server(), alice))).toContain(before);

    await ignore(alice, [mallory]);
    const start = await sync(server(), alice);
    expect(invites(start)).not.toContain(before);
    const after = await createRoom(server(), mallory, { preset: 'private_chat' });
    await ok(api(server(), 'POST', `/rooms/${enc(after)}/invite`, mallory, { user_id: alice.userId }), 'invite');
    const fromBob = await createRoom(server(), bob, { preset: 'private_chat' });
    await ok(api(server(), 'POST', `/rooms/${enc(fromBob)}/invite`, bob, { user_id: alice.userId }), 'invite');
    const next = await sync(server(), alice, { since: start.next_batch as string });
    expect(invites(next)).toEqual([fromBob]);
  });

  it("an ignored user's messages do not end a long-poll: the room does not come down for them", async () => {
    const alice = await register('alice');
    const mallory = await register('mallory');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    await joinRoom(server(), mallory, roomId);
    await ignore(alice, [mallory]);
    const start = await sync(server(), alice);
    const waiting = sync(server(), alice, { since: start.next_batch as string, timeout: 1_500 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sendMessage(server(), mallory, roomId, 'spam');
    const next = await waiting;
    expect(Object.keys((next.rooms as Json).join as Json)).toEqual([]);
    expect(JSON.stringify(next)).not.toContain('spam');
  });
});

forEachDialect('sync conformance: presence', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));
  const status = (viewer: TestUser, user: TestUser) => ok(api(server(), 'GET', `/presence/${enc(user.userId)}/status`, viewer), 'presence');
  const presenceOf = (response: Json, user: TestUser) =>
    ((response.presence as { events: Json[] }).events ?? []).filter((event) => event.sender === user.userId);

  it('a user never seen (registered, joined, never synced) is offline, and initial syncs leave them out', async () => {
    const alice = await register('alice');
    const quiet = await register('quiet');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    await joinRoom(server(), quiet, roomId);
    expect(await status(alice, quiet)).toEqual({ presence: 'offline' });
    const initial = await sync(server(), alice);
    expect(presenceOf(initial, quiet)).toEqual([]);
    // The syncing user's own presence is known: they are online.
    expect(presenceOf(initial, alice).map((event) => (event.content as Json).presence)).toEqual(['online']);
  });

  it('an initial sync leaves out users known to be offline; an incremental sync sends them going offline', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    await joinRoom(server(), bob, roomId);
    await ok(api(server(), 'PUT', `/presence/${enc(bob.userId)}/status`, bob, { presence: 'online' }), 'online');
    const start = await sync(server(), alice);
    expect(presenceOf(start, bob).map((event) => (event.content as Json).presence)).toEqual(['online']);
    await ok(api(server(), 'PUT', `/presence/${enc(bob.userId)}/status`, bob, { presence: 'offline' }), 'offline');
    const next = await sync(server(), alice, { since: start.next_batch as string });
    expect(presenceOf(next, bob).map((event) => (event.content as Json).presence)).toEqual(['offline']);
    expect(presenceOf(await sync(server(), alice), bob)).toEqual([]);
    expect((await status(alice, bob)).presence).toBe('offline');
  });

  it("a co-member's presence change wakes a waiting sync at once", async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    await joinRoom(server(), bob, roomId);
    const start = await sync(server(), alice);
    expect(presenceOf(start, bob)).toEqual([]);

    // bob's client starts syncing: he comes online.
    let began = Date.now();
    let waiting = sync(server(), alice, { since: start.next_batch as string, timeout: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sync(server(), bob, { timeout: 0 });
    const online = await waiting;
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(presenceOf(online, bob).map((event) => (event.content as Json).presence)).toEqual(['online']);

    // He sets a status message.
    began = Date.now();
    waiting = sync(server(), alice, { since: online.next_batch as string, timeout: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ok(api(server(), 'PUT', `/presence/${enc(bob.userId)}/status`, bob, { presence: 'online', status_msg: 'here' }), 'set');
    const next = await waiting;
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(presenceOf(next, bob).map((event) => event.content)).toEqual([
      expect.objectContaining({ presence: 'online', status_msg: 'here', currently_active: true }),
    ]);
  });
});
