/**
 * The search service over real storage (both dialects) with a stand-in for the rooms domain: what this tests is
 * that search honours whatever rooms says about memberships and visibility, pages correctly and shapes the
 * response; the history visibility rules themselves are the rooms domain's tests.
 */
import { expect, it } from 'vitest';
import type { SigningKey } from '@parley/federation';
import { systemClock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import { silentLogger } from '../../log.js';
import type { MatrixError } from '../../matrix-error.js';
import type { Notifier } from '../../pubsub/index.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { testEvent, uniqueId } from '../../storage/testing/fixtures.js';
import type { CoreDeps } from '../deps.js';
import type { ClientEvent, UserRoomMembership } from '../rooms/index.js';
import { createSearchService, type SearchRoomsAccess, type SearchService } from './index.js';

const ALICE = '@alice:test.example';

/** Rooms as the stand-in sees them: per user and room, the membership and the stream window they may see. */
class FakeRooms implements SearchRoomsAccess {
  readonly windows = new Map<string, { membership: UserRoomMembership; from: number; to: number }>();

  member(userId: string, roomId: string, membership: UserRoomMembership['membership'], from: number, to = Number.MAX_SAFE_INTEGER): void {
    this.windows.set(`${userId} ${roomId}`, {
      membership: { roomId, membership, eventId: `$member-${roomId}`, streamOrdering: to === Number.MAX_SAFE_INTEGER ? from : to, sender: userId },
      from,
      to,
    });
  }

  async getRoomsForUser(userId: string): Promise<UserRoomMembership[]> {
    return [...this.windows.entries()].filter(([key]) => key.startsWith(`${userId} `)).map(([, value]) => value.membership);
  }

  async filterEventsForUser(userId: string, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    return events.filter((event) => {
      const window = this.windows.get(`${userId} ${event.roomId}`);
      return window !== undefined && event.streamOrdering >= window.from && event.streamOrdering <= window.to;
    });
  }

  async toClientEvents(events: readonly StoredEvent[]): Promise<ClientEvent[]> {
    return events.map((event) => ({
      event_id: event.eventId,
      room_id: event.roomId,
      sender: event.sender,
      type: event.type,
      content: event.pdu.content,
      origin_server_ts: event.originServerTs,
    }));
  }

  async getCurrentState(roomId: string): Promise<StoredEvent[]> {
    return [fakeStateEvent(roomId, 'current')];
  }

  async getStateAtPosition(roomId: string, position: number): Promise<StoredEvent[]> {
    return [fakeStateEvent(roomId, `at ${position}`)];
  }
}

function fakeStateEvent(roomId: string, name: string): StoredEvent {
  const event = testEvent({ roomId, type: 'm.room.name', stateKey: '' });
  event.pdu.content = { name };
  return { ...event, type: 'm.room.name', stateKey: '', sender: ALICE, depth: 1, originServerTs: 0, streamOrdering: 0, redactedBy: null };
}

function deps(storage: Storage): CoreDeps {
  return {
    config: {} as Config,
    storage,
    notifier: {} as Notifier,
    clock: systemClock,
    logger: silentLogger(),
    serverName: 'test.example',
    signingKey: {} as SigningKey,
  };
}

/** Persists an event the way the rooms pipeline would, then hands it to the indexer. */
async function send(
  storage: Storage,
  search: SearchService,
  roomId: string,
  content: Record<string, unknown>,
  options: { type?: string; stateKey?: string; sender?: string } = {},
): Promise<StoredEvent> {
  const event = testEvent({ roomId, type: options.type ?? 'm.room.message', stateKey: options.stateKey, sender: options.sender ?? ALICE });
  event.pdu.content = content as StoredEvent['pdu']['content'];
  await storage.events.persist(event);
  if (options.stateKey !== undefined) {
    await storage.events.updateCurrentState(roomId, { set: [{ type: event.pdu.type, stateKey: options.stateKey, eventId: event.eventId }], remove: [] });
  }
  const [stored] = await storage.events.getEvents([event.eventId]);
  await search.indexEvent(stored as StoredEvent);
  return stored as StoredEvent;
}

forEachDatabase('SearchService', (getStorage, under) => {
  function setUp(): { storage: Storage; rooms: FakeRooms; search: SearchService } {
    const storage = getStorage();
    const rooms = new FakeRooms();
    return { storage, rooms, search: createSearchService(deps(storage), rooms) };
  }

  async function rowsInIndex(roomId: string): Promise<number> {
    const rows: { n: unknown }[] = await under.database().knex('event_search').where({ room_id: roomId }).count({ n: '*' });
    return Number(rows[0]?.n);
  }

  it('finds only what the user may see: not other rooms, not before they joined', async () => {
    const { storage, rooms, search } = setUp();
    const mine = uniqueId('!');
    const theirs = uniqueId('!');
    const early = await send(storage, search, mine, { msgtype: 'm.text', body: 'kumquat before joining' });
    const late = await send(storage, search, mine, { msgtype: 'm.text', body: 'kumquat after joining' });
    await send(storage, search, theirs, { msgtype: 'm.text', body: 'kumquat elsewhere' });
    rooms.member(ALICE, mine, 'join', late.streamOrdering);

    const results = await search.searchRoomEvents({ userId: ALICE }, { search_term: 'kumquat' });
    expect(results.results.map((result) => result.result.event_id)).toEqual([late.eventId]);
    expect(results.count).toBe(1);
    expect(results.highlights).toEqual(['kumquat']);
    expect(results.next_batch).toBeUndefined();
    expect(early.eventId).not.toBe(late.eventId);
  });

  it('searches rooms the user left, up to when they left', async () => {
    const { storage, rooms, search } = setUp();
    const roomId = uniqueId('!');
    const seen = await send(storage, search, roomId, { msgtype: 'm.text', body: 'papaya while there' });
    await send(storage, search, roomId, { msgtype: 'm.text', body: 'papaya after leaving' });
    rooms.member(ALICE, roomId, 'leave', 0, seen.streamOrdering);

    const results = await search.searchRoomEvents({ userId: ALICE }, { search_term: 'papaya', include_state: true });
    expect(results.results.map((result) => result.result.event_id)).toEqual([seen.eventId]);
    expect(results.state?.[roomId]?.[0]?.content).toEqual({ name: `at ${seen.streamOrdering}` });
  });

  it('never indexes encrypted rooms, and purges a room when it turns encrypted', async () => {
    const { storage, rooms, search } = setUp();
    const roomId = uniqueId('!');
    rooms.member(ALICE, roomId, 'join', 0);
    await send(storage, search, roomId, { msgtype: 'm.text', body: 'durian plain' });
    expect(await rowsInIndex(roomId)).toBe(1);

    await send(storage, search, roomId, { algorithm: 'm.megolm.v1.aes-sha2' }, { type: 'm.room.encryption', stateKey: '' });
    expect(await rowsInIndex(roomId)).toBe(0);
    const stored = await send(storage, search, roomId, { msgtype: 'm.text', body: 'durian after encryption' });
    await send(storage, search, roomId, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'durian' }, { type: 'm.room.encrypted' });
    expect(await search.indexEvent(stored)).toBe('encrypted-room');
    expect(await rowsInIndex(roomId)).toBe(0);
    expect((await search.searchRoomEvents({ userId: ALICE }, { search_term: 'durian' })).results).toEqual([]);
  });

  it('removes a redacted event from the index', async () => {
    const { storage, rooms, search } = setUp();
    const roomId = uniqueId('!');
    rooms.member(ALICE, roomId, 'join', 0);
    const target = await send(storage, search, roomId, { msgtype: 'm.text', body: 'lychee oops' });
    expect(await rowsInIndex(roomId)).toBe(1);
    await send(storage, search, roomId, { redacts: target.eventId }, { type: 'm.room.redaction' });
    expect(await rowsInIndex(roomId)).toBe(0);
    expect((await search.searchRoomEvents({ userId: ALICE }, { search_term: 'lychee' })).results).toEqual([]);
  });

  it('indexes names and topics under their keys, including m.topic text/plain', async () => {
    const { storage, rooms, search } = setUp();
    const roomId = uniqueId('!');
    rooms.member(ALICE, roomId, 'join', 0);
    const name = await send(storage, search, roomId, { name: 'Quince Club' }, { type: 'm.room.name', stateKey: '' });
    const topic = await send(
      storage,
      search,
      roomId,
      { topic: 'all about quince', 'm.topic': { 'm.text': [{ mimetype: 'text/html', body: '<b>x</b>' }, { body: 'quince jam recipes' }] } },
      { type: 'm.room.topic', stateKey: '' },
    );
    const body = await send(storage, search, roomId, { msgtype: 'm.text', body: 'quince tart' });
    const ids = async (keys?: ('content.body' | 'content.name' | 'content.topic')[]) =>
      (await search.searchRoomEvents({ userId: ALICE }, { search_term: 'quince', order_by: 'recent', ...(keys ? { keys } : {}) })).results.map(
        (result) => result.result.event_id,
      );
    expect(await ids()).toEqual([body.eventId, topic.eventId, name.eventId]);
    expect(await ids(['content.topic'])).toEqual([topic.eventId]);
    expect(await ids(['content.name'])).toEqual([name.eventId]);
    const jam = await search.searchRoomEvents({ userId: ALICE }, { search_term: 'jam' });
    expect(jam.results.map((result) => result.result.event_id)).toEqual([topic.eventId]);
  });

  it('pages with next_batch over visible hits only, without repeats, on one snapshot', async () => {
    const { storage, rooms, search } = setUp();
    const roomId = uniqueId('!');
    const sent: StoredEvent[] = [];
    for (let i = 0; i < 25; i += 1) sent.push(await send(storage, search, roomId, { msgtype: 'm.text', body: `mango number ${i}` }));
    // Only the last 15 are visible.
    rooms.member(ALICE, roomId, 'join', (sent[10] as StoredEvent).streamOrdering);
    const visible = sent.slice(10).map((event) => event.eventId);
    const arrived: string[] = [];

    for (const order of ['recent', 'rank'] as const) {
      const request = { search_term: 'mango', order_by: order, filter: { limit: 4 } };
      const seen: string[] = [];
      let nextBatch: string | undefined;
      let pages = 0;
      do {
        const page = await search.searchRoomEvents({ userId: ALICE }, request, nextBatch);
        seen.push(...page.results.map((result) => result.result.event_id));
        expect(page.results.length).toBeLessThanOrEqual(4);
        if (pages === 0) arrived.push((await send(storage, search, roomId, { msgtype: 'm.text', body: 'mango arriving mid-search' })).eventId);
        nextBatch = page.next_batch;
        pages += 1;
      } while (nextBatch !== undefined && pages < 10);
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(seen)).toEqual(new Set(visible));
      if (order === 'recent') expect(seen).toEqual([...visible].reverse());
      // What arrived during this search is found by the next one.
      visible.push(...arrived.splice(0));
    }
  });

  it('gives context, profiles, groups and highlights', async () => {
    const { storage, rooms, search } = setUp();
    const roomId = uniqueId('!');
    rooms.member(ALICE, roomId, 'join', 0);
    await send(storage, search, roomId, { membership: 'join', displayname: 'Alice A.' }, { type: 'm.room.member', stateKey: ALICE });
    const before = await send(storage, search, roomId, { msgtype: 'm.text', body: 'first' });
    const hit = await send(storage, search, roomId, { msgtype: 'm.text', body: 'Meeting about the meetup' });
    const after = await send(storage, search, roomId, { msgtype: 'm.text', body: 'third' });

    const results = await search.searchRoomEvents(
      { userId: ALICE },
      {
        search_term: 'meet',
        event_context: { before_limit: 1, after_limit: 3, include_profile: true },
        groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
      },
    );
    const [result] = results.results;
    expect(result?.result.event_id).toBe(hit.eventId);
    expect(result?.rank).toBeGreaterThan(0);
    expect(result?.context?.events_before.map((event) => event.event_id)).toEqual([before.eventId]);
    expect(result?.context?.events_after.map((event) => event.event_id)).toEqual([after.eventId]);
    expect(result?.context?.start).toBe(`s${before.streamOrdering - 1}`);
    expect(result?.context?.end).toBe(`s${after.streamOrdering}`);
    expect(result?.context?.profile_info).toEqual({ [ALICE]: { displayname: 'Alice A.' } });
    expect(results.highlights).toEqual(['meet', 'meeting', 'meetup']);
    expect(results.groups).toEqual({
      room_id: { [roomId]: { order: 1, results: [hit.eventId] } },
      sender: { [ALICE]: { order: 1, results: [hit.eventId] } },
    });
  });

  it('honours filter rooms/not_rooms/senders/types and the ignored-user list', async () => {
    const { storage, rooms, search } = setUp();
    const roomA = uniqueId('!');
    const roomB = uniqueId('!');
    rooms.member(ALICE, roomA, 'join', 0);
    rooms.member(ALICE, roomB, 'join', 0);
    const fromAlice = await send(storage, search, roomA, { msgtype: 'm.text', body: 'guava one' });
    const fromBob = await send(storage, search, roomB, { msgtype: 'm.text', body: 'guava two' }, { sender: '@bob:test.example' });
    const ids = async (filter: object) =>
      (await search.searchRoomEvents({ userId: ALICE }, { search_term: 'guava', order_by: 'recent', filter })).results.map((r) => r.result.event_id);

    expect(await ids({})).toEqual([fromBob.eventId, fromAlice.eventId]);
    expect(await ids({ rooms: [roomA] })).toEqual([fromAlice.eventId]);
    expect(await ids({ not_rooms: [roomA] })).toEqual([fromBob.eventId]);
    expect(await ids({ senders: ['@bob:test.example'] })).toEqual([fromBob.eventId]);
    expect(await ids({ types: ['m.room.n*'] })).toEqual([]);
    expect(await ids({ not_types: ['m.room.message'] })).toEqual([]);
    expect(await ids({ rooms: [uniqueId('!')] })).toEqual([]);

    await storage.userData.putAccountData({
      userId: ALICE,
      roomId: null,
      type: 'm.ignored_user_list',
      content: { ignored_users: { '@bob:test.example': {} } },
      streamPosition: await storage.streams.next('account_data'),
    });
    expect(await ids({})).toEqual([fromAlice.eventId]);

    // Nor do they show up as context around a result.
    await send(storage, search, roomA, { msgtype: 'm.text', body: 'bob chatting' }, { sender: '@bob:test.example' });
    const aliceAgain = await send(storage, search, roomA, { msgtype: 'm.text', body: 'alice chatting' });
    const withContext = await search.searchRoomEvents({ userId: ALICE }, { search_term: 'guava', event_context: { after_limit: 2 } });
    expect(withContext.results[0]?.context?.events_after.map((event) => event.event_id)).toEqual([aliceAgain.eventId]);
  });

  it('rejects a next_batch that is not ours or from another order, and survives FTS syntax', async () => {
    const { search } = setUp();
    const request = { search_term: 'x' };
    for (const token of ['garbage!', 'eyJ2IjoyfQ', Buffer.from('{"v":1,"o":"c","s":5,"p":3}').toString('base64url')]) {
      await expect(search.searchRoomEvents({ userId: ALICE }, request, token)).rejects.toMatchObject({
        status: 400,
        errcode: 'M_INVALID_PARAM',
      } satisfies Partial<MatrixError>);
    }
    for (const term of ['"', 'AND', 'NEAR(', '*', "'':*", '\\', '(', '!&|']) {
      await expect(search.searchRoomEvents({ userId: ALICE }, { search_term: term })).resolves.toMatchObject({ count: 0 });
    }
  });
});
