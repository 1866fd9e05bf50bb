/**
 * Woken incremental syncs served from the per-process buffer of recent events (services/sync/room-buffer.ts), on
 * SQLite and PostgreSQL: the buffer holds events, every user's view is still their own (history visibility,
 * ignored users), and a redaction is seen by syncs whose range starts before it.
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';
import { api, createRoom, joinRoom, sendMessage, sync, type Json } from './sync-helpers.js';

const enc = encodeURIComponent;

function timelineOf(response: Json, roomId: string): Json[] {
  const join = (response.rooms as { join: Record<string, { timeline: { events: Json[] } }> }).join;
  return join[roomId]?.timeline.events ?? [];
}

forEachDialect('sync from memory', (server) => {
  const register = (name: string) => registerUser(server(), uniqueLocalpart(name));

  it('serves the same events to every user as they may see them, and shows redactions to ranges before them', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const roomId = await createRoom(server(), alice, { invite: [bob.userId] });
    await joinRoom(server(), bob, roomId);
    const start = await sync(server(), bob);

    // A long-polling sync woken by the send gets the event (from memory).
    const waiting = sync(server(), bob, { since: start.next_batch as string, timeout: 10_000 });
    const sent = await sendMessage(server(), alice, roomId, 'secret soon redacted');
    const woken = await waiting;
    expect(timelineOf(woken, roomId).map((event) => event.event_id)).toEqual([sent]);

    const redact = await api(server(), 'PUT', `/rooms/${enc(roomId)}/redact/${enc(sent)}/t1`, alice, {});
    expect(redact.status).toBe(200);
    // From before the message: the message comes redacted (content gone), then the redaction.
    const again = await sync(server(), bob, { since: start.next_batch as string });
    const events = timelineOf(again, roomId);
    expect(events.map((event) => event.event_id)).toEqual([sent, redact.body.event_id]);
    expect(events[0]?.content).toEqual({});
    // From after the message: only the redaction.
    const after = await sync(server(), bob, { since: woken.next_batch as string });
    expect(timelineOf(after, roomId).map((event) => event.event_id)).toEqual([redact.body.event_id]);
  });

  it('keeps history visibility per user: a user joining later does not see what came before under "joined"', async () => {
    const alice = await register('alice');
    const carol = await register('carol');
    const roomId = await createRoom(server(), alice, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    const aliceStart = await sync(server(), alice);
    const hidden = await sendMessage(server(), alice, roomId, 'before carol');
    // Alice's incremental sync puts the message in memory.
    expect(timelineOf(await sync(server(), alice, { since: aliceStart.next_batch as string }), roomId).map((e) => e.event_id)).toContain(hidden);

    const carolStart = await sync(server(), carol);
    await joinRoom(server(), carol, roomId);
    const shown = await sendMessage(server(), alice, roomId, 'after carol');
    const carolNext = await sync(server(), carol, { since: carolStart.next_batch as string });
    const ids = timelineOf(carolNext, roomId).map((event) => event.event_id);
    expect(ids).toContain(shown);
    expect(ids).not.toContain(hidden);
  });

  it('answers many waiting syncs of one room from one send, each with the event', async () => {
    const alice = await register('alice');
    const members = await Promise.all(Array.from({ length: 8 }, (_, i) => register(`m${i}`)));
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    for (const member of members) await joinRoom(server(), member, roomId);
    // set_presence=offline: the members coming online would wake each other's syncs with presence alone.
    const quiet = { set_presence: 'offline' } as const;
    const tokens = await Promise.all(members.map(async (member) => (await sync(server(), member, quiet)).next_batch as string));
    const waiting = members.map((member, i) => sync(server(), member, { ...quiet, since: tokens[i], timeout: 10_000 }));
    const sent = await sendMessage(server(), alice, roomId, 'to all');
    for (const response of await Promise.all(waiting)) expect(timelineOf(response, roomId).map((event) => event.event_id)).toEqual([sent]);
  });
});
