/**
 * Sending: message events with idempotent transaction IDs, state events, and redactions.
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidredacteventidtxnid
 */
import { canonicalJson, readPowerLevels, redactEvent, roomCreators, userPowerLevel, type JsonObject, type Pdu } from '@parley/federation';
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
  const event = await sendEvent(ctx, { roomId, sender: requester.userId, type, content, txn: { scope: requireScope(requester), txnId } });
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
 * power level; the redaction event itself is kept, the target is served redacted from then on.
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
  const version = await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const [target] = await ctx.deps.storage.events.getEvents([eventId]);
  if (target === undefined || target.roomId !== roomId) throw new MatrixError(404, 'M_NOT_FOUND', `Event ${eventId} not found in ${roomId}`);
  if (target.sender !== requester.userId) {
    const state = await ctx.deps.storage.events.getCurrentState(roomId);
    const wanted = state.filter((entry) => entry.stateKey === '' && (entry.type === 'm.room.power_levels' || entry.type === 'm.room.create'));
    const events = await ctx.deps.storage.events.getEvents(wanted.map((entry) => entry.eventId));
    const create = events.find((event) => event.type === 'm.room.create');
    const levels = readPowerLevels(events.find((event) => event.type === 'm.room.power_levels')?.pdu.content, version);
    const creators = create ? roomCreators(create.pdu, version) : [];
    if (userPowerLevel(requester.userId, levels, creators, version) < levels.redact) {
      throw new MatrixError(403, 'M_FORBIDDEN', 'You may not redact events of other users in this room');
    }
  }
  const content: JsonObject = options.reason === undefined ? {} : { reason: options.reason };
  const event = await sendEvent(ctx, {
    roomId,
    sender: requester.userId,
    type: 'm.room.redaction',
    content,
    redacts: eventId,
    txn: { scope: requireScope(requester) + REDACT_SCOPE_SUFFIX, txnId },
  });
  await purgeExpiredRedactions(ctx).catch((error: unknown) => ctx.deps.logger.warn({ err: error }, 'redaction purge failed'));
  return { eventId: event.eventId };
}

/**
 * Replaces the stored originals of events whose redaction is older than the retention window by their redacted
 * form, so the removed content really leaves the database. Returns how many were purged.
 */
export async function purgeExpiredRedactions(ctx: RoomsContext, batch = 100): Promise<number> {
  const { storage } = ctx.deps;
  const expired = await storage.roomState.expiredRedactions(ctx.deps.clock.now(), batch);
  if (expired.length === 0) return 0;
  const events = await storage.events.getEvents(expired);
  await storage.transaction(async (tx) => {
    for (const event of events) {
      const version = await requireRoomVersion(ctx, tx, event.roomId);
      await tx.events.replaceEventJson(event.eventId, redactEvent(event.pdu as JsonObject, version) as Pdu);
    }
    await tx.roomState.clearRedactionRetention(expired);
  });
  return events.length;
}

