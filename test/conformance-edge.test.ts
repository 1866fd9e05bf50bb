/**
 * Client-Server edge cases the conformance suites check (issue 9, point 10), over raw HTTP: /messages `end`,
 * joined_members profile keys, extra keys of a join body, /publicRooms with nulls, redacting another room's
 * event, and deleting an alias that the canonical alias names. SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 */
import { expect, it } from 'vitest';
import { api, type ApiResponse } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let txnCounter = 0;

function call(server: TestHomeserver, user: TestUser, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return api(server, method, `${V3}${path}`, { token: user.accessToken, ...(body !== undefined ? { body } : {}) });
}

async function createRoom(server: TestHomeserver, user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const created = await call(server, user, 'POST', '/createRoom', body);
  expect(created.status).toBe(200);
  return created.body.room_id as string;
}

async function say(server: TestHomeserver, user: TestUser, roomId: string, text: string): Promise<string> {
  txnCounter += 1;
  const sent = await call(server, user, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/edge-${txnCounter}`, { msgtype: 'm.text', body: text });
  expect(sent.status).toBe(200);
  return sent.body.event_id as string;
}

async function memberEvent(server: TestHomeserver, user: TestUser, roomId: string): Promise<Record<string, unknown>> {
  const event = await call(server, user, 'GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(user.userId)}?format=event`);
  expect(event.status).toBe(200);
  return event.body;
}

forEachDialect('conformance edge cases', (server) => {
  const users = (...prefixes: string[]) => Promise.all(prefixes.map((prefix) => registerUser(server(), uniqueLocalpart(prefix))));

  it('/messages gives `end` on every page with events and omits it on the empty page past the end', async () => {
    const [alice] = (await users('alice')) as [TestUser];
    const roomId = await createRoom(server(), alice);
    await say(server(), alice, roomId, 'one');
    await say(server(), alice, roomId, 'two');
    // The whole room fits one page, which ends with the create event: `end` is still there.
    const all = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
    const chunk = all.body.chunk as { type: string }[];
    expect(chunk.at(-1)?.type).toBe('m.room.create');
    expect(typeof all.body.end).toBe('string');
    const past = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=100&from=${enc(all.body.end as string)}`);
    expect(past.status).toBe(200);
    expect(past.body.chunk).toEqual([]);
    expect(past.body).not.toHaveProperty('end');
    expect(typeof past.body.start).toBe('string');

    // Forwards: the page that reaches the newest event has `end`; continuing from it gives an empty page without.
    const first = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=f&limit=3`);
    expect(first.body.chunk).toHaveLength(3);
    let from = first.body.end as string;
    const bodies: string[] = [];
    for (let page = 0; page < 20; page++) {
      const next = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=f&limit=3&from=${enc(from)}`);
      const events = next.body.chunk as { content: { body?: string } }[];
      if (events.length === 0) {
        expect(next.body).not.toHaveProperty('end');
        break;
      }
      expect(typeof next.body.end).toBe('string');
      for (const event of events) if (event.content.body !== undefined) bodies.push(event.content.body);
      from = next.body.end as string;
    }
    expect(bodies.slice(-2)).toEqual(['one', 'two']);
  });

  it('joined_members always has display_name and avatar_url, null when unset', async () => {
    const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
    const avatar = 'mxc://example.org/bobAvatar';
    expect((await call(server(), bob, 'PUT', `/profile/${enc(bob.userId)}/avatar_url`, { avatar_url: avatar })).status).toBe(200);
    expect((await call(server(), bob, 'PUT', `/profile/${enc(bob.userId)}/displayname`, { displayname: 'Bob B' })).status).toBe(200);
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    expect((await call(server(), bob, 'POST', `/join/${enc(roomId)}`, {})).status).toBe(200);
    const joined = (await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/joined_members`)).body.joined as Record<string, Record<string, unknown>>;
    expect(joined[bob.userId]).toEqual({ display_name: 'Bob B', avatar_url: avatar });
    expect(joined[alice.userId]).toHaveProperty('avatar_url', null);
    expect(joined[alice.userId]).toHaveProperty('display_name');
  });

  it('keeps the extra keys of a join body in the member event, but not membership or third_party_signed', async () => {
    const [alice, bob, carol] = (await users('alice', 'bob', 'carol')) as [TestUser, TestUser, TestUser];
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    const alias = `#${uniqueLocalpart('edge')}:${server().serverName}`;
    expect((await call(server(), alice, 'PUT', `/directory/room/${enc(alias)}`, { room_id: roomId })).status).toBe(200);

    const byId = await call(server(), bob, 'POST', `/join/${enc(roomId)}`, { foo: 'bar', reason: 'hello', membership: 'leave', third_party_signed: { x: 1 } });
    expect(byId.body).toEqual({ room_id: roomId });
    const bobEvent = await memberEvent(server(), bob, roomId);
    expect(bobEvent.content).toMatchObject({ membership: 'join', foo: 'bar', reason: 'hello', displayname: expect.any(String) });
    expect(bobEvent.content).not.toHaveProperty('third_party_signed');

    // The same join again changes nothing and sends nothing; different keys send a new member event.
    await call(server(), bob, 'POST', `/join/${enc(roomId)}`, { foo: 'bar', reason: 'hello' });
    expect((await memberEvent(server(), bob, roomId)).event_id).toBe(bobEvent.event_id);
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/join`, { nested: { a: [1, 2] }, displayname: 'Bob here' })).status).toBe(200);
    const rejoined = await memberEvent(server(), bob, roomId);
    expect(rejoined.event_id).not.toBe(bobEvent.event_id);
    expect(rejoined.content).toEqual({ membership: 'join', nested: { a: [1, 2] }, displayname: 'Bob here' });

    expect((await call(server(), carol, 'POST', `/join/${enc(alias)}`, { custom: true })).body).toEqual({ room_id: roomId });
    expect((await memberEvent(server(), carol, roomId)).content).toMatchObject({ membership: 'join', custom: true });
    const badName = await call(server(), carol, 'POST', `/join/${enc(roomId)}`, { displayname: 5 });
    expect(badName).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
  });

  it('an invite keeps only the reason of its body', async () => {
    const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
    const roomId = await createRoom(server(), alice);
    const invited = await call(server(), alice, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: bob.userId, reason: 'come', foo: 'bar' });
    expect(invited.status).toBe(200);
    const state = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`);
    expect(state.body).toMatchObject({ membership: 'invite', reason: 'come' });
    expect(state.body).not.toHaveProperty('foo');
  });

  it('POST /publicRooms reads null fields as absent, and still refuses wrong types', async () => {
    const [alice] = (await users('alice')) as [TestUser];
    const name = uniqueLocalpart('Listed');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', visibility: 'public', name });
    const bodies = [
      { since: null },
      { since: null, limit: null, filter: null, include_all_networks: null, third_party_instance_id: null },
      { filter: { generic_search_term: null, room_types: [null] } },
    ];
    for (const body of bodies) {
      const listed = await call(server(), alice, 'POST', '/publicRooms', body);
      expect(listed.status).toBe(200);
      expect((listed.body.chunk as { room_id: string }[]).map((room) => room.room_id)).toContain(roomId);
    }
    const searched = await call(server(), alice, 'POST', '/publicRooms', { since: null, filter: { generic_search_term: name } });
    expect((searched.body.chunk as { room_id: string }[]).map((room) => room.room_id)).toEqual([roomId]);
    expect((await call(server(), alice, 'POST', '/publicRooms', { since: 5 })).status).toBe(400);
  });

  it('redacting an event of another room is 400 and leaves it whole; an unknown event is 404', async () => {
    const [alice] = (await users('alice')) as [TestUser];
    const here = await createRoom(server(), alice);
    const there = await createRoom(server(), alice);
    const foreign = await say(server(), alice, there, 'elsewhere');
    const refused = await call(server(), alice, 'PUT', `/rooms/${enc(here)}/redact/${enc(foreign)}/r1`, {});
    expect(refused).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    const event = await call(server(), alice, 'GET', `/rooms/${enc(there)}/event/${enc(foreign)}`);
    expect(event.body.content).toEqual({ msgtype: 'm.text', body: 'elsewhere' });
    const unknown = await call(server(), alice, 'PUT', `/rooms/${enc(here)}/redact/${enc(`$${'A'.repeat(43)}`)}/r2`, {});
    expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
  });

  it('deleting an alias takes it out of m.room.canonical_alias when the deleter may change it', async () => {
    const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    expect((await call(server(), bob, 'POST', `/join/${enc(roomId)}`, {})).status).toBe(200);
    const [main, alt, bobs] = ['main', 'alt', 'bobs'].map((prefix) => `#${uniqueLocalpart(prefix)}:${server().serverName}`) as [string, string, string];
    for (const alias of [main, alt]) expect((await call(server(), alice, 'PUT', `/directory/room/${enc(alias)}`, { room_id: roomId })).status).toBe(200);
    expect((await call(server(), bob, 'PUT', `/directory/room/${enc(bobs)}`, { room_id: roomId })).status).toBe(200);
    const canonical = { alias: main, alt_aliases: [alt, bobs] };
    expect((await call(server(), alice, 'PUT', `/rooms/${enc(roomId)}/state/m.room.canonical_alias`, canonical)).status).toBe(200);
    const read = () => call(server(), alice, 'GET', `/rooms/${enc(roomId)}/state/m.room.canonical_alias`).then((reply) => reply.body);

    expect((await call(server(), alice, 'DELETE', `/directory/room/${enc(main)}`)).status).toBe(200);
    expect(await read()).toEqual({ alt_aliases: [alt, bobs] });

    // Bob created his alias and may delete it, but may not change the canonical alias (power 0): it stays.
    expect((await call(server(), bob, 'DELETE', `/directory/room/${enc(bobs)}`)).status).toBe(200);
    expect((await call(server(), bob, 'GET', `/directory/room/${enc(bobs)}`)).status).toBe(404);
    expect(await read()).toEqual({ alt_aliases: [alt, bobs] });

    // Alice's next deletion drops Bob's stale alias as well: the event may only name aliases that point here.
    expect((await call(server(), alice, 'DELETE', `/directory/room/${enc(alt)}`)).status).toBe(200);
    expect(await read()).toEqual({});
    const event = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/state/m.room.canonical_alias?format=event`);
    expect(event.body.sender).toBe(alice.userId);
  });
});
