/**
 * The knex implementation of {@link AccountStore}, one for SQLite and PostgreSQL.
 */
import type {
  AccessTokenOwner,
  AccountStore,
  DeviceRecord,
  RefreshTokenRecord,
  RegistrationTokenRecord,
  UiaSessionRecord,
  UserRecord,
} from '../accounts.js';
import { chunks, isUniqueViolation, toBoolean, toInteger, toIntegerOrNull, type Queryable, type SqlContext } from './dialect.js';
import { transaction } from './tx.js';

type Row = Record<string, unknown>;

/** The `localpart_counters` row guest user IDs are numbered from. */
const GUEST_COUNTER = 'guest';

export function createAccountStore(ctx: SqlContext): AccountStore {
  const { db } = ctx;
  return {
    async createUser(user) {
      const row = {
        user_id: user.userId,
        password_hash: user.passwordHash,
        created_ts: user.createdTs,
        is_guest: user.isGuest,
        is_admin: user.isAdmin ?? false,
      };
      return insertUnlessExists(db, 'users', row);
    },

    async getUser(userId) {
      const row: Row | undefined = await db('users').where({ user_id: userId }).first();
      return row === undefined ? null : userFromRow(row);
    },

    async setPasswordHash(userId, passwordHash) {
      await db('users').where({ user_id: userId }).update({ password_hash: passwordHash });
    },

    async markDeactivated(userId, ts) {
      await db('users').where({ user_id: userId }).update({ deactivated_ts: ts, password_hash: null });
    },

    async setUserFlags(userId, change) {
      const update: Row = {
        ...(change.isAdmin !== undefined ? { is_admin: change.isAdmin } : {}),
        ...(change.suspendedTs !== undefined ? { suspended_ts: change.suspendedTs } : {}),
        ...(change.lockedTs !== undefined ? { locked_ts: change.lockedTs } : {}),
      };
      if (Object.keys(update).length === 0) return (await db('users').where({ user_id: userId }).first('user_id')) !== undefined;
      return (await db('users').where({ user_id: userId }).update(update)) > 0;
    },

    async nextGuestNumber() {
      const rows: { value: unknown }[] = await db('localpart_counters')
        .insert({ name: GUEST_COUNTER, value: 1 })
        .onConflict('name')
        .merge({ value: db.raw('?? + 1', ['localpart_counters.value']) })
        .returning('value');
      const row = rows[0];
      if (row === undefined) throw new Error('guest counter upsert returned no row');
      return toInteger(row.value);
    },

    async upgradeGuest(userId, passwordHash) {
      const updated = await db('users')
        .where({ user_id: userId, is_guest: true })
        .whereNull('deactivated_ts')
        .update({ is_guest: false, password_hash: passwordHash });
      return updated > 0;
    },

    async guestsAmong(userIds) {
      const found: string[] = [];
      for (const batch of chunks([...new Set(userIds)])) {
        const rows: { user_id: string }[] = await db('users').select('user_id').whereIn('user_id', batch).where({ is_guest: true });
        found.push(...rows.map((row) => row.user_id));
      }
      return found;
    },

    async ensureDevice(device) {
      const row = { user_id: device.userId, device_id: device.deviceId, display_name: device.displayName, created_ts: device.createdTs };
      const inserted = await db('devices').insert(row).onConflict(['user_id', 'device_id']).ignore().returning('device_id');
      return (inserted as unknown[]).length > 0;
    },

    async getDevice(userId, deviceId) {
      const row: Row | undefined = await db('devices').where({ user_id: userId, device_id: deviceId }).first();
      return row === undefined ? null : deviceFromRow(row);
    },

    async listDevices(userId) {
      const rows: Row[] = await db('devices').where({ user_id: userId }).orderBy('device_id');
      return rows.map(deviceFromRow);
    },

    async listDevicesOfUsers(userIds) {
      const result: DeviceRecord[] = [];
      for (const chunk of chunks(userIds)) {
        const rows: Row[] = await db('devices').whereIn('user_id', chunk).orderBy(['user_id', 'device_id']);
        result.push(...rows.map(deviceFromRow));
      }
      return result;
    },

    async setDeviceDisplayName(userId, deviceId, displayName) {
      const updated = await db('devices').where({ user_id: userId, device_id: deviceId }).update({ display_name: displayName });
      return updated > 0;
    },

    async recordDeviceSighting(userId, deviceId, sighting) {
      await db('devices')
        .where({ user_id: userId, device_id: deviceId })
        .update({ last_seen_ts: sighting.ts, last_seen_ip: sighting.ip, last_seen_user_agent: sighting.userAgent });
    },

    async deleteDevices(userId, deviceIds) {
      return transaction(db, async (trx) => {
        const deleted: string[] = [];
        for (const chunk of chunks(deviceIds)) {
          const rows: Row[] = await trx('devices').where({ user_id: userId }).whereIn('device_id', chunk).select('device_id');
          deleted.push(...rows.map((row) => row.device_id as string));
          await trx('access_tokens').where({ user_id: userId }).whereIn('device_id', chunk).delete();
          await trx('refresh_tokens').where({ user_id: userId }).whereIn('device_id', chunk).delete();
          await trx('devices').where({ user_id: userId }).whereIn('device_id', chunk).delete();
        }
        return deleted;
      });
    },

    async addAccessToken(token) {
      const [row] = (await db('access_tokens')
        .insert({
          token_hash: token.tokenHash,
          user_id: token.userId,
          device_id: token.deviceId,
          created_ts: token.createdTs,
          expires_ts: token.expiresTs,
          refresh_token_id: token.refreshTokenId,
          used: false,
        })
        .returning('id')) as Row[];
      return toInteger(row?.id);
    },

    async findAccessToken(tokenHash) {
      const row: Row | undefined = await db('access_tokens as t')
        .join('users as u', 'u.user_id', 't.user_id')
        .where('t.token_hash', tokenHash)
        .select('t.*', 'u.is_guest', 'u.deactivated_ts', 'u.locked_ts')
        .first();
      return row === undefined ? null : accessTokenOwnerFromRow(row);
    },

    async markAccessTokenUsed(id) {
      await db('access_tokens').where({ id }).update({ used: true });
    },

    async deleteDeviceTokens(userId, deviceId) {
      await transaction(db, async (trx) => {
        await trx('access_tokens').where({ user_id: userId, device_id: deviceId }).delete();
        if (deviceId !== null) await trx('refresh_tokens').where({ user_id: userId, device_id: deviceId }).delete();
      });
    },

    async deleteUserTokens(userId) {
      await transaction(db, async (trx) => {
        await trx('access_tokens').where({ user_id: userId }).delete();
        await trx('refresh_tokens').where({ user_id: userId }).delete();
      });
    },

    async addRefreshToken(token) {
      const [row] = (await db('refresh_tokens')
        .insert({ token_hash: token.tokenHash, user_id: token.userId, device_id: token.deviceId, created_ts: token.createdTs })
        .returning('id')) as Row[];
      return toInteger(row?.id);
    },

    async findRefreshToken(tokenHash) {
      const row: Row | undefined = await db('refresh_tokens').where({ token_hash: tokenHash }).first();
      return row === undefined ? null : refreshTokenFromRow(row);
    },

    async claimRefreshToken(id, exchange) {
      const query = db('refresh_tokens').where({ id }).whereNull('revoked_ts');
      if (exchange.expectedNextTokenId === null) query.whereNull('next_token_id');
      else query.where({ next_token_id: exchange.expectedNextTokenId });
      return (await query.update({ next_token_id: exchange.nextTokenId })) > 0;
    },

    async revokeRefreshTokens(ids, ts) {
      if (ids.length === 0) return;
      await transaction(db, async (trx) => {
        for (const chunk of chunks(ids)) {
          await trx('access_tokens').whereIn('refresh_token_id', chunk).delete();
          await trx('refresh_tokens').whereIn('id', chunk).whereNull('revoked_ts').update({ revoked_ts: ts });
        }
      });
    },

    async retirePredecessors(nextTokenId, options) {
      return transaction(db, async (trx) => {
        const rows: Row[] = await trx('refresh_tokens').where({ next_token_id: nextTokenId }).whereNull('revoked_ts').select('id', 'user_id', 'device_id');
        const ids = rows.map((row) => toInteger(row.id));
        if (ids.length === 0) return [];
        await trx('access_tokens').whereIn('refresh_token_id', ids).delete();
        await trx('refresh_tokens').whereIn('id', ids).update({ revoked_ts: options.ts });
        const first = rows[0] as Row;
        await trx('refresh_tokens')
          .where({ user_id: first.user_id, device_id: first.device_id })
          .where('revoked_ts', '<', options.forgetRevokedBefore)
          .delete();
        return ids;
      });
    },

    async createUiaSession(session) {
      await db('uia_sessions').insert({
        session_id: session.sessionId,
        operation: session.operation,
        user_id: session.userId,
        completed_json: JSON.stringify(session.completed),
        data_json: JSON.stringify(session.data),
        created_ts: session.createdTs,
      });
    },

    async getUiaSession(sessionId) {
      // A claim is a row of its own (see claimUiaSession); its ID is never a session's.
      if (sessionId.endsWith(UIA_CLAIM_SUFFIX)) return null;
      const rows: Row[] = await db('uia_sessions').whereIn('session_id', [sessionId, sessionId + UIA_CLAIM_SUFFIX]);
      const row = rows.find((candidate) => candidate.session_id === sessionId);
      if (row === undefined) return null;
      const session = uiaSessionFromRow(row);
      const claim = rows.find((candidate) => candidate.session_id !== sessionId);
      if (claim !== undefined) {
        const data = JSON.parse(claim.data_json as string) as { result?: string };
        session.claim = { result: data.result ?? null };
      }
      return session;
    },

    async claimUiaSession(sessionId) {
      // The claim is a second row keyed by the session ID: the primary key lets exactly one request insert it,
      // and it shares the session's created_ts, so expiry removes both.
      const session: Row | undefined = await db('uia_sessions').where({ session_id: sessionId }).first();
      if (session === undefined) return false;
      try {
        await db('uia_sessions').insert({ ...session, session_id: sessionId + UIA_CLAIM_SUFFIX, completed_json: '[]', data_json: '{}' });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async completeUiaSession(sessionId, result) {
      await db('uia_sessions').where({ session_id: sessionId + UIA_CLAIM_SUFFIX }).update({ data_json: JSON.stringify({ result }) });
      await db('uia_sessions').where({ session_id: sessionId }).update({ data_json: '{}' });
    },

    async updateUiaSession(sessionId, update) {
      await db('uia_sessions')
        .where({ session_id: sessionId })
        .update({ completed_json: JSON.stringify(update.completed), data_json: JSON.stringify(update.data) });
    },

    async deleteUiaSession(sessionId) {
      await db('uia_sessions').where({ session_id: sessionId + UIA_CLAIM_SUFFIX }).delete();
      return (await db('uia_sessions').where({ session_id: sessionId }).delete()) > 0;
    },

    async deleteUiaSessionsBefore(ts) {
      return transaction(db, async (trx) => {
        const rows: Row[] = await trx('uia_sessions').where('created_ts', '<', ts);
        if (rows.length > 0) await trx('uia_sessions').where('created_ts', '<', ts).delete();
        const claimed = new Set(rows.map((row) => row.session_id as string).filter((id) => id.endsWith(UIA_CLAIM_SUFFIX)));
        return rows
          .filter((row) => !(row.session_id as string).endsWith(UIA_CLAIM_SUFFIX))
          .map((row) => {
            const session = uiaSessionFromRow(row);
            if (claimed.has(session.sessionId + UIA_CLAIM_SUFFIX)) session.claim = { result: null };
            return session;
          });
      });
    },

    async createRegistrationToken(token) {
      const row = {
        token_hash: token.tokenHash,
        uses_allowed: token.usesAllowed,
        expiry_ts: token.expiryTs,
        created_ts: token.createdTs,
        pending: 0,
        completed: 0,
      };
      return insertUnlessExists(db, 'registration_tokens', row);
    },

    async getRegistrationToken(tokenHash) {
      const row: Row | undefined = await db('registration_tokens').where({ token_hash: tokenHash }).first();
      return row === undefined ? null : registrationTokenFromRow(row);
    },

    async reserveRegistrationToken(tokenHash, now) {
      const updated = await db('registration_tokens')
        .where({ token_hash: tokenHash })
        .where((q) => q.whereNull('expiry_ts').orWhere('expiry_ts', '>', now))
        .where((q) => q.whereNull('uses_allowed').orWhereRaw('pending + completed < uses_allowed'))
        .update({ pending: db.raw('pending + 1') });
      return updated > 0;
    },

    async adjustRegistrationToken(tokenHash, change) {
      await db('registration_tokens')
        .where({ token_hash: tokenHash })
        .update({
          pending: db.raw('pending + ?', [change.pending ?? 0]),
          completed: db.raw('completed + ?', [change.completed ?? 0]),
        });
    },
  };
}

/** Inserts one row; false when its primary key exists. */
async function insertUnlessExists(db: Queryable, table: string, row: Row): Promise<boolean> {
  try {
    // A savepoint keeps a PostgreSQL transaction usable after the unique violation.
    await transaction(db, (trx) => trx(table).insert(row));
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

function userFromRow(row: Row): UserRecord {
  return {
    userId: row.user_id as string,
    passwordHash: (row.password_hash as string | null) ?? null,
    createdTs: toInteger(row.created_ts),
    isGuest: toBoolean(row.is_guest),
    isAdmin: toBoolean(row.is_admin),
    deactivatedTs: toIntegerOrNull(row.deactivated_ts),
    suspendedTs: toIntegerOrNull(row.suspended_ts),
    lockedTs: toIntegerOrNull(row.locked_ts),
  };
}

function deviceFromRow(row: Row): DeviceRecord {
  return {
    userId: row.user_id as string,
    deviceId: row.device_id as string,
    displayName: (row.display_name as string | null) ?? null,
    createdTs: toInteger(row.created_ts),
    lastSeenTs: toIntegerOrNull(row.last_seen_ts),
    lastSeenIp: (row.last_seen_ip as string | null) ?? null,
    lastSeenUserAgent: (row.last_seen_user_agent as string | null) ?? null,
  };
}

function accessTokenOwnerFromRow(row: Row): AccessTokenOwner {
  return {
    id: toInteger(row.id),
    tokenHash: row.token_hash as string,
    userId: row.user_id as string,
    deviceId: (row.device_id as string | null) ?? null,
    createdTs: toInteger(row.created_ts),
    expiresTs: toIntegerOrNull(row.expires_ts),
    refreshTokenId: toIntegerOrNull(row.refresh_token_id),
    used: toBoolean(row.used),
    isGuest: toBoolean(row.is_guest),
    deactivated: row.deactivated_ts != null,
    locked: row.locked_ts != null,
  };
}

function refreshTokenFromRow(row: Row): RefreshTokenRecord {
  return {
    id: toInteger(row.id),
    tokenHash: row.token_hash as string,
    userId: row.user_id as string,
    deviceId: row.device_id as string,
    createdTs: toInteger(row.created_ts),
    nextTokenId: toIntegerOrNull(row.next_token_id),
    revoked: row.revoked_ts != null,
  };
}

/** Suffix of the row that claims a UIA session (session IDs are base64url, so never contain it). */
const UIA_CLAIM_SUFFIX = '/claim';

function uiaSessionFromRow(row: Row): UiaSessionRecord {
  return {
    sessionId: row.session_id as string,
    operation: row.operation as string,
    userId: (row.user_id as string | null) ?? null,
    completed: JSON.parse(row.completed_json as string) as string[],
    data: JSON.parse(row.data_json as string) as Record<string, string>,
    createdTs: toInteger(row.created_ts),
  };
}

function registrationTokenFromRow(row: Row): RegistrationTokenRecord {
  return {
    tokenHash: row.token_hash as string,
    usesAllowed: toIntegerOrNull(row.uses_allowed),
    pending: toInteger(row.pending),
    completed: toInteger(row.completed),
    expiryTs: toIntegerOrNull(row.expiry_ts),
    createdTs: toInteger(row.created_ts),
  };
}
