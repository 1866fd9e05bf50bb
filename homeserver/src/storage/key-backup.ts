/**
 * Repository interface: Server-side room key backup versions and sessions.
 * Re-exported by storage/index.ts; implemented by knex/key-backup.repo.ts for both dialects.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 *
 * The store holds no rules: which version is current, which key wins and when the etag moves are decided by the
 * key-backup service, inside one `storage.transaction`.
 */
import type { JsonObject } from '@parley/federation';

/** One backup version of a user. */
export interface BackupVersionRecord {
  /** Positive integer, unique on the server; clients see it as an opaque string. */
  version: number;
  userId: string;
  algorithm: string;
  authData: JsonObject;
  /** Increases whenever the version's keys change. */
  etag: number;
  deleted: boolean;
  createdTs: number;
}

/** What identifies a backed-up session within a version. */
export interface BackupSessionKey {
  roomId: string;
  sessionId: string;
}

/** One backed-up Megolm session (`KeyBackupData` plus where it belongs). */
export interface BackedUpSession extends BackupSessionKey {
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  /** Algorithm-dependent ciphertext; stored and served as is. */
  sessionData: JsonObject;
}

/** Which sessions of a version a read or delete covers: all, one room's, or one session. */
export interface BackupSessionScope {
  roomId?: string;
  /** Only with `roomId`. */
  sessionId?: string;
}

export interface KeyBackupStore {
  /** Records a new version and returns its number (greater than every version created before it). */
  createVersion(record: { userId: string; algorithm: string; authData: JsonObject; createdTs: number }): Promise<number>;
  /**
   * One version of `userId` (deleted ones too, flagged), or null when it does not exist or is another user's.
   * With `lock`, PostgreSQL holds the row until the transaction ends, serialising writers of that version.
   */
  getVersion(userId: string, version: number, options?: { lock?: boolean }): Promise<BackupVersionRecord | null>;
  /** The user's latest version that is not deleted, or null. `lock` as in {@link getVersion}. */
  getLatestVersion(userId: string, options?: { lock?: boolean }): Promise<BackupVersionRecord | null>;
  /** Replaces a version's auth_data. */
  updateAuthData(version: number, authData: JsonObject): Promise<void>;
  /** Flags a version deleted, forgets its auth_data and deletes its sessions. */
  markDeleted(version: number): Promise<void>;
  /** Increments a version's etag and returns the new value. */
  bumpEtag(version: number): Promise<number>;

  /** Sessions of a version within `scope`, ordered by room ID then session ID. */
  getSessions(version: number, scope?: BackupSessionScope): Promise<BackedUpSession[]>;
  /** The stored sessions among `keys` (unknown ones skipped). */
  getSessionsByKey(version: number, keys: readonly BackupSessionKey[]): Promise<BackedUpSession[]>;
  /** Inserts or replaces sessions (matched by room ID and session ID). */
  putSessions(version: number, sessions: readonly BackedUpSession[]): Promise<void>;
  /** Deletes the sessions of a version within `scope`; returns how many went. */
  deleteSessions(version: number, scope?: BackupSessionScope): Promise<number>;
  /** How many sessions a version holds. */
  countSessions(version: number): Promise<number>;
}
