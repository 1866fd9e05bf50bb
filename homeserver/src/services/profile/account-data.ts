/**
 * Account data (global and per room), room tags (the `m.tag` room account data) and the ignored-user list,
 * with the `account_data` stream sync reads.
 * https://spec.matrix.org/v1.19/client-server-api/#client-config
 */
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import {
  assertOwnAccount,
  checkClientAccountData,
  checkRoomId,
  checkTagContent,
  checkTagName,
  checkType,
  IGNORED_USER_LIST,
  ignoredUserIds,
  TAG_TYPE,
  tagsOf,
} from './account-data-rules.js';
import { accountDataQuota, checkAccountDataQuota, type AccountDataQuota } from './account-data-quota.js';
import type { AccountDataChanges, ProfileCallbacks } from './types.js';

export interface AccountData {
  getAccountData(requesterId: string, userId: string, roomId: string | null, type: string): Promise<JsonObject>;
  setAccountData(requesterId: string, userId: string, roomId: string | null, type: string, content: unknown): Promise<void>;
  setServerAccountData(userId: string, roomId: string | null, type: string, content: JsonObject): Promise<number>;
  getAccountDataChanges(userId: string, from: number, to: number, roomIds?: readonly string[]): Promise<AccountDataChanges>;
  currentAccountDataPosition(): Promise<number>;
  getIgnoredUsers(userId: string, via?: Storage): Promise<Set<string>>;
  getTags(requesterId: string, userId: string, roomId: string): Promise<Record<string, JsonObject>>;
  setTag(requesterId: string, userId: string, roomId: string, tag: string, content: JsonObject): Promise<void>;
  deleteTag(requesterId: string, userId: string, roomId: string, tag: string): Promise<void>;
  copyRoomTags(userId: string, fromRoomId: string, toRoomId: string): Promise<void>;
}

export function createAccountData(deps: CoreDeps, callbacks: ProfileCallbacks): AccountData {
  const { storage, notifier } = deps;
  const quota = accountDataQuota(deps.config.limits);

  /** Where a write comes from: clients' writes are held to the quotas, the server's own are not. */
  interface WriteOptions {
    enforce: AccountDataQuota | null;
  }
  const CLIENT: WriteOptions = { enforce: quota };
  const SERVER: WriteOptions = { enforce: null };

  /** Stores one entry at a fresh stream position and wakes the user's syncs. */
  async function write(userId: string, roomId: string | null, type: string, content: JsonObject, options = SERVER): Promise<number> {
    const position = await storage.transaction(async (tx) => {
      const streamPosition = await tx.streams.next('account_data');
      if (options.enforce) await checkAccountDataQuota(tx, { userId, roomId, type, content }, options.enforce);
      await tx.userData.putAccountData({ userId, roomId, type, content, streamPosition });
      return streamPosition;
    });
    await notifier.publish({ stream: 'account_data', position, userIds: [userId] });
    return position;
  }

  /** Changes the room's `m.tag` content in one transaction (read, modify, write at a fresh position). */
  async function updateTags(
    userId: string,
    roomId: string,
    change: (tags: Record<string, JsonObject>) => boolean,
    options = SERVER,
  ): Promise<void> {
    const position = await storage.transaction(async (tx) => {
      const tags = tagsOf(await tx.userData.getAccountData(userId, roomId, TAG_TYPE));
      if (!change(tags)) return null;
      const streamPosition = await tx.streams.next('account_data');
      if (options.enforce) await checkAccountDataQuota(tx, { userId, roomId, type: TAG_TYPE, content: { tags } }, options.enforce);
      await tx.userData.putAccountData({ userId, roomId, type: TAG_TYPE, content: { tags }, streamPosition });
      return streamPosition;
    });
    if (position !== null) await notifier.publish({ stream: 'account_data', position, userIds: [userId] });
  }

  return {
    async getAccountData(requesterId, userId, roomId, type) {
      assertOwnAccount(requesterId, userId);
      if (roomId !== null) checkRoomId(roomId);
      checkType(type);
      if (roomId === null && type === 'm.push_rules' && callbacks.getPushRules) return callbacks.getPushRules(userId);
      const content = await storage.userData.getAccountData(userId, roomId, type);
      if (content === null) throw new MatrixError(404, 'M_NOT_FOUND', 'Account data not found');
      return content;
    },

    async setAccountData(requesterId, userId, roomId, type, content) {
      assertOwnAccount(requesterId, userId);
      if (roomId !== null) checkRoomId(roomId);
      await write(userId, roomId, type, checkClientAccountData(type, content), CLIENT);
      await callbacks.onAccountDataChanged?.(userId, roomId, type).catch((error: unknown) => {
        deps.logger.warn({ err: error, userId, type }, 'account data listener failed');
      });
    },

    setServerAccountData: write,

    async getAccountDataChanges(userId, from, to, roomIds) {
      const wanted = roomIds === undefined ? null : new Set(roomIds);
      const changes: AccountDataChanges = { global: [], rooms: {} };
      for (const record of await storage.userData.getAccountDataChanges(userId, from, to)) {
        const event = { type: record.type, content: record.content };
        if (record.roomId === null) changes.global.push(event);
        else if (wanted === null || wanted.has(record.roomId)) (changes.rooms[record.roomId] ??= []).push(event);
      }
      return changes;
    },

    currentAccountDataPosition: () => storage.streams.current('account_data'),

    async getIgnoredUsers(userId, via = storage) {
      return ignoredUserIds(await via.userData.getAccountData(userId, null, IGNORED_USER_LIST));
    },

    async getTags(requesterId, userId, roomId) {
      assertOwnAccount(requesterId, userId);
      checkRoomId(roomId);
      return tagsOf(await storage.userData.getAccountData(userId, roomId, TAG_TYPE));
    },

    async setTag(requesterId, userId, roomId, tag, content) {
      assertOwnAccount(requesterId, userId);
      checkRoomId(roomId);
      checkTagName(tag);
      checkTagContent(content);
      await updateTags(
        userId,
        roomId,
        (tags) => {
          tags[tag] = content;
          return true;
        },
        CLIENT,
      );
    },

    async copyRoomTags(userId, fromRoomId, toRoomId) {
      const tags = tagsOf(await storage.userData.getAccountData(userId, fromRoomId, TAG_TYPE));
      if (Object.keys(tags).length === 0) return;
      await updateTags(userId, toRoomId, (target) => {
        if (Object.keys(target).length > 0) return false; // the user already tagged the new room: keep that
        Object.assign(target, tags);
        return true;
      });
    },

    async deleteTag(requesterId, userId, roomId, tag) {
      assertOwnAccount(requesterId, userId);
      checkRoomId(roomId);
      checkTagName(tag);
      await updateTags(userId, roomId, (tags) => {
        if (!(tag in tags)) return false;
        delete tags[tag];
        return true;
      });
    },
  };
}
