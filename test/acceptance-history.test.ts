/**
 * Issue 3's "Done when", history part, driven by matrix-js-sdk 37.5.0: scroll back through 500 messages from a
 * fresh login (no gaps, no duplicates, in order), and upgrade a room (the tombstone points at the new room, which
 * names its predecessor).
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
 * https://spec.matrix.org/v1.19/client-server-api/#room-upgrades
 */
import { afterEach, expect, it } from 'vitest';
import { Direction, EventTimeline, type MatrixClient } from 'matrix-js-sdk';
import { createAnonymousSdkClient, createSdkClient, stopClient, waitForSync } from './support/clients.js';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';

const MESSAGES = 500;
const BATCH = 25;

/** Clients started by the running test, stopped when it ends (before its server closes). */
const clients: MatrixClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) stopClient(client);
});

async function until(description: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

forEachDialect('acceptance: history through matrix-js-sdk', (server) => {
  it(`scrolls back through ${MESSAGES} messages from a fresh login, in order, without gaps or duplicates`, async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const a = createSdkClient(server(), alice);
    const { room_id: roomId } = await a.createRoom({ name: 'long history', invite: [bob.userId] });
    await createSdkClient(server(), bob).joinRoom(roomId);

    // Raw HTTP in parallel batches: every message of batch n is sent before any of batch n + 1.
    const sent = new Map<string, number>();
    for (let start = 0; start < MESSAGES; start += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, offset) => start + offset);
      const ids = await Promise.all(
        batch.map(async (index) => {
          const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/h${index}`;
          const answer = await api(server(), 'PUT', path, { token: alice.accessToken, body: { msgtype: 'm.text', body: `message ${index}` } });
          expect(answer.status).toBe(200);
          return answer.body.event_id as string;
        }),
      );
      ids.forEach((eventId, offset) => sent.set(eventId, start + offset));
    }

    // bob logs in on a new device through the SDK and scrolls back until the room's beginning.
    const login = await createAnonymousSdkClient(server()).loginWithPassword(bob.userId, bob.password);
    const fresh = createSdkClient(server(), { userId: login.user_id, accessToken: login.access_token, deviceId: login.device_id });
    clients.push(fresh);
    await fresh.startClient({ initialSyncLimit: 10 });
    await waitForSync(fresh);
    await until('the room', () => fresh.getRoom(roomId) !== null);
    const room = fresh.getRoom(roomId);
    if (!room) throw new Error('unreachable');
    for (let page = 0; room.getLiveTimeline().getPaginationToken(EventTimeline.BACKWARDS) !== null; page += 1) {
      expect(page).toBeLessThan(20);
      await fresh.scrollback(room, 100);
    }
    const timeline = room.getLiveTimeline().getEvents();
    expect(timeline[0]?.getType()).toBe('m.room.create');
    const scrolled = timeline.filter((event) => event.getType() === 'm.room.message').map((event) => event.getId() as string);

    expect(scrolled).toHaveLength(MESSAGES);
    expect(new Set(scrolled).size).toBe(MESSAGES);
    expect(new Set(scrolled)).toEqual(new Set(sent.keys()));
    const batches = scrolled.map((eventId) => Math.floor((sent.get(eventId) ?? -1) / BATCH));
    expect(batches).toEqual([...batches].sort((x, y) => x - y));

    // The same order paginating forwards from the start with the raw request the SDK builds.
    const forwards: string[] = [];
    let from: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const chunk = await fresh.createMessagesRequest(roomId, from, 150, Direction.Forward);
      forwards.push(...chunk.chunk.filter((event) => event.type === 'm.room.message').map((event) => event.event_id));
      if (!chunk.end || chunk.chunk.length === 0) break;
      from = chunk.end;
    }
    expect(forwards).toEqual(scrolled);
  });

  it('upgrades a room: the tombstone points at the new room and members follow it', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const a = createSdkClient(server(), alice);
    const b = createSdkClient(server(), bob);
    clients.push(b);
    const { room_id: oldRoom } = await a.createRoom({ name: 'to upgrade', invite: [bob.userId], room_version: '11' });
    await b.startClient({ initialSyncLimit: 10 });
    await waitForSync(b);
    await b.joinRoom(oldRoom);

    const { replacement_room: newRoom } = await a.upgradeRoom(oldRoom, '12');
    expect(newRoom).not.toBe(oldRoom);
    expect(await a.getStateEvent(oldRoom, 'm.room.tombstone', '')).toMatchObject({ replacement_room: newRoom });
    const create = await a.getStateEvent(newRoom, 'm.room.create', '');
    expect(create).toMatchObject({ room_version: '12', predecessor: { room_id: oldRoom } });
    expect(await a.getStateEvent(newRoom, 'm.room.name', '')).toEqual({ name: 'to upgrade' });

    // bob's client sees the tombstone and can follow it.
    await until('bob sees the tombstone', () => b.getRoom(oldRoom)?.currentState.getStateEvents('m.room.tombstone', '')?.getContent().replacement_room === newRoom);
    await b.joinRoom(newRoom);
    expect((await b.getJoinedRooms()).joined_rooms.sort()).toEqual([oldRoom, newRoom].sort());
    // The old room no longer takes messages from ordinary members (power levels restricted by the upgrade).
    await expect(b.sendTextMessage(oldRoom, 'still here?')).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
  });
});
