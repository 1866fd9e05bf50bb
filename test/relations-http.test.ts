/**
 * Relations, threads, context, upgrades, aliases and the public room directory over HTTP on SQLite and (with
 * TEST_POSTGRES_URL) PostgreSQL, with bad input.
 * https://spec.matrix.org/v1.19/client-server-api/#relationships-api
 */
import { expect, it } from 'vitest';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

type Json = Record<string, unknown>;
const enc = encodeURIComponent;
const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';
let txn = 0;

async function send(server: TestHomeserver, user: TestUser, roomId: string, content: Json, type = 'm.room.message'): Promise<string> {
  const response = await api(server, 'PUT', `${V3}/rooms/${enc(roomId)}/send/${type}/h${++txn}`, { token: user.accessToken, body: content });
  expect(response.status).toBe(200);
  return response.body.event_id as string;
}

forEachDialect('relations, directory and upgrades over HTTP', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));
  const createRoom = async (user: TestUser, body: Json = { preset: 'public_chat' }) =>
    (await api(server(), 'POST', `${V3}/createRoom`, { token: user.accessToken, body })).body.room_id as string;

  it('serves edits, threads and reactions through /relations, /threads, /event and /context', async () => {
    const alice = await register('alice');
    const roomId = await createRoom(alice);
    const root = await send(server(), alice, roomId, { msgtype: 'm.text', body: 'root' });
    const editId = await send(server(), alice, roomId, {
      msgtype: 'm.text', body: '* root!', 'm.new_content': { msgtype: 'm.text', body: 'root!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: root },
    });
    const reply = await send(server(), alice, roomId, { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const reaction = await send(server(), alice, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } }, 'm.reaction');
    const duplicate = await api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.reaction/dup${txn}`, {
      token: alice.accessToken, body: { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } },
    });
    expect([duplicate.status, duplicate.body.errcode]).toEqual([400, 'M_DUPLICATE_ANNOTATION']);

    const event = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/event/${enc(root)}`, { token: alice.accessToken });
    const bundled = (event.body.unsigned as Json)['m.relations'] as Json;
    expect((bundled['m.replace'] as Json).event_id).toBe(editId);
    expect((bundled['m.thread'] as Json).count).toBe(1);
    expect((event.body.content as Json).body).toBe('root');

    const all = await api(server(), 'GET', `${V1}/rooms/${enc(roomId)}/relations/${enc(root)}`, { token: alice.accessToken });
    expect((all.body.chunk as Json[]).map((e) => e.event_id)).toEqual([reaction, reply, editId]);
    const reactions = await api(server(), 'GET', `${V1}/rooms/${enc(roomId)}/relations/${enc(root)}/m.annotation/m.reaction?dir=f&recurse=true`, { token: alice.accessToken });
    expect([(reactions.body.chunk as Json[]).map((e) => e.event_id), reactions.body.recursion_depth]).toEqual([[reaction], 3]);
    const threads = await api(server(), 'GET', `${V1}/rooms/${enc(roomId)}/threads?include=participated`, { token: alice.accessToken });
    expect((threads.body.chunk as Json[]).map((e) => e.event_id)).toEqual([root]);
    const context = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/context/${enc(reply)}?limit=2`, { token: alice.accessToken });
    expect([(context.body.event as Json).event_id, (context.body.events_before as Json[]).length, (context.body.events_after as Json[]).length]).toEqual([reply, 1, 1]);
    expect(typeof context.body.start).toBe('string');
  });

  it('rejects bad input on the relations endpoints', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    const root = await send(server(), alice, roomId, { msgtype: 'm.text', body: 'private' });
    const base = `${V1}/rooms/${enc(roomId)}/relations/${enc(root)}`;
    const cases: [string, number, string][] = [
      [`${V1}/rooms/not-a-room/relations/${enc(root)}`, 400, 'M_INVALID_PARAM'],
      [`${V1}/rooms/${enc(roomId)}/relations/not-an-event`, 400, 'M_INVALID_PARAM'],
      [`${base}?limit=abc`, 400, 'M_INVALID_PARAM'],
      [`${base}?dir=x`, 400, 'M_INVALID_PARAM'],
      [`${base}?from=garbage`, 400, 'M_INVALID_PARAM'],
      [`${V1}/rooms/${enc(roomId)}/threads?include=some`, 400, 'M_INVALID_PARAM'],
      [`${V3}/rooms/${enc(roomId)}/context/${enc(root)}?filter=notjson`, 400, 'M_INVALID_PARAM'],
      [`${V3}/rooms/${enc(roomId)}/context/${enc('$' + 'A'.repeat(43))}`, 404, 'M_NOT_FOUND'],
    ];
    for (const [path, status, errcode] of cases) {
      const response = await api(server(), 'GET', path, { token: alice.accessToken });
      expect([path, response.status, response.body.errcode]).toEqual([path, status, errcode]);
    }
    expect((await api(server(), 'GET', base, { token: bob.accessToken })).status).toBe(403);
    expect((await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/context/${enc(root)}`, { token: bob.accessToken })).status).toBe(403);
    expect((await api(server(), 'GET', base)).body.errcode).toBe('M_MISSING_TOKEN');
    expect((await api(server(), 'GET', base, { token: 'nope' })).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('manages aliases and the directory, with the spec errors', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(alice);
    const serverName = alice.userId.slice(alice.userId.indexOf(':') + 1);
    const alias = `#${uniqueLocalpart('room')}:${serverName}`;
    const path = `${V3}/directory/room/${enc(alias)}`;
    expect((await api(server(), 'PUT', path, { token: alice.accessToken, body: { room_id: roomId } })).status).toBe(200);
    expect((await api(server(), 'PUT', path, { token: alice.accessToken, body: { room_id: roomId } })).status).toBe(409);
    expect((await api(server(), 'PUT', path, { token: alice.accessToken, rawBody: '{not json' })).body.errcode).toBe('M_NOT_JSON');
    expect((await api(server(), 'PUT', path, { token: alice.accessToken, body: { room_id: 5 } })).body.errcode).toBe('M_BAD_JSON');
    expect((await api(server(), 'PUT', `${V3}/directory/room/${enc('#bad')}`, { token: alice.accessToken, body: { room_id: roomId } })).body.errcode).toBe('M_INVALID_PARAM');
    expect(await api(server(), 'GET', path)).toMatchObject({ status: 200, body: { room_id: roomId, servers: [serverName] } });
    expect((await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/aliases`, { token: alice.accessToken })).body.aliases).toEqual([alias]);
    expect((await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/aliases`, { token: bob.accessToken })).status).toBe(403);
    const badCanonical = await api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias`, {
      token: alice.accessToken, body: { alias: `#missing-${txn}:${serverName}` },
    });
    expect([badCanonical.status, badCanonical.body.errcode]).toEqual([400, 'M_BAD_ALIAS']);
    expect((await api(server(), 'DELETE', path, { token: bob.accessToken })).status).toBe(403);
    expect((await api(server(), 'DELETE', path, { token: alice.accessToken })).status).toBe(200);
    expect((await api(server(), 'GET', path)).body.errcode).toBe('M_NOT_FOUND');

    const visibility = `${V3}/directory/list/room/${enc(roomId)}`;
    expect((await api(server(), 'GET', visibility)).body).toEqual({ visibility: 'private' });
    expect((await api(server(), 'PUT', visibility, { token: alice.accessToken, body: { visibility: 'public' } })).status).toBe(200);
    expect((await api(server(), 'PUT', visibility, { token: alice.accessToken, body: { visibility: 'open' } })).body.errcode).toBe('M_BAD_JSON');
    expect((await api(server(), 'GET', `${V3}/directory/list/room/${enc('!unknown:' + serverName)}`)).status).toBe(404);
    const listed = await api(server(), 'GET', `${V3}/publicRooms?limit=500`);
    expect((listed.body.chunk as Json[]).some((room) => room.room_id === roomId)).toBe(true);
    expect(typeof listed.body.total_room_count_estimate).toBe('number');
    const filtered = await api(server(), 'POST', `${V3}/publicRooms`, { token: alice.accessToken, body: { filter: { generic_search_term: roomId } } });
    expect((filtered.body.chunk as Json[]).map((room) => room.room_id)).toEqual([roomId]);
    expect((await api(server(), 'POST', `${V3}/publicRooms`, { token: alice.accessToken, body: { limit: 'x' } })).body.errcode).toBe('M_BAD_JSON');
    expect((await api(server(), 'GET', `${V3}/publicRooms?server=elsewhere.example`)).status).toBe(400);
  });

  it('upgrades a room and rejects bad upgrade requests', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(alice);
    await api(server(), 'POST', `${V3}/join/${enc(roomId)}`, { token: bob.accessToken, body: {} });
    const path = `${V3}/rooms/${enc(roomId)}/upgrade`;
    expect((await api(server(), 'POST', path, { token: bob.accessToken, body: { new_version: '12' } })).status).toBe(403);
    expect((await api(server(), 'POST', path, { token: alice.accessToken, body: { new_version: 'x1' } })).body.errcode).toBe('M_UNSUPPORTED_ROOM_VERSION');
    expect((await api(server(), 'POST', path, { token: alice.accessToken, body: {} })).body.errcode).toBe('M_MISSING_PARAM');
    expect((await api(server(), 'POST', path, { token: alice.accessToken, body: { new_version: 12 } })).body.errcode).toBe('M_BAD_JSON');
    const upgraded = await api(server(), 'POST', path, { token: alice.accessToken, body: { new_version: '11' } });
    expect(upgraded.status).toBe(200);
    const replacement = upgraded.body.replacement_room as string;
    const tombstone = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/state/m.room.tombstone`, { token: bob.accessToken });
    expect(tombstone.body.replacement_room).toBe(replacement);
    expect((await api(server(), 'POST', `${V3}/join/${enc(replacement)}`, { token: bob.accessToken, body: {} })).status).toBe(200);
  });
});
