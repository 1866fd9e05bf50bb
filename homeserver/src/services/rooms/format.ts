/**
 * Stored events → the client event format, redacted per room version where a redaction applies.
 * https://spec.matrix.org/v1.19/client-server-api/#room-event-format
 * https://spec.matrix.org/v1.19/client-server-api/#redactions
 */
import { redactEvent, type JsonObject, type Pdu, type RoomVersion } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { bundleAggregations, type AggregationDepth } from './aggregations.js';
import { findRoomVersionOf, type RoomsContext } from './context.js';
import type { ClientEvent, EventViewer, StrippedStateEvent } from './types.js';

/** The transaction-ID scope of a device (or, without one, an access token). */
export function txnScope(viewer: EventViewer): string | null {
  if (viewer.deviceId != null) return `d:${viewer.userId}:${viewer.deviceId}`;
  if (viewer.accessTokenId != null) return `t:${viewer.userId}:${String(viewer.accessTokenId)}`;
  return null;
}

/** Scope for redaction transaction IDs (kept apart from /send's, which share the client's txnId space). */
export const REDACT_SCOPE_SUFFIX = '|redact';

/**
 * Formats `events` for `viewer`: content redacted per room version when redacted (with
 * `unsigned.redacted_because`), `unsigned.age`, `unsigned.prev_content`/`replaces_state` for state events, and
 * `unsigned.transaction_id` for the viewer's own device or token, and the bundled aggregations
 * (`unsigned["m.relations"]`, see aggregations.ts) for the whole page at once.
 */
export async function toClientEvents(
  ctx: RoomsContext,
  storage: Storage,
  events: readonly StoredEvent[],
  viewer: EventViewer,
  aggregations: AggregationDepth = 'all',
): Promise<ClientEvent[]> {
  if (events.length === 0) return [];
  const ids = events.map((event) => event.eventId);
  const scope = txnScope(viewer);
  const [txns, refs, redactions] = await Promise.all([
    scope === null ? new Map() : storage.roomState.getTxnsForEvents(ids.filter((_, i) => events[i]?.sender === viewer.userId)),
    storage.roomState.getEventState(ids.filter((_, i) => events[i]?.stateKey !== null)),
    storage.events.getEvents([...new Set(events.flatMap((event) => event.redactedBy ?? []))]),
  ]);
  const replacedIds = [...refs.values()].flatMap((ref) => ref.replacesEventId ?? []);
  const replaced = new Map((await storage.events.getEvents(replacedIds)).map((event) => [event.eventId, event]));
  const redactionsById = new Map(redactions.map((event) => [event.eventId, event]));
  const now = ctx.deps.clock.now();

  const formatted: ClientEvent[] = [];
  for (const event of events) {
    const version = await findRoomVersionOf(ctx, storage, event.roomId);
    const client = baseClientEvent(event, version, now);
    const unsigned = client.unsigned as JsonObject;
    const txn = txns.get(event.eventId);
    if (txn !== undefined && scope !== null && (txn.scope === scope || txn.scope === scope + REDACT_SCOPE_SUFFIX)) {
      unsigned.transaction_id = txn.txnId;
    }
    const previousId = refs.get(event.eventId)?.replacesEventId;
    const previous = previousId ? replaced.get(previousId) : undefined;
    if (previous !== undefined) {
      unsigned.replaces_state = previous.eventId;
      unsigned.prev_content = contentOf(previous, version);
      unsigned.prev_sender = previous.sender;
    }
    const redaction = event.redactedBy ? redactionsById.get(event.redactedBy) : undefined;
    if (redaction !== undefined) unsigned.redacted_because = baseClientEvent(redaction, version, now) as unknown as JsonObject;
    formatted.push(client);
  }
  await bundleAggregations(ctx, storage, events, formatted, viewer, aggregations, (children, depth) =>
    toClientEvents(ctx, storage, children, viewer, depth),
  );
  return formatted;
}

/** The client form of one event without lookups: redacted content if redacted, and `unsigned.age`. */
export function baseClientEvent(event: StoredEvent, version: RoomVersion | null, now: number): ClientEvent {
  const pdu = event.pdu;
  const client: ClientEvent = {
    event_id: event.eventId,
    room_id: event.roomId,
    sender: event.sender,
    type: event.type,
    content: contentOf(event, version),
    origin_server_ts: event.originServerTs,
    unsigned: { age: Math.max(0, now - event.originServerTs) },
  };
  if (event.stateKey !== null) client.state_key = event.stateKey;
  // v1-v10 redaction events carry their target at the top level, v11+ in content. The spec asks servers to serve
  // it in both places to clients (matrix-js-sdk 37 reads only the top level to apply a redaction live).
  // https://spec.matrix.org/v1.19/rooms/v11/#moving-the-redacts-property-of-mroomredaction-events-to-a-content-property
  if (typeof pdu.redacts === 'string' && event.redactedBy === null) client.redacts = pdu.redacts;
  const contentTarget = client.content.redacts;
  if (event.type === 'm.room.redaction' && client.redacts === undefined && typeof contentTarget === 'string') client.redacts = contentTarget;
  if (event.type === 'm.room.redaction' && client.redacts !== undefined && contentTarget === undefined) {
    client.content = { ...client.content, redacts: client.redacts };
  }
  return client;
}

/** The content clients see: the redacted form once a redaction applies. */
export function contentOf(event: StoredEvent, version: RoomVersion | null): JsonObject {
  if (event.redactedBy === null || version === null) return event.pdu.content;
  const redacted = redactEvent(event.pdu as JsonObject, version) as Pdu;
  return redacted.content;
}

/** A state event in stripped form (invite_state, knock_state). https://spec.matrix.org/v1.19/client-server-api/#stripped-state */
export function strippedState(event: StoredEvent): StrippedStateEvent {
  return { type: event.type, state_key: event.stateKey ?? '', sender: event.sender, content: event.pdu.content };
}
