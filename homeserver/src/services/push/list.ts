/**
 * GET /notifications: the events a user was notified about, newest first, with read flags.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications
 */
import { findRoomVersion, redactEvent, type JsonObject, type JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { NotificationListOptions, Storage, StoredEvent, StoredNotification } from '../../storage/index.js';
import { joinedSpans, spanRanges } from './audience.js';
import type { NotificationCounter } from './counts.js';

/** The query, validated by the route. */
export interface NotificationsQuery {
  from?: string;
  limit?: number;
  only?: string;
}

/** One entry of the response. */
export interface NotificationEntry {
  actions: JsonValue[];
  /** The event in client format (ClientEvent). */
  event: Record<string, unknown>;
  read: boolean;
  room_id: string;
  ts: number;
}

export interface NotificationsPage {
  notifications: NotificationEntry[];
  next_token?: string;
}

/** Formats stored events for a client; the rooms domain's formatter when wired, else {@link basicClientEvent}. */
export type EventFormatter = (events: readonly StoredEvent[], userId: string) => Promise<Record<string, unknown>[]>;

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/**
 * A plain client-format event (https://spec.matrix.org/v1.19/client-server-api/#room-event-format), redacted
 * per its room version when it has been redacted. Used when no richer formatter is wired.
 */
export async function basicClientEvent(storage: Storage, event: StoredEvent): Promise<JsonObject> {
  let pdu: JsonObject = event.pdu;
  if (event.redactedBy !== null) {
    const room = await storage.rooms.getRoom(event.roomId);
    const version = room ? findRoomVersion(room.roomVersion) : undefined;
    if (version) pdu = redactEvent(event.pdu, version);
  }
  const formatted: JsonObject = {
    content: isObject(pdu.content) ? pdu.content : {},
    event_id: event.eventId,
    origin_server_ts: event.originServerTs,
    room_id: event.roomId,
    sender: event.sender,
    type: event.type,
    unsigned: event.redactedBy !== null ? { redacted_by: event.redactedBy } : {},
  };
  if (event.stateKey !== null) formatted.state_key = event.stateKey;
  return formatted;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the `from` token: the stream ordering the next page lies below. */
function parseFrom(from: string | undefined): number | undefined {
  if (from === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(from)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid "from" token');
  return Number(from);
}

/** The user's own rows and the summaries of the spans they were joined, merged newest first. */
async function notificationRows(storage: Storage, userId: string, options: NotificationListOptions): Promise<StoredNotification[]> {
  const own = await storage.push.listNotifications(userId, options);
  const ranges = spanRanges(joinedSpans(await storage.push.getMemberChanges(userId)));
  const shared = ranges.length > 0 ? await storage.push.listSummaries(userId, ranges, options) : [];
  return [...own, ...shared].sort((a, b) => b.streamOrdering - a.streamOrdering).slice(0, options.limit);
}

/** One page of the user's notifications. */
export async function listNotifications(
  storage: Storage,
  counter: NotificationCounter,
  format: EventFormatter,
  userId: string,
  query: NotificationsQuery,
): Promise<NotificationsPage> {
  const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  const before = parseFrom(query.from);
  const rows = await notificationRows(storage, userId, { before, limit: limit + 1, onlyHighlight: query.only === 'highlight' });
  const page = rows.slice(0, limit);
  const events = await storage.events.getEvents(page.map((row) => row.eventId));
  const formatted = events.length > 0 ? await format(events, userId) : [];
  const byId = new Map(events.map((event, index) => [event.eventId, formatted[index]]));
  const positions = await counter.readPositions(userId, [...new Set(page.map((row) => row.roomId))]);
  const notifications: NotificationEntry[] = [];
  for (const row of page) {
    const event = byId.get(row.eventId);
    if (!event) continue;
    notifications.push({
      actions: row.actions,
      event,
      read: positions.isRead(row.roomId, row.threadId, row.streamOrdering),
      room_id: row.roomId,
      ts: row.ts,
    });
  }
  const last = page.at(-1);
  return rows.length > limit && last ? { notifications, next_token: String(last.streamOrdering) } : { notifications };
}
