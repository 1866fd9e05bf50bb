/**
 * Fork test (issue 8): a room built locally, then two branches of remote-style PDUs (signed by a fake remote
 * server's key, fed through the pipeline with persistPdu) that fork from one event with conflicting
 * `m.room.name`s, then a merge event with both tips as prev_events. The resolved state must equal federation's
 * state resolution on the same inputs; /sync, /messages and /context over HTTP show it; the late branch (depth
 * older than the room's newest) is not shown as new by incremental /sync, yet the name it wins reaches the
 * state section.
 */
import {
  authEventTypesFor,
  buildEvent,
  generateSigningKey,
  getRoomVersion,
  resolveState,
  stateKeyString,
  type JsonObject,
  type Pdu,
  type StateResEvent,
} from '@parley/federation';
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api } from './support/http.js';

const REMOTE = 'remote.test';
const remoteKey = generateSigningKey();
const enc = encodeURIComponent;

type StateMap = Map<string, string>;
interface Tip {
  eventId: string;
  depth: number;
  state: StateMap;
}
interface ClientEvent {
  event_id: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
}
interface SyncRoom {
  timeline: { events: ClientEvent[]; limited: boolean };
  state: { events: ClientEvent[] };
}

async function get(server: TestHomeserver, user: TestUser, path: string): Promise<Record<string, unknown>> {
  const response = await api(server, 'GET', path, { token: user.accessToken });
  expect(response.status).toBe(200);
  return response.body as Record<string, unknown>;
}

async function put(server: TestHomeserver, user: TestUser, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await api(server, 'PUT', path, { token: user.accessToken, body });
  expect(response.status).toBe(200);
  return response.body as Record<string, unknown>;
}

async function sync(server: TestHomeserver, user: TestUser, since?: string): Promise<{ next: string; room: (roomId: string) => SyncRoom | undefined }> {
  const query = since === undefined ? '?timeout=0' : `?timeout=0&since=${enc(since)}`;
  const body = await get(server, user, `/_matrix/client/v3/sync${query}`);
  const join = ((body.rooms as { join?: Record<string, SyncRoom> } | undefined)?.join ?? {});
  return { next: body.next_batch as string, room: (roomId) => join[roomId] };
}

forEachDialect('forked rooms', (server) => {
  it.each(['12', '10'])('room version %s: two branches resolve with state resolution; sync and messages show it', async (versionId) => {
    const version = getRoomVersion(versionId);
    const hs = server();
    const rooms = hs.server.services.rooms;
    const alice = await registerUser(hs, uniqueLocalpart('alice'));
    const created = await api(hs, 'POST', '/_matrix/client/v3/createRoom', {
      token: alice.accessToken,
      body: { preset: 'public_chat', room_version: versionId, name: 'Start' },
    });
    expect(created.status).toBe(200);
    const roomId = (created.body as { room_id: string }).room_id;
    const mallory = `@mallory:${REMOTE}`;
    const carol = `@carol:${REMOTE}`;

    /** The room's single tip (the last event sent) with the current state. */
    const currentTip = async (lastEventId: string): Promise<Tip> => {
      const [last] = await rooms.getEvents([lastEventId]);
      const state = new Map((await rooms.getCurrentState(roomId)).map((event) => [stateKeyString(event.type, event.stateKey ?? ''), event.eventId]));
      return { eventId: lastEventId, depth: last?.depth ?? 0, state };
    };

    /** A PDU from the remote server on top of `prev` (a tip with the state after it). */
    const remote = async (prev: Tip[], event: { type: string; sender: string; content: JsonObject; stateKey?: string }, ts: number): Promise<Tip> => {
      const base = prev[0] as Tip;
      const selection = { type: event.type, sender: event.sender, content: event.content, ...(event.stateKey === undefined ? {} : { state_key: event.stateKey }) };
      const authIds = authEventTypesFor(selection, version).flatMap(([type, stateKey]) => base.state.get(stateKeyString(type, stateKey)) ?? []);
      const depth = Math.max(...prev.map((tip) => tip.depth)) + 1;
      const built = buildEvent({
        roomVersion: version,
        template: { ...selection, room_id: roomId, prev_events: prev.map((tip) => tip.eventId), auth_events: authIds, depth, origin_server_ts: ts },
        signer: { serverName: REMOTE, key: remoteKey },
      });
      const persisted = await rooms.persistPdu(roomId, built.pdu as Pdu);
      expect(persisted.rejectedReason).toBeNull();
      const state = new Map(base.state);
      if (event.stateKey !== undefined) state.set(stateKeyString(event.type, event.stateKey), persisted.eventId);
      return { eventId: persisted.eventId, depth, state };
    };

    // Two remote members; alice lets them set the name (power 50, state_default 50).
    const start = await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
    let tip = await currentTip(((start.chunk as ClientEvent[])[0] as ClientEvent).event_id);
    const now = Date.now();
    tip = await remote([tip], { type: 'm.room.member', sender: mallory, stateKey: mallory, content: { membership: 'join' } }, now);
    await remote([tip], { type: 'm.room.member', sender: carol, stateKey: carol, content: { membership: 'join' } }, now + 1);
    const levels = (await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`)) as { users: Record<string, number> };
    const sentLevels = await put(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
      ...levels,
      users: { ...levels.users, [mallory]: 50, [carol]: 50 },
    });
    const fork = await currentTip(sentLevels.event_id as string);
    const first = await sync(hs, alice);

    // Branch A (mallory): three events; branch B (carol) forks from the same event and arrives later, one event at
    // the fork's depth + 1 (older than A's newest), with a later origin_server_ts so resolution picks its name.
    const a1 = await remote([fork], { type: 'm.room.name', sender: mallory, stateKey: '', content: { name: 'A1' } }, now + 10);
    const a2 = await remote([a1], { type: 'm.room.topic', sender: mallory, stateKey: '', content: { topic: 'from A' } }, now + 11);
    const a3 = await remote([a2], { type: 'm.room.name', sender: mallory, stateKey: '', content: { name: 'A3' } }, now + 12);
    const afterA = await sync(hs, alice, first.next);
    expect(afterA.room(roomId)?.timeline.events.map((event) => event.event_id)).toEqual([a1.eventId, a2.eventId, a3.eventId]);

    const b1 = await remote([fork], { type: 'm.room.name', sender: carol, stateKey: '', content: { name: 'B1' } }, now + 20);
    // B's topic is older than A's (origin_server_ts), so resolution keeps A's: persisting it changes nothing.
    const b2 = await remote([b1], { type: 'm.room.topic', sender: carol, stateKey: '', content: { topic: 'from B' } }, now + 5);
    expect(b2.depth).toBeLessThan(a3.depth);

    // The state federation's resolution gives on the same inputs (the states after both tips).
    const store = {
      async getEvents(ids: readonly string[]) {
        const events = await rooms.getEvents(ids);
        return new Map(events.map((event): [string, StateResEvent] => [event.eventId, { eventId: event.eventId, pdu: event.pdu, rejected: event.rejectedReason !== null }]));
      },
    };
    const expected = await resolveState({ roomVersion: version, stateSets: [a3.state, b2.state], store });
    const nameKey = stateKeyString('m.room.name', '');
    expect(expected.get(nameKey)).toBe(b1.eventId);
    expect(expected.get(stateKeyString('m.room.topic', ''))).toBe(a2.eventId);
    const current = new Map((await rooms.getCurrentState(roomId)).map((event) => [stateKeyString(event.type, event.stateKey ?? ''), event.eventId]));
    expect(current).toEqual(expected);
    expect((await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`)).name).toBe('B1');
    expect((await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`)).topic).toBe('from A');

    // Incremental sync: the late branch event is not new (not in the timeline), but the name it won is in the state.
    const afterB = await sync(hs, alice, afterA.next);
    const roomAfterB = afterB.room(roomId);
    expect(roomAfterB?.timeline.events.map((event) => event.event_id) ?? []).toEqual([]);
    expect(roomAfterB?.state.events.map((event) => event.event_id)).toEqual([b1.eventId]);

    // The merge: a message with both tips as prev_events.
    const merge = await remote([a3, b2], { type: 'm.room.message', sender: mallory, content: { msgtype: 'm.text', body: 'merged' } }, now + 30);
    const afterMerge = await sync(hs, alice, afterB.next);
    expect(afterMerge.room(roomId)?.timeline.events.map((event) => event.event_id)).toEqual([merge.eventId]);
    const stateAfterMerge = new Map((await rooms.getStateAtEvent(merge.eventId)).map((event) => [stateKeyString(event.type, event.stateKey ?? ''), event.eventId]));
    expect(stateAfterMerge).toEqual(expected);

    // A local event after the merge builds on it and keeps the resolved name.
    const local = await put(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${versionId}`, { msgtype: 'm.text', body: 'after' });
    expect((await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`)).name).toBe('B1');

    // /messages in topological order: by depth, then arrival; the late branch sits at its depth.
    const page = await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=7`);
    expect((page.chunk as ClientEvent[]).map((event) => event.event_id)).toEqual([
      local.event_id,
      merge.eventId,
      a3.eventId,
      b2.eventId,
      a2.eventId,
      b1.eventId,
      a1.eventId,
    ]);
    expect(page.end).toMatch(/^t\d+-\d+$/);
    const forward = await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=3&from=${enc(page.end as string)}`);
    expect((forward.chunk as ClientEvent[]).map((event) => event.event_id)).toEqual([a1.eventId, b1.eventId, a2.eventId]);
    // A sync prev_batch (stream token) still pages back, topologically.
    const fromSync = await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=3&from=${enc(afterMerge.next)}`);
    expect((fromSync.chunk as ClientEvent[]).map((event) => event.event_id)).toEqual([merge.eventId, a3.eventId, b2.eventId]);

    // /context of the merge: the state after it is the resolved one.
    const context = await get(hs, alice, `/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(merge.eventId)}?limit=2`);
    const contextName = (context.state as ClientEvent[]).find((event) => event.type === 'm.room.name');
    expect(contextName?.event_id).toBe(b1.eventId);
    expect((context.events_before as ClientEvent[]).map((event) => event.event_id)).toEqual([a3.eventId]);

    // A fresh initial sync shows the resolved name in its state (timeline of one event).
    const filter = enc(JSON.stringify({ room: { timeline: { limit: 1 } } }));
    const initial = await get(hs, alice, `/_matrix/client/v3/sync?timeout=0&filter=${filter}`);
    const initialRoom = (initial.rooms as { join: Record<string, SyncRoom> }).join[roomId];
    expect(initialRoom?.state.events.find((event) => event.type === 'm.room.name')?.event_id).toBe(b1.eventId);
  });
});
