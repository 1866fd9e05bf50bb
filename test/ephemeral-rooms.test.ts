/**
 * Typing, receipts (read, private, threaded, MSC4089 delivery), read markers and presence between users sharing a
 * room, seen through /sync (raw HTTP) and matrix-js-sdk.
 * https://spec.matrix.org/v1.19/client-server-api/#receipts
 */
import { expect, it } from 'vitest';
import { ClientEvent, UserEvent, type MatrixClient } from 'matrix-js-sdk';
import { createSdkClient, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

type Json = Record<string, unknown>;

const enc = encodeURIComponent;
const DELIVERY = 'org.matrix.msc4089.delivery';

async function call(server: TestHomeserver, user: TestUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${user.accessToken}` } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`${server.url}/_matrix/client/v3${path}`, init);
  return { status: response.status, body: (await response.json()) as Json };
}

async function ok(server: TestHomeserver, user: TestUser, method: string, path: string, body?: unknown): Promise<Json> {
  const answer = await call(server, user, method, path, body);
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A room of alice with bob and carol joined, and one message from alice. */
async function roomOfThree(server: TestHomeserver) {
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => registerUser(server, uniqueLocalpart(name))));
  if (!alice || !bob || !carol) throw new Error('registration failed');
  const roomId = (await ok(server, alice, 'POST', '/createRoom', { preset: 'private_chat', invite: [bob.userId, carol.userId] })).room_id as string;
  await ok(server, bob, 'POST', `/rooms/${enc(roomId)}/join`, {});
  await ok(server, carol, 'POST', `/rooms/${enc(roomId)}/join`, {});
  const send = async (user: TestUser, content: Json = { msgtype: 'm.text', body: 'hi' }) =>
    (await ok(server, user, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/${uniqueLocalpart('txn')}`, content)).event_id as string;
  const message = await send(alice);
  return { alice, bob, carol, roomId, message, send };
}

/** The room's ephemeral events in `user`'s sync since `since` (initial sync without). */
async function ephemeral(server: TestHomeserver, user: TestUser, roomId: string, since?: string): Promise<{ events: Json[]; nextBatch: string }> {
  const query = since === undefined ? '?timeout=0' : `?timeout=0&since=${enc(since)}`;
  const body = await ok(server, user, 'GET', `/sync${query}`);
  const rooms = (body.rooms as { join?: Record<string, { ephemeral?: { events?: Json[] } }> } | undefined)?.join ?? {};
  return { events: rooms[roomId]?.ephemeral?.events ?? [], nextBatch: body.next_batch as string };
}

function receiptContent(events: readonly Json[]): Json {
  return Object.assign({}, ...events.filter((event) => event.type === 'm.receipt').map((event) => event.content as Json)) as Json;
}

function waitFor<T>(description: string, register: (resolve: (value: T) => void) => void, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${description}`)), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Resolves once `condition` holds, checking every 50 ms. */
function poll(description: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  return waitFor<void>(description, (resolve) => {
    const check = (): void => {
      if (condition()) resolve();
      else setTimeout(check, 50);
    };
    check();
  }, timeoutMs);
}

forEachDialect('ephemeral state in rooms', (server) => {
  it('shows typing to the room through /sync and ends it', async () => {
    const { alice, bob, roomId } = await roomOfThree(server());
    await ok(server(), bob, 'PUT', `/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 30_000 });
    const first = await ephemeral(server(), alice, roomId);
    expect(first.events).toContainEqual({ type: 'm.typing', content: { user_ids: [bob.userId] } });
    await ok(server(), bob, 'PUT', `/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: false });
    const next = await ephemeral(server(), alice, roomId, first.nextBatch);
    expect(next.events).toContainEqual({ type: 'm.typing', content: { user_ids: [] } });
    // Someone outside the room cannot type in it.
    const mallory = await registerUser(server(), uniqueLocalpart('mallory'));
    expect((await call(server(), mallory, 'PUT', `/rooms/${enc(roomId)}/typing/${enc(mallory.userId)}`, { typing: true })).status).toBe(403);
  });

  it('shares read receipts with the room, private ones with nobody, delivery receipts with the sender only', async () => {
    const { alice, bob, carol, roomId, message } = await roomOfThree(server());
    const receipt = (type: string, eventId: string) => `/rooms/${enc(roomId)}/receipt/${enc(type)}/${enc(eventId)}`;
    expect(await call(server(), bob, 'POST', receipt('m.read', `$${'B'.repeat(42)}A`), {})).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });

    await ok(server(), bob, 'POST', receipt(DELIVERY, message), {});
    await ok(server(), bob, 'POST', receipt(DELIVERY, message), {});
    await ok(server(), carol, 'POST', receipt('m.read.private', message), {});
    await ok(server(), bob, 'POST', receipt('m.read', message), { thread_id: 'main' });

    const forAlice = receiptContent((await ephemeral(server(), alice, roomId)).events);
    expect(Object.keys((forAlice[message] as Json)[DELIVERY] as Json)).toEqual([bob.userId]);
    expect((forAlice[message] as Json)['m.read']).toEqual({ [bob.userId]: { ts: expect.any(Number), thread_id: 'main' } });
    expect((forAlice[message] as Json)['m.read.private']).toBeUndefined();

    const forCarol = receiptContent((await ephemeral(server(), carol, roomId)).events);
    expect((forCarol[message] as Json)[DELIVERY]).toBeUndefined();
    expect(Object.keys((forCarol[message] as Json)['m.read.private'] as Json)).toEqual([carol.userId]);
  });

  it('sets m.fully_read through /read_markers as room account data', async () => {
    const { bob, roomId, message } = await roomOfThree(server());
    await ok(server(), bob, 'POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': message, 'm.read': message });
    const marker = await ok(server(), bob, 'GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`);
    expect(marker).toEqual({ event_id: message });
    expect((await call(server(), bob, 'POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': `$${'C'.repeat(42)}A` })).status).toBe(404);
    expect(await ok(server(), bob, 'GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`)).toEqual({ event_id: message });
  });

  it('shows presence to room members, through the privacy setting', async () => {
    const { alice, bob } = await roomOfThree(server());
    const stranger = await registerUser(server(), uniqueLocalpart('stranger'));
    await ok(server(), alice, 'PUT', `/presence/${enc(alice.userId)}/status`, { presence: 'online', status_msg: 'around' });
    expect(await ok(server(), bob, 'GET', `/presence/${enc(alice.userId)}/status`)).toMatchObject({ presence: 'online', status_msg: 'around' });
    expect((await call(server(), stranger, 'GET', `/presence/${enc(alice.userId)}/status`)).status).toBe(403);

    await ok(server(), alice, 'PUT', `/user/${enc(alice.userId)}/account_data/org.parley.presence_privacy`, { hide_last_seen: true });
    const seen = await ok(server(), bob, 'GET', `/presence/${enc(alice.userId)}/status`);
    expect(seen.presence).toBe('online');
    expect(seen.last_active_ago).toBeUndefined();

    await ok(server(), alice, 'PUT', `/user/${enc(alice.userId)}/account_data/org.parley.presence_privacy`, { hide_presence: true });
    expect(await ok(server(), bob, 'GET', `/presence/${enc(alice.userId)}/status`)).toEqual({ presence: 'offline' });
    const sync = await ok(server(), bob, 'GET', '/sync?timeout=0&set_presence=offline');
    const events = ((sync.presence as { events?: Json[] } | undefined)?.events ?? []).filter((event) => event.sender === alice.userId);
    for (const event of events) expect(event.content).toEqual({ presence: 'offline' });
    expect((await ok(server(), alice, 'GET', `/presence/${enc(alice.userId)}/status`)).presence).toBe('online');
  });

  it('works with matrix-js-sdk: typing, read receipts and presence arrive', async () => {
    const { alice, bob, roomId, message } = await roomOfThree(server());
    const client: MatrixClient = createSdkClient(server(), alice);
    try {
      await client.startClient({ initialSyncLimit: 10 });
      await waitForSync(client);

      // The SDK's m.typing event itself: RoomMember.typing can be reset by a later member state update, so it is
      // not a stable signal to wait on.
      const typing = waitFor<string[]>('typing', (resolve) =>
        client.on(ClientEvent.Event, (event) => {
          const userIds = (event.getContent() as { user_ids?: string[] }).user_ids;
          if (event.getType() === 'm.typing' && userIds?.includes(bob.userId)) resolve(userIds);
        }),
      );
      await ok(server(), bob, 'PUT', `/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 20_000 });
      expect(await typing).toEqual([bob.userId]);

      await ok(server(), bob, 'POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(message)}`, {});
      await poll('read receipt', () => client.getRoom(roomId)?.getEventReadUpTo(bob.userId) === message);

      const presence = waitFor<string>('presence', (resolve) =>
        client.on(UserEvent.Presence, (_event, user) => {
          if (user?.userId === bob.userId && user.presenceStatusMsg === 'busy') resolve(user.presence);
        }),
      );
      await ok(server(), bob, 'PUT', `/presence/${enc(bob.userId)}/status`, { presence: 'unavailable', status_msg: 'busy' });
      expect(await presence).toBe('unavailable');
    } finally {
      stopClient(client);
    }
  });
});
