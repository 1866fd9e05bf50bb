/**
 * The knex implementation of {@link EphemeralStore}, one for SQLite and PostgreSQL.
 */
import type {
  DeliveryReceiptRecord,
  EphemeralStore,
  PresenceRecord,
  PresenceRepository,
  PresenceState,
  ReceiptRecord,
  ReceiptRepository,
  TypingEntry,
  TypingRepository,
} from '../ephemeral.js';
import { chunks, toInteger, toIntegerOrNull, upsert, type SqlContext } from './dialect.js';

/** `thread_id` column value for unthreaded receipts (NULL cannot be part of a primary key). */
const UNTHREADED = '';

export function createEphemeralStore(ctx: SqlContext): EphemeralStore {
  return { ...typingRepository(ctx), ...receiptRepository(ctx), ...presenceRepository(ctx) };
}

// ---------------------------------------------------------------------------------------------
// Typing

interface TypingRow {
  room_id: string;
  user_id: string;
  expires_ts: unknown;
}

function typingFromRow(row: TypingRow): TypingEntry {
  return { roomId: row.room_id, userId: row.user_id, expiresTs: toInteger(row.expires_ts) };
}

function typingRepository({ db }: SqlContext): TypingRepository {
  return {
    async getTyping(roomId, userId) {
      const row: TypingRow | undefined = await db('typing').where({ room_id: roomId, user_id: userId }).first();
      return row === undefined ? null : typingFromRow(row);
    },

    async upsertTyping(entry) {
      const row = { room_id: entry.roomId, user_id: entry.userId, expires_ts: entry.expiresTs };
      await upsert(db, 'typing', [row], { conflict: ['room_id', 'user_id'], update: ['expires_ts'] });
    },

    async deleteTyping(roomId, userId, options = {}) {
      const query = db('typing').where({ room_id: roomId, user_id: userId });
      if (options.expiredAt !== undefined) query.andWhere('expires_ts', '<=', options.expiredAt);
      const deleted: number = await query.delete();
      return deleted > 0;
    },

    async markTypingRoomChanged(roomId, streamId) {
      await upsert(db, 'typing_rooms', [{ room_id: roomId, stream_id: streamId }], { conflict: ['room_id'], update: ['stream_id'] });
    },

    async getTypingRoomsChanged(roomIds, from, to) {
      const changed: string[] = [];
      for (const chunk of chunks(roomIds)) {
        const rows: { room_id: string }[] = await db('typing_rooms')
          .select('room_id')
          .whereIn('room_id', chunk)
          .andWhere('stream_id', '>', from)
          .andWhere('stream_id', '<=', to);
        changed.push(...rows.map((row) => row.room_id));
      }
      return changed.sort();
    },

    async getTypingUsers(roomIds, now) {
      const byRoom = new Map<string, string[]>();
      for (const chunk of chunks(roomIds)) {
        const rows: TypingRow[] = await db('typing')
          .whereIn('room_id', chunk)
          .andWhere('expires_ts', '>', now)
          .orderBy(['room_id', 'user_id']);
        for (const row of rows) byRoom.set(row.room_id, [...(byRoom.get(row.room_id) ?? []), row.user_id]);
      }
      return byRoom;
    },

    async getExpiredTyping(now, limit) {
      const rows: TypingRow[] = await db('typing').where('expires_ts', '<=', now).orderBy('expires_ts').limit(limit);
      return rows.map(typingFromRow);
    },

    async getNextTypingExpiry() {
      const row = (await db('typing').min({ next: 'expires_ts' }).first()) as { next?: unknown } | undefined;
      return toIntegerOrNull(row?.next);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Receipts

interface ReceiptRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  event_stream_ordering: unknown;
  ts: unknown;
  stream_id: unknown;
}

interface DeliveryRow {
  event_id: string;
  user_id: string;
  room_id: string;
  event_sender: string;
  ts: unknown;
  stream_id: unknown;
}

function receiptFromRow(row: ReceiptRow): ReceiptRecord {
  return {
    roomId: row.room_id,
    receiptType: row.receipt_type,
    userId: row.user_id,
    threadId: row.thread_id === UNTHREADED ? null : row.thread_id,
    eventId: row.event_id,
    eventStreamOrdering: toInteger(row.event_stream_ordering),
    ts: toInteger(row.ts),
    streamId: toInteger(row.stream_id),
  };
}

function deliveryFromRow(row: DeliveryRow): DeliveryReceiptRecord {
  return {
    eventId: row.event_id,
    userId: row.user_id,
    roomId: row.room_id,
    eventSender: row.event_sender,
    ts: toInteger(row.ts),
    streamId: toInteger(row.stream_id),
  };
}

function receiptRepository({ db }: SqlContext): ReceiptRepository {
  return {
    async getReceipt(key) {
      const row: ReceiptRow | undefined = await db('receipts')
        .where({ room_id: key.roomId, receipt_type: key.receiptType, user_id: key.userId, thread_id: key.threadId ?? UNTHREADED })
        .first();
      return row === undefined ? null : receiptFromRow(row);
    },

    async upsertReceipt(receipt) {
      const row = {
        room_id: receipt.roomId,
        receipt_type: receipt.receiptType,
        user_id: receipt.userId,
        thread_id: receipt.threadId ?? UNTHREADED,
        event_id: receipt.eventId,
        event_stream_ordering: receipt.eventStreamOrdering,
        ts: receipt.ts,
        stream_id: receipt.streamId,
      };
      await upsert(db, 'receipts', [row], {
        conflict: ['room_id', 'receipt_type', 'user_id', 'thread_id'],
        update: ['event_id', 'event_stream_ordering', 'ts', 'stream_id'],
      });
    },

    async getUserReceipts(userId, roomId, receiptTypes) {
      if (receiptTypes.length === 0) return [];
      const rows: ReceiptRow[] = await db('receipts')
        .where({ user_id: userId, room_id: roomId })
        .whereIn('receipt_type', [...receiptTypes])
        .orderBy(['receipt_type', 'thread_id']);
      return rows.map(receiptFromRow);
    },

    async getReceiptsChanged({ roomIds, from, to, viewerId, privateTypes }) {
      const found: ReceiptRecord[] = [];
      for (const chunk of chunks(roomIds)) {
        const query = db('receipts').whereIn('room_id', chunk).andWhere('stream_id', '>', from).andWhere('stream_id', '<=', to);
        if (privateTypes.length > 0) {
          query.andWhere((visible) => visible.whereNotIn('receipt_type', [...privateTypes]).orWhere('user_id', viewerId));
        }
        const rows: ReceiptRow[] = await query;
        found.push(...rows.map(receiptFromRow));
      }
      return found.sort((a, b) => a.streamId - b.streamId);
    },

    async insertDeliveryReceipt(receipt) {
      const row = {
        event_id: receipt.eventId,
        user_id: receipt.userId,
        room_id: receipt.roomId,
        event_sender: receipt.eventSender,
        ts: receipt.ts,
        stream_id: receipt.streamId,
      };
      const inserted: unknown[] = await db('delivery_receipts')
        .insert(row)
        .onConflict(['event_id', 'user_id'])
        .ignore()
        .returning('event_id');
      return inserted.length > 0;
    },

    async getDeliveryReceipt(eventId, userId) {
      const row: DeliveryRow | undefined = await db('delivery_receipts').where({ event_id: eventId, user_id: userId }).first();
      return row === undefined ? null : deliveryFromRow(row);
    },

    async getDeliveryReceiptsChanged({ eventSender, roomIds, from, to }) {
      const found: DeliveryReceiptRecord[] = [];
      for (const chunk of chunks(roomIds)) {
        const rows: DeliveryRow[] = await db('delivery_receipts')
          .where({ event_sender: eventSender })
          .whereIn('room_id', chunk)
          .andWhere('stream_id', '>', from)
          .andWhere('stream_id', '<=', to);
        found.push(...rows.map(deliveryFromRow));
      }
      return found.sort((a, b) => a.streamId - b.streamId);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Presence

interface PresenceRow {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: unknown;
  last_sync_ts: unknown;
  stream_id: unknown;
}

const PRESENCE_STATES: readonly PresenceState[] = ['online', 'unavailable', 'offline'];

function presenceFromRow(row: PresenceRow): PresenceRecord {
  const state = PRESENCE_STATES.find((candidate) => candidate === row.state) ?? 'offline';
  return {
    userId: row.user_id,
    state,
    statusMsg: row.status_msg,
    lastActiveTs: toInteger(row.last_active_ts),
    lastSyncTs: toIntegerOrNull(row.last_sync_ts),
    streamId: toInteger(row.stream_id),
  };
}

function presenceRepository({ db }: SqlContext): PresenceRepository {
  return {
    async getPresence(userIds) {
      const found: PresenceRecord[] = [];
      for (const chunk of chunks(userIds)) {
        const rows: PresenceRow[] = await db('presence').whereIn('user_id', chunk);
        found.push(...rows.map(presenceFromRow));
      }
      return found;
    },

    async upsertPresence(record) {
      const row = {
        user_id: record.userId,
        state: record.state,
        status_msg: record.statusMsg,
        last_active_ts: record.lastActiveTs,
        last_sync_ts: record.lastSyncTs,
        stream_id: record.streamId,
      };
      await upsert(db, 'presence', [row], {
        conflict: ['user_id'],
        update: ['state', 'status_msg', 'last_active_ts', 'last_sync_ts', 'stream_id'],
      });
    },

    async touchPresence(userId, times) {
      const changes: Record<string, number> = {};
      if (times.lastActiveTs !== undefined) changes.last_active_ts = times.lastActiveTs;
      if (times.lastSyncTs !== undefined) changes.last_sync_ts = times.lastSyncTs;
      if (Object.keys(changes).length === 0) return;
      await db('presence').where({ user_id: userId }).update(changes);
    },

    async getPresenceChanged(userIds, from, to) {
      const found: PresenceRecord[] = [];
      for (const chunk of chunks(userIds)) {
        const rows: PresenceRow[] = await db('presence')
          .whereIn('user_id', chunk)
          .andWhere('stream_id', '>', from)
          .andWhere('stream_id', '<=', to);
        found.push(...rows.map(presenceFromRow));
      }
      return found.sort((a, b) => a.streamId - b.streamId);
    },

    async getStalePresence({ idleBefore, offlineBefore, limit }) {
      const rows: PresenceRow[] = await db('presence')
        .where((stale) =>
          stale
            .where((idle) => idle.where('state', 'online').andWhere('last_active_ts', '<', idleBefore))
            .orWhere((gone) =>
              gone
                .whereNot('state', 'offline')
                .andWhere('last_active_ts', '<', offlineBefore)
                .andWhere((sync) => sync.whereNull('last_sync_ts').orWhere('last_sync_ts', '<', offlineBefore)),
            ),
        )
        .orderBy('user_id')
        .limit(limit);
      return rows.map(presenceFromRow);
    },
  };
}
