/**
 * Stripped state in `invite_state` and `knock_state` over /sync: the recommended state types that are set, the
 * invitee's own member event and the inviter's member event, so that a client can name a DM invite after the
 * inviter (matrix-js-sdk does, as Element does).
 * https://spec.matrix.org/v1.19/client-server-api/#stripped-state
 */
import { afterAll, expect, it } from 'vitest';
import { ClientEvent, type MatrixClient, type Room } from 'matrix-js-sdk';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';
import { createSdkClient, stopClient } from './support/clients.js';
import { api, createRoom, ok, sync, type Json } from './sync-helpers.js';

const enc = encodeURIComponent;
const clients: MatrixClient[] = [];
afterAll(() => clients.forEach(stopClient));

type StrippedEvent = { type: string; state_key: string; sender: string; content: Json };

/** The invite_state (or knock_state) events of `roomId` in a sync response. */
function strippedOf(response: Json, section: 'invite' | 'knock', roomId: string): StrippedEvent[] {
  const rooms = (response.rooms as Record<string, Record<string, Json>>)[section];
  const room = rooms?.[roomId] as Record<string, { events: StrippedEvent[] }> | undefined;
  if (room === undefined) throw new Error(`${roomId} not in rooms.${section}`);
  return room[`${section}_state`]?.events ?? [];
}

/** Resolves with the room once the client knows it with the given membership. */
function roomWithMembership(client: MatrixClient, roomId: string, membership: string): Promise<Room> {
  return new Promise((resolve) => {
    const check = (): void => {
      const room = client.getRoom(roomId);
      if (room?.getMyMembership() === membership) {
        client.off(ClientEvent.Sync, check);
        resolve(room);
      }
    };
    client.on(ClientEvent.Sync, check);
    check();
  });
}

forEachDialect('invite and knock stripped state', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('carries every recommended state event that is set, the invitee and the inviter', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    await ok(api(server(), 'PUT', `/profile/${enc(alice.userId)}/displayname`, alice, { displayname: 'Alice Liddell' }), 'displayname');
    const alias = uniqueLocalpart('stripped');
    const roomId = await createRoom(server(), alice, {
      name: 'Stripped',
      topic: 'What invites show',
      room_alias_name: alias,
      initial_state: [
        { type: 'm.room.avatar', state_key: '', content: { url: 'mxc://example.org/avatar' } },
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
      ],
    });
    const start = await sync(server(), bob);
    await ok(api(server(), 'POST', `/rooms/${enc(roomId)}/invite`, alice, { user_id: bob.userId }), 'invite');
    const events = strippedOf(await sync(server(), bob, { since: start.next_batch as string }), 'invite', roomId);

    const byType = new Map(events.map((event) => [`${event.type}|${event.state_key}`, event]));
    expect(byType.get('m.room.create|')?.content).toMatchObject({ room_version: expect.any(String) });
    expect(byType.get('m.room.name|')?.content).toEqual({ name: 'Stripped' });
    expect(byType.get('m.room.topic|')?.content).toMatchObject({ topic: 'What invites show' });
    expect(byType.get('m.room.avatar|')?.content).toEqual({ url: 'mxc://example.org/avatar' });
    expect(byType.get('m.room.join_rules|')?.content).toEqual({ join_rule: 'invite' });
    expect(byType.get('m.room.encryption|')?.content).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect(byType.get('m.room.canonical_alias|')?.content).toMatchObject({ alias: `#${alias}:${server().serverName}` });
    expect(byType.get(`m.room.member|${bob.userId}`)).toMatchObject({ sender: alice.userId, content: { membership: 'invite' } });
    expect(byType.get(`m.room.member|${alice.userId}`)).toMatchObject({
      sender: alice.userId,
      content: { membership: 'join', displayname: 'Alice Liddell' },
    });
    // Not recommended, so not included: history visibility and power levels stay private until joining.
    expect(byType.has('m.room.history_visibility|')).toBe(false);
    expect(byType.has('m.room.power_levels|')).toBe(false);
    // Stripped events have exactly the four stripped keys.
    for (const event of events) expect(Object.keys(event).sort()).toEqual(['content', 'sender', 'state_key', 'type']);
  });

  it('lets matrix-js-sdk name an unnamed DM invite after the inviter', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    await ok(api(server(), 'PUT', `/profile/${enc(alice.userId)}/displayname`, alice, { displayname: 'Alice from work' }), 'displayname');
    const roomId = await createRoom(server(), alice, { is_direct: true, invite: [bob.userId], preset: 'trusted_private_chat' });

    const client = createSdkClient(server(), bob);
    clients.push(client);
    const invited = roomWithMembership(client, roomId, 'invite');
    await client.startClient({ initialSyncLimit: 5 });
    const room = await invited;
    expect(room.name).toBe('Alice from work');
    expect(room.getDMInviter()).toBe(alice.userId);
  });

  it('gives a knock the stripped state and the knocker, without other members', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, {
      name: 'Knock knock',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    const start = await sync(server(), bob);
    await ok(api(server(), 'POST', `/knock/${enc(roomId)}`, bob, {}), 'knock');
    const events = strippedOf(await sync(server(), bob, { since: start.next_batch as string }), 'knock', roomId);
    const keys = events.map((event) => `${event.type}|${event.state_key}`).sort();
    expect(keys).toEqual(['m.room.create|', 'm.room.join_rules|', `m.room.member|${bob.userId}`, 'm.room.name|'].sort());
    expect(events.find((event) => event.type === 'm.room.join_rules')?.content).toEqual({ join_rule: 'knock' });
  });
});
