/** Our signing keys and other servers' verify keys. */
import type { OwnSigningKey, RemoteServerKey, ServerKeyRepository } from '../index.js';
import { chunks, toInteger, toIntegerOrNull, upsert, type SqlContext } from './dialect.js';

interface OwnKeyRow {
  key_id: string;
  public_key: string;
  valid_until_ts: unknown;
  expired_ts: unknown;
}

interface RemoteKeyRow extends OwnKeyRow {
  server_name: string;
  fetched_ts: unknown;
  response_json: string | null;
}

export function createServerKeyRepository(ctx: SqlContext): ServerKeyRepository {
  const { db } = ctx;
  return {
    async saveOwnKey(key) {
      await upsert(
        db,
        'server_signing_keys',
        [{ key_id: key.keyId, public_key: key.publicKey, valid_until_ts: key.validUntilTs, expired_ts: key.expiredTs }],
        { conflict: ['key_id'], update: ['public_key', 'valid_until_ts', 'expired_ts'] },
      );
    },

    async getOwnKeys() {
      const rows: OwnKeyRow[] = await db('server_signing_keys').select('*').orderBy('key_id');
      return rows.map(ownKeyFromRow);
    },

    async storeRemoteKeys(keys) {
      const rows = keys.map((key) => ({
        server_name: key.serverName,
        key_id: key.keyId,
        public_key: key.publicKey,
        valid_until_ts: key.validUntilTs,
        expired_ts: key.expiredTs,
        fetched_ts: key.fetchedTs,
        response_json: key.responseJson,
      }));
      await upsert(db, 'remote_server_keys', rows, {
        conflict: ['server_name', 'key_id'],
        update: ['public_key', 'valid_until_ts', 'expired_ts', 'fetched_ts', 'response_json'],
      });
    },

    async getRemoteKeys(serverName, keyIds) {
      if (keyIds === undefined) {
        const rows: RemoteKeyRow[] = await db('remote_server_keys').select('*').where({ server_name: serverName }).orderBy('key_id');
        return rows.map(remoteKeyFromRow);
      }
      const found: RemoteServerKey[] = [];
      for (const chunk of chunks([...new Set(keyIds)])) {
        const rows: RemoteKeyRow[] = await db('remote_server_keys')
          .select('*')
          .where({ server_name: serverName })
          .whereIn('key_id', chunk);
        found.push(...rows.map(remoteKeyFromRow));
      }
      return found.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
    },
  };
}

function ownKeyFromRow(row: OwnKeyRow): OwnSigningKey {
  return {
    keyId: row.key_id,
    publicKey: row.public_key,
    validUntilTs: toInteger(row.valid_until_ts),
    expiredTs: toIntegerOrNull(row.expired_ts),
  };
}

function remoteKeyFromRow(row: RemoteKeyRow): RemoteServerKey {
  return {
    serverName: row.server_name,
    ...ownKeyFromRow(row),
    fetchedTs: toInteger(row.fetched_ts),
    responseJson: row.response_json,
  };
}
