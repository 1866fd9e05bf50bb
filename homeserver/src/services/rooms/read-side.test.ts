/**
 * The rooms read side on a real database (both dialects): relations and bundled aggregations (edits, threads),
 * /relations and /threads, /context, ignored users, room upgrades, aliases and the public room directory.
 */
import { randomBytes } from 'node:crypto';
import { generateSigningKey, type JsonObject } from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { validateConfig } from '../../config/load.js';
import { silentLogger } from '../../log.js';
import { MatrixError } from '../../matrix-error.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { createRoomsService, type ClientEvent, type RoomRequester, type RoomsService } from './index.js';

const SERVER = 'read.test';

interface Harness {
  rooms: RoomsService;
  clock: ReturnType<typeof manualClock>;
  ignored: Map<string, Set<string>>;
  tagCopies: [string, string, string][];
}

function harness(storage: Storage): Harness {
  const clock = manualClock(1_700_000_000_000);
  const ignored = new Map<string, Set<string>>();
  const tagCopies: [string, string, string][] = [];
  const rooms = createRoomsService(
    {
      config: validateConfig({ server_name: SERVER }, { baseDir: '/tmp' }),
      storage,
      notifier: createMemoryNotifier(),
      clock,
      logger: silentLogger(),
      serverName: SERVER,
      signingKey: generateSigningKey(),
    },
    {
      getIgnoredUsers: async (userId) => ignored.get(userId) ?? new Set(),
      copyRoomTags: async (userId, from, to) => void tagCopies.push([userId, from, to]),
    },
  );
  return { rooms, clock, ignored, tagCopies };
}

function user(): RoomRequester {
  return { userId: `@u${randomBytes(5).toString('hex')}:${SERVER}`, deviceId: 'DEV', accessTokenId: 1 };
}

async function rejection(promise: Promise<unknown>): Promise<MatrixError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(MatrixError);
  return error as MatrixError;
}

let txn = 0;
async function send(h: Harness, who: RoomRequester, roomId: string, content: JsonObject, type = 'm.room.message'): Promise<string> {
  h.clock.advance(1000);
  return (await h.rooms.sendMessage(who, roomId, type, `t${++txn}`, content)).eventId;
}

const text = (body: string): JsonObject => ({ msgtype: 'm.text', body });
const edit = (target: string, body: string): JsonObject => ({
  msgtype: 'm.text',
  body: `* ${body}`,
  'm.new_content': { msgtype: 'm.text', body },
  'm.relates_to': { rel_type: 'm.replace', event_id: target },
});
const threadReply = (root: string, body: string): JsonObject => ({ msgtype: 'm.text', body, 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
const reaction = (target: string, key: string): JsonObject => ({ 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key } });
const relations = (event: ClientEvent) => (event.unsigned?.['m.relations'] ?? undefined) as Record<string, Record<string, unknown>> | undefined;

async function publicRoom(h: Harness, owner: RoomRequester, ...members: RoomRequester[]): Promise<string> {
  const { roomId } = await h.rooms.createRoom(owner, { preset: 'public_chat' });
  for (const member of members) await h.rooms.join(member, roomId);
  return roomId;
}

forEachDatabase('rooms read side', (getStorage) => {
  describe('edits', () => {
    it('bundles the latest valid edit of the original sender, leaving the content alone', async () => {
      const h = harness(getStorage());
      const alice = user();
      const bob = user();
      const roomId = await publicRoom(h, alice, bob);
      const original = await send(h, alice, roomId, text('hello'));
      await send(h, alice, roomId, edit(original, 'hello 1'));
      const latest = await send(h, alice, roomId, edit(original, 'hello 2'));
      await send(h, bob, roomId, edit(original, 'bob may not edit'));
      await send(h, alice, roomId, { ...edit(original, 'no new content'), 'm.new_content': undefined });

      const served = await h.rooms.getEvent(bob, roomId, original);
      expect(served.content.body).toBe('hello');
      const bundled = relations(served)?.['m.replace'];
      expect(bundled?.event_id).toBe(latest);
      expect((bundled?.content as JsonObject)['m.new_content']).toEqual({ msgtype: 'm.text', body: 'hello 2' });

      // The same bundle in /messages (and so in sync, which formats through the same function).
      const page = await h.rooms.getMessages(bob, roomId, { dir: 'b', limit: 20 });
      const inPage = page.chunk.find((event) => event.event_id === original);
      expect(relations(inPage as ClientEvent)?.['m.replace']?.event_id).toBe(latest);
    });

    it('drops a redacted edit from the aggregation and bundles nothing on a redacted original', async () => {
      const h = harness(getStorage());
      const alice = user();
      const roomId = await publicRoom(h, alice);
      const original = await send(h, alice, roomId, text('v0'));
      const first = await send(h, alice, roomId, edit(original, 'v1'));
      const second = await send(h, alice, roomId, edit(original, 'v2'));
      await h.rooms.redact(alice, roomId, second, 'r1');
      expect(relations(await h.rooms.getEvent(alice, roomId, original))?.['m.replace']?.event_id).toBe(first);
      const rels = await h.rooms.getRelations(alice, roomId, original, { dir: 'b' });
      expect(rels.chunk.map((event) => event.event_id)).toEqual([first]);
      await h.rooms.redact(alice, roomId, original, 'r2');
      expect(relations(await h.rooms.getEvent(alice, roomId, original))).toBeUndefined();
    });
  });

  describe('threads and reactions', () => {
    it('aggregates threads with count, latest event and participation, and lists them in /threads', async () => {
      const h = harness(getStorage());
      const alice = user();
      const bob = user();
      const carol = user();
      const roomId = await publicRoom(h, alice, bob, carol);
      const rootA = await send(h, alice, roomId, text('thread A'));
      const rootB = await send(h, bob, roomId, text('thread B'));
      await send(h, bob, roomId, threadReply(rootA, 'a1'));
      await send(h, alice, roomId, threadReply(rootB, 'b1'));
      const lastA = await send(h, bob, roomId, threadReply(rootA, 'a2'));
      const lastAEdit = await send(h, bob, roomId, edit(lastA, 'a2 edited'));

      const thread = relations(await h.rooms.getEvent(carol, roomId, rootA))?.['m.thread'];
      expect(thread?.count).toBe(2);
      expect(thread?.current_user_participated).toBe(false);
      const latestEvent = thread?.latest_event as ClientEvent;
      expect(latestEvent.event_id).toBe(lastA);
      // The latest event carries its own bundled edit.
      expect(relations(latestEvent)?.['m.replace']?.event_id).toBe(lastAEdit);
      expect(relations(await h.rooms.getEvent(alice, roomId, rootA))?.['m.thread']?.current_user_participated).toBe(true);

      const all = await h.rooms.getThreads(carol, roomId, { include: 'all' });
      expect(all.chunk.map((event) => event.event_id)).toEqual([rootA, rootB]);
      const participated = await h.rooms.getThreads(alice, roomId, { include: 'participated', limit: 1 });
      expect(participated.chunk.map((event) => event.event_id)).toEqual([rootA]);
      const next = await h.rooms.getThreads(alice, roomId, { include: 'participated', limit: 1, from: participated.next_batch as string });
      expect(next.chunk.map((event) => event.event_id)).toEqual([rootB]);
      expect((await h.rooms.getThreads(carol, roomId, { include: 'participated' })).chunk).toEqual([]);
    });

    it('refuses threads off child events and duplicate reactions; lists reactions through /relations only', async () => {
      const h = harness(getStorage());
      const alice = user();
      const bob = user();
      const roomId = await publicRoom(h, alice, bob);
      const root = await send(h, alice, roomId, text('root'));
      const reply = await send(h, bob, roomId, threadReply(root, 'in thread'));
      const refused = await rejection(send(h, bob, roomId, threadReply(reply, 'nested')));
      expect([refused.status, refused.errcode]).toEqual([400, 'M_UNKNOWN']);

      const thumbs = await send(h, bob, roomId, reaction(root, '👍'), 'm.reaction');
      const duplicate = await rejection(send(h, bob, roomId, reaction(root, '👍'), 'm.reaction'));
      expect([duplicate.status, duplicate.errcode]).toEqual([400, 'M_DUPLICATE_ANNOTATION']);
      // After redacting the first, the same reaction may be sent again.
      await h.rooms.redact(bob, roomId, thumbs, 'undo');
      const again = await send(h, bob, roomId, reaction(root, '👍'), 'm.reaction');

      const served = await h.rooms.getEvent(alice, roomId, root);
      expect(relations(served)?.['m.annotation']).toBeUndefined();
      const annotations = await h.rooms.getRelations(alice, roomId, root, { dir: 'b', relType: 'm.annotation' });
      expect(annotations.chunk.map((event) => event.event_id)).toEqual([again]);
      const byType = await h.rooms.getRelations(alice, roomId, root, { dir: 'b', relType: 'm.thread', eventType: 'm.room.message' });
      expect(byType.chunk.map((event) => event.event_id)).toEqual([reply]);
    });

    it('paginates /relations both ways and recurses on request', async () => {
      const h = harness(getStorage());
      const alice = user();
      const roomId = await publicRoom(h, alice);
      const root = await send(h, alice, roomId, text('root'));
      const replies: string[] = [];
      for (let i = 0; i < 5; i++) replies.push(await send(h, alice, roomId, threadReply(root, `r${i}`)));
      const editOfReply = await send(h, alice, roomId, edit(replies[0] as string, 'r0 edited'));

      const first = await h.rooms.getRelations(alice, roomId, root, { dir: 'b', limit: 2 });
      expect(first.chunk.map((event) => event.event_id)).toEqual([replies[4], replies[3]]);
      expect(first.prev_batch).toBeUndefined();
      const second = await h.rooms.getRelations(alice, roomId, root, { dir: 'b', limit: 2, from: first.next_batch as string });
      expect(second.chunk.map((event) => event.event_id)).toEqual([replies[2], replies[1]]);
      expect(second.prev_batch).toBe(first.next_batch);
      const forward = await h.rooms.getRelations(alice, roomId, root, { dir: 'f', limit: 10 });
      expect(forward.chunk.map((event) => event.event_id)).toEqual(replies);
      expect(forward.next_batch).toBeUndefined();
      expect(forward.recursion_depth).toBeUndefined();

      const recursive = await h.rooms.getRelations(alice, roomId, root, { dir: 'f', recurse: true });
      expect(recursive.chunk.map((event) => event.event_id)).toEqual([...replies, editOfReply]);
      expect(recursive.recursion_depth).toBe(3);
      const unknown = await rejection(h.rooms.getRelations(alice, roomId, '$nope', { dir: 'b' }));
      expect([unknown.status, unknown.errcode]).toEqual([404, 'M_NOT_FOUND']);
    });
  });

  describe('ignored users', () => {
    it('keeps ignored senders out of /messages, /context, /relations and aggregations, but not their state', async () => {
      const h = harness(getStorage());
      const alice = user();
      const bob = user();
      const roomId = await publicRoom(h, alice, bob);
      const root = await send(h, alice, roomId, text('root'));
      await send(h, bob, roomId, threadReply(root, 'bob in thread'));
      const mine = await send(h, alice, roomId, threadReply(root, 'alice in thread'));
      const bobMessage = await send(h, bob, roomId, text('from bob'));
      h.ignored.set(alice.userId, new Set([bob.userId]));

      const page = await h.rooms.getMessages(alice, roomId, { dir: 'b', limit: 50 });
      expect(page.chunk.some((event) => event.sender === bob.userId && event.type === 'm.room.message')).toBe(false);
      expect(page.chunk.some((event) => event.sender === bob.userId && event.type === 'm.room.member')).toBe(true);
      const thread = relations(await h.rooms.getEvent(alice, roomId, root))?.['m.thread'];
      expect([thread?.count, (thread?.latest_event as ClientEvent).event_id]).toEqual([1, mine]);
      expect((await h.rooms.getRelations(alice, roomId, root, { dir: 'b' })).chunk.map((event) => event.event_id)).toEqual([mine]);
      const context = await h.rooms.getContext(alice, roomId, mine, { limit: 10 });
      expect(context.events_after.map((event) => event.event_id)).not.toContain(bobMessage);
      // Bob himself still sees everything.
      expect((await h.rooms.getMessages(bob, roomId, { dir: 'b', limit: 50 })).chunk.some((event) => event.event_id === bobMessage)).toBe(true);
    });
  });

  describe('context', () => {
    it('serves the events around an event with tokens that continue in /messages, and the state at the end', async () => {
      const h = harness(getStorage());
      const alice = user();
      const roomId = await publicRoom(h, alice);
      const ids: string[] = [];
      for (let i = 0; i < 9; i++) ids.push(await send(h, alice, roomId, text(`m${i}`)));
      const context = await h.rooms.getContext(alice, roomId, ids[4] as string, { limit: 4 });
      expect(context.event.event_id).toBe(ids[4]);
      expect(context.events_before.map((event) => event.event_id)).toEqual([ids[3], ids[2]]);
      expect(context.events_after.map((event) => event.event_id)).toEqual([ids[5], ids[6]]);
      expect(context.state.some((event) => event.type === 'm.room.create')).toBe(true);
      const back = await h.rooms.getMessages(alice, roomId, { dir: 'b', limit: 1, from: context.start });
      expect(back.chunk.map((event) => event.event_id)).toEqual([ids[1]]);
      const forward = await h.rooms.getMessages(alice, roomId, { dir: 'f', limit: 1, from: context.end });
      expect(forward.chunk.map((event) => event.event_id)).toEqual([ids[7]]);

      const lazy = await h.rooms.getContext(alice, roomId, ids[4] as string, { limit: 2, filter: { lazy_load_members: true } });
      expect(lazy.state.filter((event) => event.type === 'm.room.member').map((event) => event.state_key)).toEqual([alice.userId]);
    });

    it('hides events the user may not see', async () => {
      const h = harness(getStorage());
      const alice = user();
      const outsider = user();
      const { roomId } = await h.rooms.createRoom(alice, { preset: 'private_chat' });
      const secret = await send(h, alice, roomId, text('secret'));
      const refused = await rejection(h.rooms.getContext(outsider, roomId, secret, { limit: 2 }));
      expect(refused.status).toBe(403);
    });
  });
});
