/**
 * The knex implementation of {@link UserDataStore}, one for SQLite and PostgreSQL.
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import type { AccountDataRecord, DirectoryProfile, ReportKind, StoredReport, UserDataStore } from '../user-data.js';
import { chunks, toInteger, toIntegerOrNull, upsert, type SqlContext } from './dialect.js';

/** account_data.room_id for global entries: a real value keeps the primary key usable on both dialects. */
const GLOBAL_ROOM = '';

interface ProfileRow {
  user_id: string;
  displayname: string | null;
  avatar_url: string | null;
  extra_json: string;
  updated_ts: unknown;
}

interface AccountDataRow {
  user_id: string;
  room_id: string;
  type: string;
  content_json: string;
  stream_position: unknown;
}

interface ReportRow {
  report_id: unknown;
  kind: string;
  reporter_id: string;
  room_id: string | null;
  event_id: string | null;
  target_user_id: string | null;
  reason: string | null;
  score: unknown;
  received_ts: unknown;
}

export function createUserDataStore(ctx: SqlContext): UserDataStore {
  const { db } = ctx;
  return {
    async getProfile(userId) {
      const row: ProfileRow | undefined = await db('profiles').select('*').where({ user_id: userId }).first();
      return row === undefined ? null : { userId, fields: profileFields(row), updatedTs: toInteger(row.updated_ts) };
    },

    async getDirectoryProfiles(userIds) {
      const result: DirectoryProfile[] = [];
      for (const chunk of chunks(userIds)) {
        const rows: ProfileRow[] = await db('profiles').select('*').whereIn('user_id', chunk);
        result.push(...rows.map(directoryProfile));
      }
      return result;
    },

    async saveProfile(userId, fields, updatedTs) {
      const { displayname, avatar_url: avatarUrl, ...extra } = fields;
      const row = {
        user_id: userId,
        displayname: typeof displayname === 'string' ? displayname : null,
        avatar_url: typeof avatarUrl === 'string' ? avatarUrl : null,
        extra_json: JSON.stringify(extra),
        updated_ts: updatedTs,
      };
      await upsert(db, 'profiles', [row], { conflict: ['user_id'], update: ['displayname', 'avatar_url', 'extra_json', 'updated_ts'] });
    },

    async deleteProfile(userId) {
      await db('profiles').where({ user_id: userId }).delete();
    },

    async searchProfiles(needle, limit) {
      const pattern = `%${escapeLike(needle)}%`;
      const rows: ProfileRow[] = await db('profiles')
        .select('*')
        .where((q) => {
          void q
            .whereRaw("lower(user_id) like ? escape '\\'", [pattern])
            .orWhereRaw("lower(coalesce(displayname, '')) like ? escape '\\'", [pattern]);
        })
        .orderBy('user_id')
        .limit(limit);
      return rows.map(directoryProfile);
    },

    async putAccountData(record) {
      const row = {
        user_id: record.userId,
        room_id: record.roomId ?? GLOBAL_ROOM,
        type: record.type,
        content_json: JSON.stringify(record.content),
        stream_position: record.streamPosition,
      };
      await upsert(db, 'account_data', [row], { conflict: ['user_id', 'room_id', 'type'], update: ['content_json', 'stream_position'] });
    },

    async getAccountData(userId, roomId, type) {
      const row: Pick<AccountDataRow, 'content_json'> | undefined = await db('account_data')
        .select('content_json')
        .where({ user_id: userId, room_id: roomId ?? GLOBAL_ROOM, type })
        .first();
      return row === undefined ? null : (JSON.parse(row.content_json) as JsonObject);
    },

    async getAccountDataChanges(userId, from, to) {
      const rows: AccountDataRow[] = await db('account_data')
        .select('*')
        .where({ user_id: userId })
        .andWhere('stream_position', '>', from)
        .andWhere('stream_position', '<=', to)
        .orderBy('stream_position');
      return rows.map(accountDataFromRow);
    },

    async getAccountDataUsage(userId, options) {
      // Bytes, not characters: PostgreSQL's octet_length reads the size without decompressing; SQLite measures a blob.
      const size = ctx.dialect === 'postgres' ? 'octet_length(content_json)' : 'length(CAST(content_json AS BLOB))';
      const except = { user_id: userId, room_id: options.except.roomId ?? GLOBAL_ROOM, type: options.except.type };
      const row: { entries: unknown; bytes: unknown } | undefined = await db('account_data')
        .select(db.raw('count(*) as entries'), db.raw(`coalesce(sum(${size}), 0) as bytes`))
        .where({ user_id: userId })
        .whereNotIn('type', [...options.exemptTypes])
        .whereNot((query) => query.where({ room_id: except.room_id, type: except.type }))
        .first();
      const replaced: { bytes: unknown } | undefined = await db('account_data').select(db.raw(`${size} as bytes`)).where(except).first();
      return {
        entries: toInteger(row?.entries ?? 0),
        bytes: toInteger(row?.bytes ?? 0),
        exceptBytes: replaced === undefined ? null : toInteger(replaced.bytes),
      };
    },

    async addReport(report) {
      const rows: { report_id: unknown }[] = await db('content_reports')
        .insert({
          kind: report.kind,
          reporter_id: report.reporterId,
          room_id: report.roomId,
          event_id: report.eventId,
          target_user_id: report.targetUserId,
          reason: report.reason,
          score: report.score,
          received_ts: report.receivedTs,
        })
        .returning('report_id');
      const row = rows[0];
      if (row === undefined) throw new Error('report insert returned no row');
      return toInteger(typeof row === 'object' ? row.report_id : row);
    },

    async listReports(options) {
      const query = db('content_reports').select('*').orderBy('report_id', 'desc').limit(options.limit);
      if (options.beforeId !== undefined) void query.where('report_id', '<', options.beforeId);
      const rows: ReportRow[] = await query;
      return rows.map(reportFromRow);
    },
  };
}

/** Escapes `%`, `_` and the escape character itself for a LIKE pattern with `escape '\'`. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function profileFields(row: ProfileRow): Record<string, JsonValue> {
  const fields = JSON.parse(row.extra_json) as Record<string, JsonValue>;
  if (row.displayname !== null) fields.displayname = row.displayname;
  if (row.avatar_url !== null) fields.avatar_url = row.avatar_url;
  return fields;
}

function directoryProfile(row: ProfileRow): DirectoryProfile {
  return { userId: row.user_id, displayname: row.displayname, avatarUrl: row.avatar_url };
}

function accountDataFromRow(row: AccountDataRow): AccountDataRecord {
  return {
    userId: row.user_id,
    roomId: row.room_id === GLOBAL_ROOM ? null : row.room_id,
    type: row.type,
    content: JSON.parse(row.content_json) as JsonObject,
    streamPosition: toInteger(row.stream_position),
  };
}

function reportFromRow(row: ReportRow): StoredReport {
  return {
    reportId: toInteger(row.report_id),
    kind: row.kind as ReportKind,
    reporterId: row.reporter_id,
    roomId: row.room_id,
    eventId: row.event_id,
    targetUserId: row.target_user_id,
    reason: row.reason,
    score: toIntegerOrNull(row.score),
    receivedTs: toInteger(row.received_ts),
  };
}
