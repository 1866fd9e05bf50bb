/**
 * The key-backup domain's public types. Bodies and answers use the spec's JSON shapes (`KeyBackupData`,
 * `RoomKeyBackup`, `RoomKeysUpdateResponse`), which the routes pass through unchanged.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 */
import type { JsonObject } from '@parley/federation';

/** The only backup algorithm the spec defines. */
export const MEGOLM_BACKUP_V1 = 'm.megolm_backup.v1.curve25519-aes-sha2';

/** `KeyBackupData`: one backed-up session key as clients send and receive it. */
export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  /** Ciphertext the server cannot read (for m.megolm_backup.v1: `ephemeral`, `ciphertext`, `mac`). */
  session_data: JsonObject;
}

/** `RoomKeyBackup`: the backed-up keys of one room, by session ID. */
export interface RoomKeyBackup {
  sessions: Record<string, KeyBackupData>;
}

/** Keys of several rooms, by room ID (the body of PUT /room_keys/keys and the answer of its GET). */
export type RoomKeyBackups = Record<string, RoomKeyBackup>;

/** `RoomKeysUpdateResponse`, the answer of every key PUT and DELETE. */
export interface RoomKeysUpdate {
  etag: string;
  count: number;
}

/** The answer of GET /room_keys/version{/version}. */
export interface BackupVersionInfo {
  algorithm: string;
  auth_data: JsonObject;
  count: number;
  etag: string;
  version: string;
}

/** A new backup (body of POST /room_keys/version). */
export interface NewBackupVersion {
  algorithm: string;
  auth_data: JsonObject;
}

/** The body of PUT /room_keys/version/{version}. */
export interface BackupVersionUpdate extends NewBackupVersion {
  /** When present, must equal the version in the path. */
  version?: string;
}

/** Which keys of a backup a read or delete covers: all of them, one room's, or one session. */
export type KeyScope = { kind: 'all' } | { kind: 'room'; roomId: string } | { kind: 'session'; roomId: string; sessionId: string };

export interface KeyBackupService {
  /** Creates a backup version; it becomes the user's current one. Returns its version string. */
  createVersion(userId: string, body: NewBackupVersion): Promise<string>;
  /** The given version, or the current one when `version` is undefined; 404 `M_NOT_FOUND` when absent or deleted. */
  getVersion(userId: string, version: string | undefined): Promise<BackupVersionInfo>;
  /** Replaces a version's auth_data; 400 `M_INVALID_PARAM` for another algorithm or a mismatched body version. */
  updateVersion(userId: string, version: string, body: BackupVersionUpdate): Promise<void>;
  /** Deletes a version and all its keys; succeeds again for a version already deleted. */
  deleteVersion(userId: string, version: string): Promise<void>;
  /** Deletes every backup of a user (account deactivation). */
  deleteAllVersions(userId: string): Promise<void>;

  /**
   * Stores keys in the current version, keeping the better key where a session already exists.
   * 403 `M_WRONG_ROOM_KEYS_VERSION` (with `current_version`) when `version` is not the current one.
   */
  putKeys(userId: string, version: string, rooms: RoomKeyBackups): Promise<RoomKeysUpdate>;
  /** Every key of a version. */
  getAllKeys(userId: string, version: string): Promise<RoomKeyBackups>;
  /** One room's keys (`{ sessions: {} }` when it has none). */
  getRoomKeys(userId: string, version: string, roomId: string): Promise<RoomKeyBackup>;
  /** One session's key; 404 `M_NOT_FOUND` when it is not backed up. */
  getSessionKey(userId: string, version: string, roomId: string, sessionId: string): Promise<KeyBackupData>;
  /** Deletes the keys a scope covers from a version. */
  deleteKeys(userId: string, version: string, scope: KeyScope): Promise<RoomKeysUpdate>;
}
