/**
 * Unread counts: on each persisted event, process-event.ts stores what the members' push rules decided (a summary
 * for the common case, rows for the exceptions); counts are the notifications after the user's read position,
 * per room and per thread: the user's own rows plus the summaries of the spans the user was joined.
 * https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
 * https://spec.matrix.org/v1.19/client-server-api/#marking-notifications-as-read
 */
import { isJsonObject, type JsonObject } from '@parley/federation';
import type { NotificationCount, NotificationRange, ReadMarker, Storage, StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { cutToSpans, joinedSpans, type JoinedSpan } from './audience.js';
import type { RulesetCache } from './cache.js';
import { createIgnoredUsersCache } from './ignored-cache.js';
import { processEvent, type PersistedEventContext, type ProcessingParts } from './process-event.js';
import { createRoomFactsCache } from './room-facts.js';

export type { PersistedEventContext } from './process-event.js';

/** The thread ID of the main timeline. */
export const MAIN_THREAD = 'main';

/** "Implementations are encouraged to do a maximum of 3 hops to find a thread." */
const MAX_THREAD_HOPS = 3;

/** Counts as sync serves them. */
export interface NotificationCounts {
  notification_count: number;
  highlight_count: number;
}

/** One room's unread counts: the total, the main timeline's, and each thread's with any notifications. */
export interface RoomUnreadCounts {
  /** Every notification of the room (what `unread_notifications` shows without threaded counts). */
  total: NotificationCounts;
  /** The main timeline only (`unread_notifications` when the filter asks for `unread_thread_notifications`). */
  main: NotificationCounts;
  /** Keyed by thread root event ID (`unread_thread_notifications`); threads without notifications are absent. */
  threads: Record<string, NotificationCounts>;
}

/** A read receipt as the receipts domain reports it (`threadId` null: unthreaded). */
export interface ReadReceiptPosition {
  roomId: string;
  threadId: string | null;
  eventId: string;
}

/** What the counter reads from other domains. */
export interface CountSources {
  /** The user's latest `m.read`/`m.read.private` receipts in the rooms (both kinds; the furthest wins). */
  getReadReceipts?(userId: string, roomIds: readonly string[]): Promise<readonly ReadReceiptPosition[]>;
  /** The users `userId` ignores (`m.ignored_user_list`): their events never notify `userId`. */
  getIgnoredUsers?(userId: string, via: Storage): Promise<ReadonlySet<string>>;
}

/** The event an event relates to (`m.relates_to.event_id`) and how, if it relates to one. */
function relation(pdu: JsonObject): { relType: string | null; eventId: string } | null {
  const relatesTo = isJsonObject(pdu.content) ? pdu.content['m.relates_to'] : undefined;
  if (!isJsonObject(relatesTo) || typeof relatesTo.event_id !== 'string') return null;
  return { relType: typeof relatesTo.rel_type === 'string' ? relatesTo.rel_type : null, eventId: relatesTo.event_id };
}

/**
 * The thread an event belongs to: the root of its `m.thread` relation, or of the event it relates to
 * (reactions and edits of thread events), following at most 3 relations; else the main timeline.
 * https://spec.matrix.org/v1.19/client-server-api/#marking-notifications-as-read
 */
export async function threadOf(storage: Storage, pdu: JsonObject): Promise<string> {
  let current: JsonObject = pdu;
  for (let hop = 0; hop < MAX_THREAD_HOPS; hop += 1) {
    const related = relation(current);
    if (!related) return MAIN_THREAD;
    if (related.relType === 'm.thread') return related.eventId;
    const [parent] = await storage.events.getEvents([related.eventId]);
    if (!parent) return MAIN_THREAD;
    current = parent.pdu;
  }
  return MAIN_THREAD;
}

export interface NotificationCounter {
  processEvent(event: StoredEvent, context: PersistedEventContext): Promise<void>;
  /** Moves the user's read position of a room/thread (null: unthreaded) to `eventId`, if further. */
  markRead(userId: string, receipt: ReadReceiptPosition): Promise<void>;
  /** The read positions (stream orderings) of the user in the rooms: own markers and receipts merged. */
  readPositions(userId: string, roomIds: readonly string[]): Promise<ReadPositions>;
  /** Unread counts for each of `roomIds` (rooms without notifications get zeros). */
  getUnreadCounts(userId: string, roomIds: readonly string[]): Promise<Map<string, RoomUnreadCounts>>;
}

/** Per room: the unthreaded read position and each thread's own. */
export class ReadPositions {
  private readonly unthreaded = new Map<string, number>();
  private readonly threaded = new Map<string, Map<string, number>>();

  add(marker: ReadMarker): void {
    if (marker.threadId === null) {
      this.unthreaded.set(marker.roomId, Math.max(this.unthreaded.get(marker.roomId) ?? 0, marker.streamOrdering));
      return;
    }
    const threads = this.threaded.get(marker.roomId) ?? new Map<string, number>();
    threads.set(marker.threadId, Math.max(threads.get(marker.threadId) ?? 0, marker.streamOrdering));
    this.threaded.set(marker.roomId, threads);
  }

  /** Position of the unthreaded receipt (0: none). */
  roomPosition(roomId: string): number {
    return this.unthreaded.get(roomId) ?? 0;
  }

  /** Threads with their own receipt further than the unthreaded one. */
  threadsAhead(roomId: string): [string, number][] {
    const base = this.roomPosition(roomId);
    return [...(this.threaded.get(roomId) ?? new Map<string, number>())].filter(([, position]) => position > base);
  }

  /** Whether a notification at `streamOrdering` in the thread counts as read. */
  isRead(roomId: string, threadId: string, streamOrdering: number): boolean {
    const own = this.threaded.get(roomId)?.get(threadId) ?? 0;
    return streamOrdering <= Math.max(this.roomPosition(roomId), own);
  }
}

function zero(): NotificationCounts {
  return { notification_count: 0, highlight_count: 0 };
}

function addTo(counts: NotificationCounts, notifications: number, highlights: number): void {
  counts.notification_count += notifications;
  counts.highlight_count += highlights;
}

/** Folds grouped counts (minus the already-read thread ranges) into per-room totals. */
function foldCounts(
  roomIds: readonly string[],
  counted: readonly NotificationCount[],
  alreadyRead: readonly NotificationCount[],
): Map<string, RoomUnreadCounts> {
  const result = new Map<string, RoomUnreadCounts>(roomIds.map((roomId) => [roomId, { total: zero(), main: zero(), threads: {} }]));
  const apply = (row: NotificationCount, sign: 1 | -1): void => {
    const room = result.get(row.roomId);
    if (!room) return;
    addTo(room.total, sign * row.notifications, sign * row.highlights);
    if (row.threadId === MAIN_THREAD) addTo(room.main, sign * row.notifications, sign * row.highlights);
    else addTo((room.threads[row.threadId] ??= zero()), sign * row.notifications, sign * row.highlights);
  };
  for (const row of counted) apply(row, 1);
  for (const row of alreadyRead) apply(row, -1);
  for (const room of result.values()) {
    for (const [threadId, counts] of Object.entries(room.threads)) {
      if (counts.notification_count <= 0 && counts.highlight_count <= 0) delete room.threads[threadId];
    }
  }
  return result;
}

export function createNotificationCounter(
  deps: Pick<CoreDeps, 'storage' | 'serverName' | 'clock' | 'logger'>,
  rulesets: RulesetCache,
  sources: CountSources,
): NotificationCounter {
  const { storage } = deps;

  async function streamOrderingOf(eventIds: readonly string[]): Promise<Map<string, number>> {
    const events = await storage.events.getEvents(eventIds);
    return new Map(events.map((event) => [event.eventId, event.streamOrdering]));
  }

  const parts: ProcessingParts = {
    deps,
    rulesets,
    facts: createRoomFactsCache(),
    ignoredLists: sources.getIgnoredUsers ? createIgnoredUsersCache(sources.getIgnoredUsers) : null,
    threadOf,
  };

  /** The user's notifications in `ranges`: own rows, and summaries where the user was joined. */
  async function countIn(userId: string, ranges: readonly NotificationRange[], spans: Map<string, JoinedSpan[]>): Promise<NotificationCount[]> {
    if (ranges.length === 0) return [];
    const own = await storage.push.countNotifications(userId, ranges);
    const shared = cutToSpans(ranges, spans);
    return shared.length > 0 ? [...own, ...(await storage.push.countSummaries(userId, shared))] : own;
  }

  const counter: NotificationCounter = {
    processEvent: (event, context) => processEvent(parts, event, context),

    async markRead(userId, receipt) {
      const position = (await streamOrderingOf([receipt.eventId])).get(receipt.eventId);
      if (position === undefined) return;
      await storage.push.advanceReadMarker(userId, { roomId: receipt.roomId, threadId: receipt.threadId, streamOrdering: position });
    },

    async readPositions(userId, roomIds) {
      const positions = new ReadPositions();
      for (const marker of await storage.push.getReadMarkers(userId, roomIds)) positions.add(marker);
      const receipts = sources.getReadReceipts ? await sources.getReadReceipts(userId, roomIds) : [];
      const orderings = await streamOrderingOf([...new Set(receipts.map((receipt) => receipt.eventId))]);
      for (const receipt of receipts) {
        const streamOrdering = orderings.get(receipt.eventId);
        if (streamOrdering !== undefined) positions.add({ roomId: receipt.roomId, threadId: receipt.threadId, streamOrdering });
      }
      return positions;
    },

    async getUnreadCounts(userId, roomIds) {
      const positions = await counter.readPositions(userId, roomIds);
      const spans = joinedSpans(await storage.push.getMemberChanges(userId, roomIds));
      const counted = await countIn(userId, roomIds.map((roomId) => ({ roomId, after: positions.roomPosition(roomId) })), spans);
      // Threads read further than the room: take back what lies between the two receipts.
      const threadRanges = roomIds.flatMap((roomId) =>
        positions.threadsAhead(roomId).map(([threadId, upTo]) => ({ roomId, threadId, after: positions.roomPosition(roomId), upTo })),
      );
      return foldCounts(roomIds, counted, await countIn(userId, threadRanges, spans));
    },
  };
  return counter;
}
