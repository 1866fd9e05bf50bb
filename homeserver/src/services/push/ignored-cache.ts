/**
 * The ignored-user lists (`m.ignored_user_list`) of the users an event would notify, cached in process and
 * checked against the database on every use: the lists are account data, and every account data change moves the
 * `account_data` stream, so while its position stands still every cached list is current (in any process). When
 * it moved, the cache starts over. A message to a room of N local members then costs one query, not N.
 * https://spec.matrix.org/v1.19/client-server-api/#ignoring-users
 */
import type { Storage } from '../../storage/index.js';

/** Upper bound on cached users (the cache restarts beyond it). */
const MAX_ENTRIES = 10_000;

export interface IgnoredUsersCache {
  /** Who ignores `senderId` among `userIds`. */
  /** `accountDataPosition`: the `account_data` stream position, read before this call. */
  ignoringUsers(storage: Storage, userIds: readonly string[], senderId: string, accountDataPosition: number): Promise<Set<string>>;
}

export function createIgnoredUsersCache(getIgnoredUsers: (userId: string, via: Storage) => Promise<ReadonlySet<string>>): IgnoredUsersCache {
  let position = -1;
  let lists = new Map<string, ReadonlySet<string>>();
  return {
    async ignoringUsers(storage, userIds, senderId, current) {
      if (userIds.length === 0) return new Set();
      // Lists read after the position are at least that new.
      if (current !== position || lists.size > MAX_ENTRIES) {
        position = current;
        lists = new Map();
      }
      // This map holds only lists read after its position was: a concurrent call that starts over replaces it.
      const fresh = lists;
      const ignoring = new Set<string>();
      for (const userId of userIds) {
        let list = fresh.get(userId);
        if (list === undefined) {
          list = await getIgnoredUsers(userId, storage);
          fresh.set(userId, list);
        }
        if (list.has(senderId)) ignoring.add(userId);
      }
      return ignoring;
    },
  };
}
