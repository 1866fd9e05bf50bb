/**
 * Sync conformance over HTTP: newly joined rooms in an incremental sync, lazy-loaded members, the room summary,
 * ignored users and presence.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, createRoom, joinRoom, ok, sendMessage, sync, type Json } from './sync-helpers.js';

const enc = encodeURIComponent;

interface Room {
  summary: Json;
  state?: { events: Json[] };
  timeline: { events: Json[]; limited: boolean; prev_batch: string };
}

function joined(response: Json, roomId: string): Room {
  const room = ((response.rooms as Json).join as Record<string, Room>)[roomId];
  if (!room) throw new Error(`room ${roomId} missing from rooms.join: ${JSON.stringify(response.rooms)}`);
  return room;
}

function memberKeys(room: Room): string[] {
  return (room.state?.events ?? []).filter((event) => event.type === 'm.room.member').map((event) => event.state_key as string);
}

function bodies(events: readonly Json[]): string[] {
  return events.filter((event) => event.type === 'm.room.message').map((event) => (event.content as Json).body as string);
}

forEachDialect('sync conformance: newly joined rooms', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('sends a room joined since `since` like an initial sync: last N events, limited, prev_batch, full state', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', name: 'History' });
    for (let i = 0; i < 8; i += 1) await sendMessage(server(), alice, roomId, `before ${i}`);
    const start = await sync(server(), bob);
    await joinRoom(server(), bob, roomId);

    const filter = JSON.stringify({ room: { timeline: { limit: 5 } } });
    const next = await sync(server(), bob, { since: start.next_batch as string, filter });
    const room = joined(next, roomId);
    // The last 5 events: 4 of alice's messages and bob's join; more came before.
    expect(room.timeline.events).toHaveLength(5);
    expect(bodies(room.timeline.events)).toEqual(['before 4', 'before 5', 'before 6', 'before 7']);
    expect(room.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId });
    expect(room.timeline.limited).toBe(true);
    // The state before the timeline: the room's name and creation, alice's membership; bob's join is in the timeline.
    const types = new Set((room.state?.events ?? []).map((event) => event.type));
    for (const type of ['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.name']) expect(types).toContain(type);
    expect(memberKeys(room)).toContain(alice.userId);

    // prev_batch paginates back from the start of the timeline into the history bob may see (public_chat: shared).
    const back = await ok(
      api(server(), 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=4&from=${enc(room.timeline.prev_batch)}`, bob),
      'messages',
    );
    expect(bodies(back.chunk as Json[])).toEqual(['before 3', 'before 2', 'before 1', 'before 0']);
  });

  it('is not limited when the room has fewer events than the limit, and lazy-loads members like an initial sync', async () => {
    const alice = await register('alice');
    const carol = await register('carol');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', name: 'Small' });
    await joinRoom(server(), carol, roomId);
    await sendMessage(server(), alice, roomId, 'hello');
    const start = await sync(server(), bob);
    await joinRoom(server(), bob, roomId);

    const filter = JSON.stringify({ room: { timeline: { limit: 50 }, state: { lazy_load_members: true } } });
    const next = await sync(server(), bob, { since: start.next_batch as string, filter });
    const room = joined(next, roomId);
    expect(room.timeline.limited).toBe(false);
    expect(room.timeline.events[0]).toMatchObject({ type: 'm.room.create' });
    // Every sender is in the timeline with its member event (or its state before): nothing extra in state.
    const initial = await sync(server(), bob, { filter });
    expect(joined(initial, roomId).timeline.events.map((event) => event.event_id)).toEqual(room.timeline.events.map((event) => event.event_id));
  });
});
