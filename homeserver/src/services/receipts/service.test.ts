import { generateSigningKey, type JsonObject } from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import { createLogger } from '../../log.js';
import { MatrixError } from '../../matrix-error.js';
import type { StreamAdvance } from '../../pubsub/index.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { testEvent, uniqueId } from '../../storage/testing/fixtures.js';
import { DELIVERY_RECEIPT_TYPE, createReceiptsService, type ReceiptsService } from './index.js';

interface Fixture {
  receipts: ReceiptsService;
  storage: Storage;
  clock: ManualClock;
  published: StreamAdvance[];
  fullyRead: Map<string, string>;
  pushed: { userId: string; eventId: string; threadId: string | null }[];
  roomId: string;
  alice: string;
  bob: string;
  carol: string;
  /** Persists a message in the room; returns its event ID. */
  send(sender: string, content?: JsonObject, roomId?: string): Promise<string>;
}

function setUp(storage: Storage): Fixture {
  const clock = manualClock(1_700_000_000_000);
  const notifier = createMemoryNotifier();
  const published: StreamAdvance[] = [];
  notifier.subscribe((advance) => published.push(advance));
  const roomId = uniqueId('!');
  const [alice, bob, carol] = [uniqueId('@'), uniqueId('@'), uniqueId('@')];
  const joined = new Set([alice, bob, carol].map((userId) => `${userId}|${roomId}`));
  const fullyRead = new Map<string, string>();
  const pushed: Fixture['pushed'] = [];
  const deps = {
    config: {} as Config,
    storage,
    notifier,
    clock,
    logger: createLogger({ level: 'silent' }),
    serverName: 'test.example',
    signingKey: generateSigningKey(),
  };
  const receipts = createReceiptsService(deps, {
    isJoined: async (userId, room) => joined.has(`${userId}|${room}`),
    setFullyRead: async (userId, room, eventId) => void fullyRead.set(`${userId}|${room}`, eventId),
    getFullyRead: async (userId, room) => fullyRead.get(`${userId}|${room}`) ?? null,
    onReadReceipt: async (userId, receipt) => void pushed.push({ userId, eventId: receipt.eventId, threadId: receipt.threadId }),
  });
  async function send(sender: string, content?: JsonObject, inRoom = roomId): Promise<string> {
    const event = testEvent({ roomId: inRoom, sender });
    if (content !== undefined) event.pdu.content = content;
    await storage.events.persist(event);
    return event.eventId;
  }
  return { receipts, storage, clock, published, fullyRead, pushed, roomId, alice, bob, carol, send };
}

async function expectMatrixError(promise: Promise<unknown>, status: number, errcode: string): Promise<void> {
  const error: unknown = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(MatrixError);
  expect({ status: (error as MatrixError).status, errcode: (error as MatrixError).errcode }).toEqual({ status, errcode });
}

/** The m.receipt content `viewer` gets for everything up to now. */
async function contentFor(fixture: Fixture, viewer: string, from = 0): Promise<JsonObject> {
  const updates = await fixture.receipts.getChanges(viewer, from, await fixture.receipts.currentPosition(), [fixture.roomId]);
  return updates[0]?.event.content ?? {};
}

forEachDatabase('receipts service', (getStorage) => {
  describe('read receipts', () => {
    it('only move forward per (user, room, thread, type)', async () => {
      const fixture = setUp(getStorage());
      const { receipts, roomId, alice, bob } = fixture;
      const first = await fixture.send(bob);
      const second = await fixture.send(bob);
      await receipts.sendReceipt(alice, roomId, 'm.read', second);
      const position = await receipts.currentPosition();
      await receipts.sendReceipt(alice, roomId, 'm.read', first);
      await receipts.sendReceipt(alice, roomId, 'm.read', second);
      expect(await receipts.currentPosition()).toBe(position);
      expect((await receipts.getLatestReadReceipt(alice, roomId))?.eventId).toBe(second);

      // Another thread key is a separate marker and may sit behind.
      await receipts.sendReceipt(alice, roomId, 'm.read', first, { threadId: 'main' });
      expect((await receipts.getLatestReadReceipt(alice, roomId, 'main'))?.eventId).toBe(first);
      expect(await contentFor(fixture, bob)).toEqual({
        [second]: { 'm.read': { [alice]: { ts: fixture.clock.now() } } },
        [first]: { 'm.read': { [alice]: { ts: fixture.clock.now(), thread_id: 'main' } } },
      });
      expect(fixture.pushed.map((entry) => [entry.eventId, entry.threadId])).toEqual([
        [second, null],
        [first, 'main'],
      ]);
    });

    it('shows m.read.private only to its owner, and counts the furthest of both for unread', async () => {
      const fixture = setUp(getStorage());
      const { receipts, roomId, alice, bob, published } = fixture;
      const first = await fixture.send(bob);
      const second = await fixture.send(bob);
      await receipts.sendReceipt(alice, roomId, 'm.read', first);
      await receipts.sendReceipt(alice, roomId, 'm.read.private', second);
      expect(published.at(-1)).toMatchObject({ stream: 'receipts', userIds: [alice] });
      expect(published.at(-1)?.roomIds).toBeUndefined();

      expect(Object.keys(await contentFor(fixture, bob))).toEqual([first]);
      const own = await contentFor(fixture, alice);
      expect(own[second]).toEqual({ 'm.read.private': { [alice]: { ts: fixture.clock.now() } } });
      expect(await receipts.getLatestReadReceipt(alice, roomId)).toMatchObject({ eventId: second, receiptType: 'm.read.private' });
      expect(await receipts.getReadReceipts(alice, roomId)).toHaveLength(2);
    });

    it('rejects bad types, bad thread IDs, unknown events and non-members', async () => {
      const fixture = setUp(getStorage());
      const { receipts, roomId, alice, bob } = fixture;
      const event = await fixture.send(bob);
      const root = await fixture.send(bob);
      const inThread = await fixture.send(bob, { body: 'x', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
      const elsewhere = await fixture.send(bob, undefined, uniqueId('!'));

      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.bogus', event), 400, 'M_INVALID_PARAM');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.read', event, { threadId: '' }), 400, 'M_INVALID_PARAM');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.read', event, { threadId: 'nope' }), 400, 'M_INVALID_PARAM');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.read', inThread, { threadId: 'main' }), 400, 'M_INVALID_PARAM');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.read', inThread, { threadId: event }), 400, 'M_INVALID_PARAM');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.fully_read', event, { threadId: 'main' }), 400, 'M_INVALID_PARAM');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.read', uniqueId('$')), 404, 'M_NOT_FOUND');
      await expectMatrixError(receipts.sendReceipt(alice, roomId, 'm.read', elsewhere), 404, 'M_NOT_FOUND');
      await expectMatrixError(receipts.sendReceipt(uniqueId('@'), roomId, 'm.read', event), 403, 'M_FORBIDDEN');
      expect(await receipts.getReadReceipts(alice, roomId)).toEqual([]);

      await receipts.sendReceipt(alice, roomId, 'm.read', inThread, { threadId: root });
      await receipts.sendReceipt(alice, roomId, 'm.read', root, { threadId: 'main' });
      expect((await receipts.getLatestReadReceipt(alice, roomId, root))?.eventId).toBe(inThread);
    });
  });

  describe('delivery receipts (MSC4089)', () => {
    it('are visible only to the event sender, once per recipient', async () => {
      const fixture = setUp(getStorage());
      const { receipts, roomId, alice, bob, carol, published } = fixture;
      const message = await fixture.send(alice);
      await receipts.sendReceipt(bob, roomId, DELIVERY_RECEIPT_TYPE, message, { threadId: 'main' });
      expect(published.at(-1)).toMatchObject({ stream: 'receipts', userIds: [alice] });
      const position = await receipts.currentPosition();
      fixture.clock.advance(5_000);
      await receipts.sendReceipt(bob, roomId, DELIVERY_RECEIPT_TYPE, message);
      expect(await receipts.currentPosition()).toBe(position);
      await receipts.sendReceipt(carol, roomId, DELIVERY_RECEIPT_TYPE, message);
      // The sender's own delivery receipt says nothing and is dropped.
      await receipts.sendReceipt(alice, roomId, DELIVERY_RECEIPT_TYPE, message);

      const deliveredAt = fixture.clock.now();
      expect(await contentFor(fixture, alice)).toEqual({
        [message]: { [DELIVERY_RECEIPT_TYPE]: { [bob]: { ts: deliveredAt - 5_000 }, [carol]: { ts: deliveredAt } } },
      });
      expect(await contentFor(fixture, bob)).toEqual({});
      expect(await contentFor(fixture, carol)).toEqual({});
      expect(await contentFor(fixture, alice, position)).toEqual({ [message]: { [DELIVERY_RECEIPT_TYPE]: { [carol]: { ts: deliveredAt } } } });
    });
  });

  describe('read markers', () => {
    it('moves m.fully_read forward only and sets receipts in the same call', async () => {
      const fixture = setUp(getStorage());
      const { receipts, roomId, alice, bob, fullyRead } = fixture;
      const first = await fixture.send(bob);
      const second = await fixture.send(bob);
      await receipts.setReadMarkers(alice, roomId, { fullyRead: second, read: first, readPrivate: second });
      expect(fullyRead.get(`${alice}|${roomId}`)).toBe(second);
      await receipts.setReadMarkers(alice, roomId, { fullyRead: first });
      expect(fullyRead.get(`${alice}|${roomId}`)).toBe(second);
      expect((await receipts.getReadReceipts(alice, roomId)).map((r) => [r.receiptType, r.eventId]).sort()).toEqual(
        [
          ['m.read', first],
          ['m.read.private', second],
        ].sort(),
      );
      // POST /receipt/m.fully_read is the same marker.
      const third = await fixture.send(bob);
      await receipts.sendReceipt(alice, roomId, 'm.fully_read', third);
      expect(fullyRead.get(`${alice}|${roomId}`)).toBe(third);
    });

    it('writes nothing when any event is unknown', async () => {
      const fixture = setUp(getStorage());
      const { receipts, roomId, alice, bob, fullyRead } = fixture;
      const event = await fixture.send(bob);
      await expectMatrixError(receipts.setReadMarkers(alice, roomId, { fullyRead: event, read: uniqueId('$') }), 404, 'M_NOT_FOUND');
      expect(fullyRead.size).toBe(0);
      expect(await receipts.getReadReceipts(alice, roomId)).toEqual([]);
      await expectMatrixError(receipts.setReadMarkers(uniqueId('@'), roomId, { fullyRead: event }), 403, 'M_FORBIDDEN');
    });
  });
});
