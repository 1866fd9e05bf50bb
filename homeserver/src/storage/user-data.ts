/**
 * Repository interface: profiles, account data (global and per room, incl. tags and the ignored-user list) and
 * content reports. The user directory is computed from profiles plus the rooms domain's memberships.
 * Re-exported by storage/index.ts; implemented by knex/user-data.repo.ts for both dialects.
 */
import type { JsonObject, JsonValue } from '@parley/federation';

/**
 * A user's profile: every field by key (`displayname`, `avatar_url`, `m.tz`, custom namespaced keys).
 * https://spec.matrix.org/v1.19/client-server-api/#profiles
 */
export interface StoredProfile {
  userId: string;
  fields: Readonly<Record<string, JsonValue>>;
  updatedTs: number;
}

/** A profile as the user directory sees it. */
export interface DirectoryProfile {
  userId: string;
  displayname: string | null;
  avatarUrl: string | null;
}

/** One account data entry as stored: the latest content of one type, global (`roomId` null) or for one room. */
export interface AccountDataRecord {
  userId: string;
  roomId: string | null;
  type: string;
  content: JsonObject;
  /** `account_data` stream position of the last change. */
  streamPosition: number;
}

/** What {@link UserDataStore.getAccountDataUsage} leaves out. */
export interface AccountDataUsageOptions {
  except: { roomId: string | null; type: string };
  exemptTypes: readonly string[];
}

/** A user's account data usage. */
export interface AccountDataUsage {
  entries: number;
  bytes: number;
  /** The size of the `except` entry; null when there is none. */
  exceptBytes: number | null;
}

/** What is reported: an event (in a room), a whole room, or a user. */
export type ReportKind = 'event' | 'room' | 'user';

/** A report to store. https://spec.matrix.org/v1.19/client-server-api/#reporting-content */
export interface NewReport {
  kind: ReportKind;
  reporterId: string;
  roomId: string | null;
  eventId: string | null;
  targetUserId: string | null;
  reason: string | null;
  /** Only from clients that still send it (the spec removed it in v1.18). */
  score: number | null;
  receivedTs: number;
}

/** A stored report, for admins. */
export interface StoredReport extends NewReport {
  reportId: number;
}

export interface UserDataStore {
  /** The profile of `userId`, or null when no row exists. */
  getProfile(userId: string): Promise<StoredProfile | null>;
  /** Directory views of the known profiles among `userIds` (users without a row are left out). */
  getDirectoryProfiles(userIds: readonly string[]): Promise<DirectoryProfile[]>;
  /** Replaces the whole profile of `userId` (creating the row). */
  saveProfile(userId: string, fields: Readonly<Record<string, JsonValue>>, updatedTs: number): Promise<void>;
  /** Removes the profile row of `userId`, if any. */
  deleteProfile(userId: string): Promise<void>;
  /**
   * Profiles whose user ID or displayname contains `needle` (already lower-case), case-insensitively, at most
   * `limit`, ordered by user ID. A coarse pre-filter: the caller ranks and applies word-prefix matching.
   */
  searchProfiles(needle: string, limit: number): Promise<DirectoryProfile[]>;

  /** Inserts or replaces one account data entry. Call with a position from `tx.streams.next('account_data')`. */
  putAccountData(record: AccountDataRecord): Promise<void>;
  /** The content of one account data entry (`roomId` null for global), or null when none is stored. */
  getAccountData(userId: string, roomId: string | null, type: string): Promise<JsonObject | null>;
  /** Entries of `userId` whose last change is in (`from`, `to`], ordered by position. */
  getAccountDataChanges(userId: string, from: number, to: number): Promise<AccountDataRecord[]>;
  /**
   * How many account data entries `userId` has and their total size in bytes (UTF-8 of the stored JSON), leaving
   * out the entry `except` (the one about to be replaced, whose size is `exceptBytes`) and every entry of the
   * `exemptTypes`.
   */
  getAccountDataUsage(userId: string, options: AccountDataUsageOptions): Promise<AccountDataUsage>;

  /** Stores a report; returns its ID. */
  addReport(report: NewReport): Promise<number>;
  /** Reports newest first, at most `limit`, those with an ID below `beforeId` when given. */
  listReports(options: { limit: number; beforeId?: number }): Promise<StoredReport[]>;
}
