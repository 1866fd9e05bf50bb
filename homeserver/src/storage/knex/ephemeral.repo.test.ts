import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';
import type { PresenceRecord, ReceiptRecord } from '../index.js';

forEachDatabase('EphemeralStore', (getStorage) => {
  describe('typing', () => {
    it('stores, extends and removes entries, and lists only unexpired typers', async () => {
      const { ephemeral } = getStorage();
      const roomId = uniqueId('!');
      const [alice, bob] = [uniqueId('@'), uniqueId('@')];
      await ephemeral.upsertTyping({ roomId, userId: alice, expiresTs: 1_000 });
      await ephemeral.upsertTyping({ roomId, userId: bob, expiresTs: 5_000 });
      await ephemeral.upsertTyping({ roomId, userId: alice, expiresTs: 3_000 });
      expect(await ephemeral.getTyping(roomId, alice)).toEqual({ roomId, userId: alice, expiresTs: 3_000 });

      const at2000 = await ephemeral.getTypingUsers([roomId], 2_000);
      expect(at2000.get(roomId)).toEqual([alice, bob].sort());
      expect((await ephemeral.getTypingUsers([roomId], 4_000)).get(roomId)).toEqual([bob]);
      expect((await ephemeral.getTypingUsers([roomId], 5_000)).has(roomId)).toBe(false);

      // A sweep with an older cut-off leaves a refreshed entry alone.
      expect(await ephemeral.deleteTyping(roomId, alice, { expiredAt: 2_000 })).toBe(false);
      expect(await ephemeral.deleteTyping(roomId, alice, { expiredAt: 3_000 })).toBe(true);
      expect(await ephemeral.deleteTyping(roomId, alice)).toBe(false);
      expect(await ephemeral.getTyping(roomId, alice)).toBeNull();
    });

    it('finds expired entries and the next expiry', async () => {
      const { ephemeral } = getStorage();
      const roomId = uniqueId('!');
      const user = uniqueId('@');
      // Far in the past so other tests' rows (which expire later) do not interfere with "expired by then".
      await ephemeral.upsertTyping({ roomId, userId: user, expiresTs: 10 });
      const expired = await ephemeral.getExpiredTyping(10, 100);
      expect(expired).toContainEqual({ roomId, userId: user, expiresTs: 10 });
      expect(await ephemeral.getExpiredTyping(9, 100)).not.toContainEqual({ roomId, userId: user, expiresTs: 10 });
      expect(await ephemeral.getNextTypingExpiry()).toBeLessThanOrEqual(10);
      await ephemeral.deleteTyping(roomId, user);
    });

    it('reports rooms whose typing list changed in a stream range', async () => {
      const { ephemeral } = getStorage();
      const [roomA, roomB, roomC] = [uniqueId('!'), uniqueId('!'), uniqueId('!')];
      await ephemeral.markTypingRoomChanged(roomA, 10);
      await ephemeral.markTypingRoomChanged(roomB, 20);
      await ephemeral.markTypingRoomChanged(roomA, 30);
      expect(await ephemeral.getTypingRoomsChanged([roomA, roomB, roomC], 10, 25)).toEqual([roomB]);
      expect(await ephemeral.getTypingRoomsChanged([roomA, roomB, roomC], 0, 30)).toEqual([roomA, roomB].sort());
      expect(await ephemeral.getTypingRoomsChanged([roomB], 20, 30)).toEqual([]);
    });
  });

  describe('receipts', () => {
    function receipt(overrides: Partial<ReceiptRecord> & Pick<ReceiptRecord, 'roomId' | 'userId'>): ReceiptRecord {
      return {
        receiptType: 'm.read',
        threadId: null,
        eventId: uniqueId('$'),
        eventStreamOrdering: 1,
        ts: 1_000,
        streamId: 1,
        ...overrides,
      };
    }

    it('keeps one receipt per (room, type, user, thread), unthreaded apart from threads', async () => {
      const { ephemeral } = getStorage();
      const roomId = uniqueId('!');
      const userId = uniqueId('@');
      const unthreaded = receipt({ roomId, userId, eventStreamOrdering: 5, streamId: 1 });
      const main = receipt({ roomId, userId, threadId: 'main', eventStreamOrdering: 6, streamId: 2 });
      await ephemeral.upsertReceipt(unthreaded);
      await ephemeral.upsertReceipt(main);
      const replaced = { ...unthreaded, eventId: uniqueId('$'), eventStreamOrdering: 9, streamId: 3 };
      await ephemeral.upsertReceipt(replaced);

      expect(await ephemeral.getReceipt({ roomId, userId, receiptType: 'm.read', threadId: null })).toEqual(replaced);
      expect(await ephemeral.getReceipt({ roomId, userId, receiptType: 'm.read', threadId: 'main' })).toEqual(main);
      expect(await ephemeral.getReceipt({ roomId, userId, receiptType: 'm.read.private', threadId: null })).toBeNull();
      expect(await ephemeral.getUserReceipts(userId, roomId, ['m.read'])).toHaveLength(2);
      expect(await ephemeral.getUserReceipts(userId, roomId, [])).toEqual([]);
    });

    it('lists changed receipts in range, private ones only to their owner', async () => {
      const { ephemeral } = getStorage();
      const roomId = uniqueId('!');
      const [alice, bob] = [uniqueId('@'), uniqueId('@')];
      await ephemeral.upsertReceipt(receipt({ roomId, userId: alice, streamId: 101 }));
      await ephemeral.upsertReceipt(receipt({ roomId, userId: alice, receiptType: 'm.read.private', streamId: 102 }));
      await ephemeral.upsertReceipt(receipt({ roomId, userId: bob, streamId: 103 }));

      const query = { roomIds: [roomId], from: 100, to: 103, privateTypes: ['m.read.private'] };
      const forBob = await ephemeral.getReceiptsChanged({ ...query, viewerId: bob });
      expect(forBob.map((r) => [r.userId, r.receiptType])).toEqual([
        [alice, 'm.read'],
        [bob, 'm.read'],
      ]);
      const forAlice = await ephemeral.getReceiptsChanged({ ...query, viewerId: alice });
      expect(forAlice.map((r) => r.streamId)).toEqual([101, 102, 103]);
      const later = await ephemeral.getReceiptsChanged({ ...query, from: 102, viewerId: alice });
      expect(later.map((r) => r.streamId)).toEqual([103]);
    });

    it('stores a delivery receipt once per (event, user) and lists them for the sender only', async () => {
      const { ephemeral } = getStorage();
      const roomId = uniqueId('!');
      const eventId = uniqueId('$');
      const [sender, recipient, other] = [uniqueId('@'), uniqueId('@'), uniqueId('@')];
      const record = { roomId, eventId, userId: recipient, eventSender: sender, ts: 5, streamId: 200 };
      expect(await ephemeral.insertDeliveryReceipt(record)).toBe(true);
      expect(await ephemeral.insertDeliveryReceipt({ ...record, ts: 6, streamId: 201 })).toBe(false);
      expect(await ephemeral.getDeliveryReceipt(eventId, recipient)).toEqual(record);
      expect(await ephemeral.getDeliveryReceipt(eventId, other)).toBeNull();

      const range = { roomIds: [roomId], from: 199, to: 300 };
      expect(await ephemeral.getDeliveryReceiptsChanged({ ...range, eventSender: sender })).toEqual([record]);
      expect(await ephemeral.getDeliveryReceiptsChanged({ ...range, eventSender: recipient })).toEqual([]);
      expect(await ephemeral.getDeliveryReceiptsChanged({ ...range, from: 200, eventSender: sender })).toEqual([]);
    });
  });

  describe('presence', () => {
    function presence(userId: string, overrides: Partial<PresenceRecord> = {}): PresenceRecord {
      return { userId, state: 'online', statusMsg: null, lastActiveTs: 1_000, lastSyncTs: null, streamId: 1, ...overrides };
    }

    it('stores, replaces and touches presence', async () => {
      const { ephemeral } = getStorage();
      const userId = uniqueId('@');
      await ephemeral.upsertPresence(presence(userId, { statusMsg: 'hi', streamId: 4 }));
      await ephemeral.upsertPresence(presence(userId, { state: 'unavailable', statusMsg: null, streamId: 5 }));
      await ephemeral.touchPresence(userId, { lastActiveTs: 2_000, lastSyncTs: 2_500 });
      await ephemeral.touchPresence(uniqueId('@'), { lastActiveTs: 1 });
      expect(await ephemeral.getPresence([userId, uniqueId('@')])).toEqual([
        presence(userId, { state: 'unavailable', lastActiveTs: 2_000, lastSyncTs: 2_500, streamId: 5 }),
      ]);
    });

    it('lists changes in range for the given users only', async () => {
      const { ephemeral } = getStorage();
      const [a, b, c] = [uniqueId('@'), uniqueId('@'), uniqueId('@')];
      await ephemeral.upsertPresence(presence(a, { streamId: 11 }));
      await ephemeral.upsertPresence(presence(b, { streamId: 12 }));
      await ephemeral.upsertPresence(presence(c, { streamId: 13 }));
      const changed = await ephemeral.getPresenceChanged([a, b], 10, 13);
      expect(changed.map((record) => record.userId)).toEqual([a, b]);
      expect((await ephemeral.getPresenceChanged([a, b, c], 11, 12)).map((record) => record.userId)).toEqual([b]);
    });

    it('finds idle and gone users', async () => {
      const { ephemeral } = getStorage();
      const idle = presence(uniqueId('@'), { lastActiveTs: 100, lastSyncTs: 900 });
      const gone = presence(uniqueId('@'), { state: 'unavailable', lastActiveTs: 100, lastSyncTs: 200 });
      const syncing = presence(uniqueId('@'), { state: 'unavailable', lastActiveTs: 100, lastSyncTs: 900 });
      const offline = presence(uniqueId('@'), { state: 'offline', lastActiveTs: 100 });
      const active = presence(uniqueId('@'), { lastActiveTs: 900 });
      for (const record of [idle, gone, syncing, offline, active]) await ephemeral.upsertPresence(record);

      const stale = await ephemeral.getStalePresence({ idleBefore: 500, offlineBefore: 500, limit: 1_000 });
      const ids = new Set(stale.map((record) => record.userId));
      expect(ids.has(idle.userId)).toBe(true);
      expect(ids.has(gone.userId)).toBe(true);
      expect(ids.has(syncing.userId)).toBe(false);
      expect(ids.has(offline.userId)).toBe(false);
      expect(ids.has(active.userId)).toBe(false);
    });
  });
});
