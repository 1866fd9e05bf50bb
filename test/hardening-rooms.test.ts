/**
 * Hardening of rooms over HTTP: redaction authorisation on every route and room version, m.room.create only
 * through createRoom, fresh room IDs under concurrency, bounded createRoom work, and per-user rate limits on
 * room creation, state and membership.
 */
import { describe, expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, type ApiResponse } from './support/http.js';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

let txnCounter = 0;
const txn = () => `t${Date.now()}-${txnCounter++}`;

async function createRoom(server: TestHomeserver, user: TestUser, body: Record<string, unknown>): Promise<string> {
  const created = await api(server, 'POST', `${V3}/createRoom`, { token: user.accessToken, body });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body.room_id as string;
}

async function say(server: TestHomeserver, user: TestUser, roomId: string, body: string): Promise<string> {
  const sent = await api(server, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { token: user.accessToken, body: { msgtype: 'm.text', body } });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  return sent.body.event_id as string;
}

/** PUT /send/m.room.redaction with the target in the content (the only place a /send body can carry it). */
function sendRedaction(server: TestHomeserver, user: TestUser, roomId: string, eventId: string): Promise<ApiResponse> {
  return api(server, 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.redaction/${txn()}`, { token: user.accessToken, body: { redacts: eventId } });
}

/** The event as /event, /messages and an initial /sync serve it to `viewer`, and whether any redaction of it is served. */
async function servedEverywhere(server: TestHomeserver, viewer: TestUser, roomId: string, eventId: string) {
  const single = await api(server, 'GET', `${V3}/rooms/${enc(roomId)}/event/${enc(eventId)}`, { token: viewer.accessToken });
  const page = await api(server, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`, { token: viewer.accessToken });
  const chunk = page.body.chunk as ClientEvent[];
  const sync = await api(server, 'GET', `${V3}/sync?timeout=0`, { token: viewer.accessToken });
  const joined = (sync.body.rooms as { join: Record<string, { timeline: { events: ClientEvent[] } }> }).join[roomId];
  const timeline = joined?.timeline.events ?? [];
  const redactionOf = (events: ClientEvent[]) => events.some((event) => event.type === 'm.room.redaction' && (event.content.redacts === eventId || (event as { redacts?: string }).redacts === eventId));
  return {
    event: single.body.content as Record<string, unknown>,
    messages: chunk.find((event) => event.event_id === eventId)?.content,
    sync: timeline.find((event) => event.event_id === eventId)?.content,
    redactionServed: redactionOf(chunk) || redactionOf(timeline),
  };
}

forEachDialect('hardening: rooms', (server) => {
  const users = (...names: string[]) => Promise.all(names.map((name) => registerUser(server(), uniqueLocalpart(name))));

  describe.each(['12', '10', '3', '1'])('redactions in a v%s room', (version) => {
    async function room(): Promise<{ alice: TestUser; bob: TestUser; roomId: string; message: string }> {
      const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
      const roomId = await createRoom(server(), alice, { preset: 'public_chat', room_version: version });
      expect((await api(server(), 'POST', `${V3}/join/${enc(roomId)}`, { token: bob.accessToken, body: {} })).status).toBe(200);
      const message = await say(server(), alice, roomId, 'keep me');
      return { alice, bob, roomId, message };
    }

    it('a power-0 member may not redact another user’s message, by /send or /redact; it stays whole everywhere', async () => {
      const { bob, roomId, message } = await room();
      const viaSend = await sendRedaction(server(), bob, roomId, message);
      expect(viaSend.status).toBe(403);
      expect(viaSend.body.errcode).toBe('M_FORBIDDEN');
      const viaRedact = await api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(message)}/${txn()}`, { token: bob.accessToken, body: {} });
      expect(viaRedact.status).toBe(403);
      expect(viaRedact.body.errcode).toBe('M_FORBIDDEN');
      const served = await servedEverywhere(server(), bob, roomId, message);
      expect(served).toEqual({ event: { msgtype: 'm.text', body: 'keep me' }, messages: { msgtype: 'm.text', body: 'keep me' }, sync: { msgtype: 'm.text', body: 'keep me' }, redactionServed: false });
    });

    it('a member redacts their own message; a moderator redacts anyone’s', async () => {
      const { alice, bob, roomId } = await room();
      const own = await say(server(), bob, roomId, 'oops');
      expect((await sendRedaction(server(), bob, roomId, own)).status).toBe(200);
      const ownServed = await servedEverywhere(server(), alice, roomId, own);
      expect(ownServed.event).toEqual({});
      expect(ownServed.messages).toEqual({});
      expect(ownServed.redactionServed).toBe(true);

      const other = await say(server(), bob, roomId, 'spam');
      expect((await sendRedaction(server(), alice, roomId, other)).status).toBe(200);
      const otherServed = await servedEverywhere(server(), bob, roomId, other);
      expect(otherServed.event).toEqual({});
      expect(otherServed.sync).toEqual({});
    });

    it('never redacts across rooms: a redaction naming another room’s event is refused and changes nothing', async () => {
      const { alice, roomId } = await room();
      const elsewhere = await createRoom(server(), alice, { preset: 'private_chat', room_version: version });
      const foreign = await say(server(), alice, elsewhere, 'other room');
      const refused = await sendRedaction(server(), alice, roomId, foreign);
      expect(refused.status).toBe(400);
      expect(refused.body.errcode).toBe('M_INVALID_PARAM');
      const served = await servedEverywhere(server(), alice, elsewhere, foreign);
      expect(served.event).toEqual({ msgtype: 'm.text', body: 'other room' });
    });
  });

  describe.each(['12', '10', '1'])('m.room.create into an existing v%s room', (version) => {
    it('is 403 M_FORBIDDEN from the state and send routes, and the room keeps working', async () => {
      const [alice] = (await users('alice')) as [TestUser];
      const roomId = await createRoom(server(), alice, { room_version: version });
      const attempts = [
        api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.create/x`, { token: alice.accessToken, body: {} }),
        api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.create`, { token: alice.accessToken, body: { room_version: version } }),
        api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.create/${txn()}`, { token: alice.accessToken, body: {} }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(403);
        expect(response.body.errcode).toBe('M_FORBIDDEN');
      }
      await say(server(), alice, roomId, 'still here');
      const state = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/state`, { token: alice.accessToken });
      expect((state.body as unknown as ClientEvent[]).filter((event) => event.type === 'm.room.create')).toHaveLength(1);
    });
  });

  it('300 rooms created 20 at a time by one user get 300 distinct IDs, and each room works', async () => {
    const [alice] = (await users('alice')) as [TestUser];
    const roomIds: string[] = [];
    for (let batch = 0; batch < 15; batch++) {
      roomIds.push(...(await Promise.all(Array.from({ length: 20 }, () => createRoom(server(), alice, {})))));
    }
    expect(new Set(roomIds).size).toBe(300);
    const joined = await api(server(), 'GET', `${V3}/joined_rooms`, { token: alice.accessToken });
    expect(new Set(joined.body.joined_rooms as string[])).toEqual(new Set(roomIds));
    for (let start = 0; start < roomIds.length; start += 20) {
      await Promise.all(roomIds.slice(start, start + 20).map(async (roomId) => {
        await say(server(), alice, roomId, 'works');
        const state = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/state`, { token: alice.accessToken });
        const events = state.body as unknown as ClientEvent[];
        expect(events.filter((event) => event.type === 'm.room.create')).toHaveLength(1);
        expect(events.filter((event) => event.type === 'm.room.member').map((event) => event.sender)).toEqual([alice.userId]);
      }));
    }
  }, 240_000);

  describe('createRoom bounds', () => {
    const stateEvents = (count: number) => Array.from({ length: count }, (_, i) => ({ type: 'org.example.bulk', state_key: `k${i}`, content: { i } }));
    const invitees = (count: number) => Array.from({ length: count }, (_, i) => `@invitee${i}:elsewhere.example`);

    it('refuses more initial_state events or invites than the limits with 400 M_INVALID_PARAM', async () => {
      const [alice] = (await users('alice')) as [TestUser];
      const bodies = [
        { initial_state: stateEvents(101) },
        { invite: invitees(101) },
        { invite: invitees(60), invite_3pid: Array.from({ length: 41 }, () => ({ id_server: 'id.example', medium: 'email', address: 'a@b.example' })) },
      ];
      for (const body of bodies) {
        const response = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body });
        expect(response.status).toBe(400);
        expect(response.body.errcode).toBe('M_INVALID_PARAM');
      }
      const rooms = await api(server(), 'GET', `${V3}/joined_rooms`, { token: alice.accessToken });
      expect(rooms.body.joined_rooms).toEqual([]);
    });

    it('builds a maximal room while another user’s requests are answered promptly', async () => {
      const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
      const bobRoom = await createRoom(server(), bob, {});
      const creating = api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: { initial_state: stateEvents(100), invite: invitees(100) } });
      let done = false;
      const finished = creating.finally(() => {
        done = true;
      });
      const latencies: number[] = [];
      while (!done) {
        const started = performance.now();
        const state = await api(server(), 'GET', `${V3}/rooms/${enc(bobRoom)}/state/m.room.create`, { token: bob.accessToken });
        latencies.push(performance.now() - started);
        expect(state.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const created = await finished;
      expect(created.status).toBe(200);
      const roomId = created.body.room_id as string;
      const state = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/state`, { token: alice.accessToken });
      const events = state.body as unknown as ClientEvent[];
      expect(events.filter((event) => event.type === 'org.example.bulk')).toHaveLength(100);
      expect(events.filter((event) => event.type === 'm.room.member')).toHaveLength(101);
      expect(latencies.length).toBeGreaterThan(0);
      expect(Math.max(...latencies)).toBeLessThan(3000);
    }, 60_000);
  });
});

forEachDialect(
  'hardening: room rate limits',
  (server) => {
    const users = (...names: string[]) => Promise.all(names.map((name) => registerUser(server(), uniqueLocalpart(name))));
    const expectLimited = (response: ApiResponse) => {
      expect(response.status, JSON.stringify(response.body)).toBe(429);
      expect(response.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(response.body.retry_after_ms).toBeGreaterThan(0);
    };

    it('create_room: createRoom and upgrades share one burst per user', async () => {
      const [alice, bob] = (await users('alice', 'bob')) as [TestUser, TestUser];
      const first = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: { room_version: '10' } });
      expect(first.status).toBe(200);
      const second = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: {} });
      expect(second.status).toBe(200);
      expectLimited(await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: {} }));
      const roomId = first.body.room_id as string;
      expectLimited(await api(server(), 'POST', `${V3}/rooms/${enc(roomId)}/upgrade`, { token: alice.accessToken, body: { new_version: '12' } }));
      // Per user: bob still creates.
      expect((await api(server(), 'POST', `${V3}/createRoom`, { token: bob.accessToken, body: {} })).status).toBe(200);
      // The refused creation and upgrade made no room.
      const joined = (await api(server(), 'GET', `${V3}/joined_rooms`, { token: alice.accessToken })).body.joined_rooms as string[];
      expect(joined.sort()).toEqual([roomId, second.body.room_id as string].sort());
    });

    it('state: PUT state beyond the burst is 429, messages still go through', async () => {
      const [alice] = (await users('alice')) as [TestUser];
      const roomId = (await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: {} })).body.room_id as string;
      const put = (topic: string) => api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.topic`, { token: alice.accessToken, body: { topic } });
      for (const topic of ['a', 'b', 'c']) expect((await put(topic)).status).toBe(200);
      expectLimited(await put('d'));
      const topic = await api(server(), 'GET', `${V3}/rooms/${enc(roomId)}/state/m.room.topic`, { token: alice.accessToken });
      expect(topic.body).toEqual({ topic: 'c' });
      expect((await api(server(), 'PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { token: alice.accessToken, body: { body: 'hi' } })).status).toBe(200);
    });

    it('membership: joins, leaves, invites, knocks, kicks, bans, unbans and forgets share one burst per user', async () => {
      const [alice, bob, carol, dave, erin] = (await users('alice', 'bob', 'carol', 'dave', 'erin')) as [TestUser, TestUser, TestUser, TestUser, TestUser];
      const alias = uniqueLocalpart('limits');
      const roomId = (await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: { preset: 'public_chat', room_alias_name: alias } })).body.room_id as string;
      const room = enc(roomId);
      const post = (user: TestUser, path: string, body: Record<string, unknown> = {}) => api(server(), 'POST', `${V3}${path}`, { token: user.accessToken, body });
      // Alice spends her burst of three on invites.
      for (const user of [bob, carol, dave]) expect((await post(alice, `/rooms/${room}/invite`, { user_id: user.userId })).status).toBe(200);
      expectLimited(await post(alice, `/rooms/${room}/invite`, { user_id: erin.userId }));
      for (const action of ['kick', 'ban', 'unban']) expectLimited(await post(alice, `/rooms/${room}/${action}`, { user_id: bob.userId }));
      // Erin: join by alias, leave, join by ID, then every membership route is refused.
      expect((await post(erin, `/join/${enc(`#${alias}:${server().serverName}`)}`)).status).toBe(200);
      expect((await post(erin, `/rooms/${room}/leave`)).status).toBe(200);
      expect((await post(erin, `/rooms/${room}/join`)).status).toBe(200);
      for (const path of [`/join/${room}`, `/rooms/${room}/join`, `/knock/${room}`, `/rooms/${room}/leave`, `/rooms/${room}/forget`]) expectLimited(await post(erin, path));
      const members = await api(server(), 'GET', `${V3}/rooms/${room}/joined_members`, { token: alice.accessToken });
      expect(Object.keys(members.body.joined as object).sort()).toEqual([alice.userId, erin.userId].sort());
    });
  },
  {
    config: {
      rate_limits: {
        enabled: true,
        // Registering the test users must not trip the per-IP register limit.
        register: { per_second: 100, burst_count: 1000 },
        create_room: { per_second: 0.01, burst_count: 2 },
        state: { per_second: 0.01, burst_count: 3 },
        membership: { per_second: 0.01, burst_count: 3 },
      },
    },
  },
);
