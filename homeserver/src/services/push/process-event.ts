/**
 * What push does with each persisted event: forget a redacted target's notifications, record local members'
 * membership changes, evaluate rules once per distinct ruleset, store a summary plus the few rows that differ,
 * and move the sender's read marker. Every write goes through the storage handed in, in one transaction, so the
 * caller may run it inside a transaction of its own.
 * https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
 */
import { isJsonObject, type JsonObject } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { RulesetCache } from './cache.js';
import { decide } from './decide.js';
import type { IgnoredUsersCache } from './ignored-cache.js';
import { RELEVANT_STATE_TYPES, roomFactsFrom, type RoomFacts, type RoomFactsCache } from './room-facts.js';
import { outcomesFor } from './decide.js';

/** What the rooms domain tells about a persisted event besides the event. */
export interface PersistedEventContext {
  roomVersion: string;
  /** The state snapshot after the event (immutable); the room's current state is read when absent. */
  stateGroup?: number;
  /**
   * Run every read and write through this storage (a transaction the caller owns, e.g. a durable stream reader's);
   * push's own writes then become a savepoint of it. Default: push's storage, one transaction of its own.
   */
  storage?: Storage;
}

/** What processing needs besides the event. */
export interface ProcessingParts {
  deps: Pick<CoreDeps, 'storage' | 'serverName' | 'clock' | 'logger'>;
  rulesets: RulesetCache;
  facts: RoomFactsCache;
  ignoredLists: IgnoredUsersCache | null;
  threadOf(storage: Storage, pdu: JsonObject): Promise<string>;
}

/** True when `userId` belongs to `serverName`. */
export function isLocal(userId: string, serverName: string): boolean {
  return userId.slice(userId.indexOf(':') + 1) === serverName;
}

/** The local joined members of a snapshot, computed once per (cached) facts. */
const localMembers = new WeakMap<RoomFacts, string[]>();

function localJoined(facts: RoomFacts, serverName: string): string[] {
  let users = localMembers.get(facts);
  if (users === undefined) {
    users = [...facts.members].filter(([userId, member]) => member.membership === 'join' && isLocal(userId, serverName)).map(([userId]) => userId);
    localMembers.set(facts, users);
  }
  return users;
}

/** A summary's audience (local joined members but the sender) and the invitee of an invite, if not joined. */
function recipients(event: StoredEvent, facts: RoomFacts, serverName: string): { audience: string[]; others: string[] } {
  const audience = localJoined(facts, serverName).filter((userId) => userId !== event.sender);
  const others: string[] = [];
  // The invitee is not joined yet but ".m.rule.invite_for_me" is for them.
  const invitee = event.type === 'm.room.member' && event.pdu.content.membership === 'invite' ? event.stateKey : null;
  if (invitee !== null && invitee !== event.sender && isLocal(invitee, serverName) && facts.members.get(invitee)?.membership !== 'join') {
    others.push(invitee);
  }
  return { audience, others };
}

async function readCurrentRoomFacts(storage: Storage, roomId: string, roomVersion: string): Promise<RoomFacts> {
  const entries = (await storage.events.getCurrentState(roomId)).filter((entry) => RELEVANT_STATE_TYPES.has(entry.type));
  const events = await storage.events.getEvents(entries.map((entry) => entry.eventId));
  return roomFactsFrom(events, roomVersion);
}

/** The event a redaction names: `content.redacts` (room versions 11+) or the top-level `redacts` (before). */
function redactedEventId(pdu: JsonObject): string | null {
  const inContent = isJsonObject(pdu.content) ? pdu.content.redacts : undefined;
  if (typeof inContent === 'string') return inContent;
  return typeof pdu.redacts === 'string' ? pdu.redacts : null;
}

/**
 * A redacted event no longer counts: its notification rows go once the redaction marked it redacted (the rooms
 * domain does that in the redaction's transaction, before listeners run, and only when the redaction applies).
 */
async function forgetRedactedTarget(storage: Storage, logger: CoreDeps['logger'], redaction: StoredEvent): Promise<void> {
  const targetId = redactedEventId(redaction.pdu);
  if (targetId === null) return;
  const [target] = await storage.events.getEvents([targetId]);
  if (target === undefined || target.redactedBy === null || target.roomId !== redaction.roomId) return;
  const removed = await storage.push.deleteEventNotifications(targetId);
  if (removed > 0) logger.debug({ eventId: targetId, removed }, 'notifications of a redacted event removed');
}

/** The membership change a local member event records, if any. */
function memberChange(event: StoredEvent, serverName: string): { userId: string; joined: boolean } | null {
  if (event.type !== 'm.room.member' || event.stateKey === null || !isLocal(event.stateKey, serverName)) return null;
  return { userId: event.stateKey, joined: event.pdu.content.membership === 'join' };
}

/** Evaluates an event for the room's local members and stores what it notifies. */
export async function processEvent(parts: ProcessingParts, event: StoredEvent, context: PersistedEventContext): Promise<void> {
  const { serverName, clock, logger } = parts.deps;
  const storage = context.storage ?? parts.deps.storage;
  if (event.outlier || event.rejectedReason !== null) return;
  if (event.type === 'm.room.redaction') await forgetRedactedTarget(storage, logger, event);
  const room = context.stateGroup === undefined
    ? await readCurrentRoomFacts(storage, event.roomId, context.roomVersion)
    : await parts.facts.load(storage, context.stateGroup, context.roomVersion);
  const { audience, others } = recipients(event, room, serverName);
  const threadId = await parts.threadOf(storage, event.pdu);
  const matchable: JsonObject = { ...event.pdu, event_id: event.eventId, room_id: event.roomId };
  const users = [...audience, ...others];
  // Read once, before any ruleset or ignored list: both caches are current while it stands still.
  const accountDataPosition = users.length > 0 ? await storage.streams.current('account_data') : 0;
  const outcomes = outcomesFor(users, await parts.rulesets.load(storage, users, accountDataPosition), matchable, room, event.sender);
  // "Servers must not send ... events sent by ignored users": asked only about users about to be notified.
  const notified = [...outcomes].filter(([, outcome]) => outcome?.notify === true).map(([userId]) => userId);
  if (parts.ignoredLists !== null) {
    for (const userId of await parts.ignoredLists.ignoringUsers(storage, notified, event.sender, accountDataPosition)) outcomes.set(userId, null);
  }
  const { summary, rows } = decide({ event, threadId, ts: clock.now() }, audience, others, outcomes);
  const change = memberChange(event, serverName);
  // In a caller's transaction the writes join it directly (no savepoint: a failure fails the caller's transaction).
  const write = (work: (tx: Storage) => Promise<void>): Promise<void> => (context.storage !== undefined ? work(context.storage) : storage.transaction(work));
  await write(async (tx) => {
    if (change !== null) await tx.push.recordMemberChange(change.userId, { roomId: event.roomId, streamOrdering: event.streamOrdering, joined: change.joined });
    if (summary !== null) await tx.push.addEventSummary(summary);
    await tx.push.addNotifications(rows);
    // "When the user updates their read receipt (either by using the API or by sending an event)".
    if (isLocal(event.sender, serverName)) {
      await tx.push.advanceReadMarker(event.sender, { roomId: event.roomId, threadId, streamOrdering: event.streamOrdering });
    }
  });
  logger.debug({ eventId: event.eventId, summary: summary !== null, rows: rows.length, members: audience.length }, 'push evaluated');
}
