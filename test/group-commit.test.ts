/**
 * Group commit (homeserver/src/services/rooms/persist.ts, group-commit.ts): concurrent sends share transactions,
 * local events of one room chain on each other before they commit, and one refused write in a batch fails alone.
 * See spec/pipeline.md.
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';
import { api } from './support/http.js';

const V3 = '/_matrix/client/v3';

forEachDialect('group commit', (server) => {
  it('keeps the DAG of one room linear and every 200 stored once under concurrent senders', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const created = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: { preset: 'public_chat' } });
    const roomId = created.body.room_id as string;
    const path = encodeURIComponent(roomId);
    expect((await api(server(), 'POST', `${V3}/join/${path}`, { token: bob.accessToken, body: {} })).status).toBe(200);

    const send = (token: string, txnId: string) =>
      api(server(), 'PUT', `${V3}/rooms/${path}/send/m.room.message/${txnId}`, { token, body: { msgtype: 'm.text', body: txnId } });
    const sends = Array.from({ length: 40 }, (_, i) => send(i % 2 === 0 ? alice.accessToken : bob.accessToken, `m${i}`));
    // The same transaction ID twice at once: one event, both answered with it.
    sends.push(send(alice.accessToken, 'm0'));
    const responses = await Promise.all(sends);
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
    const ids = responses.map((response) => response.body.event_id as string);
    expect(ids[40]).toBe(ids[0]);
    expect(new Set(ids).size).toBe(40);

    const events = await server().server.services.rooms.getEvents(ids.slice(0, 40));
    expect(events).toHaveLength(40);
    const byDepth = [...events].sort((a, b) => a.depth - b.depth);
    // One chain: every message has exactly one prev event, the one just below it; depths are consecutive.
    for (let i = 1; i < byDepth.length; i++) {
      const event = byDepth[i];
      const below = byDepth[i - 1];
      expect(event?.depth).toBe((below?.depth ?? 0) + 1);
      expect(event?.pdu.prev_events).toEqual([below?.eventId]);
    }
    // Stream order follows the chain.
    const streams = byDepth.map((event) => event.streamOrdering);
    expect(streams).toEqual([...streams].sort((a, b) => a - b));

    const messages = await api(server(), 'GET', `${V3}/rooms/${path}/messages?dir=b&limit=100`, { token: alice.accessToken });
    const bodies = (messages.body.chunk as { type: string; content: { body?: string } }[])
      .filter((event) => event.type === 'm.room.message')
      .map((event) => event.content.body);
    expect(bodies).toHaveLength(40);
    expect(new Set(bodies).size).toBe(40);
  });

  it('fails only the refused write of a batch', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    const created = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: {} });
    const path = encodeURIComponent(created.body.room_id as string);
    const send = (token: string, txnId: string) =>
      api(server(), 'PUT', `${V3}/rooms/${path}/send/m.room.message/${txnId}`, { token, body: { msgtype: 'm.text', body: txnId } });
    // Carol is not in the room: her sends are refused whatever batch they land in.
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i % 5 === 2 ? carol.accessToken : alice.accessToken, `x${i}`)));
    const statuses = responses.map((response) => response.status);
    expect(statuses).toEqual(Array.from({ length: 20 }, (_, i) => (i % 5 === 2 ? 403 : 200)));
    const messages = await api(server(), 'GET', `${V3}/rooms/${path}/messages?dir=b&limit=100`, { token: alice.accessToken });
    const bodies = (messages.body.chunk as { type: string; content: { body?: string } }[])
      .filter((event) => event.type === 'm.room.message')
      .map((event) => event.content.body);
    expect(bodies.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`).filter((_, i) => i % 5 !== 2).sort());
  });
});
