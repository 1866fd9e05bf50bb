/**
 * The knex implementation of {@link ToDeviceStore}, one for SQLite and PostgreSQL. `to_device_queue_sizes` counts each
 * device's queued rows; every statement that adds or removes queued rows updates it in the same transaction.
 */
import type { JsonObject } from '@parley/federation';
import type { ToDeviceMessageRecord, ToDeviceRecipient, ToDeviceStore } from '../to-device.js';
import { chunks, toInteger, type Queryable, type SqlContext } from './dialect.js';
import { atomically } from './tx.js';

const MESSAGES = 'to_device_messages';
const SIZES = 'to_device_queue_sizes';

interface MessageRow {
  user_id: string;
  device_id: string;
  stream_id: unknown;
  sender: string;
  type: string;
  content_json: string;
}

function messageFromRow(row: MessageRow): ToDeviceMessageRecord {
  return {
    userId: row.user_id,
    deviceId: row.device_id,
    streamId: toInteger(row.stream_id),
    sender: row.sender,
    type: row.type,
    content: JSON.parse(row.content_json) as JsonObject,
  };
}

const deviceKey = (userId: string, deviceId: string): string => JSON.stringify([userId, deviceId]);

/**
 * Adds `delta` to the queue size of each device (rows sorted, so concurrent sends lock size rows in one order and
 * never deadlock on PostgreSQL).
 */
async function addToSizes(db: Queryable, deltas: Map<string, ToDeviceRecipient & { delta: number }>): Promise<void> {
  const rows = [...deltas.values()]
    .sort((a, b) => (a.userId === b.userId ? (a.deviceId < b.deviceId ? -1 : 1) : a.userId < b.userId ? -1 : 1))
    .map((entry) => ({ user_id: entry.userId, device_id: entry.deviceId, size: entry.delta }));
  for (const chunk of chunks(rows)) {
    await db(SIZES)
      .insert(chunk)
      .onConflict(['user_id', 'device_id'])
      .merge({ size: db.raw('?? + excluded.size', [`${SIZES}.size`]) });
  }
}

async function subtractFromSize(db: Queryable, device: ToDeviceRecipient, removed: number): Promise<void> {
  if (removed > 0) await db(SIZES).where({ user_id: device.userId, device_id: device.deviceId }).decrement('size', removed);
}

/** Deletes the `count` oldest messages of the device; returns how many went. */
async function dropOldest(db: Queryable, device: ToDeviceRecipient, count: number): Promise<number> {
  const where = { user_id: device.userId, device_id: device.deviceId };
  const oldest = db(MESSAGES).select('stream_id').where(where).orderBy('stream_id').limit(count);
  const dropped: number = await db(MESSAGES).where(where).whereIn('stream_id', oldest).delete();
  await subtractFromSize(db, device, dropped);
  return dropped;
}

export function createToDeviceStore({ db }: SqlContext): ToDeviceStore {
  return {
    async claimToDeviceTxn(record) {
      const row = { user_id: record.userId, scope: record.scope, txn_id: record.txnId, created_ts: record.createdTs };
      const inserted = (await db('to_device_txns')
        .insert(row)
        .onConflict(['user_id', 'scope', 'txn_id'])
        .ignore()
        .returning('txn_id')) as unknown[];
      return inserted.length > 0;
    },

    async deleteToDeviceTxns(userId, scope) {
      await db('to_device_txns').where({ user_id: userId, scope }).delete();
    },

    async enqueueToDeviceMessages(messages) {
      const deltas = new Map<string, ToDeviceRecipient & { delta: number }>();
      await atomically(db, async (trx) => {
        for (const chunk of chunks(messages)) {
          const rows = chunk.map((message) => ({
            user_id: message.userId,
            device_id: message.deviceId,
            stream_id: message.streamId,
            sender: message.sender,
            type: message.type,
            content_json: JSON.stringify(message.content),
          }));
          const inserted: { user_id: string; device_id: string }[] = await trx(MESSAGES)
            .insert(rows)
            .onConflict(['user_id', 'device_id', 'stream_id'])
            .ignore()
            .returning(['user_id', 'device_id']);
          for (const row of inserted) {
            const key = deviceKey(row.user_id, row.device_id);
            const entry = deltas.get(key) ?? { userId: row.user_id, deviceId: row.device_id, delta: 0 };
            entry.delta += 1;
            deltas.set(key, entry);
          }
        }
        await addToSizes(trx, deltas);
      });
    },

    async trimToDeviceQueues(devices, keep) {
      const trimmed: (ToDeviceRecipient & { dropped: number })[] = [];
      for (const chunk of chunks(devices)) {
        const over: { user_id: string; device_id: string; size: unknown }[] = await db(SIZES)
          .select('user_id', 'device_id', 'size')
          .whereIn(['user_id', 'device_id'], chunk.map((device) => [device.userId, device.deviceId]))
          .andWhere('size', '>', keep);
        for (const row of over) {
          const device = { userId: row.user_id, deviceId: row.device_id };
          trimmed.push({ ...device, dropped: await dropOldest(db, device, toInteger(row.size) - keep) });
        }
      }
      return trimmed;
    },

    async getToDeviceMessages(userId, deviceId, query) {
      if (query.limit <= 0 || query.upTo <= query.after) return [];
      const rows: MessageRow[] = await db(MESSAGES)
        .where({ user_id: userId, device_id: deviceId })
        .andWhere('stream_id', '>', query.after)
        .andWhere('stream_id', '<=', query.upTo)
        .orderBy('stream_id')
        .limit(query.limit);
      return rows.map(messageFromRow);
    },

    async deleteToDeviceMessagesUpTo(userId, deviceId, upTo) {
      return atomically(db, async (trx) => {
        const deleted: number = await trx(MESSAGES).where({ user_id: userId, device_id: deviceId }).andWhere('stream_id', '<=', upTo).delete();
        await subtractFromSize(trx, { userId, deviceId }, deleted);
        return deleted;
      });
    },

    async deleteDeviceQueue(userId, deviceId) {
      return atomically(db, async (trx) => {
        const deleted: number = await trx(MESSAGES).where({ user_id: userId, device_id: deviceId }).delete();
        await trx(SIZES).where({ user_id: userId, device_id: deviceId }).delete();
        return deleted;
      });
    },
  };
}
