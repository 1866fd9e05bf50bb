/**
 * /sync and filters over real HTTP against a real server, on SQLite and (with TEST_POSTGRES_URL) PostgreSQL:
 * initial and incremental syncs, long-polling, limited timelines, leave and invite sections, ignored users,
 * lazy-loaded members, and bad input.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, createRoom, joinRoom, ok, sendMessage, sync, type Json } from './sync-helpers.js';

const enc = encodeURIComponent;

forEachDialect('sync over HTTP', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('stores filters for their owner only and validates them', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const path = `/user/${enc(alice.userId)}/filter`;
    const filter = { room: { timeline: { limit: 5, types: ['m.room.*'] } }, event_fields: ['type', 'content'] };
    const created = await api(server(), 'POST', path, alice, filter);
    expect(created.status).toBe(200);
    const filterId = created.body.filter_id as string;
    expect(filterId).not.toMatch(/^\{/);
    expect(await api(server(), 'GET', `${path}/${enc(filterId)}`, alice)).toEqual({ status: 200, body: filter });
    // The same filter again gives the same ID.
    expect((await api(server(), 'POST', path, alice, filter)).body.filter_id).toBe(filterId);

    const cases: [string, string, TestUser | undefined, unknown, number, string][] = [
      ['GET', `${path}/${enc(filterId)}`, bob, undefined, 403, 'M_FORBIDDEN'],
      ['POST', path, bob, {}, 403, 'M_FORBIDDEN'],
      ['GET', `${path}/999999999`, alice, undefined, 404, 'M_NOT_FOUND'],
      ['GET', `${path}/not-an-id`, alice, undefined, 404, 'M_NOT_FOUND'],
      ['POST', path, alice, '{"room": ', 400, 'M_NOT_JSON'],
      ['POST', path, alice, ['x'], 400, 'M_BAD_JSON'],
      ['POST', path, alice, { room: { timeline: { limit: 'ten' } } }, 400, 'M_BAD_JSON'],
      ['POST', path, alice, { event_format: 'xml' }, 400, 'M_BAD_JSON'],
      ['POST', path, alice, { room: { rooms: ['not-a-room'] } }, 400, 'M_INVALID_PARAM'],
      ['POST', path, undefined, {}, 401, 'M_MISSING_TOKEN'],
    ];
    for (const [method, url, user, body, status, errcode] of cases) {
      const answer = await api(server(), method, url, user, body);
      expect({ method, url, status: answer.status, errcode: answer.body.errcode }).toEqual({ method, url, status, errcode });
    }
    expect((await api(server(), 'GET', '/sync', { ...alice, accessToken: 'nope' })).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('rejects bad sync parameters with 400 and keeps serving', async () => {
    const alice = await register('alice');
    const bad: [string, string][] = [
      ['since=garbage', 'M_INVALID_PARAM'],
      ['since=s1_x', 'M_INVALID_PARAM'],
      ['timeout=soon', 'M_INVALID_PARAM'],
      ['timeout=-5', 'M_INVALID_PARAM'],
      ['full_state=maybe', 'M_INVALID_PARAM'],
      ['set_presence=busy', 'M_INVALID_PARAM'],
      ['filter=12345678', 'M_INVALID_PARAM'],
      [`filter=${enc('{"room": ')}`, 'M_NOT_JSON'],
      [`filter=${enc('{"room": {"timeline": {"limit": "x"}}}')}`, 'M_BAD_JSON'],
    ];
    for (const [query, errcode] of bad) {
      const answer = await api(server(), 'GET', `/sync?${query}`, alice);
      expect({ query, status: answer.status, errcode: answer.body.errcode }).toEqual({ query, status: 400, errcode });
    }
    expect((await api(server(), 'GET', '/sync', alice)).status).toBe(200);
  });

  it('gives an initial sync with the room, its state, timeline, summary and every section clients expect', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { name: 'Initial', invite: [bob.userId] });
    await joinRoom(server(), bob, roomId);
    const sent = await sendMessage(server(), alice, roomId, 'hello bob');

    const response = await sync(server(), bob);
    expect(response.next_batch).toMatch(/^s\d+(_\d+)+$/);
    for (const key of ['account_data', 'presence', 'to_device']) expect(response[key]).toMatchObject({ events: expect.any(Array) });
    expect(response.device_lists).toEqual({ changed: [], left: [] });
    expect(response.device_one_time_keys_count).toEqual({});

    const room = joinedRoom(response, roomId);
    const timeline = room.timeline as { events: Json[]; limited: boolean; prev_batch: string };
    expect(timeline.events.at(-1)).toMatchObject({ event_id: sent, type: 'm.room.message', sender: alice.userId, content: { body: 'hello bob' } });
    expect(timeline.prev_batch).toMatch(/^s\d+/);
    // A named room: the counts, no heroes (clients name it by its name).
    expect(room.summary).toEqual({ 'm.joined_member_count': 2, 'm.invited_member_count': 0 });
    // State at the start of the timeline plus the timeline's state events make the whole room state.
    const stateTypes = new Set([...(room.state as { events: Json[] }).events, ...timeline.events].filter((e) => 'state_key' in e).map((e) => e.type));
    for (const type of ['m.room.create', 'm.room.power_levels', 'm.room.name', 'm.room.member']) expect(stateTypes).toContain(type);
    expect(room.unread_notifications).toMatchObject({ notification_count: expect.any(Number), highlight_count: expect.any(Number) });
  });

  it('gives only what changed in an incremental sync, and nothing when nothing did', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { invite: [bob.userId] });
    await joinRoom(server(), bob, roomId);
    const quietRoom = await createRoom(server(), bob, {});
    const first = await sync(server(), bob);
    expect(Object.keys(rooms(first).join)).toEqual(expect.arrayContaining([roomId, quietRoom]));

    const nothing = await sync(server(), bob, { since: first.next_batch as string });
    expect(rooms(nothing).join).toEqual({});

    const sent = await sendMessage(server(), alice, roomId, 'news');
    const next = await sync(server(), bob, { since: nothing.next_batch as string });
    expect(Object.keys(rooms(next).join)).toEqual([roomId]);
    const timeline = joinedRoom(next, roomId).timeline as { events: Json[]; limited: boolean };
    expect(timeline.events.map((event) => event.event_id)).toEqual([sent]);
    expect(timeline.limited).toBe(false);
    expect((joinedRoom(next, roomId).state as { events: Json[] }).events).toEqual([]);
  });

  it('sends a limited timeline with prev_batch and the state delta when much happened', async () => {
    const alice = await register('alice');
    const roomId = await createRoom(server(), alice, { name: 'Before' });
    const start = await sync(server(), alice);
    await api(server(), 'PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, alice, { name: 'After' });
    const sent: string[] = [];
    for (let index = 0; index < 6; index += 1) sent.push(await sendMessage(server(), alice, roomId, `message ${index}`));

    const filter = JSON.stringify({ room: { timeline: { limit: 3 } } });
    const next = await sync(server(), alice, { since: start.next_batch as string, filter });
    const room = joinedRoom(next, roomId);
    const timeline = room.timeline as { events: Json[]; limited: boolean; prev_batch: string };
    expect(timeline.limited).toBe(true);
    expect(timeline.events.map((event) => event.event_id)).toEqual(sent.slice(3));
    // The name change fell into the gap: it comes in the state delta.
    expect((room.state as { events: Json[] }).events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'm.room.name', content: { name: 'After' } })]),
    );
    // prev_batch paginates back into the gap.
    const back = await api(server(), 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=3&from=${enc(timeline.prev_batch)}`, alice);
    expect(back.status).toBe(200);
    expect((back.body.chunk as Json[]).map((event) => event.event_id)).toEqual([sent[2], sent[1], sent[0]]);
  });

  it('moves a room to leave when the user leaves, and shows invites with their stripped state', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { name: 'Invite me' });
    const start = await sync(server(), bob);

    await api(server(), 'POST', `/rooms/${enc(roomId)}/invite`, alice, { user_id: bob.userId });
    const invited = await sync(server(), bob, { since: start.next_batch as string });
    const inviteState = (rooms(invited).invite[roomId] as { invite_state: { events: Json[] } }).invite_state.events;
    expect(inviteState).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'm.room.name', content: { name: 'Invite me' } }),
        expect.objectContaining({ type: 'm.room.member', state_key: bob.userId, content: expect.objectContaining({ membership: 'invite' }) }),
      ]),
    );

    await joinRoom(server(), bob, roomId);
    const joined = await sync(server(), bob, { since: invited.next_batch as string });
    expect(Object.keys(rooms(joined).join)).toEqual([roomId]);
    expect(rooms(joined).invite).toEqual({});
    // Newly joined: the whole state, including the user's own membership.
    const joinedState = [...((joinedRoom(joined, roomId).state as { events: Json[] }).events), ...((joinedRoom(joined, roomId).timeline as { events: Json[] }).events)];
    expect(joinedState.some((event) => event.type === 'm.room.create')).toBe(true);

    expect((await api(server(), 'POST', `/rooms/${enc(roomId)}/leave`, bob, {})).status).toBe(200);
    const left = await sync(server(), bob, { since: joined.next_batch as string });
    expect(rooms(left).join).toEqual({});
    const leftRoom = rooms(left).leave[roomId] as { timeline: { events: Json[] } };
    expect(leftRoom.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, content: { membership: 'leave' } });

    // Later messages never reach the user who left; an initial sync shows the left room only with include_leave.
    await sendMessage(server(), alice, roomId, 'after you left');
    const after = await sync(server(), bob, { since: left.next_batch as string });
    expect(rooms(after).join).toEqual({});
    expect(rooms(after).leave).toEqual({});
    expect(rooms(await sync(server(), bob)).leave).toEqual({});
    const withLeave = await sync(server(), bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
    expect(Object.keys(rooms(withLeave).leave)).toEqual([roomId]);
  });

  it("never delivers an ignored user's messages, but still their state events", async () => {
    const alice = await register('alice');
    const mallory = await register('mallory');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    await joinRoom(server(), mallory, roomId);
    const ignore = await api(server(), 'PUT', `/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, alice, {
      ignored_users: { [mallory.userId]: {} },
    });
    expect(ignore.status).toBe(200);
    const start = await sync(server(), alice);
    expect(JSON.stringify(start)).not.toContain('"body"');

    await sendMessage(server(), mallory, roomId, 'spam');
    await api(server(), 'PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, mallory, { topic: 'allowed' });
    const own = await sendMessage(server(), alice, roomId, 'mine');
    const next = await sync(server(), alice, { since: start.next_batch as string });
    const events = (joinedRoom(next, roomId).timeline as { events: Json[] }).events;
    expect(events.filter((event) => event.sender === mallory.userId && event.type === 'm.room.message')).toEqual([]);
    expect(events.map((event) => event.event_id)).toContain(own);
    expect(JSON.stringify(next)).not.toContain('spam');
    // State events of ignored users still arrive (public_chat lets members set the topic? then it is here).
    const topicSet = (await api(server(), 'GET', `/rooms/${enc(roomId)}/state/m.room.topic/`, alice)).status === 200;
    expect(events.some((event) => event.type === 'm.room.topic' && event.sender === mallory.userId)).toBe(topicSet);
  });

  it('lazy-loads members: only the senders of the timeline and the user', async () => {
    const alice = await register('alice');
    const others = await Promise.all(['bob', 'carol', 'dave'].map((name) => register(name)));
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    for (const user of others) await joinRoom(server(), user, roomId);
    await sendMessage(server(), others[0] as TestUser, roomId, 'from bob');

    const filter = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } } });
    const response = await sync(server(), alice, { filter });
    const room = joinedRoom(response, roomId);
    const members = (room.state as { events: Json[] }).events.filter((event) => event.type === 'm.room.member').map((event) => event.state_key);
    expect(new Set(members)).toEqual(new Set([alice.userId, (others[0] as TestUser).userId, ...(room.summary as { 'm.heroes': string[] })['m.heroes']]));
    expect(members).not.toContain(undefined);
    expect((room.summary as Json)['m.joined_member_count']).toBe(4);
  });
});

forEachDialect('sync sections over HTTP', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  async function pair(): Promise<{ alice: TestUser; bob: TestUser; roomId: string }> {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { invite: [bob.userId] });
    await joinRoom(server(), bob, roomId);
    return { alice, bob, roomId };
  }

  it('carries typing, receipts, room account data and unread counts of joined rooms', async () => {
    const { alice, bob, roomId } = await pair();
    const start = await sync(server(), bob);
    const first = await sendMessage(server(), alice, roomId, 'one');
    const second = await sendMessage(server(), alice, roomId, 'two');
    expect((await api(server(), 'PUT', `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, alice, { typing: true, timeout: 30_000 })).status).toBe(200);
    expect((await api(server(), 'POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`, alice, {})).status).toBe(200);
    expect((await api(server(), 'PUT', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/org.example.note`, bob, { note: 'x' })).status).toBe(200);

    const next = await sync(server(), bob, { since: start.next_batch as string });
    const room = joinedRoom(next, roomId);
    const ephemeral = (room.ephemeral as { events: Json[] }).events;
    expect(ephemeral).toEqual(
      expect.arrayContaining([
        { type: 'm.typing', content: { user_ids: [alice.userId] } },
        expect.objectContaining({ type: 'm.receipt', content: { [first]: { 'm.read': { [alice.userId]: expect.objectContaining({ ts: expect.any(Number) }) } } } }),
      ]),
    );
    expect((room.account_data as { events: Json[] }).events).toEqual([{ type: 'org.example.note', content: { note: 'x' } }]);
    expect(room.unread_notifications).toEqual({ notification_count: 2, highlight_count: 0 });

    // Reading clears the count, and the receipt alone brings the room back into the sync.
    expect((await api(server(), 'POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(second)}`, bob, {})).status).toBe(200);
    const read = await sync(server(), bob, { since: next.next_batch as string });
    expect(joinedRoom(read, roomId).unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
    // The ephemeral filter can switch receipts and typing off.
    const filtered = await sync(server(), bob, { since: start.next_batch as string, filter: JSON.stringify({ room: { ephemeral: { not_types: ['m.*'] } } }) });
    expect((joinedRoom(filtered, roomId).ephemeral as { events: Json[] }).events).toEqual([]);
  });

  it('gives the global account data on an initial sync and its changes later', async () => {
    const alice = await register('alice');
    await api(server(), 'PUT', `/user/${enc(alice.userId)}/account_data/org.example.a`, alice, { a: 1 });
    const initial = await sync(server(), alice);
    const types = (initial.account_data as { events: Json[] }).events.map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['org.example.a', 'm.push_rules']));

    const quiet = await sync(server(), alice, { since: initial.next_batch as string });
    expect((quiet.account_data as { events: Json[] }).events).toEqual([]);
    await api(server(), 'PUT', `/user/${enc(alice.userId)}/account_data/org.example.b`, alice, { b: 2 });
    const changed = await sync(server(), alice, { since: quiet.next_batch as string });
    expect((changed.account_data as { events: Json[] }).events).toEqual([{ type: 'org.example.b', content: { b: 2 } }]);
    const filtered = await sync(server(), alice, { filter: JSON.stringify({ account_data: { types: ['org.example.b'] } }) });
    expect((filtered.account_data as { events: Json[] }).events.map((event) => event.type)).toEqual(['org.example.b']);
  });

  it('sends the full state with full_state, and honours room, timeline and event_fields filters', async () => {
    const { alice, bob, roomId } = await pair();
    const otherRoom = await createRoom(server(), bob, {});
    const start = await sync(server(), bob);
    await sendMessage(server(), alice, roomId, 'text');
    await api(server(), 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/img-${Date.now()}`, alice, { msgtype: 'm.image', body: 'pic', url: 'mxc://hs/abc' });

    const full = await sync(server(), bob, { since: start.next_batch as string, full_state: true, timeout: 10_000 });
    const state = (joinedRoom(full, roomId).state as { events: Json[] }).events;
    expect(state.map((event) => event.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels', 'm.room.member']));
    expect(Object.keys(rooms(full).join).sort()).toEqual([roomId, otherRoom].sort());

    const filter = JSON.stringify({
      room: { not_rooms: [otherRoom], timeline: { contains_url: true } },
      event_fields: ['type', 'content.url'],
    });
    const onlyImages = await sync(server(), bob, { filter });
    expect(Object.keys(rooms(onlyImages).join)).toEqual([roomId]);
    expect((joinedRoom(onlyImages, roomId).timeline as { events: Json[] }).events).toEqual([{ type: 'm.room.message', content: { url: 'mxc://hs/abc' } }]);
  });

  it('answers use_state_after with state_after instead of state', async () => {
    const { bob, roomId } = await pair();
    const response = await ok(api(server(), 'GET', '/sync?use_state_after=true', bob), 'sync');
    const room = joinedRoom(response, roomId);
    expect(room.state).toBeUndefined();
    const after = (room.state_after as { events: Json[] }).events;
    expect(after.filter((event) => event.type === 'm.room.member').map((event) => event.state_key)).toContain(bob.userId);
  });

  it('shows a knock with its stripped state, and the presence of people sharing a room', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { name: 'Knock here', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    const start = await sync(server(), bob);
    expect((await api(server(), 'POST', `/knock/${enc(roomId)}`, bob, { reason: 'let me in' })).status).toBe(200);
    const knocked = await sync(server(), bob, { since: start.next_batch as string });
    const knockState = (rooms(knocked).knock[roomId] as { knock_state: { events: Json[] } }).knock_state.events;
    expect(knockState).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'm.room.join_rules', content: { join_rule: 'knock' } }),
        expect.objectContaining({ type: 'm.room.member', state_key: bob.userId, content: expect.objectContaining({ membership: 'knock' }) }),
      ]),
    );

    // Once they share a room, alice's sync (set_presence defaults to online) shows in bob's presence section.
    await api(server(), 'POST', `/rooms/${enc(roomId)}/invite`, alice, { user_id: bob.userId });
    await joinRoom(server(), bob, roomId);
    await sync(server(), alice, { set_presence: 'online' });
    const seen = await sync(server(), bob);
    const presence = (seen.presence as { events: Json[] }).events;
    expect(presence).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'm.presence', sender: alice.userId, content: expect.objectContaining({ presence: 'online' }) })]));
    // The presence filter can drop it.
    const filtered = await sync(server(), bob, { filter: JSON.stringify({ presence: { not_senders: [alice.userId] } }) });
    expect((filtered.presence as { events: Json[] }).events.filter((event) => event.sender === alice.userId)).toEqual([]);
  });

  it('moves a kicked or banned user\'s room to leave, also in a full_state sync', async () => {
    const { alice, bob, roomId } = await pair();
    const start = await sync(server(), bob);
    expect((await api(server(), 'POST', `/rooms/${enc(roomId)}/kick`, alice, { user_id: bob.userId, reason: 'bye' })).status).toBe(200);
    const kicked = await sync(server(), bob, { since: start.next_batch as string, full_state: true });
    expect(rooms(kicked).join[roomId]).toBeUndefined();
    const timeline = (rooms(kicked).leave[roomId] as { timeline: { events: Json[] } }).timeline.events;
    expect(timeline.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: alice.userId, content: { membership: 'leave', reason: 'bye' } });

    expect((await api(server(), 'POST', `/rooms/${enc(roomId)}/ban`, alice, { user_id: bob.userId })).status).toBe(200);
    const banned = await sync(server(), bob, { since: kicked.next_batch as string });
    expect((rooms(banned).leave[roomId] as { timeline: { events: Json[] } }).timeline.events.at(-1)).toMatchObject({ content: { membership: 'ban' } });
  });

  it('starts the state where the visible timeline starts, so hidden events still shape it', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, {
      name: 'Old name',
      invite: [bob.userId],
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    await api(server(), 'PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, alice, { name: 'New name' });
    await joinRoom(server(), bob, roomId);
    await sendMessage(server(), alice, roomId, 'welcome');

    const response = await sync(server(), bob, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const room = joinedRoom(response, roomId);
    const timeline = (room.timeline as { events: Json[] }).events;
    // The rename happened before bob joined: hidden from the timeline, but the state says New name.
    expect(timeline.some((event) => event.type === 'm.room.name')).toBe(false);
    const names = [...(room.state as { events: Json[] }).events, ...timeline].filter((event) => event.type === 'm.room.name');
    expect(names.map((event) => (event.content as Json).name)).toEqual(['New name']);
  });

  it('hides invites from ignored users', async () => {
    const alice = await register('alice');
    const mallory = await register('mallory');
    await api(server(), 'PUT', `/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, alice, { ignored_users: { [mallory.userId]: {} } });
    const start = await sync(server(), alice);
    const roomId = await createRoom(server(), mallory, { invite: [alice.userId] });
    const next = await sync(server(), alice, { since: start.next_batch as string });
    expect(rooms(next).invite[roomId]).toBeUndefined();
    expect(rooms(await sync(server(), alice)).invite[roomId]).toBeUndefined();
  });
});

/** The joined room of a sync response, failing clearly when it is absent. */
function joinedRoom(response: Json, roomId: string): Json {
  const room = rooms(response).join[roomId];
  if (!room) throw new Error(`room ${roomId} not in rooms.join of ${JSON.stringify(response)}`);
  return room as Json;
}

function rooms(response: Json): { join: Json; invite: Json; leave: Json; knock: Json } {
  return response.rooms as { join: Json; invite: Json; leave: Json; knock: Json };
}
