/**
 * Issue 3's "Done when", driven by matrix-js-sdk 37.5.0 (unmodified): alice and bob register, share a DM and a
 * group with carol, exchange formatted messages with emoji, see typing, read and delivery receipts (MSC4089) and
 * presence, edit, redact, react, reply in a thread and search. dave syncs throughout and joins the group late
 * (history_visibility `joined`): at the end every event ID his syncs carried is checked against what he may see.
 * An ignored user's events never reach the ignorer. Pagination of 500 messages and upgrades: acceptance-history.
 * https://spec.matrix.org/v1.19/client-server-api/
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  Direction,
  Filter,
  MsgType,
  RoomMemberEvent,
  type MatrixClient,
  type MatrixEvent,
  type ReceiptType,
  type Room,
} from 'matrix-js-sdk';
import { createAnonymousSdkClient, createSdkClient, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

type Json = Record<string, unknown>;
const DELIVERY = 'org.matrix.msc4089.delivery';

/** Resolves once `condition` holds, checking every 25 ms. */
async function until(description: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Everything one client's /sync responses carried, per room, read from the raw JSON (not the SDK's model). */
interface SyncLog {
  timeline: Map<string, Set<string>>;
  state: Map<string, Set<string>>;
  ephemeral: Map<string, Json[]>;
  /** Every room ID that appeared in any section. */
  rooms: Set<string>;
  /** The raw bodies, for "this string never arrived" checks. */
  bodies: string[];
}

function newSyncLog(): SyncLog {
  return { timeline: new Map(), state: new Map(), ephemeral: new Map(), rooms: new Set(), bodies: [] };
}

function addIds(map: Map<string, Set<string>>, roomId: string, events: unknown): void {
  const ids = map.get(roomId) ?? new Set<string>();
  for (const event of (events as Json[] | undefined) ?? []) if (typeof event.event_id === 'string') ids.add(event.event_id);
  map.set(roomId, ids);
}

function recordSync(log: SyncLog, text: string): void {
  log.bodies.push(text);
  const body = JSON.parse(text) as { rooms?: Record<string, Record<string, Json>> };
  for (const section of ['join', 'leave', 'invite', 'knock']) {
    for (const [roomId, room] of Object.entries(body.rooms?.[section] ?? {})) {
      log.rooms.add(roomId);
      addIds(log.timeline, roomId, (room.timeline as Json | undefined)?.events);
      addIds(log.state, roomId, (room.state as Json | undefined)?.events);
      addIds(log.state, roomId, (room.invite_state as Json | undefined)?.events);
      const ephemeral = ((room.ephemeral as Json | undefined)?.events as Json[] | undefined) ?? [];
      log.ephemeral.set(roomId, [...(log.ephemeral.get(roomId) ?? []), ...ephemeral]);
    }
  }
}

/** A fetch that hands every successful /sync body to `log` before the SDK sees it. */
function recordingFetch(log: SyncLog): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (response.ok && new URL(url).pathname.endsWith('/sync')) recordSync(log, await response.clone().text());
    return response;
  };
}

interface Person {
  user: TestUser;
  client: MatrixClient;
  log: SyncLog;
  /** Rooms where this client's RoomMember.typing reported someone typing, as `roomId userId`. */
  typing: Set<string>;
}

const text = (body: string, html?: string) =>
  html === undefined ? { msgtype: MsgType.Text, body } : { msgtype: MsgType.Text, body, format: 'org.matrix.custom.html', formatted_body: html };

async function send(client: MatrixClient, roomId: string, content: Json, type = 'm.room.message'): Promise<string> {
  return (await client.sendEvent(roomId, type as never, content as never)).event_id;
}

function roomOf(person: Person, roomId: string): Room {
  const room = person.client.getRoom(roomId);
  if (!room) throw new Error(`${person.user.userId} does not know ${roomId}`);
  return room;
}

/** The event as `person`'s client holds it, once it arrived. */
async function arrived(person: Person, roomId: string, eventId: string): Promise<MatrixEvent> {
  let found: MatrixEvent | undefined;
  await until(`${eventId} at ${person.user.userId}`, () => (found = person.client.getRoom(roomId)?.findEventById(eventId)) !== undefined);
  return found as MatrixEvent;
}

/** Registers through the SDK's user-interactive flow: a first request gets the session, the second passes m.login.dummy. */
async function registerWithSdk(server: TestHomeserver, localpart: string): Promise<TestUser> {
  const anonymous = createAnonymousSdkClient(server);
  const password = `password-${localpart}`;
  let session: string | undefined;
  try {
    await anonymous.registerRequest({ username: localpart, password });
  } catch (error) {
    session = (error as { data?: { session?: string } }).data?.session;
  }
  expect(session).toEqual(expect.any(String));
  const answer = await anonymous.registerRequest({ username: localpart, password, auth: { type: 'm.login.dummy', session } });
  return { userId: answer.user_id, accessToken: answer.access_token as string, deviceId: answer.device_id as string, password };
}

forEachDialect('acceptance: chat through matrix-js-sdk', (server) => {
  const people: Record<'alice' | 'bob' | 'carol' | 'dave', Person> = {} as never;
  let dm = '';
  let group = '';
  /** Events of the group sent before dave joined, which he must never get. */
  const beforeDave: string[] = [];

  beforeAll(async () => {
    const alice = await registerWithSdk(server(), uniqueLocalpart('alice'));
    const [bob, carol, dave] = await Promise.all(['bob', 'carol', 'dave'].map((name) => registerUser(server(), uniqueLocalpart(name))));
    const users = { alice, bob: bob as TestUser, carol: carol as TestUser, dave: dave as TestUser };
    for (const [name, user] of Object.entries(users)) {
      const log = newSyncLog();
      const client = createSdkClient(server(), user, { fetchFn: recordingFetch(log) });
      const typing = new Set<string>();
      client.on(RoomMemberEvent.Typing, (_event, member) => {
        if (member.typing) typing.add(`${member.roomId} ${member.userId}`);
      });
      people[name as keyof typeof people] = { user, client, log, typing };
    }
    // A big timeline limit: dave's final check needs every event, never a `limited` gap.
    const filter = Filter.fromJson(users.dave.userId, '', { room: { timeline: { limit: 200 } } });
    await Promise.all(
      Object.values(people).map(async (person) => {
        await person.client.startClient({ initialSyncLimit: 20, threadSupport: true, ...(person.user === dave ? { filter } : {}) });
        await waitForSync(person.client);
      }),
    );
  });

  afterAll(() => {
    for (const person of Object.values(people)) stopClient(person.client);
  });

  it('starts a DM (is_direct, m.direct) and a group, and exchanges formatted messages with emoji', async () => {
    const { alice, bob, carol } = people;
    dm = (await alice.client.createRoom({ preset: 'trusted_private_chat' as never, is_direct: true, invite: [bob.user.userId] })).room_id;
    await alice.client.setAccountData('m.direct' as never, { [bob.user.userId]: [dm] } as never);
    await until('the DM invite', () => bob.client.getRoom(dm)?.getMyMembership() === 'invite');
    const invite = roomOf(bob, dm).currentState.getMember(bob.user.userId)?.events.member;
    expect(invite?.getContent().is_direct).toBe(true);
    await bob.client.joinRoom(dm);
    await bob.client.setAccountData('m.direct' as never, { [alice.user.userId]: [dm] } as never);

    group = (
      await alice.client.createRoom({
        name: 'Weekend plans',
        preset: 'private_chat' as never,
        invite: [bob.user.userId, carol.user.userId],
        initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
      })
    ).room_id;
    await until('group invites', () => bob.client.getRoom(group) !== null && carol.client.getRoom(group) !== null);
    await Promise.all([bob.client.joinRoom(group), carol.client.joinRoom(group)]);

    const hello = await send(alice.client, dm, text('Hi Bob 👋 **ready**?', 'Hi Bob 👋 <strong>ready</strong>?'));
    const atBob = await arrived(bob, dm, hello);
    expect(atBob.getContent()).toEqual(text('Hi Bob 👋 **ready**?', 'Hi Bob 👋 <strong>ready</strong>?'));
    const back = await send(bob.client, dm, text('Yes! 🎉🇫🇷 ñ'));
    expect((await arrived(alice, dm, back)).getContent().body).toBe('Yes! 🎉🇫🇷 ñ');

    for (const [person, body] of [[alice, 'secret plan: 🏕️ before dave'], [bob, '<i>sounds</i> good'], [carol, 'count me in 🙋']] as const) {
      const eventId = await send(person.client, group, text(body, `<p>${body}</p>`));
      beforeDave.push(eventId);
      for (const other of [alice, bob, carol]) expect((await arrived(other, group, eventId)).getContent().formatted_body).toBe(`<p>${body}</p>`);
    }

    await until('m.direct synced', () => alice.client.getAccountData('m.direct' as never)?.getContent()[bob.user.userId]?.[0] === dm);
    expect(await bob.client.getAccountDataFromServer('m.direct' as never)).toEqual({ [alice.user.userId]: [dm] });
    expect(roomOf(alice, group).name).toBe('Weekend plans');
    expect(roomOf(carol, group).getJoinedMemberCount()).toBe(3);
  });

  it('shows typing to the other side', async () => {
    const { alice, bob } = people;
    await alice.client.sendTyping(dm, true, 20_000);
    await until('bob sees alice typing', () => bob.typing.has(`${dm} ${alice.user.userId}`));
    await alice.client.sendTyping(dm, false, 0);
    await until('typing stops', () => roomOf(bob, dm).getMember(alice.user.userId)?.typing === false);
  });

  it('shows read receipts to the room and delivery receipts (MSC4089) to the sender only', async () => {
    const { alice, bob, carol, dave } = people;
    const eventId = await send(alice.client, group, text('did everyone get this?'));
    beforeDave.push(eventId);
    const event = await arrived(bob, group, eventId);
    await bob.client.sendReceipt(event, DELIVERY as ReceiptType);
    await bob.client.sendReceipt(event, 'm.read' as ReceiptType);

    await until('alice sees bob read it', () => roomOf(alice, group).getUsersReadUpTo(event).includes(bob.user.userId));
    await until('carol sees bob read it', () => roomOf(carol, group).getEventReadUpTo(bob.user.userId) === eventId);
    await until('alice sees the delivery', () =>
      roomOf(alice, group).getReceiptsForEvent(event).some((receipt) => (receipt.type as string) === DELIVERY && receipt.userId === bob.user.userId),
    );
    await until("bob's sync echoes his read receipt", () =>
      (bob.log.ephemeral.get(group) ?? []).some((edu) => edu.type === 'm.receipt' && JSON.stringify(edu.content).includes(eventId)),
    );
    // Only the event's sender learns of deliveries: not carol, not dave, not even bob who sent the receipt (bob's and
    // carol's syncs carried his later m.read, so both synced after the delivery receipt was stored). dave is not in yet.
    for (const other of [bob, carol, dave]) expect(other.log.bodies.some((body) => body.includes(DELIVERY))).toBe(false);
  });

  it('shows presence changes to users sharing a room', async () => {
    const { alice, bob } = people;
    await alice.client.setPresence({ presence: 'online', status_msg: 'at the park' });
    await until('bob sees alice online', () => bob.client.getUser(alice.user.userId)?.presence === 'online');
    expect(bob.client.getUser(alice.user.userId)?.presenceStatusMsg).toBe('at the park');
    await alice.client.setPresence({ presence: 'unavailable', status_msg: 'away' });
    await until('bob sees alice unavailable', () => bob.client.getUser(alice.user.userId)?.presence === 'unavailable');
  });

  it('applies an edit (m.replace) and a redaction at the other side', async () => {
    const { alice, bob } = people;
    const original = await send(alice.client, dm, text('meet at 5'));
    const edit = await send(alice.client, dm, {
      ...text('* meet at 6'),
      'm.new_content': text('meet at 6 ⏰'),
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    const atBob = await arrived(bob, dm, original);
    await until('bob sees the edit applied', () => atBob.replacingEventId() === edit);
    expect(atBob.getContent().body).toBe('meet at 6 ⏰');
    const served = await bob.client.fetchRoomEvent(dm, original);
    expect((served.unsigned?.['m.relations'] as Json | undefined)?.['m.replace']).toMatchObject({ event_id: edit });

    const oops = await send(alice.client, dm, text('wrong chat, sorry'));
    const redaction = (await alice.client.redactEvent(dm, oops, undefined, { reason: 'typo' })).event_id;
    const redactedAtBob = await arrived(bob, dm, oops);
    await until('bob sees the redaction', () => redactedAtBob.isRedacted());
    expect(redactedAtBob.getContent()).toEqual({});
    const fetched = await bob.client.fetchRoomEvent(dm, oops);
    expect(fetched.content).toEqual({});
    expect((fetched.unsigned?.redacted_because as Json | undefined)?.event_id).toBe(redaction);
  });

  it('reacts (m.annotation) and replies in a thread (m.thread), both listed by /relations', async () => {
    const { alice, bob, carol } = people;
    const root = await send(alice.client, group, text('what should we cook?'));
    beforeDave.push(root);
    const reaction = await send(bob.client, group, { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '🍕' } }, 'm.reaction');
    const threadReply = await send(carol.client, group, {
      ...text('pizza!'),
      'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } },
    });
    beforeDave.push(reaction, threadReply);

    const reactions = await alice.client.relations(group, root, 'm.annotation', 'm.reaction');
    expect(reactions.events.map((event) => [event.getId(), event.getRelation()?.key])).toEqual([[reaction, '🍕']]);
    const thread = await alice.client.fetchRelations(group, root, 'm.thread', null);
    expect(thread.chunk.map((event) => event.event_id)).toEqual([threadReply]);
    const threads = await alice.client.createThreadListMessagesRequest(group, null, 10, Direction.Backward);
    expect(threads.chunk.map((event) => event.event_id)).toContain(root);
    await until('alice sees the thread', () => roomOf(alice, group).getThread(root)?.length === 1);
  });

  it('lets dave join the group late: he gets what follows his join, and search respects history visibility', async () => {
    const { alice, bob, dave } = people;
    await alice.client.invite(group, dave.user.userId);
    await until('dave is invited', () => dave.client.getRoom(group)?.getMyMembership() === 'invite');
    await dave.client.joinRoom(group);
    const welcome = await send(alice.client, group, text('welcome dave 🎈'));
    expect((await arrived(dave, group, welcome)).getContent().body).toBe('welcome dave 🎈');

    const secret = await dave.client.searchRoomEvents({ term: 'secret' });
    expect(secret.results).toEqual([]);
    const welcomeFound = await dave.client.searchRoomEvents({ term: 'welcome' });
    expect(welcomeFound.results.map((result) => result.context.getEvent().getId())).toEqual([welcome]);

    // A room bob is not in, holding the same word: bob's search must not reach it.
    const aliceOnly = (await alice.client.createRoom({ name: 'alice alone' })).room_id;
    await send(alice.client, aliceOnly, text('secret recipe 🍝'));
    const bobSearch = await bob.client.searchRoomEvents({ term: 'secret' });
    expect(bobSearch.results.map((result) => result.context.getEvent().getId())).toEqual([beforeDave[0]]);
    const aliceSearch = await alice.client.searchRoomEvents({ term: 'secret' });
    expect(aliceSearch.results).toHaveLength(2);
  });

  it("never delivers an ignored user's events", async () => {
    const { alice, bob, carol } = people;
    await bob.client.setIgnoredUsers([carol.user.userId]);
    await until('bob knows he ignores carol', () => bob.client.isUserIgnored(carol.user.userId));
    const hidden = await send(carol.client, group, text('bob will not see this 🙈'));
    const visible = await send(alice.client, group, text('after the ignore'));
    await arrived(bob, group, visible);
    await arrived(alice, group, hidden);
    expect(roomOf(bob, group).findEventById(hidden)).toBeUndefined();
    expect(bob.log.bodies.some((body) => body.includes(hidden))).toBe(false);
    const history = await bob.client.createMessagesRequest(group, null, 50, Direction.Backward);
    expect(history.chunk.map((event) => event.event_id)).not.toContain(hidden);
    expect(history.chunk.map((event) => event.event_id)).toContain(visible);
  });

  it('gave dave exactly the events he may see: the group from his join on, nothing of the DM', async () => {
    const { alice, dave } = people;
    // One more message, so dave's sync has certainly caught up with everything before it.
    const last = await send(alice.client, group, text('bye for now'));
    await arrived(dave, group, last);

    // The group's whole history as its creator sees it, oldest first.
    const history: Json[] = [];
    let from: string | null = null;
    for (;;) {
      const page = await alice.client.createMessagesRequest(group, from, 100, Direction.Backward);
      history.unshift(...(page.chunk as unknown as Json[]).reverse());
      if (!page.end || page.chunk.length === 0) break;
      from = page.end;
    }
    const daveJoin = history.findIndex((event) => event.type === 'm.room.member' && event.state_key === dave.user.userId && (event.content as Json).membership === 'join');
    expect(daveJoin).toBeGreaterThan(0);
    // He joined the group after it was created, so his first sync of it came like an initial one: the newest
    // events he may see. Those sent before history visibility became `joined` (the room's creation) were under the
    // default `shared` and are visible to a member who joined later; the rest only from his join on.
    const joinedFrom = history.findIndex((event) => event.type === 'm.room.history_visibility' && (event.content as Json).history_visibility === 'joined');
    expect(joinedFrom).toBeGreaterThan(0);
    const visible = [...history.slice(0, joinedFrom + 1), ...history.slice(daveJoin)].map((event) => event.event_id as string);
    const stateIds = new Set(history.filter((event) => event.state_key !== undefined).map((event) => event.event_id as string));

    expect([...(dave.log.timeline.get(group) ?? [])].sort()).toEqual([...visible].sort());
    for (const eventId of dave.log.state.get(group) ?? []) expect(stateIds.has(eventId)).toBe(true);
    for (const eventId of beforeDave) expect(dave.log.bodies.some((body) => body.includes(eventId))).toBe(false);
    expect(dave.log.rooms.has(dm)).toBe(false);
    expect(dave.log.bodies.some((body) => body.includes(dm))).toBe(false);
    // He did see his own room list change (the group), and nothing else.
    expect([...dave.log.rooms]).toEqual([group]);
    // Sanity: events dave did not get exist (alice's history holds them).
    expect(history.map((event) => event.event_id)).toEqual(expect.arrayContaining(beforeDave));
  });
});
