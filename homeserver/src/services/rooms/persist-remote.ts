/**
 * Remote PDUs enter the one pipeline here: authorised against their own auth events and against the state before
 * them, then written by the same code as local events (rejected ones are stored, changing nothing).
 * https://spec.matrix.org/v1.19/server-server-api/#checks-performed-on-receipt-of-a-pdu
 */
import {
  authEventTypesFor,
  authorizeEvent,
  checkAuthEventsSelection,
  referencedEventIds,
  stateKeyString,
  type Pdu,
  type RoomVersion,
} from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { writeEvent, type WriteSession } from './persist.js';
import { stateAfterEvents, type StateMap } from './state.js';
import type { PersistedEvent } from './types.js';

/**
 * Persists a PDU built elsewhere (federation) through the same write path. Its prev_events must be stored with
 * their state. It is authorised against its own auth events and against the state before it; a refused event
 * is stored with `rejectedReason` and changes neither state nor forward extremities.
 */
export async function persistPdu(
  ctx: RoomsContext,
  session: WriteSession,
  roomVersion: RoomVersion,
  eventId: string,
  roomId: string,
  pdu: Pdu,
): Promise<PersistedEvent> {
  const { tx } = session;
  const prevEventIds = referencedEventIds(pdu.prev_events);
  const before = await stateAfterEvents(tx, session.cache, roomVersion, prevEventIds);
  const authEvents = await tx.events.getEvents(referencedEventIds(pdu.auth_events));
  const createId = before.state.get(stateKeyString('m.room.create', ''));
  const createEvents = roomVersion.roomIdIsCreateEventHash && createId ? await tx.events.getEvents([createId]) : [];
  const rejectedIds = new Set(authEvents.filter((event) => event.rejectedReason !== null).map((event) => event.pdu));
  let rejectedReason: string | null = null;
  const selection = checkAuthEventsSelection(pdu, authEvents.map((event) => event.pdu), roomVersion, {
    isRejected: (authEvent) => rejectedIds.has(authEvent),
  });
  if (!selection.allowed) rejectedReason = selection.reason;
  if (rejectedReason === null) {
    const againstAuthEvents = authorizeEvent({ event: pdu, eventId, roomVersion, authState: stateOfEvents([...createEvents, ...authEvents]) });
    if (!againstAuthEvents.allowed) rejectedReason = againstAuthEvents.reason;
  }
  if (rejectedReason === null) {
    const againstState = authorizeEvent({ event: pdu, eventId, roomVersion, authState: await pdusOfState(tx, before.state, pdu, roomVersion) });
    if (!againstState.allowed) rejectedReason = againstState.reason;
  }
  const currentExtremities = await tx.events.getForwardExtremities(roomId);
  const historical = pdu.depth < (await maxDepthOf(tx, currentExtremities));
  return writeEvent(ctx, session, roomVersion, { eventId, roomId, pdu, before, prevEventIds, rejectedReason, currentExtremities, historical });
}

/**
 * The room's newest depth: the deepest event has no children, so it is a forward extremity.
 * NOTSPEC: "older than the room's current position" is `depth < max depth of the forward extremities`; events
 * at the newest depth (concurrent siblings) are live.
 */
async function maxDepthOf(tx: Storage, extremities: readonly string[]): Promise<number> {
  if (extremities.length === 0) return 0;
  return Math.max(...(await tx.events.getEvents(extremities)).map((event) => event.depth));
}

function stateOfEvents(events: readonly StoredEvent[]): Map<string, Pdu> {
  return new Map(events.map((event) => [stateKeyString(event.type, event.stateKey ?? ''), event.pdu]));
}

/** The PDUs of the state entries the auth rules may look at for `pdu`. */
async function pdusOfState(tx: Storage, state: StateMap, pdu: Pdu, roomVersion: RoomVersion): Promise<Map<string, Pdu>> {
  const keys = authEventTypesFor(pdu, roomVersion).map(([type, stateKey]) => stateKeyString(type, stateKey));
  keys.push(stateKeyString('m.room.create', ''));
  return stateOfEvents(await tx.events.getEvents(keys.flatMap((key) => state.get(key) ?? [])));
}

