/**
 * matrix-js-sdk 37.5.0, unmodified, syncing against Parley: the client starts (filter upload, initial sync,
 * long-polls) and receives a message another user sends.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { expect, it } from 'vitest';
import { ClientEvent, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { createSdkClient, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';
import { createRoom, sendMessage } from './sync-helpers.js';

/** Resolves with the first timeline event `predicate` accepts. */
function nextTimelineEvent(client: MatrixClient, predicate: (event: MatrixEvent) => boolean, timeoutMs = 15_000): Promise<MatrixEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(RoomEvent.Timeline, onEvent);
      reject(new Error('no matching timeline event'));
    }, timeoutMs);
    const onEvent = (event: MatrixEvent) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      client.off(RoomEvent.Timeline, onEvent);
      resolve(event);
    };
    client.on(RoomEvent.Timeline, onEvent);
  });
}

/** Resolves once the client knows the room (from a sync). */
function roomArrives(client: MatrixClient, roomId: string, timeoutMs = 15_000): Promise<Room> {
  const known = client.getRoom(roomId);
  if (known) return Promise.resolve(known);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`room ${roomId} never arrived`)), timeoutMs);
    const onRoom = (room: Room) => {
      if (room.roomId !== roomId) return;
      clearTimeout(timer);
      client.off(ClientEvent.Room, onRoom);
      resolve(room);
    };
    client.on(ClientEvent.Room, onRoom);
  });
}

forEachDialect('matrix-js-sdk sync', (server) => {
  it('starts a client, sees an invite, joins, and receives a message sent by another user', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const client = createSdkClient(server(), bob);
    try {
      await client.startClient({ initialSyncLimit: 10, lazyLoadMembers: true });
      await waitForSync(client);

      const roomId = await createRoom(server(), alice, { name: 'SDK room', invite: [bob.userId] });
      const invited = await roomArrives(client, roomId);
      expect(invited.getMyMembership()).toBe('invite');
      await client.joinRoom(roomId);

      const arriving = nextTimelineEvent(client, (event) => event.getType() === 'm.room.message' && event.getSender() === alice.userId);
      const eventId = await sendMessage(server(), alice, roomId, 'hello from alice');
      const event = await arriving;
      expect(event.getId()).toBe(eventId);
      expect(event.getContent()).toMatchObject({ body: 'hello from alice' });

      const room = client.getRoom(roomId);
      expect(room?.getMyMembership()).toBe('join');
      expect(room?.name).toBe('SDK room');
      expect(room?.getJoinedMemberCount()).toBe(2);
    } finally {
      stopClient(client);
    }
  });
});
