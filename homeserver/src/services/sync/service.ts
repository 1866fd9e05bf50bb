/**
 * The sync service: filters, and GET /sync assembled from one provider per stream, long-polling on the notifier.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalJson, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { CoreDeps } from '../deps.js';
import { emptyResponse, isEmptyResponse, joinedRoomEntry, type SyncContext } from './context.js';
import { parseFilterJson, resolveFilter, type ResolvedFilter, type SyncFilter } from './filter.js';
import { checkFilterSize } from '../../json-input.js';
import { createFilterCache, MAX_CACHED_INLINE_FILTER_LENGTH, parseInlineFilter } from './filter-cache.js';
import { createLazyMemberCache } from './lazy-members.js';
import { collectAccountData } from './streams/account-data.js';
import { collectDeviceLists } from './streams/device-lists.js';
import { collectRoomEvents } from './streams/events.js';
import { collectPresence } from './streams/presence.js';
import { collectReceipts } from './streams/receipts.js';
import { collectTyping } from './streams/typing.js';
import { collectToDevice } from './streams/to-device.js';
import { SYNC_STREAMS, clampToken, formatSyncToken, maxToken, parseSyncToken, type SyncToken } from './token.js';
import type { SyncOptions, SyncParams, SyncRequester, SyncResponse, SyncSources } from './types.js';
import { createWakeDispatcher } from './wait.js';
import { createRoomBuffer } from './room-buffer.js';

const DEFAULT_MAX_TIMEOUT_MS = 5 * 60_000;

export interface SyncService {
  /**
   * GET /sync. Initial without `since`; incremental with it, waiting up to `timeoutMs` for something that
   * concerns the user when nothing is new yet. 400 M_INVALID_PARAM for a bad `since` or unknown filter ID.
   */
  sync(requester: SyncRequester, params: SyncParams): Promise<SyncResponse>;
  /** POST /user/{userId}/filter: only for oneself (403 M_FORBIDDEN). Returns the filter ID. */
  createFilter(requester: SyncRequester, userId: string, filter: SyncFilter): Promise<string>;
  /** GET /user/{userId}/filter/{filterId}: only one's own (403 M_FORBIDDEN); 404 M_NOT_FOUND when unknown. */
  getFilter(requester: SyncRequester, userId: string, filterId: string): Promise<JsonObject>;
  /**
   * Tells every process that `userId`'s membership of `roomId` changed, so lazy-loading caches that remember
   * sending the old member event to a device forget it.
   */
  membershipChanged(roomId: string, userId: string): Promise<void>;
}

export function createSyncServiceImpl(deps: CoreDeps, sources: SyncSources, options: SyncOptions = {}): SyncService {
  const { storage, notifier } = deps;
  const log = deps.logger.child({ domain: 'sync' });
  const lazyMembers = createLazyMemberCache();
  // Lazy-member entries are dropped in every process: keys `roomId|userId` (membership changes), device keys.
  notifier.subscribeInvalidations(({ topic, keys }) => {
    if (topic === 'lazy-members') for (const key of keys) lazyMembers.forgetMember(key.slice(0, key.indexOf('|')), key.slice(key.indexOf('|') + 1));
    if (topic === 'lazy-members-device') for (const key of keys) lazyMembers.forgetDevice(key);
  });
  const maxTimeoutMs = options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS;
  // One notifier subscription for every waiting sync of this process, dispatched by room and by user.
  const dispatcher = createWakeDispatcher(notifier);
  const buffer = createRoomBuffer(storage, {
    perRoom: deps.config.limits.sync_buffer_events_per_room,
    maxEvents: deps.config.limits.sync_buffer_max_events,
  });

  async function currentToken(): Promise<SyncToken> {
    const positions = await Promise.all(SYNC_STREAMS.map((stream) => storage.streams.current(stream)));
    return Object.fromEntries(SYNC_STREAMS.map((stream, index) => [stream, positions[index] ?? 0])) as SyncToken;
  }

  const maxFilterBytes = deps.config.limits.filter_max_bytes;
  const filterCache = createFilterCache();

  /** The filter of a /sync: inline JSON or a stored filter ID, parsed once and then served from the cache. */
  async function loadFilter(requester: SyncRequester, param: string | undefined): Promise<ResolvedFilter> {
    if (param === undefined || param === '') return resolveFilter({});
    if (param.trimStart().startsWith('{')) {
      checkFilterSize(param, maxFilterBytes);
      const build = () => resolveFilter(parseInlineFilter(param));
      return param.length > MAX_CACHED_INLINE_FILTER_LENGTH ? build() : filterCache.get(`inline\u0000${param}`, build);
    }
    const key = `stored\u0000${requester.userId}\u0000${param}`;
    const cached = filterCache.peek(key);
    if (cached) return cached;
    // Stored filters never change, so their parsed form may be kept for as long as it is used.
    const stored = await storage.sync.getFilter(requester.userId, param);
    if (!stored) throw new MatrixError(400, 'M_INVALID_PARAM', `No filter with ID ${param}`);
    return filterCache.get(key, () => resolveFilter(parseFilterJson(JSON.parse(stored.json))));
  }

  /** One pass over every stream from `since` to now. */
  async function computeOnce(requester: SyncRequester, filter: ResolvedFilter, since: SyncToken | null, params: SyncParams) {
    const now = await currentToken();
    try {
      await buffer.catchUp(now.events);
    } catch (error) {
      // The buffer then cannot tell this range: every room is read from the database.
      log.warn({ err: error }, 'sync room buffer catch-up failed');
    }
    const clampedSince = since ? clampToken(since, now) : null;
    const ignoredUsers = (await sources.accountData?.getIgnoredUsers(requester.userId)) ?? new Set<string>();
    const context: SyncContext = {
      userId: requester.userId,
      deviceId: requester.deviceId,
      accessTokenId: requester.accessTokenId,
      filter,
      since: clampedSince,
      upTo: now,
      fullState: params.fullState === true,
      useStateAfter: params.useStateAfter === true,
      ignoredUsers,
      joinedRoomIds: [],
      watchedRoomIds: [],
      response: emptyResponse(),
    };
    const providerDeps = { sources, lazyMembers, storage, buffer };
    await collectRoomEvents(providerDeps, context);
    await collectTyping(sources.typing, context);
    await collectReceipts(sources.receipts, context);
    await collectAccountData(sources.accountData, context);
    await collectPresence(sources.presence, context);
    await collectToDevice(sources.toDevice, context);
    await collectDeviceLists(sources.deviceLists, context);
    await addUnreadCounts(context);
    context.response.next_batch = formatSyncToken(clampedSince ? maxToken(clampedSince, context.upTo) : context.upTo);
    return context;
  }

  async function addUnreadCounts(context: SyncContext): Promise<void> {
    const roomIds = Object.keys(context.response.rooms.join);
    if (!sources.unreadCounts || roomIds.length === 0) return;
    const threads = context.filter.timeline.unread_thread_notifications === true;
    const counts = await sources.unreadCounts.getUnreadCounts(context.userId, roomIds, { threads });
    for (const roomId of roomIds) {
      const entry = joinedRoomEntry(context, roomId);
      const roomCounts = counts.get(roomId);
      if (!roomCounts) continue;
      entry.unread_notifications = roomCounts.main;
      if (threads && roomCounts.threads && Object.keys(roomCounts.threads).length > 0) {
        entry.unread_thread_notifications = roomCounts.threads;
      }
    }
  }

  return {
    async membershipChanged(roomId, userId) {
      await notifier.publishInvalidation({ topic: 'lazy-members', keys: [`${roomId}|${userId}`] });
    },

    async sync(requester, params) {
      const filter = await loadFilter(requester, params.filter);
      const since = params.since !== undefined && params.since !== '' ? parseSyncToken(params.since) : null;
      await setPresence(requester, params);
      if (since === null) {
        // The client starts afresh: no process may go on believing it was sent some member event.
        const deviceKey = `${requester.userId}|${requester.deviceId ?? requester.accessTokenId}`;
        lazyMembers.forgetDevice(deviceKey);
        await notifier.publishInvalidation({ topic: 'lazy-members-device', keys: [deviceKey] });
      }

      // An initial sync and full_state return at once; so does timeout=0.
      const timeoutMs = since === null || params.fullState === true ? 0 : Math.min(Math.max(params.timeoutMs ?? 0, 0), maxTimeoutMs);
      const watch = timeoutMs > 0 ? dispatcher.watch(requester.userId) : null;
      // The long-poll deadline is a timer, not a timestamp: monotonic time, unaffected by the injected clock.
      const deadline = performance.now() + timeoutMs;
      try {
        for (;;) {
          const context = await computeOnce(requester, filter, since, params);
          const remaining = deadline - performance.now();
          if (!watch || !isEmptyResponse(context.response) || remaining <= 0 || params.signal?.aborted) return context.response;
          watch.setRooms(context.watchedRoomIds);
          if (!(await watch.wait(remaining, params.signal))) return context.response;
        }
      } finally {
        watch?.close();
      }
    },

    async createFilter(requester, userId, filter) {
      assertOwnUser(requester, userId);
      const json = JSON.stringify(filter);
      checkFilterSize(json, maxFilterBytes);
      return storage.sync.saveFilter(userId, json, filterDigest(filter));
    },

    async getFilter(requester, userId, filterId) {
      assertOwnUser(requester, userId);
      const stored = await storage.sync.getFilter(userId, filterId);
      if (!stored) throw new MatrixError(404, 'M_NOT_FOUND', 'Unknown filter');
      return JSON.parse(stored.json) as JsonObject;
    },
  };

  async function setPresence(requester: SyncRequester, params: SyncParams): Promise<void> {
    if (!sources.presence) return;
    try {
      await sources.presence.setFromSync(requester.userId, params.setPresence ?? 'online');
    } catch (error) {
      // Presence is best effort: a failure to record it must not fail the sync.
      log.warn({ err: error, userId: requester.userId }, 'set_presence failed');
    }
  }
}

function assertOwnUser(requester: SyncRequester, userId: string): void {
  if (requester.userId !== userId) throw new MatrixError(403, 'M_FORBIDDEN', 'Cannot access filters of other users');
}

/** sha256 of the canonical JSON, so the same filter uploaded again is recognised whatever its key order. */
function filterDigest(filter: SyncFilter): string {
  let text: string;
  try {
    text = canonicalJson(filter);
  } catch {
    text = JSON.stringify(filter); // floats in unknown keys: canonical JSON refuses them
  }
  return createHash('sha256').update(text).digest('hex');
}
