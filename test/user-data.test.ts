/**
 * User data over HTTP on SQLite and (with TEST_POSTGRES_URL) PostgreSQL: profiles, account data, tags, ignored
 * users, the user directory and reports, with bad input and matrix-js-sdk calls.
 * https://spec.matrix.org/v1.19/client-server-api/#profiles
 */
import { expect, it } from 'vitest';
import { createClient, EventType } from 'matrix-js-sdk';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  body: Json;
}

/** One raw request; `body` a string is sent as is (for malformed JSON). */
async function call(server: TestHomeserver, method: string, path: string, user?: TestUser, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (user) headers.Authorization = `Bearer ${user.accessToken}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${server.url}/_matrix/client/v3${path}`, init);
  return { status: response.status, body: (await response.json()) as Json };
}

const enc = encodeURIComponent;

forEachDialect('user data over HTTP', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('serves, sets and deletes profile fields; the localpart is the first displayname', async () => {
    const alice = await register('alice');
    const path = `/profile/${enc(alice.userId)}`;
    expect(await call(server(), 'GET', path)).toEqual({ status: 200, body: { displayname: alice.userId.slice(1).split(':')[0] } });

    expect((await call(server(), 'PUT', `${path}/displayname`, alice, { displayname: 'Alice A.' })).status).toBe(200);
    expect((await call(server(), 'PUT', `${path}/avatar_url`, alice, { avatar_url: 'mxc://example.org/abcDEF' })).status).toBe(200);
    expect((await call(server(), 'PUT', `${path}/m.tz`, alice, { 'm.tz': 'Europe/Berlin' })).status).toBe(200);
    expect(await call(server(), 'GET', `${path}/displayname`)).toEqual({ status: 200, body: { displayname: 'Alice A.' } });
    expect((await call(server(), 'GET', path)).body).toEqual({ displayname: 'Alice A.', avatar_url: 'mxc://example.org/abcDEF', 'm.tz': 'Europe/Berlin' });

    expect((await call(server(), 'DELETE', `${path}/m.tz`, alice)).status).toBe(200);
    expect(await call(server(), 'GET', `${path}/m.tz`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
  });

  it('rejects bad profile input and other users', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const path = `/profile/${enc(alice.userId)}`;
    const cases: [string, string, TestUser | undefined, unknown, number, string][] = [
      ['PUT', `${path}/avatar_url`, alice, { avatar_url: 'http://example.org/a.png' }, 400, 'M_INVALID_PARAM'],
      ['PUT', `${path}/displayname`, alice, { displayname: 7 }, 400, 'M_BAD_JSON'],
      ['PUT', `${path}/displayname`, alice, {}, 400, 'M_MISSING_PARAM'],
      ['PUT', `${path}/displayname`, alice, '{"displayname": ', 400, 'M_NOT_JSON'],
      ['PUT', `${path}/displayname`, alice, ['x'], 400, 'M_BAD_JSON'],
      ['PUT', `${path}/Bad.Key`, alice, { 'Bad.Key': 1 }, 400, 'M_INVALID_PARAM'],
      ['PUT', `${path}/displayname`, bob, { displayname: 'Mallory' }, 403, 'M_FORBIDDEN'],
      ['PUT', `${path}/displayname`, undefined, { displayname: 'Nobody' }, 401, 'M_MISSING_TOKEN'],
      ['GET', `/profile/${enc(`@nobody-here:${server().serverName}`)}`, undefined, undefined, 404, 'M_NOT_FOUND'],
    ];
    for (const [method, url, user, body, status, errcode] of cases) {
      const answer = await call(server(), method, url, user, body);
      expect({ url, status: answer.status, errcode: answer.body.errcode }).toEqual({ url, status, errcode });
    }
    // Nothing of that was stored.
    expect((await call(server(), 'GET', path)).body).toEqual({ displayname: alice.userId.slice(1).split(':')[0] });
  });

  it('stores account data for oneself only, refusing server-managed types and non-objects', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const globalPath = `/user/${enc(alice.userId)}/account_data/org.example.settings`;
    const roomPath = `/user/${enc(alice.userId)}/rooms/${enc('!room:example.org')}/account_data/org.example.settings`;
    expect((await call(server(), 'PUT', globalPath, alice, { theme: 'dark' })).status).toBe(200);
    expect(await call(server(), 'GET', globalPath, alice)).toEqual({ status: 200, body: { theme: 'dark' } });
    expect((await call(server(), 'GET', roomPath, alice)).body.errcode).toBe('M_NOT_FOUND');
    expect((await call(server(), 'PUT', roomPath, alice, { room: true })).status).toBe(200);
    expect((await call(server(), 'GET', roomPath, alice)).body).toEqual({ room: true });

    const refusals: [string, string, TestUser, unknown, number, string][] = [
      ['GET', globalPath, bob, undefined, 403, 'M_FORBIDDEN'],
      ['PUT', globalPath, bob, { theme: 'light' }, 403, 'M_FORBIDDEN'],
      ['PUT', globalPath, alice, [1], 400, 'M_BAD_JSON'],
      ['PUT', globalPath, alice, '"text"', 400, 'M_BAD_JSON'],
      ['PUT', globalPath, alice, '{not json', 400, 'M_NOT_JSON'],
      ['PUT', `/user/${enc(alice.userId)}/account_data/m.push_rules`, alice, {}, 405, 'M_BAD_JSON'],
      ['PUT', `/user/${enc(alice.userId)}/rooms/${enc('!r:example.org')}/account_data/m.fully_read`, alice, { event_id: '$x' }, 405, 'M_BAD_JSON'],
      ['PUT', `/user/${enc(alice.userId)}/rooms/not-a-room/account_data/x.y`, alice, {}, 400, 'M_INVALID_PARAM'],
      ['PUT', `/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, alice, { ignored_users: ['@x:y'] }, 400, 'M_BAD_JSON'],
    ];
    for (const [method, url, user, body, status, errcode] of refusals) {
      const answer = await call(server(), method, url, user, body);
      expect({ url, status: answer.status, errcode: answer.body.errcode }).toEqual({ url, status, errcode });
    }
    expect((await call(server(), 'GET', globalPath, alice)).body).toEqual({ theme: 'dark' });
  });

  it('keeps tags with an order in [0, 1] and serves them as m.tag', async () => {
    const alice = await register('alice');
    const roomId = '!tagged:example.org';
    const tags = `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags`;
    expect((await call(server(), 'PUT', `${tags}/m.favourite`, alice, { order: 0.5 })).status).toBe(200);
    expect((await call(server(), 'PUT', `${tags}/u.work`, alice, {})).status).toBe(200);
    expect(await call(server(), 'GET', tags, alice)).toEqual({ status: 200, body: { tags: { 'm.favourite': { order: 0.5 }, 'u.work': {} } } });
    expect((await call(server(), 'GET', `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/m.tag`, alice)).body).toEqual({
      tags: { 'm.favourite': { order: 0.5 }, 'u.work': {} },
    });
    expect(await call(server(), 'PUT', `${tags}/u.late`, alice, { order: 2 })).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect((await call(server(), 'DELETE', `${tags}/m.favourite`, alice)).status).toBe(200);
    expect((await call(server(), 'GET', tags, alice)).body).toEqual({ tags: { 'u.work': {} } });
  });

  it('stores reports and answers 404 for what does not exist', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    expect((await call(server(), 'POST', `/users/${enc(bob.userId)}/report`, alice, { reason: 'rude' })).status).toBe(200);
    expect((await call(server(), 'POST', `/users/${enc(`@ghost:${server().serverName}`)}/report`, alice, { reason: 'x' })).body.errcode).toBe('M_NOT_FOUND');
    expect((await call(server(), 'POST', `/users/${enc(bob.userId)}/report`, alice, {})).body.errcode).toBe('M_MISSING_PARAM');
    expect((await call(server(), 'POST', `/rooms/${enc('!nowhere:example.org')}/report`, alice, { reason: 'x' })).body.errcode).toBe('M_NOT_FOUND');
    expect((await call(server(), 'POST', `/rooms/${enc('!nowhere:example.org')}/report/${enc('$e')}`, alice, { reason: 'x' })).body.errcode).toBe(
      'M_NOT_FOUND',
    );
  });

  it('works with matrix-js-sdk: displayname, account data and the user directory', async () => {
    const alice = await register('alice');
    const client = createClient({ baseUrl: server().url, userId: alice.userId, accessToken: alice.accessToken, deviceId: alice.deviceId });
    await client.setDisplayName('Alice Liddell');
    expect(await client.getProfileInfo(alice.userId)).toMatchObject({ displayname: 'Alice Liddell' });
    const direct = { '@friend:example.org': ['!dm:example.org'] };
    await client.setAccountDataRaw(EventType.Direct, direct);
    expect(await client.getAccountDataFromServer(EventType.Direct)).toEqual(direct);
    const found = await client.searchUserDirectory({ term: 'alice liddell' });
    // Alice shares no room with anyone: only the search-all option would find others; she may find herself.
    expect(found.limited).toBe(false);
    expect(Array.isArray(found.results)).toBe(true);
  });

  it('delivers tags and the ignored-user list to a syncing matrix-js-sdk client', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const created = await call(server(), 'POST', '/createRoom', alice, { preset: 'private_chat' });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    const client = createClient({ baseUrl: server().url, userId: alice.userId, accessToken: alice.accessToken, deviceId: alice.deviceId });
    await client.startClient({ initialSyncLimit: 5 });
    try {
      await waitFor(() => client.getRoom(roomId) !== null);
      await client.setRoomTag(roomId, 'm.favourite', { order: 0.25 });
      await waitFor(() => client.getRoom(roomId)?.tags['m.favourite']?.order === 0.25);
      await client.setIgnoredUsers([bob.userId]);
      await waitFor(() => client.getIgnoredUsers().includes(bob.userId));
      expect(client.isUserIgnored(bob.userId)).toBe(true);
    } finally {
      client.stopClient();
    }
  });

  it('propagates a displayname change to member events and finds room-mates in the directory', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const created = await call(server(), 'POST', '/createRoom', alice, { preset: 'private_chat', invite: [bob.userId] });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    expect((await call(server(), 'POST', `/rooms/${enc(roomId)}/join`, bob, {})).status).toBe(200);

    expect((await call(server(), 'PUT', `/profile/${enc(alice.userId)}/displayname`, alice, { displayname: 'Queen Alice' })).status).toBe(200);
    const member = await call(server(), 'GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(alice.userId)}`, bob);
    expect(member.body).toEqual({ membership: 'join', displayname: 'Queen Alice' });

    const search = await call(server(), 'POST', '/user_directory/search', bob, { search_term: 'queen' });
    expect(search.body).toEqual({ results: [{ user_id: alice.userId, display_name: 'Queen Alice' }], limited: false });
    const stranger = await register('stranger');
    expect((await call(server(), 'POST', '/user_directory/search', stranger, { search_term: 'queen' })).body).toEqual({ results: [], limited: false });
    expect((await call(server(), 'POST', '/user_directory/search', bob, { limit: 3 })).body.errcode).toBe('M_MISSING_PARAM');

    // Reporting an event needs membership of its room.
    const sent = await call(server(), 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/t1`, alice, { msgtype: 'm.text', body: 'hi' });
    const eventPath = `/rooms/${enc(roomId)}/report/${enc(sent.body.event_id as string)}`;
    expect((await call(server(), 'POST', eventPath, bob, { reason: 'spam', score: -50 })).status).toBe(200);
    expect((await call(server(), 'POST', eventPath, stranger, { reason: 'spam' })).body.errcode).toBe('M_NOT_FOUND');
    expect((await call(server(), 'POST', `/rooms/${enc(roomId)}/report`, stranger, { reason: 'bad room' })).status).toBe(200);
  });

  it('keeps messages of ignored users out of the ignorer’s /sync, but not their state', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const created = await call(server(), 'POST', '/createRoom', alice, { preset: 'public_chat' });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    expect((await call(server(), 'POST', `/rooms/${enc(roomId)}/join`, bob, {})).status).toBe(200);
    const ignore = { ignored_users: { [bob.userId]: {} } };
    expect((await call(server(), 'PUT', `/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, alice, ignore)).status).toBe(200);
    await call(server(), 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/ignored1`, bob, { msgtype: 'm.text', body: 'from bob' });
    await call(server(), 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/seen1`, alice, { msgtype: 'm.text', body: 'from alice' });

    const sync = await call(server(), 'GET', '/sync', alice);
    expect(sync.status).toBe(200);
    const room = ((sync.body.rooms as Json).join as Record<string, Json>)[roomId] as Json;
    const timeline = ((room.timeline as Json).events as Json[]).concat(((room.state as Json | undefined)?.events as Json[] | undefined) ?? []);
    const bodies = timeline.filter((e) => e.type === 'm.room.message').map((e) => (e.content as Json).body);
    expect(bodies).toEqual(['from alice']);
    // Bob's membership (state) still arrives.
    expect(timeline.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId)).toBe(true);
    const ignoredList = (sync.body.account_data as Json).events as Json[];
    expect(ignoredList).toContainEqual({ type: 'm.ignored_user_list', content: ignore });
  });

  it('keeps messages of ignored users out of the ignorer’s /messages', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const created = await call(server(), 'POST', '/createRoom', alice, { preset: 'public_chat' });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    expect((await call(server(), 'POST', `/rooms/${enc(roomId)}/join`, bob, {})).status).toBe(200);
    await call(server(), 'PUT', `/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, alice, { ignored_users: { [bob.userId]: {} } });
    await call(server(), 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/ignored1`, bob, { msgtype: 'm.text', body: 'from bob' });
    await call(server(), 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/seen1`, alice, { msgtype: 'm.text', body: 'from alice' });

    const messages = await call(server(), 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`, alice);
    const messageBodies = (messages.body.chunk as Json[]).filter((e) => e.type === 'm.room.message').map((e) => (e.content as Json).body);
    expect(messageBodies).toEqual(['from alice']);
  });
});

/** Polls `condition` until it holds (sync delivers asynchronously); fails after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
