/**
 * The old sync endpoints still in the spec, over HTTP: GET /initialSync, GET /rooms/{roomId}/initialSync (peeking),
 * GET /events (long-poll, and with room_id for peeking) and GET /events/{eventId}, with history visibility.
 * https://spec.matrix.org/v1.19/client-server-api/#peeking
 */
import { expect, it } from 'vitest';
import { api } from './support/http.js';
import { createSdkClient, stopClient } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

type Json = Record<string, unknown>;

forEachDialect('old sync endpoints and peeking', (server) => {
  const call = (user: TestUser, method: string, path: string, body?: unknown) => api(server(), method, `${V3}${path}`, { token: user.accessToken, body });

  async function createRoom(owner: TestUser, body: Json): Promise<string> {
    const created = await call(owner, 'POST', '/createRoom', body);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    return created.body.room_id as string;
  }

  async function send(user: TestUser, roomId: string, text: string): Promise<string> {
    const sent = await call(user, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/${uniqueLocalpart('txn')}`, { msgtype: 'm.text', body: text });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    return sent.body.event_id as string;
  }

  async function worldReadableRoom(owner: TestUser): Promise<string> {
    return createRoom(owner, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } }],
    });
  }

  const bodies = (chunk: unknown): unknown[] => (chunk as Json[]).filter((event) => event.type === 'm.room.message').map((event) => (event.content as Json).body);

  it('GET /initialSync lists joined and invited rooms with state, messages and tokens', async () => {
    const [alice, bob] = await Promise.all([registerUser(server(), uniqueLocalpart('alice')), registerUser(server(), uniqueLocalpart('bob'))]);
    const roomId = await createRoom(alice, { preset: 'private_chat', name: 'Old' });
    for (const text of ['one', 'two', 'three']) await send(alice, roomId, text);
    await call(alice, 'PUT', `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags/work`, { order: 1 });
    const inviteRoom = await createRoom(bob, { preset: 'private_chat', invite: [alice.userId] });

    const reply = await call(alice, 'GET', '/initialSync?limit=2');
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(typeof reply.body.end).toBe('string');
    expect(Array.isArray(reply.body.presence)).toBe(true);
    expect(Array.isArray(reply.body.account_data)).toBe(true);
    const rooms = reply.body.rooms as Json[];
    const joined = rooms.find((room) => room.room_id === roomId) as Json;
    expect(joined.membership).toBe('join');
    expect(joined.visibility).toBe('private');
    const messages = joined.messages as Json;
    expect(bodies(messages.chunk)).toEqual(['two', 'three']);
    expect(typeof messages.start).toBe('string');
    expect(messages.end).toBe(reply.body.end);
    expect((joined.state as Json[]).some((event) => event.type === 'm.room.name' && (event.content as Json).name === 'Old')).toBe(true);
    expect((joined.account_data as Json[]).some((event) => event.type === 'm.tag')).toBe(true);
    // The start token pages back with /messages to what came before.
    const earlier = await call(alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=1&from=${enc(messages.start as string)}`);
    expect(bodies(earlier.body.chunk)).toEqual(['one']);

    const invited = rooms.find((room) => room.room_id === inviteRoom) as Json;
    expect(invited.membership).toBe('invite');
    expect((invited.invite as Json).type).toBe('m.room.member');
    expect(invited.state).toBeUndefined();
  });

  it('GET /initialSync leaves out rooms the user left unless archived=true', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    await send(alice, roomId, 'before leaving');
    await call(alice, 'POST', `/rooms/${enc(roomId)}/leave`, {});
    const plain = await call(alice, 'GET', '/initialSync');
    expect((plain.body.rooms as Json[]).some((room) => room.room_id === roomId)).toBe(false);
    const archived = await call(alice, 'GET', '/initialSync?archived=true');
    const left = (archived.body.rooms as Json[]).find((room) => room.room_id === roomId) as Json;
    expect(left.membership).toBe('leave');
    expect(bodies((left.messages as Json).chunk)).toEqual(['before leaving']);
    expect((await call(alice, 'GET', '/initialSync?archived=maybe')).status).toBe(400);
  });

  it('GET /rooms/{roomId}/initialSync peeks into a world_readable room and refuses others', async () => {
    const [alice, eve] = await Promise.all([registerUser(server(), uniqueLocalpart('alice')), registerUser(server(), uniqueLocalpart('eve'))]);
    const open = await worldReadableRoom(alice);
    await send(alice, open, 'hello world');
    const peek = await call(eve, 'GET', `/rooms/${enc(open)}/initialSync`);
    expect(peek.status, JSON.stringify(peek.body)).toBe(200);
    expect(peek.body.room_id).toBe(open);
    expect(peek.body.membership).toBeUndefined();
    expect(bodies((peek.body.messages as Json).chunk)).toEqual(['hello world']);
    expect((peek.body.state as Json[]).some((event) => event.type === 'm.room.create')).toBe(true);
    expect(Array.isArray(peek.body.presence)).toBe(true);
    expect(Array.isArray(peek.body.account_data)).toBe(true);

    const closed = await createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }] });
    const refused = await call(eve, 'GET', `/rooms/${enc(closed)}/initialSync`);
    expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const own = await call(alice, 'GET', `/rooms/${enc(closed)}/initialSync`);
    expect(own.body.membership).toBe('join');
    expect((await call(eve, 'GET', '/rooms/not-a-room/initialSync')).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('GET /events long-polls from the initialSync end and wakes on a new event', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    const { end } = (await call(alice, 'GET', '/initialSync?limit=1')).body as { end: string };
    const empty = await call(alice, 'GET', `/events?from=${enc(end)}&timeout=0`);
    expect(empty.body).toEqual({ start: end, end, chunk: [] });

    const waiting = call(alice, 'GET', `/events?from=${enc(end)}&timeout=10000`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const eventId = await send(alice, roomId, 'woken');
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(woken.body.start).toBe(end);
    expect((woken.body.chunk as Json[]).map((event) => event.event_id)).toEqual([eventId]);
    expect(woken.body.end).not.toBe(end);
    // Following `end` gives nothing new.
    const after = await call(alice, 'GET', `/events?from=${enc(woken.body.end as string)}&timeout=0`);
    expect(after.body.chunk).toEqual([]);
    expect((await call(alice, 'GET', '/events?from=garbage&timeout=0')).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('GET /events?room_id= peeks into a world_readable room only', async () => {
    const [alice, eve] = await Promise.all([registerUser(server(), uniqueLocalpart('alice')), registerUser(server(), uniqueLocalpart('eve'))]);
    const open = await worldReadableRoom(alice);
    const { messages } = (await call(eve, 'GET', `/rooms/${enc(open)}/initialSync`)).body as { messages: { end: string } };
    const other = await createRoom(alice, { preset: 'private_chat' });
    await send(alice, other, 'not for eve');
    const eventId = await send(alice, open, 'for everyone');
    const peeked = await call(eve, 'GET', `/events?room_id=${enc(open)}&from=${enc(messages.end)}&timeout=0`);
    expect(peeked.status, JSON.stringify(peeked.body)).toBe(200);
    expect((peeked.body.chunk as Json[]).map((event) => event.event_id)).toEqual([eventId]);
    // Without room_id eve follows only her own rooms: nothing.
    expect((await call(eve, 'GET', `/events?from=${enc(messages.end)}&timeout=0`)).body.chunk).toEqual([]);
    const refused = await call(eve, 'GET', `/events?room_id=${enc(other)}&timeout=0`);
    expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
  });

  it('GET /events/{eventId} returns a visible event and 404 otherwise', async () => {
    const [alice, eve] = await Promise.all([registerUser(server(), uniqueLocalpart('alice')), registerUser(server(), uniqueLocalpart('eve'))]);
    const closed = await createRoom(alice, { preset: 'private_chat' });
    const secret = await send(alice, closed, 'secret');
    const own = await call(alice, 'GET', `/events/${enc(secret)}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ event_id: secret, room_id: closed, type: 'm.room.message', content: { body: 'secret' } });
    expect(await call(eve, 'GET', `/events/${enc(secret)}`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect((await call(alice, 'GET', `/events/${enc(`$${'A'.repeat(43)}`)}`)).status).toBe(404);
    const open = await worldReadableRoom(alice);
    const shown = await send(alice, open, 'public');
    expect((await call(eve, 'GET', `/events/${enc(shown)}`)).body.event_id).toBe(shown);
  });

  it('GET /rooms/{roomId}/initialSync shows a former member the room as of their leaving', async () => {
    const [alice, bob] = await Promise.all([registerUser(server(), uniqueLocalpart('alice')), registerUser(server(), uniqueLocalpart('bob'))]);
    const roomId = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }] });
    expect((await call(bob, 'POST', `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    await send(alice, roomId, 'while bob was here');
    expect((await call(bob, 'POST', `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    await send(alice, roomId, 'after bob left');
    await call(alice, 'PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'new topic' });
    const reply = await call(bob, 'GET', `/rooms/${enc(roomId)}/initialSync`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.membership).toBe('leave');
    expect(bodies((reply.body.messages as Json).chunk)).toEqual(['while bob was here']);
    expect((reply.body.state as Json[]).some((event) => event.type === 'm.room.topic')).toBe(false);
    // Nor does the event stream or the event by ID show him what came after.
    const later = await call(alice, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=5`);
    const afterId = (later.body.chunk as Json[]).find((event) => (event.content as Json).body === 'after bob left')?.event_id as string;
    expect((await call(bob, 'GET', `/events/${enc(afterId)}`)).status).toBe(404);
  });

  it('a guest peeks into a world_readable room', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const open = await worldReadableRoom(alice);
    await send(alice, open, 'guests welcome');
    const guest = await api(server(), 'POST', `${V3}/register?kind=guest`, { body: {} });
    expect(guest.status, JSON.stringify(guest.body)).toBe(200);
    const token = guest.body.access_token as string;
    const peek = await api(server(), 'GET', `${V3}/rooms/${enc(open)}/initialSync`, { token });
    expect(bodies((peek.body.messages as Json).chunk)).toEqual(['guests welcome']);
    const end = (peek.body.messages as Json).end as string;
    const eventId = await send(alice, open, 'more');
    const events = await api(server(), 'GET', `${V3}/events?room_id=${enc(open)}&from=${enc(end)}&timeout=0`, { token });
    expect((events.body.chunk as Json[]).map((event) => event.event_id)).toEqual([eventId]);
  });

  it('matrix-js-sdk peekInRoom shows a world_readable room and follows new events', async () => {
    const [alice, eve] = await Promise.all([registerUser(server(), uniqueLocalpart('alice')), registerUser(server(), uniqueLocalpart('eve'))]);
    const open = await worldReadableRoom(alice);
    await send(alice, open, 'first');
    const client = createSdkClient(server() as TestHomeserver, eve);
    try {
      const room = await client.peekInRoom(open);
      const texts = () => room.getLiveTimeline().getEvents().filter((event) => event.getType() === 'm.room.message').map((event) => event.getContent().body as unknown);
      expect(texts()).toEqual(['first']);
      await send(alice, open, 'second');
      const deadline = Date.now() + 15_000;
      while (!texts().includes('second') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(texts()).toEqual(['first', 'second']);
    } finally {
      client.stopPeeking();
      stopClient(client);
    }
  });
}, { config: { registration: { allow_guests: true } } });
