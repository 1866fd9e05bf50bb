/**
 * User data: profiles (and their propagation to member events), account data (global and per room) with its
 * `account_data` stream, room tags, ignored users, the user directory and content reports.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * How other domains use it:
 * - rooms: `getProfile(userId)` (passed as `callbacks.getProfile` by services/registry.ts) for member events.
 * - sync: `getAccountDataChanges(userId, from, to, roomIds?)` and `currentAccountDataPosition()`; the stream is
 *   `account_data` and every write publishes `{ stream: 'account_data', position, userIds: [userId] }`.
 *   `getIgnoredUsers(userId)` to drop ignored senders' non-state events and their invites.
 * - receipts/ephemeral: `setServerAccountData(userId, roomId, 'm.fully_read', content)` (clients may not PUT it).
 * - presence: reads its privacy setting with `getServerAccountData(userId, null, type)` (no client checks).
 * - accounts: `initProfile(userId, { displayname })` at registration, `eraseProfile(userId)` on erasure.
 * - rooms (upgrades): `copyRoomTags(userId, oldRoomId, newRoomId)` when a user joins an upgraded room's successor.
 */
import type { JsonObject } from '@parley/federation';
import type { Storage, StoredReport } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { createAccountData } from './account-data.js';
import { createDirectorySearch } from './directory.js';
import { createProfiles, type Profiles } from './profiles.js';
import { createReports, type ReportInput } from './reports.js';
import type {
  AccountDataChanges,
  DirectoryUser,
  ProfileCallbacks,
  ProfileOptions,
} from './types.js';

export type * from './types.js';
export type { ReportInput } from './reports.js';

export interface ProfileService extends Profiles {
  // ---- account data: https://spec.matrix.org/v1.19/client-server-api/#client-config -----------------------------
  /** GET account data as a client: own account only (403), 404 M_NOT_FOUND when unset. `roomId` null: global. */
  getAccountData(requesterId: string, userId: string, roomId: string | null, type: string): Promise<JsonObject>;
  /** PUT account data as a client: own account only, not server-managed types (405), content an object. */
  setAccountData(requesterId: string, userId: string, roomId: string | null, type: string, content: unknown): Promise<void>;
  /** Writes account data on the server's behalf (e.g. `m.fully_read`), without the client rules; returns its position. */
  setServerAccountData(userId: string, roomId: string | null, type: string, content: JsonObject): Promise<number>;
  /** Reads one entry on the server's behalf, or null. */
  getServerAccountData(userId: string, roomId: string | null, type: string): Promise<JsonObject | null>;
  /**
   * Account data of `userId` changed in (`from`, `to`] (from 0: all of it), latest content per type; room entries
   * only for `roomIds` when given.
   */
  getAccountDataChanges(userId: string, from: number, to: number, roomIds?: readonly string[]): Promise<AccountDataChanges>;
  /** The `account_data` stream's current position. */
  currentAccountDataPosition(): Promise<number>;
  /**
   * The users `userId` ignores (`m.ignored_user_list`). `via`: read through a caller's transaction (push's stream
   * reader), so SQLite's one connection is not asked for a second time while the transaction holds it.
   * https://spec.matrix.org/v1.19/client-server-api/#ignoring-users
   */
  getIgnoredUsers(userId: string, via?: Storage): Promise<Set<string>>;

  // ---- tags: https://spec.matrix.org/v1.19/client-server-api/#room-tagging --------------------------------------
  getTags(requesterId: string, userId: string, roomId: string): Promise<Record<string, JsonObject>>;
  setTag(requesterId: string, userId: string, roomId: string, tag: string, content: JsonObject): Promise<void>;
  deleteTag(requesterId: string, userId: string, roomId: string, tag: string): Promise<void>;
  /**
   * Copies the user's tags of an upgraded room to its successor, unless the successor already has tags: "when a
   * user joins the new room, the server should automatically transfer ... tags".
   * https://spec.matrix.org/v1.19/client-server-api/#room-upgrades
   */
  copyRoomTags(userId: string, fromRoomId: string, toRoomId: string): Promise<void>;

  // ---- user directory and reports -------------------------------------------------------------------------------
  /** POST /user_directory/search. */
  searchUserDirectory(searcherId: string, term: string, limit: number): Promise<{ results: DirectoryUser[]; limited: boolean }>;
  reportEvent(reporterId: string, roomId: string, eventId: string, input: ReportInput): Promise<void>;
  reportRoom(reporterId: string, roomId: string, input: ReportInput): Promise<void>;
  reportUser(reporterId: string, userId: string, input: ReportInput): Promise<void>;
  /** Stored reports for admins, newest first. */
  listReports(options: { limit: number; beforeId?: number }): Promise<StoredReport[]>;
}

/** Builds the user-data service. `callbacks` come from services/registry.ts (rooms, accounts, push). */
export function createProfileService(deps: CoreDeps, callbacks: ProfileCallbacks = {}, options: ProfileOptions = {}): ProfileService {
  const profiles = createProfiles(deps, callbacks);
  const accountData = createAccountData(deps, callbacks);
  const reports = createReports(deps, callbacks);
  return {
    ...profiles,
    ...accountData,
    getServerAccountData: (userId, roomId, type) => deps.storage.userData.getAccountData(userId, roomId, type),
    searchUserDirectory: createDirectorySearch(deps, callbacks, options),
    ...reports,
  };
}
