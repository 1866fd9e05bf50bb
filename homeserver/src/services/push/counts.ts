/**
 * Notification records and unread counts: on each persisted event, the push rules of every local member
 * (except the sender) decide who is notified; counts are the notifications after the user's read position,
 * per room and per thread.
 * https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
 * https://spec.matrix.org/v1.19/client-server-api/#marking-notifications-as-read
 */
import { isJsonObject, type JsonObject, type JsonValue } from '@parley/federation';
import type { NewNotification, NotificationCount, ReadMarker, Storage, StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { evaluatePushRules, type PushEvaluation } from './evaluate.js';
import { createIgnoredUsersCache } from './ignored-cache.js';
import { RELEVANT_STATE_TYPES, createRoomFactsCache, roomFactsFrom, type RoomFacts } from './room-facts.js';
import type { RulesetCache } from './cache.js';

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
  getIgnoredUsers?(userId: string): Promise<ReadonlySet<string>>;
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

/** The event a redaction names: `content.redacts` (room versions 11+) or the top-level `redacts` (before). */
function redactedEventId(pdu: JsonObject): string | null {
  const inContent = isJsonObject(pdu.content) ? pdu.content.redacts : undefined;
  if (typeof inContent === 'string') return inContent;
  return typeof pdu.redacts === 'string' ? pdu.redacts : null;
}

/** True when `userId` belongs to `serverName`. */
function isLocal(userId: string, serverName: string): boolean {
  return userId.slice(userId.indexOf(':') + 1) === serverName;
}

/** The users whose rules are evaluated: local joined members and a local invitee, never the sender. */
function recipients(event: StoredEvent, facts: RoomFacts, serverName: string): string[] {
  const users = new Set<string>();
  for (const [userId, member] of facts.members) {
    if (member.membership === 'join' && isLocal(userId, serverName)) users.add(userId);
  }
  // The invitee is not joined yet but ".m.rule.invite_for_me" is for them.
  if (event.type === 'm.room.member' && event.stateKey !== null && event.pdu.content.membership === 'invite') {
    if (isLocal(event.stateKey, serverName)) users.add(event.stateKey);
  }
  users.delete(event.sender);
  return [...users];
}

async function readCurrentRoomFacts(storage: Storage, roomId: string, roomVersion: string): Promise<RoomFacts> {
  const entries = (await storage.events.getCurrentState(roomId)).filter((entry) => RELEVANT_STATE_TYPES.has(entry.type));
  const events = await storage.events.getEvents(entries.map((entry) => entry.eventId));
  return roomFactsFrom(events, roomVersion);
}

/** What the rooms domain tells about a persisted event besides the event. */
export interface PersistedEventContext {
  roomVersion: string;
  /** The state snapshot after the event (immutable); the room's current state is read when absent. */
  stateGroup?: number;
}

/** What one event changes in push's tables, computed by {@link NotificationCounter.evaluate}. */
export interface PushWrites {
  eventId: string;
  /** A redacted target whose notifications go. */
  forgetEventId: string | null;
  rows: NewNotification[];
  /** The local sender's read position moves to their own event. */
  readMarker: { userId: string; roomId: string; threadId: string; streamOrdering: number } | null;
}

export interface NotificationCounter {
  /** Evaluates every local member's rules for a persisted event (reads only); null: nothing to write. */
  evaluate(event: StoredEvent, context: PersistedEventContext): Promise<PushWrites | null>;
  /** Writes what {@link evaluate} computed, in `tx`. */
  apply(tx: Storage, writes: PushWrites): Promise<void>;
  /** {@link evaluate} then {@link apply} in a transaction of its own. */
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

  const facts = createRoomFactsCache();
  const ignoredLists = sources.getIgnoredUsers ? createIgnoredUsersCache(sources.getIgnoredUsers) : null;

  /**
   * "Servers must not send ... events sent by ignored users": an ignored sender's events (invites included) never
   * notify the ignorer. https://spec.matrix.org/v1.19/client-server-api/#ignoring-users
   */
  async function ignoringUsers(userIds: readonly string[], senderId: string): Promise<Set<string>> {
    return ignoredLists === null ? new Set() : ignoredLists.ignoringUsers(storage, userIds, senderId);
  }

  /**
   * A redacted event no longer counts: its notification rows go once the redaction marked it redacted (the rooms
   * domain does that in the redaction's transaction, before the readers run, and only when the redaction applies).
   */
  async function redactedTargetOf(redaction: StoredEvent): Promise<string | null> {
    const targetId = redactedEventId(redaction.pdu);
    if (targetId === null) return null;
    const [target] = await storage.events.getEvents([targetId]);
    if (target === undefined || target.redactedBy === null || target.roomId !== redaction.roomId) return null;
    return targetId;
  }

  async function evaluate(event: StoredEvent, context: PersistedEventContext): Promise<PushWrites | null> {
    if (event.outlier || event.rejectedReason !== null) return null;
    const forgetEventId = event.type === 'm.room.redaction' ? await redactedTargetOf(event) : null;
    const room = context.stateGroup === undefined
      ? await readCurrentRoomFacts(storage, event.roomId, context.roomVersion)
      : await facts.load(storage, context.stateGroup, context.roomVersion);
    const users = recipients(event, room, deps.serverName);
    const threadId = await threadOf(storage, event.pdu);
    const matchable: JsonObject = { ...event.pdu, event_id: event.eventId, room_id: event.roomId };
    const senderPowerLevel = room.powerLevelOf(event.sender);
    const loaded = await rulesets.load(storage, users);
    const outcomes = new Map<string, PushEvaluation>();
    for (const userId of users) {
      const ruleset = loaded.get(userId);
      if (!ruleset) continue;
      const outcome = evaluatePushRules(ruleset, matchable, {
        userId,
        displayName: room.members.get(userId)?.displayName ?? null,
        memberCount: room.joinedCount,
        senderPowerLevel,
        notificationPowerLevels: room.notificationPowerLevels,
      });
      if (outcome?.notify) outcomes.set(userId, outcome);
    }
    // Asked only about users about to be notified.
    const ignoring = await ignoringUsers([...outcomes.keys()], event.sender);
    const rows: NewNotification[] = [];
    for (const [userId, outcome] of outcomes) {
      if (ignoring.has(userId)) continue;
      rows.push({
        userId,
        eventId: event.eventId,
        roomId: event.roomId,
        threadId,
        streamOrdering: event.streamOrdering,
        highlight: outcome.highlight,
        actions: outcome.actions as JsonValue[],
        ts: deps.clock.now(),
      });
    }
    // "When the user updates their read receipt (either by using the API or by sending an event)".
    const readMarker = isLocal(event.sender, deps.serverName)
      ? { userId: event.sender, roomId: event.roomId, threadId, streamOrdering: event.streamOrdering }
      : null;
    return { eventId: event.eventId, forgetEventId, rows, readMarker };
  }

  async function apply(tx: Storage, writes: PushWrites): Promise<void> {
    if (writes.forgetEventId !== null) {
      const removed = await tx.push.deleteEventNotifications(writes.forgetEventId);
      if (removed > 0) deps.logger.debug({ eventId: writes.forgetEventId, removed }, 'notifications of a redacted event removed');
    }
    await tx.push.addNotifications(writes.rows);
    if (writes.readMarker !== null) {
      const { userId, ...marker } = writes.readMarker;
      await tx.push.advanceReadMarker(userId, marker);
    }
    if (writes.rows.length > 0) deps.logger.debug({ eventId: writes.eventId, notified: writes.rows.length }, 'push notifications stored');
  }

  const counter: NotificationCounter = {
    evaluate,
    apply,
    async processEvent(event, context) {
      const writes = await evaluate(event, context);
      if (writes !== null) await storage.transaction((tx) => apply(tx, writes));
    },

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
      const counted = await storage.push.countNotifications(
        userId,
        roomIds.map((roomId) => ({ roomId, after: positions.roomPosition(roomId) })),
      );
      // Threads read further than the room: take back what lies between the two receipts.
      const threadRanges = roomIds.flatMap((roomId) =>
        positions.threadsAhead(roomId).map(([threadId, upTo]) => ({ roomId, threadId, after: positions.roomPosition(roomId), upTo })),
      );
      const alreadyRead = threadRanges.length > 0 ? await storage.push.countNotifications(userId, threadRanges) : [];
      return foldCounts(roomIds, counted, alreadyRead);
    },
  };
  return counter;
}
