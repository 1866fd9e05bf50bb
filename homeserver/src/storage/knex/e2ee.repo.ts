/**
 * The knex implementation of {@link E2eeStore}, one for SQLite and PostgreSQL.
 */
import type { JsonObject } from '@parley/federation';
import type {
  CrossSigningKeyRecord,
  CrossSigningKeyType,
  DeviceListChangeRecord,
  E2eeStore,
  KeySignatureRecord,
  OneTimeKeyRecord,
} from '../e2ee.js';
import { claimKeys } from './e2ee-claim.js';
import { chunks, toBoolean, toInteger, upsert, type SqlContext } from './dialect.js';

const DEVICE_KEYS = 'e2e_device_keys';
const ONE_TIME_KEYS = 'e2e_one_time_keys';
const FALLBACK_KEYS = 'e2e_fallback_keys';
const CROSS_SIGNING_KEYS = 'e2e_cross_signing_keys';
const SIGNATURES = 'e2e_signatures';
const DEVICE_LIST_CHANGES = 'e2e_device_list_changes';

interface KeyRow {
  algorithm: string;
  key_id: string;
  key_json: string;
}

export function createE2eeStore(ctx: SqlContext): E2eeStore {
  const { db } = ctx;

  return {
    async getDeviceKeys(userId, deviceId) {
      const row: { key_json: string } | undefined = await db(DEVICE_KEYS).select('key_json').where({ user_id: userId, device_id: deviceId }).first();
      return row ? parse(row.key_json) : null;
    },

    async setDeviceKeys(userId, deviceId, keys, addedTs) {
      await upsert(db, DEVICE_KEYS, [{ user_id: userId, device_id: deviceId, key_json: JSON.stringify(keys), added_ts: addedTs }], {
        conflict: ['user_id', 'device_id'],
        update: ['key_json'],
      });
    },

    async getDeviceKeysOfUsers(userIds) {
      const result = [];
      for (const chunk of chunks(userIds)) {
        const rows: { user_id: string; device_id: string; key_json: string }[] = await db(DEVICE_KEYS)
          .select('user_id', 'device_id', 'key_json')
          .whereIn('user_id', chunk)
          .orderBy(['user_id', 'device_id']);
        result.push(...rows.map((row) => ({ userId: row.user_id, deviceId: row.device_id, keys: parse(row.key_json) })));
      }
      return result;
    },

    async deleteDevice(userId, deviceId) {
      const where = { user_id: userId, device_id: deviceId };
      await db(DEVICE_KEYS).where(where).delete();
      await db(ONE_TIME_KEYS).where(where).delete();
      await db(FALLBACK_KEYS).where(where).delete();
      await db(SIGNATURES).where({ target_user_id: userId, target_key_id: deviceId }).delete();
    },

    async getOneTimeKeys(userId, deviceId, ids) {
      const result: OneTimeKeyRecord[] = [];
      for (const chunk of chunks(ids, 200)) {
        const rows: KeyRow[] = await db(ONE_TIME_KEYS)
          .select('algorithm', 'key_id', 'key_json')
          .where({ user_id: userId, device_id: deviceId })
          .where((query) => {
            for (const id of chunk) query.orWhere({ algorithm: id.algorithm, key_id: id.keyId });
          });
        result.push(...rows.map(keyRecord));
      }
      return result;
    },

    async addOneTimeKeys(userId, deviceId, keys, addedTs) {
      for (const chunk of chunks(keys)) {
        await db(ONE_TIME_KEYS).insert(
          chunk.map((key) => ({
            user_id: userId,
            device_id: deviceId,
            algorithm: key.algorithm,
            key_id: key.keyId,
            key_json: JSON.stringify(key.key),
            added_ts: addedTs,
          })),
        )
          // A client that sends the same upload twice at once (matrix-js-sdk does) passes the caller's duplicate
          // check in both requests; the first insert wins and the second is the no-op it would have been.
          .onConflict(['user_id', 'device_id', 'algorithm', 'key_id'])
          .ignore();
      }
    },

    async countOneTimeKeys(userId, deviceId) {
      const rows: { algorithm: string; count: unknown }[] = await db(ONE_TIME_KEYS)
        .select('algorithm')
        .count({ count: '*' })
        .where({ user_id: userId, device_id: deviceId })
        .groupBy('algorithm');
      return Object.fromEntries(rows.map((row) => [row.algorithm, toInteger(row.count)]));
    },

    claimKeys: (claims) => claimKeys(ctx, claims),

    async setFallbackKey(userId, deviceId, key) {
      await upsert(
        db,
        FALLBACK_KEYS,
        [{ user_id: userId, device_id: deviceId, algorithm: key.algorithm, key_id: key.keyId, key_json: JSON.stringify(key.key), used: false }],
        { conflict: ['user_id', 'device_id', 'algorithm'], update: ['key_id', 'key_json', 'used'] },
      );
    },

    async getUnusedFallbackKeyTypes(userId, deviceId) {
      const rows: { algorithm: string; used: unknown }[] = await db(FALLBACK_KEYS)
        .select('algorithm', 'used')
        .where({ user_id: userId, device_id: deviceId })
        .orderBy('algorithm');
      return rows.filter((row) => !toBoolean(row.used)).map((row) => row.algorithm);
    },

    async getCrossSigningKeys(userIds, types) {
      const result: CrossSigningKeyRecord[] = [];
      for (const chunk of chunks(userIds)) {
        const query = db(CROSS_SIGNING_KEYS).select('user_id', 'key_type', 'key_json').whereIn('user_id', chunk);
        if (types) query.whereIn('key_type', [...types]);
        const rows: { user_id: string; key_type: string; key_json: string }[] = await query.orderBy(['user_id', 'key_type']);
        result.push(...rows.map((row) => ({ userId: row.user_id, type: row.key_type as CrossSigningKeyType, key: parse(row.key_json) })));
      }
      return result;
    },

    async setCrossSigningKey(record, addedTs) {
      await upsert(
        db,
        CROSS_SIGNING_KEYS,
        [{ user_id: record.userId, key_type: record.type, key_json: JSON.stringify(record.key), added_ts: addedTs }],
        { conflict: ['user_id', 'key_type'], update: ['key_json', 'added_ts'] },
      );
    },

    async addSignatures(records) {
      const rows = records.map((record) => ({
        target_user_id: record.targetUserId,
        target_key_id: record.targetKeyId,
        signer_user_id: record.signerUserId,
        signer_key_id: record.signerKeyId,
        signature: record.signature,
      }));
      await upsert(db, SIGNATURES, rows, {
        conflict: ['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id'],
        update: ['signature'],
      });
    },

    async getSignatures(targetUserIds) {
      const result: KeySignatureRecord[] = [];
      for (const chunk of chunks(targetUserIds)) {
        const rows: { target_user_id: string; target_key_id: string; signer_user_id: string; signer_key_id: string; signature: string }[] =
          await db(SIGNATURES).select('*').whereIn('target_user_id', chunk);
        result.push(
          ...rows.map((row) => ({
            targetUserId: row.target_user_id,
            targetKeyId: row.target_key_id,
            signerUserId: row.signer_user_id,
            signerKeyId: row.signer_key_id,
            signature: row.signature,
          })),
        );
      }
      return result;
    },

    async addDeviceListChange(change) {
      await db(DEVICE_LIST_CHANGES).insert({
        stream_id: change.position,
        user_id: change.userId,
        room_id: change.roomId,
        membership: change.membership,
      });
    },

    async getDeviceListChanges(from, to, filter) {
      if (to <= from) return [];
      const byKey = new Map<string, DeviceListChangeRecord>();
      const collect = async (column: 'user_id' | 'room_id', values: readonly string[]) => {
        for (const chunk of chunks(values)) {
          const rows: { stream_id: unknown; user_id: string; room_id: string | null; membership: string | null }[] = await db(DEVICE_LIST_CHANGES)
            .select('stream_id', 'user_id', 'room_id', 'membership')
            .where('stream_id', '>', from)
            .andWhere('stream_id', '<=', to)
            .whereIn(column, chunk);
          for (const row of rows) {
            const record: DeviceListChangeRecord = {
              position: toInteger(row.stream_id),
              userId: row.user_id,
              roomId: row.room_id,
              membership: row.membership === 'join' || row.membership === 'leave' ? row.membership : null,
            };
            byKey.set(`${record.position}|${record.userId}|${record.roomId ?? ''}`, record);
          }
        }
      };
      await collect('user_id', filter.userIds);
      await collect('room_id', filter.roomIds);
      return [...byKey.values()].sort((a, b) => a.position - b.position);
    },
  };
}

function keyRecord(row: KeyRow): OneTimeKeyRecord {
  return { algorithm: row.algorithm, keyId: row.key_id, key: parse(row.key_json) };
}

function parse(json: string): JsonObject {
  return JSON.parse(json) as JsonObject;
}
