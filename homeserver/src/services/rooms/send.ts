/**
 * Sending: message events with idempotent transaction IDs, state events, and redactions.
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidredacteventidtxnid
 */
import { canonicalJson, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import { requireRoomVersion, type RoomsContext } from './context.js';
import { REDACT_SCOPE_SUFFIX, txnScope } from './format.js';
import { requireRoomId } from './membership.js';
import { sendLocalEvent } from './local-event.js';
import { checkLocalRelation } from './relations-write.js';
import { checkCanonicalAlias } from './aliases.js';
import { requireCanonicalTemplate } from './canonical-content.js';
import { requireWellFormedPowerLevels } from './power.js';
import type { LocalEventRequest, PersistedEvent, RoomRequester } from './types.js';

/**
 * Any local event through the pipeline, optionally deduplicated by a client transaction ID: a retry with the
 * same `txn` returns the event the first request created.
 */
export async function sendEvent(ctx: RoomsContext, request: LocalEventRequest): Promise<PersistedEvent> {
  requireRoomId(request.roomId);
  requireNotCreate(request.type);
  if (request.type === 'm.room.power_levels' && request.stateKey === '') requireWellFormedPowerLevels(request.content);
  const version = await requireRoomVersion(ctx, ctx.deps.storage, request.roomId);
  const { txn } = request;
  const earlier = txn ? await earlierTxnEvent(ctx.deps.storage, request.roomId, txn) : null;
  if (earlier !== null) return earlier;
  const template = {
    roomId: request.roomId,
    sender: request.sender,
    type: request.type,
    content: request.content,
    ...(request.stateKey !== undefined ? { stateKey: request.stateKey } : {}),
    ...(request.redacts !== undefined ? { redacts: request.redacts } : {}),
  };
  try {
    return await sendLocalEvent(ctx, version, template, {
      async beforeWrite(tx) {
        await checkLocalRelation(tx, request.roomId, request.sender, request.type, request.content);
        if (request.type === 'm.room.canonical_alias' && request.stateKey === '') {
          await checkCanonicalAlias(ctx, tx, request.roomId, request.content);
        }
      },
      async afterWrite(session, event) {
        if (!txn) return;
        const record = { ...txn, eventId: event.eventId, roomId: request.roomId, createdTs: ctx.deps.clock.now() };
        if (await session.tx.roomState.saveTxn(record)) return;
        // A retry raced us (another process, or a request that was already building): its event stands, ours goes.
        const stored = await session.tx.roomState.getTxn(txn.scope, txn.txnId);
        if (stored !== null && stored.roomId === request.roomId) throw new TxnAlreadyUsed();
      },
    });
  } catch (error) {
    if (!(error instanceof TxnAlreadyUsed) || !txn) throw error;
    const stored = await earlierTxnEvent(ctx.deps.storage, request.roomId, txn);
    if (stored === null) throw new Error('a client transaction ID was taken, then not found', { cause: error });
    return stored;
  }
}

/**
 * A room has one create event, its first (auth rules: "If it has any prev_events, reject"); POST /createRoom and
 * upgrades write it. Sent into an existing room it is refused from every route, in every room version.
 * https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules
 */
function requireNotCreate(type: string): void {
  // NOTSPEC: the spec names no error for this; 403 like any event the auth rules refuse.
  if (type === 'm.room.create') throw new MatrixError(403, 'M_FORBIDDEN', 'm.room.create can only be sent by creating a room');
}

/** Rolls back a send whose client transaction ID another send of the same request stored first. */
class TxnAlreadyUsed extends Error {}

async function earlierTxnEvent(storage: Storage, roomId: string, txn: { scope: string; txnId: string }): Promise<PersistedEvent | null> {
  const record = await storage.roomState.getTxn(txn.scope, txn.txnId);
  if (record === null || record.roomId !== roomId) return null;
  const [event] = await storage.events.getEvents([record.eventId]);
  return event === undefined ? null : { eventId: event.eventId, roomId: event.roomId, streamOrdering: event.streamOrdering, pdu: event.pdu, rejectedReason: null };
}

function requireScope(requester: RoomRequester): string {
  const scope = txnScope(requester);
  if (scope === null) throw new MatrixError(400, 'M_UNKNOWN', 'Transaction IDs need a device or access token');
  return scope;
}

/** PUT /rooms/{id}/send/{type}/{txnId}. */
export async function sendMessage(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
  type: string,
  txnId: string,
  content: JsonObject,
): Promise<{ eventId: string }> {
  // A redaction sent here names its target in the content (the v11 form, MSC2174); the builder puts it where the
  // room version wants it, so every version's redaction goes through the same checks.
  const redacts = type === 'm.room.redaction' && typeof content.redacts === 'string' ? { redacts: content.redacts } : {};
  const event = await sendEvent(ctx, { roomId, sender: requester.userId, type, content, ...redacts, txn: { scope: requireScope(requester), txnId } });
  return { eventId: event.eventId };
}

/**
 * PUT /rooms/{id}/state/{type}/{stateKey}. Setting state to what it already is (same sender, same content)
 * returns the existing event instead of sending a duplicate.
 */
export async function setState(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
  type: string,
  stateKey: string,
  content: JsonObject,
): Promise<{ eventId: string }> {
  requireRoomId(roomId);
  requireNotCreate(type);
  // Before comparing with the current state as canonical JSON, which a float would make throw.
  requireCanonicalTemplate({ type, stateKey, content });
  const currentId = await ctx.deps.storage.events.getCurrentStateEventId(roomId, type, stateKey);
  if (currentId !== null) {
    const [current] = await ctx.deps.storage.events.getEvents([currentId]);
    if (current && current.sender === requester.userId && current.redactedBy === null && canonicalJson(current.pdu.content) === canonicalJson(content)) {
      return { eventId: current.eventId };
    }
  }
  const event = await sendEvent(ctx, { roomId, sender: requester.userId, type, stateKey, content });
  return { eventId: event.eventId };
}

/**
 * PUT /rooms/{id}/redact/{eventId}/{txnId}. Allowed for the event's sender and for users with the `redact`
 * power level (checked in the pipeline: redaction.ts); the redaction event itself is kept, the target is served
 * redacted from then on.
 */
export async function redact(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
  eventId: string,
  txnId: string,
  options: { reason?: string } = {},
): Promise<{ eventId: string }> {
  requireRoomId(roomId);
  // Who may redact what is decided in the pipeline (redaction.ts), the same for PUT /send/m.room.redaction.
  await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const content: JsonObject = options.reason === undefined ? {} : { reason: options.reason };
  const event = await sendEvent(ctx, {
    roomId,
    sender: requester.userId,
    type: 'm.room.redaction',
    content,
    redacts: eventId,
    txn: { scope: requireScope(requester) + REDACT_SCOPE_SUFFIX, txnId },
  });
  return { eventId: event.eventId };
}

