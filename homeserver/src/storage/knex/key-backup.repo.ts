/**
 * The knex implementation of {@link KeyBackupStore}, one for SQLite and PostgreSQL.
 */
import type { JsonObject } from '@parley/federation';
import type { BackedUpSession, BackupSessionKey, BackupSessionScope, BackupVersionRecord, KeyBackupStore } from '../key-backup.js';
import { chunks, toBoolean, toInteger, upsert, type Queryable, type SqlContext } from './dialect.js';

interface VersionRow {
  version: unknown;
  user_id: string;
  algorithm: string;
  auth_data_json: string;
  etag: unknown;
  deleted: unknown;
  created_ts: unknown;
}

interface SessionRow {
  version: unknown;
  room_id: string;
  session_id: string;
  first_message_index: unknown;
  forwarded_count: unknown;
  is_verified: unknown;
  session_data_json: string;
}

export function createKeyBackupStore(ctx: SqlContext): KeyBackupStore {
  const { db, dialect } = ctx;

  /** Row locks exist only on PostgreSQL; SQLite has one writer at a time anyway. */
  const maybeLocked = <Q extends { forUpdate(): Q }>(query: Q, lock: boolean | undefined): Q =>
    lock === true && dialect === 'postgres' ? query.forUpdate() : query;

  return {
    async createVersion({ userId, algorithm, authData, createdTs }) {
      const [inserted] = await db('key_backup_versions')
        .insert({ user_id: userId, algorithm, auth_data_json: JSON.stringify(authData), etag: 0, deleted: false, created_ts: createdTs })
        .returning('version');
      // SQLite and PostgreSQL both give `[{ version }]` with returning().
      return toInteger((inserted as { version: unknown }).version);
    },

    async getVersion(userId, version, options = {}) {
      const query = db('key_backup_versions').select('*').where({ version, user_id: userId }).first();
      const row = (await maybeLocked(query, options.lock)) as VersionRow | undefined;
      return row === undefined ? null : versionRecord(row);
    },

    async getLatestVersion(userId, options = {}) {
      const query = db('key_backup_versions').select('*').where({ user_id: userId, deleted: false }).orderBy('version', 'desc').first();
      const row = (await maybeLocked(query, options.lock)) as VersionRow | undefined;
      return row === undefined ? null : versionRecord(row);
    },

    async updateAuthData(version, authData) {
      await db('key_backup_versions').where({ version }).update({ auth_data_json: JSON.stringify(authData) });
    },

    async markDeleted(version) {
      await db('key_backup_sessions').where({ version }).delete();
      await db('key_backup_versions').where({ version }).update({ deleted: true, auth_data_json: '{}' });
    },

    async bumpEtag(version) {
      await db('key_backup_versions').where({ version }).increment('etag', 1);
      const row = (await db('key_backup_versions').select('etag').where({ version }).first()) as { etag: unknown } | undefined;
      if (row === undefined) throw new Error(`key backup version ${version} does not exist`);
      return toInteger(row.etag);
    },

    async getSessions(version, scope = {}) {
      const rows = (await scoped(db, version, scope).select('*').orderBy(['room_id', 'session_id'])) as SessionRow[];
      return rows.map(sessionRecord);
    },

    async getSessionsByKey(version, keys) {
      const result: BackedUpSession[] = [];
      for (const [roomId, sessionIds] of groupByRoom(keys)) {
        for (const chunk of chunks(sessionIds)) {
          const rows = (await db('key_backup_sessions').select('*').where({ version, room_id: roomId }).whereIn('session_id', chunk)) as SessionRow[];
          result.push(...rows.map(sessionRecord));
        }
      }
      return result;
    },

    async putSessions(version, sessions) {
      const rows = sessions.map((session) => ({
        version,
        room_id: session.roomId,
        session_id: session.sessionId,
        first_message_index: session.firstMessageIndex,
        forwarded_count: session.forwardedCount,
        is_verified: session.isVerified,
        session_data_json: JSON.stringify(session.sessionData),
      }));
      await upsert(db, 'key_backup_sessions', rows, {
        conflict: ['version', 'room_id', 'session_id'],
        update: ['first_message_index', 'forwarded_count', 'is_verified', 'session_data_json'],
      });
    },

    async deleteSessions(version, scope = {}) {
      return scoped(db, version, scope).delete();
    },

    async countSessions(version) {
      const row = (await db('key_backup_sessions').where({ version }).count({ count: '*' }).first()) as { count: unknown } | undefined;
      return row === undefined ? 0 : toInteger(row.count);
    },
  };
}

/** The sessions of `version` a scope covers. */
function scoped(db: Queryable, version: number, scope: BackupSessionScope) {
  const query = db('key_backup_sessions').where({ version });
  if (scope.roomId !== undefined) void query.where({ room_id: scope.roomId });
  if (scope.roomId !== undefined && scope.sessionId !== undefined) void query.where({ session_id: scope.sessionId });
  return query;
}

function groupByRoom(keys: readonly BackupSessionKey[]): Map<string, string[]> {
  const byRoom = new Map<string, string[]>();
  for (const { roomId, sessionId } of keys) {
    const sessionIds = byRoom.get(roomId);
    if (sessionIds === undefined) byRoom.set(roomId, [sessionId]);
    else sessionIds.push(sessionId);
  }
  return byRoom;
}

function versionRecord(row: VersionRow): BackupVersionRecord {
  return {
    version: toInteger(row.version),
    userId: row.user_id,
    algorithm: row.algorithm,
    authData: JSON.parse(row.auth_data_json) as JsonObject,
    etag: toInteger(row.etag),
    deleted: toBoolean(row.deleted),
    createdTs: toInteger(row.created_ts),
  };
}

function sessionRecord(row: SessionRow): BackedUpSession {
  return {
    roomId: row.room_id,
    sessionId: row.session_id,
    firstMessageIndex: toInteger(row.first_message_index),
    forwardedCount: toInteger(row.forwarded_count),
    isVerified: toBoolean(row.is_verified),
    sessionData: JSON.parse(row.session_data_json) as JsonObject,
  };
}
