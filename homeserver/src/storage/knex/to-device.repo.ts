/**
 * The knex implementation of {@link ToDeviceStore}, one for SQLite and PostgreSQL.
 */
import type { JsonObject } from '@parley/federation';
import type { ToDeviceMessageRecord, ToDeviceStore } from '../to-device.js';
import { insertIgnoringConflicts, toInteger, type SqlContext } from './dialect.js';

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
      const rows = messages.map((message) => ({
        user_id: message.userId,
        device_id: message.deviceId,
        stream_id: message.streamId,
        sender: message.sender,
        type: message.type,
        content_json: JSON.stringify(message.content),
      }));
      await insertIgnoringConflicts(db, 'to_device_messages', rows, ['user_id', 'device_id', 'stream_id']);
    },

    async getToDeviceMessages(userId, deviceId, query) {
      if (query.limit <= 0 || query.upTo <= query.after) return [];
      const rows: MessageRow[] = await db('to_device_messages')
        .where({ user_id: userId, device_id: deviceId })
        .andWhere('stream_id', '>', query.after)
        .andWhere('stream_id', '<=', query.upTo)
        .orderBy('stream_id')
        .limit(query.limit);
      return rows.map(messageFromRow);
    },

    async deleteToDeviceMessagesUpTo(userId, deviceId, upTo) {
      const deleted: number = await db('to_device_messages')
        .where({ user_id: userId, device_id: deviceId })
        .andWhere('stream_id', '<=', upTo)
        .delete();
      return deleted;
    },

    async deleteDeviceQueue(userId, deviceId) {
      const deleted: number = await db('to_device_messages').where({ user_id: userId, device_id: deviceId }).delete();
      return deleted;
    },
  };
}
