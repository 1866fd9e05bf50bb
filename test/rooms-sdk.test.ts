/**
 * The rooms endpoints driven by matrix-js-sdk 37.5.0 (unmodified): create, invite, join, send, state, history,
 * redact, leave, without relying on /sync.
 */
import { createClient, Direction, type MatrixClient } from 'matrix-js-sdk';
import { afterAll, expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const clients: MatrixClient[] = [];
afterAll(() => {
  for (const client of clients) client.stopClient();
});

function sdk(server: TestHomeserver, user: TestUser): MatrixClient {
  const client = createClient({ baseUrl: server.url, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId });
  clients.push(client);
  return client;
}

forEachDialect('rooms with matrix-js-sdk', (server) => {
  it('creates a DM, exchanges messages, reads history and redacts', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const a = sdk(server(), alice);
    const b = sdk(server(), bob);

    const { room_id: roomId } = await a.createRoom({ invite: [bob.userId], is_direct: true, name: 'DM' });
    await b.joinRoom(roomId);
    expect((await b.getJoinedRooms()).joined_rooms).toEqual([roomId]);

    const sent = await a.sendEvent(roomId, 'm.room.message' as never, { msgtype: 'm.text', body: 'hi bob' } as never);
    const reply = await b.sendEvent(roomId, 'm.room.message' as never, { msgtype: 'm.text', body: 'hi alice' } as never);
    const history = await b.createMessagesRequest(roomId, null, 10, Direction.Backward);
    const bodies = history.chunk.filter((event) => event.type === 'm.room.message').map((event) => event.content.body);
    expect(bodies).toEqual(['hi alice', 'hi bob']);

    const name = await b.getStateEvent(roomId, 'm.room.name', '');
    expect(name).toEqual({ name: 'DM' });
    const members = await b.getJoinedRoomMembers(roomId);
    expect(Object.keys(members.joined).sort()).toEqual([alice.userId, bob.userId].sort());

    await b.redactEvent(roomId, reply.event_id);
    const fetched = await a.fetchRoomEvent(roomId, reply.event_id);
    expect(fetched.content).toEqual({});
    expect(fetched.unsigned?.redacted_because).toBeDefined();
    expect((await a.fetchRoomEvent(roomId, sent.event_id)).content?.body).toBe('hi bob');

    await b.leave(roomId);
    expect((await b.getJoinedRooms()).joined_rooms).toEqual([]);
  });
});
