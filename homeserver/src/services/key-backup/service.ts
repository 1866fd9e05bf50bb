/**
 * Server-side key backup: versions (/room_keys/version) and the keys stored in them (/room_keys/keys).
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 *
 * Every write runs in one transaction that first locks the version row it writes, so concurrent uploads of the same
 * session apply the replacement rules one after the other and the etag moves once per change.
 */
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { BackedUpSession, BackupVersionRecord, Storage } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { replacesStoredKey } from './replacement.js';
import {
  MEGOLM_BACKUP_V1,
  type BackupVersionInfo,
  type KeyBackupData,
  type KeyBackupService,
  type KeyScope,
  type RoomKeyBackups,
  type RoomKeysUpdate,
} from './types.js';

/** Version strings we hand out: the decimal form of a positive integer that fits a database integer. */
const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;

export function createKeyBackupServiceImpl(deps: Pick<CoreDeps, 'storage' | 'clock' | 'logger'>): KeyBackupService {
  const { storage, clock } = deps;
  const log = deps.logger.child({ component: 'key-backup' });

  return {
    async createVersion(userId, body) {
      checkAuthData(body.algorithm, body.auth_data);
      const version = await storage.keyBackup.createVersion({ userId, algorithm: body.algorithm, authData: body.auth_data, createdTs: clock.now() });
      log.info({ userId, version }, 'key backup version created');
      return String(version);
    },

    async getVersion(userId, version) {
      const record =
        version === undefined ? await storage.keyBackup.getLatestVersion(userId) : await findLiveVersion(storage, userId, version);
      if (record === null) throw new MatrixError(404, 'M_NOT_FOUND', version === undefined ? 'No current backup version' : 'Unknown backup version');
      return versionInfo(record, await storage.keyBackup.countSessions(record.version));
    },

    async updateVersion(userId, version, body) {
      if (body.version !== undefined && body.version !== version) {
        throw new MatrixError(400, 'M_INVALID_PARAM', 'The version in the body does not match the version in the path');
      }
      await storage.transaction(async (tx) => {
        const record = await findLiveVersion(tx, userId, version, { lock: true });
        if (record === null) throw new MatrixError(404, 'M_NOT_FOUND', 'Unknown backup version');
        if (body.algorithm !== record.algorithm) throw new MatrixError(400, 'M_INVALID_PARAM', 'Algorithm does not match');
        checkAuthData(body.algorithm, body.auth_data);
        await tx.keyBackup.updateAuthData(record.version, body.auth_data);
      });
    },

    async deleteVersion(userId, version) {
      await storage.transaction(async (tx) => {
        const number = parseVersion(version);
        const record = number === null ? null : await tx.keyBackup.getVersion(userId, number, { lock: true });
        if (record === null) throw new MatrixError(404, 'M_NOT_FOUND', 'Unknown backup version');
        // Deleting again succeeds, as the spec asks.
        if (!record.deleted) await tx.keyBackup.markDeleted(record.version);
      });
      log.info({ userId, version }, 'key backup version deleted');
    },

    async deleteAllVersions(userId) {
      await storage.transaction(async (tx) => {
        for (let record = await tx.keyBackup.getLatestVersion(userId, { lock: true }); record !== null; record = await tx.keyBackup.getLatestVersion(userId, { lock: true })) {
          await tx.keyBackup.markDeleted(record.version);
        }
      });
    },

    async putKeys(userId, version, rooms) {
      const uploads = flattenUploads(rooms);
      return storage.transaction(async (tx) => {
        const current = await tx.keyBackup.getLatestVersion(userId, { lock: true });
        if (current === null) throw new MatrixError(404, 'M_NOT_FOUND', 'No current backup version');
        if (parseVersion(version) !== current.version) {
          throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version.', { current_version: String(current.version) });
        }
        const stored = new Map((await tx.keyBackup.getSessionsByKey(current.version, uploads)).map((s) => [sessionKey(s), s]));
        const winners = uploads.filter((upload) => {
          const existing = stored.get(sessionKey(upload));
          return existing === undefined || replacesStoredKey(existing, upload);
        });
        let etag = current.etag;
        if (winners.length > 0) {
          await tx.keyBackup.putSessions(current.version, winners);
          etag = await tx.keyBackup.bumpEtag(current.version);
        }
        return { etag: String(etag), count: await tx.keyBackup.countSessions(current.version) };
      });
    },

    async getAllKeys(userId, version) {
      const record = await requireLiveVersion(storage, userId, version);
      const rooms: RoomKeyBackups = {};
      for (const session of await storage.keyBackup.getSessions(record.version)) {
        (rooms[session.roomId] ??= { sessions: {} }).sessions[session.sessionId] = keyBackupData(session);
      }
      return rooms;
    },

    async getRoomKeys(userId, version, roomId) {
      const record = await requireLiveVersion(storage, userId, version);
      const sessions: Record<string, KeyBackupData> = {};
      for (const session of await storage.keyBackup.getSessions(record.version, { roomId })) sessions[session.sessionId] = keyBackupData(session);
      return { sessions };
    },

    async getSessionKey(userId, version, roomId, sessionId) {
      const record = await requireLiveVersion(storage, userId, version);
      const [session] = await storage.keyBackup.getSessions(record.version, { roomId, sessionId });
      if (session === undefined) throw new MatrixError(404, 'M_NOT_FOUND', 'Key not found.');
      return keyBackupData(session);
    },

    async deleteKeys(userId, version, scope) {
      return storage.transaction(async (tx) => {
        const record = await requireLiveVersion(tx, userId, version, { lock: true });
        const deleted = await tx.keyBackup.deleteSessions(record.version, storeScope(scope));
        const etag = deleted > 0 ? await tx.keyBackup.bumpEtag(record.version) : record.etag;
        return { etag: String(etag), count: await tx.keyBackup.countSessions(record.version) } satisfies RoomKeysUpdate;
      });
    },
  };
}

/** The version number a client's version string names, or null when it cannot be one of ours. */
function parseVersion(version: string): number | null {
  return VERSION_PATTERN.test(version) ? Number(version) : null;
}

/** A version of the user that exists and is not deleted, or null. */
async function findLiveVersion(storage: Storage, userId: string, version: string, options: { lock?: boolean } = {}): Promise<BackupVersionRecord | null> {
  const number = parseVersion(version);
  if (number === null) return null;
  const record = await storage.keyBackup.getVersion(userId, number, options);
  return record === null || record.deleted ? null : record;
}

async function requireLiveVersion(storage: Storage, userId: string, version: string, options: { lock?: boolean } = {}): Promise<BackupVersionRecord> {
  const record = await findLiveVersion(storage, userId, version, options);
  if (record === null) throw new MatrixError(404, 'M_NOT_FOUND', 'Unknown backup version');
  return record;
}

/**
 * Checks `auth_data` against what the algorithm defines. The spec defines one algorithm; others are refused,
 * because a client could not use a backup it cannot decrypt.
 * https://spec.matrix.org/v1.19/client-server-api/#backup-algorithm-mmegolm_backupv1curve25519-aes-sha2
 */
function checkAuthData(algorithm: string, authData: JsonObject): void {
  if (algorithm !== MEGOLM_BACKUP_V1) throw new MatrixError(400, 'M_INVALID_PARAM', `Unsupported backup algorithm: ${algorithm}`);
  const publicKey = authData.public_key;
  if (publicKey === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'auth_data.public_key is required');
  if (typeof publicKey !== 'string' || publicKey === '') throw new MatrixError(400, 'M_BAD_JSON', 'auth_data.public_key must be a non-empty string');
  const signatures = authData.signatures;
  if (signatures !== undefined && (typeof signatures !== 'object' || signatures === null || Array.isArray(signatures))) {
    throw new MatrixError(400, 'M_BAD_JSON', 'auth_data.signatures must be an object');
  }
}

function flattenUploads(rooms: RoomKeyBackups): BackedUpSession[] {
  const uploads: BackedUpSession[] = [];
  for (const [roomId, { sessions }] of Object.entries(rooms)) {
    for (const [sessionId, data] of Object.entries(sessions)) {
      uploads.push({
        roomId,
        sessionId,
        firstMessageIndex: data.first_message_index,
        forwardedCount: data.forwarded_count,
        isVerified: data.is_verified,
        sessionData: data.session_data,
      });
    }
  }
  return uploads;
}

function sessionKey(session: { roomId: string; sessionId: string }): string {
  // Room IDs never contain NUL, so the pair is unambiguous.
  return `${session.roomId}\u0000${session.sessionId}`;
}

function storeScope(scope: KeyScope): { roomId?: string; sessionId?: string } {
  if (scope.kind === 'all') return {};
  if (scope.kind === 'room') return { roomId: scope.roomId };
  return { roomId: scope.roomId, sessionId: scope.sessionId };
}

function keyBackupData(session: BackedUpSession): KeyBackupData {
  return {
    first_message_index: session.firstMessageIndex,
    forwarded_count: session.forwardedCount,
    is_verified: session.isVerified,
    session_data: session.sessionData,
  };
}

function versionInfo(record: BackupVersionRecord, count: number): BackupVersionInfo {
  return { algorithm: record.algorithm, auth_data: record.authData, count, etag: String(record.etag), version: String(record.version) };
}
