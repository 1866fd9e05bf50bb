/**
 * Rooms over HTTP: createRoom, membership, send/state/redact, reads and history visibility, and bad input
 * (unknown rooms, bad IDs, wrong types, non-members, missing tokens) answered with the right Matrix error.
 */
import { describe, expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(server: TestHomeserver, user: TestUser | null, method: string, path: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (user) headers.Authorization = `Bearer ${user.accessToken}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${server.url}/_matrix/client/v3${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const enc = encodeURIComponent;

forEachDialect('rooms over HTTP', (server) => {
  async function users(): Promise<[TestUser, TestUser, TestUser]> {
    return Promise.all([
      registerUser(server(), uniqueLocalpart('alice')),
      registerUser(server(), uniqueLocalpart('bob')),
      registerUser(server(), uniqueLocalpart('eve')),
    ]);
  }

  it('creates a room, invites, joins, chats and reads history', async () => {
    const [alice, bob] = await users();
    const created = await call(server(), alice, 'POST', '/createRoom', { name: 'Chat', invite: [bob.userId], is_direct: true });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;
    expect(roomId).toMatch(/^!/);

    expect((await call(server(), bob, 'POST', `/join/${enc(roomId)}`, {})).body).toEqual({ room_id: roomId });
    expect((await call(server(), bob, 'GET', '/joined_rooms')).body.joined_rooms).toEqual([roomId]);

    const sent = await call(server(), alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hello' });
    expect(sent.status).toBe(200);
    const retry = await call(server(), alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hello' });
    expect(retry.body.event_id).toBe(sent.body.event_id);

    const page = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=2&filter=${enc('{"lazy_load_members":true}')}`);
    expect(page.status).toBe(200);
    const chunk = page.body.chunk as { type: string; content: { body?: string }; sender: string }[];
    expect(chunk[0]?.content.body).toBe('hello');
    expect(chunk).toHaveLength(2);
    expect(typeof page.body.end).toBe('string');
    expect((page.body.state as { state_key: string }[]).map((event) => event.state_key)).toContain(alice.userId);
    const older = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=100&from=${enc(page.body.end as string)}`);
    expect((older.body.chunk as { type: string }[]).at(-1)?.type).toBe('m.room.create');
    // A page with events carries `end`; the empty page after the room's start omits it.
    const beyond = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=100&from=${enc(older.body.end as string)}`);
    expect(beyond.body).toMatchObject({ chunk: [] });
    expect(beyond.body.end).toBeUndefined();

    const name = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/state/m.room.name/`);
    expect(name.body).toEqual({ name: 'Chat' });
    const nameEvent = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/state/m.room.name?format=event`);
    expect(nameEvent.body).toMatchObject({ type: 'm.room.name', state_key: '', content: { name: 'Chat' } });
    const members = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/members?membership=join`);
    expect((members.body.chunk as unknown[]).length).toBe(2);
    const joined = await call(server(), bob, 'GET', `/rooms/${enc(roomId)}/joined_members`);
    expect(Object.keys(joined.body.joined as object).sort()).toEqual([alice.userId, bob.userId].sort());

    const event = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/event/${enc(sent.body.event_id as string)}`);
    expect(event.body).toMatchObject({ event_id: sent.body.event_id, room_id: roomId, unsigned: { transaction_id: 't1' } });
  });

  it('state PUT, redaction and moderation', async () => {
    const [alice, bob] = await users();
    const roomId = (await call(server(), alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/join`)).status).toBe(200);
    const topic = await call(server(), alice, 'PUT', `/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'news' });
    expect(topic.status).toBe(200);
    // Bob has power 0; the auth rules refuse his state change with their reason.
    const refused = await call(server(), bob, 'PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'mine' });
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe('M_FORBIDDEN');

    const message = await call(server(), bob, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'oops' });
    const redaction = await call(server(), bob, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(message.body.event_id as string)}/r1`, { reason: 'typo' });
    expect(redaction.status).toBe(200);
    const redacted = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/event/${enc(message.body.event_id as string)}`);
    expect(redacted.body.content).toEqual({});
    expect((redacted.body.unsigned as Record<string, unknown>).redacted_because).toMatchObject({ event_id: redaction.body.event_id });

    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/kick`, { user_id: alice.userId })).status).toBe(403);
    expect((await call(server(), alice, 'POST', `/rooms/${enc(roomId)}/ban`, { user_id: bob.userId, reason: 'x' })).status).toBe(200);
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/join`)).status).toBe(403);
    expect((await call(server(), alice, 'POST', `/rooms/${enc(roomId)}/unban`, { user_id: bob.userId })).status).toBe(200);
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/join`)).status).toBe(200);
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/forget`, {})).status).toBe(200);
    expect((await call(server(), bob, 'GET', '/joined_rooms')).body.joined_rooms).toEqual([]);
  });

  describe('bad input', () => {
    it('answers unknown rooms, bad IDs, wrong types and non-members with Matrix errors', async () => {
      const [alice, , eve] = await users();
      const roomId = (await call(server(), alice, 'POST', '/createRoom', {})).body.room_id as string;
      const unknown = `!nothere:${server().serverName}`;

      expect(await call(server(), eve, 'GET', `/rooms/${enc(roomId)}/messages?dir=b`)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect(await call(server(), eve, 'GET', `/rooms/${enc(roomId)}/state`)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect(await call(server(), eve, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/x`, { body: 'hi' })).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect(await call(server(), eve, 'GET', `/rooms/${enc(roomId)}/members`)).toMatchObject({ status: 403 });
      expect(await call(server(), eve, 'POST', `/rooms/${enc(roomId)}/join`)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });

      expect(await call(server(), alice, 'POST', `/rooms/${enc(unknown)}/join`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
      expect(await call(server(), alice, 'GET', `/rooms/${enc(unknown)}/messages?dir=b`)).toMatchObject({ status: 403 });
      expect(await call(server(), alice, 'PUT', `/rooms/${enc(unknown)}/send/m.room.message/x`, {})).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });

      expect(await call(server(), alice, 'GET', '/rooms/not-a-room/state')).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      expect(await call(server(), alice, 'POST', `/rooms/${enc(roomId)}/invite`, { user_id: 'bob' })).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      expect(await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/event/notanevent`)).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      expect(await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=x`)).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      expect(await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?from=garbage`)).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });

      expect(await call(server(), alice, 'POST', '/createRoom', '{not json')).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } });
      expect(await call(server(), alice, 'POST', '/createRoom', { name: 42 })).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
      expect(await call(server(), alice, 'POST', '/createRoom', { room_version: '999' })).toMatchObject({ status: 400, body: { errcode: 'M_UNSUPPORTED_ROOM_VERSION' } });
      expect(await call(server(), alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/y`, [1, 2])).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
      expect(await call(server(), alice, 'POST', `/rooms/${enc(roomId)}/kick`, {})).toMatchObject({ status: 400, body: { errcode: 'M_MISSING_PARAM' } });

      expect(await call(server(), null, 'POST', '/createRoom', {})).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } });
      expect(await call(server(), { ...alice, accessToken: 'nope' }, 'GET', '/joined_rooms')).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });

      const alias = uniqueLocalpart('taken');
      expect((await call(server(), alice, 'POST', '/createRoom', { room_alias_name: alias })).status).toBe(200);
      expect(await call(server(), alice, 'POST', '/createRoom', { room_alias_name: alias })).toMatchObject({ status: 400, body: { errcode: 'M_ROOM_IN_USE' } });
      // The server keeps serving, and the failed requests wrote nothing into the room.
      const page = await call(server(), alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      expect((page.body.chunk as { type: string }[]).filter((event) => event.type === 'm.room.message')).toEqual([]);
    });
  });
});
