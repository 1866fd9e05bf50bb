/**
 * Typing, receipts, read markers and presence over HTTP: authentication, bad input and the rules that need no room
 * (own typing only, own presence only, presence only for users sharing a room, the presence switch).
 * Room-based flows are in ephemeral-rooms.test.ts.
 * https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

type Json = Record<string, unknown>;

interface Answer {
  status: number;
  body: Json;
}

/** One raw request; `body` a string is sent as is (for malformed JSON); `token` overrides the user's. */
async function call(server: TestHomeserver, method: string, path: string, options: { user?: TestUser; token?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = options.token ?? options.user?.accessToken;
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const response = await fetch(`${server.url}/_matrix/client/v3${path}`, init);
  return { status: response.status, body: (await response.json()) as Json };
}

const enc = encodeURIComponent;
const SOME_ROOM = '!nowhere:localhost';
const SOME_EVENT = `$${'A'.repeat(43)}`;

forEachDialect('ephemeral endpoints over HTTP', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('requires a valid access token everywhere', async () => {
    const alice = await register('alice');
    const endpoints: [string, string, unknown][] = [
      ['PUT', `/rooms/${enc(SOME_ROOM)}/typing/${enc(alice.userId)}`, { typing: true }],
      ['POST', `/rooms/${enc(SOME_ROOM)}/receipt/m.read/${enc(SOME_EVENT)}`, {}],
      ['POST', `/rooms/${enc(SOME_ROOM)}/read_markers`, {}],
      ['PUT', `/presence/${enc(alice.userId)}/status`, { presence: 'online' }],
      ['GET', `/presence/${enc(alice.userId)}/status`, undefined],
    ];
    for (const [method, path, body] of endpoints) {
      expect(await call(server(), method, path, { body })).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } });
      expect(await call(server(), method, path, { body, token: 'not-a-token' })).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    }
  });

  it('rejects bad typing requests', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const path = (roomId: string, userId: string) => `/rooms/${enc(roomId)}/typing/${enc(userId)}`;
    const own = path(SOME_ROOM, alice.userId);
    expect(await call(server(), 'PUT', path(SOME_ROOM, bob.userId), { user: alice, body: { typing: true, timeout: 1000 } })).toMatchObject({
      status: 403,
      body: { errcode: 'M_FORBIDDEN' },
    });
    expect(await call(server(), 'PUT', own, { user: alice, body: { typing: true, timeout: 1000 } })).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect(await call(server(), 'PUT', own, { user: alice, body: '{"typing": tru' })).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } });
    expect(await call(server(), 'PUT', own, { user: alice, body: { typing: 'yes' } })).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(await call(server(), 'PUT', own, { user: alice, body: { typing: true, timeout: -5 } })).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(await call(server(), 'PUT', own, { user: alice, body: {} })).toMatchObject({ status: 400, body: { errcode: 'M_MISSING_PARAM' } });
    expect(await call(server(), 'PUT', path('not-a-room', alice.userId), { user: alice, body: { typing: false } })).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('rejects bad receipts and read markers', async () => {
    const alice = await register('alice');
    const receipt = (type: string, eventId = SOME_EVENT, roomId = SOME_ROOM) => `/rooms/${enc(roomId)}/receipt/${enc(type)}/${enc(eventId)}`;
    expect(await call(server(), 'POST', receipt('m.bogus'), { user: alice, body: {} })).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    expect(await call(server(), 'POST', receipt('m.read'), { user: alice, body: { thread_id: 5 } })).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
    expect(await call(server(), 'POST', receipt('m.read'), { user: alice, body: { thread_id: '' } })).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
    expect(await call(server(), 'POST', receipt('m.read', 'no-sigil'), { user: alice, body: {} })).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
    expect(await call(server(), 'POST', receipt('m.read'), { user: alice, body: '[' })).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } });
    // A room one is not in: forbidden, whether or not it exists.
    expect(await call(server(), 'POST', receipt('m.read'), { user: alice, body: {} })).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });

    const markers = `/rooms/${enc(SOME_ROOM)}/read_markers`;
    expect(await call(server(), 'POST', markers, { user: alice, body: { 'm.fully_read': 7 } })).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(await call(server(), 'POST', markers, { user: alice, body: { 'm.read': 'no-sigil' } })).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
    expect(await call(server(), 'POST', markers, { user: alice, body: { 'm.fully_read': SOME_EVENT } })).toMatchObject({
      status: 403,
      body: { errcode: 'M_FORBIDDEN' },
    });
  });

  it('sets and reads one’s own presence; others only when sharing a room', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const status = (userId: string) => `/presence/${enc(userId)}/status`;
    expect(await call(server(), 'PUT', status(alice.userId), { user: alice, body: { presence: 'online', status_msg: 'hello' } })).toEqual({ status: 200, body: {} });
    const own = await call(server(), 'GET', status(alice.userId), { user: alice });
    expect(own).toMatchObject({ status: 200, body: { presence: 'online', status_msg: 'hello', currently_active: true } });
    expect(typeof own.body.last_active_ago).toBe('number');

    expect(await call(server(), 'PUT', status(alice.userId), { user: bob, body: { presence: 'online' } })).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect(await call(server(), 'GET', status(alice.userId), { user: bob })).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect(await call(server(), 'PUT', status(alice.userId), { user: alice, body: { presence: 'busy' } })).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(await call(server(), 'PUT', status(alice.userId), { user: alice, body: { status_msg: 'x' } })).toMatchObject({
      status: 400,
      body: { errcode: 'M_MISSING_PARAM' },
    });
    expect(await call(server(), 'GET', status('nobody'), { user: alice })).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    // Failed requests changed nothing.
    expect((await call(server(), 'GET', status(alice.userId), { user: alice })).body).toMatchObject({ presence: 'online', status_msg: 'hello' });
  });
});

forEachDialect(
  'presence switched off',
  (server) => {
    it('accepts and ignores presence updates; everyone reads offline', async () => {
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const path = `/presence/${enc(alice.userId)}/status`;
      expect((await call(server(), 'PUT', path, { user: alice, body: { presence: 'online' } })).status).toBe(200);
      expect(await call(server(), 'GET', path, { user: alice })).toEqual({ status: 200, body: { presence: 'offline' } });
    });
  },
  { config: { presence: { enabled: false } } },
);
