/**
 * Local events: built in the room version's format (prev_events = forward extremities, depth, auth_events chosen
 * from the state before), signed and authorised. Building reads only; writing is persist.ts's `writeEvent`.
 *
 * Sends into existing rooms build *before* the write transaction, under the room's mutex (see
 * {@link sendLocalEvent}), so the transaction only writes: on SQLite's single connection no other request waits
 * for the signing and auth checks. The transaction then re-reads the extremities under the room lock; when another
 * process wrote meanwhile they differ and the event is built again on the new ones.
 * https://spec.matrix.org/v1.19/server-server-api/#checks-performed-on-receipt-of-a-pdu
 */
import {
  MAX_PDU_BYTES,
  authEventTypesFor,
  authorizeEvent,
  buildEvent,
  canonicalJson,
  referenceHashOf,
  stateKeyString,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import { buildingBlockOf, sameIds, type BuildingBlock, type RoomTip } from './caches.js';
import { requireCanonicalTemplate } from './canonical-content.js';
import type { RoomsContext } from './context.js';
import { powerStateOf, requireLocalRedaction } from './redaction.js';
import { allowedWhileSuspended, isSuspended, suspendedError } from './suspension.js';
import { runPreparedRoomWrite, writeEvent, type WriteSession } from './persist.js';
import { stateAfterEvents, type GroupCache, type StateBefore } from './state.js';
import type { PersistedEvent } from './types.js';

/** Most prev_events a local event references (the spec allows 20; fewer keeps events small). */
export const MAX_LOCAL_PREV_EVENTS = 10;

/** A local event before it is built. */
export interface LocalEventTemplate {
  /** Absent only for a v12 create event. */
  roomId?: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
  redacts?: string;
  /** Defaults to the clock's now; a new room's create event moves it on when its v12 room ID is taken. */
  originServerTs?: number;
}

/** How a refused local event is reported: 403 M_FORBIDDEN normally, 400 M_INVALID_ROOM_STATE during createRoom. */
export type AuthFailure = (reason: string) => MatrixError;

export const forbidden: AuthFailure = (reason) => new MatrixError(403, 'M_FORBIDDEN', reason);

/** A built, signed and authorised local event, not yet written. */
export interface PreparedEvent {
  eventId: string;
  roomId: string;
  pdu: Pdu;
  before: StateBefore;
  prevEventIds: string[];
  /** The room's forward extremities it was built on (sorted). */
  extremities: readonly string[];
}

/** Where building reads from: the pool (before the transaction) or the transaction, and the caches to use. */
export interface BuildSource {
  storage: Storage;
  groups: GroupCache;
  /** Tips written by the current transaction, not yet committed (they win over the shared ones). */
  pendingTips?: ReadonlyMap<string, RoomTip | null>;
  /**
   * Whether the sender's account is suspended (suspension.ts), looked up before any transaction opened: the
   * accounts port reads outside our transaction. createRoom and upgrades refuse suspended users at their door.
   */
  senderSuspended?: boolean;
}

/**
 * Builds, signs and authorises a local event on `extremities` (the room's forward extremities, sorted; empty
 * for a create event). A refusal throws; nothing is written.
 */
export async function prepareLocalEvent(
  ctx: RoomsContext,
  source: BuildSource,
  roomVersion: RoomVersion,
  template: LocalEventTemplate,
  extremities: readonly string[],
  onAuthFailure: AuthFailure = forbidden,
): Promise<PreparedEvent> {
  requireCanonicalTemplate(template);
  const { storage } = source;
  // A create event starts a room (create-event.ts); into an existing room it is refused, never built.
  if (template.type === 'm.room.create' && extremities.length > 0) throw onAuthFailure('m.room.create can only start a room');
  const senderSuspended = source.senderSuspended === true;
  if (senderSuspended && !allowedWhileSuspended(template)) throw suspendedError();
  const tip = await roomTip(ctx, source, roomVersion, template.roomId, extremities);
  const prevEvents = await referencedExtremities(ctx, storage, tip.extremities);
  // An extremity neither stored nor cached (a queued event the cache dropped): never build an event without it.
  if (prevEvents.length !== Math.min(tip.extremities.length, MAX_LOCAL_PREV_EVENTS)) throw new Error(`an extremity of ${template.roomId ?? 'a new room'} is unknown`);
  const before = tip.stateBeforeNext;

  const selection = { type: template.type, sender: template.sender, content: template.content, ...stateKeyField(template.stateKey) };
  const authIds = authEventTypesFor(selection, roomVersion).flatMap(([type, stateKey]) => before.state.get(stateKeyString(type, stateKey)) ?? []);
  const createId = before.state.get(stateKeyString('m.room.create', ''));
  const authEvents = await buildingBlocks(ctx, storage, [...new Set([...authIds, ...(createId ? [createId] : [])])]);

  const referenceHashes = roomVersion.edgesAsPairs
    ? new Map([...prevEvents, ...authEvents].map((event) => [event.eventId, referenceHashOf(event.pdu, roomVersion)]))
    : undefined;
  const depth = prevEvents.reduce((max, event) => Math.max(max, event.depth), 0) + 1;
  const build = (originServerTs: number) => buildEvent({
    roomVersion,
    template: {
      type: template.type,
      ...(template.roomId !== undefined ? { room_id: template.roomId } : {}),
      sender: template.sender,
      ...stateKeyField(template.stateKey),
      content: template.content,
      prev_events: prevEvents.map((event) => event.eventId),
      auth_events: authIds,
      depth: template.type === 'm.room.create' ? 1 : depth,
      origin_server_ts: originServerTs,
      ...(template.redacts !== undefined ? { redacts: template.redacts } : {}),
    },
    signer: { serverName: ctx.deps.serverName, key: ctx.deps.signingKey },
    ...(referenceHashes ? { referenceHashes } : {}),
  });
  const built = build(template.originServerTs ?? ctx.deps.clock.now());
  if (Buffer.byteLength(canonicalJson(built.pdu as JsonObject), 'utf8') > MAX_PDU_BYTES) {
    throw new MatrixError(413, 'M_TOO_LARGE', `The event is larger than ${MAX_PDU_BYTES} bytes`);
  }

  const authState = new Map(authEvents.map((event) => [stateKeyString(event.type, event.stateKey ?? ''), event.pdu]));
  const result = authorizeEvent({ event: built.pdu, eventId: built.eventId, roomVersion, authState });
  if (!result.allowed) throw onAuthFailure(result.reason);
  if (built.pdu.type === 'm.room.redaction') {
    await requireLocalRedaction(storage, roomVersion, built, powerStateOf(authState), { senderSuspended });
  }

  return { eventId: built.eventId, roomId: built.roomId, pdu: built.pdu, before, prevEventIds: prevEvents.map((event) => event.eventId), extremities };
}

/**
 * Builds and writes a local event inside `session`'s transaction (createRoom and upgrades, which write a whole
 * new room in one transaction).
 */
export async function buildAndPersist(
  ctx: RoomsContext,
  session: WriteSession,
  roomVersion: RoomVersion,
  template: LocalEventTemplate,
  onAuthFailure: AuthFailure = forbidden,
): Promise<PersistedEvent> {
  const extremities = template.roomId === undefined ? [] : await session.tx.events.getForwardExtremities(template.roomId);
  const prepared = await prepareLocalEvent(ctx, sessionSource(session), roomVersion, template, extremities, onAuthFailure);
  return writeEvent(ctx, session, roomVersion, { ...prepared, rejectedReason: null, currentExtremities: extremities });
}

/** Hooks of {@link sendLocalEvent} that run in the write transaction, around the event's write. */
export interface LocalSendHooks {
  /** Checks that must see the room as the transaction does (e.g. duplicate annotations); may throw. */
  beforeWrite?(tx: Storage): Promise<void>;
  /** Further writes in the same transaction (e.g. the client transaction ID). */
  afterWrite?(session: WriteSession, event: PersistedEvent): Promise<void>;
}

/**
 * Sends a local event into an existing room: built under the room's mutex from cached state before the transaction,
 * then written in a transaction that holds the room lock and re-checks the extremities (rebuilding on a change).
 */
export async function sendLocalEvent(
  ctx: RoomsContext,
  roomVersion: RoomVersion,
  template: LocalEventTemplate & { roomId: string },
  hooks: LocalSendHooks = {},
): Promise<PersistedEvent> {
  const { roomId } = template;
  // Every event a local user sends into an existing room passes here: the one place a suspension is enforced.
  const senderSuspended = await isSuspended(ctx, template.sender);
  let chainedTip: RoomTip | null = null;
  const settled = (): void => {
    if (chainedTip !== null && ctx.pendingTips.get(roomId) === chainedTip) ctx.pendingTips.delete(roomId);
  };
  const written = runPreparedRoomWrite(ctx, roomId, {
    async prepare() {
      const { storage } = ctx.deps;
      const tip = ctx.pendingTips.get(roomId) ?? ctx.tips.get(roomId);
      const extremities = tip?.extremities ?? (await storage.events.getForwardExtremities(roomId));
      const source = { storage, groups: ctx.groups, pendingTips: ctx.pendingTips, senderSuspended };
      const prepared = await prepareLocalEvent(ctx, source, roomVersion, template, extremities);
      chainedTip = tipAfter(prepared);
      if (chainedTip !== null) {
        // The next local event of the room builds on this one while it waits for its batch.
        ctx.events.set(prepared.eventId, buildingBlockOf({ eventId: prepared.eventId, type: prepared.pdu.type, stateKey: null, depth: prepared.pdu.depth, pdu: prepared.pdu }));
        ctx.pendingTips.set(roomId, chainedTip);
      }
      return prepared;
    },
    chains: () => chainedTip !== null,
    async write(session, prepared) {
      const { tx } = session;
      await hooks.beforeWrite?.(tx);
      const current = await tx.events.getForwardExtremities(roomId);
      // Another process wrote to the room since we built: build again on what is there now.
      const event = sameIds(current, prepared.extremities)
        ? prepared
        : await prepareLocalEvent(ctx, { ...sessionSource(session), senderSuspended }, roomVersion, template, current);
      const persisted = await writeEvent(ctx, session, roomVersion, { ...event, rejectedReason: null, currentExtremities: current });
      await hooks.afterWrite?.(session, persisted);
      return persisted;
    },
  });
  return written.finally(settled);
}

/**
 * The tip after `prepared` once written, when the next local event can build on it before it commits: a
 * non-state event that references every extremity (it becomes the only one) on a stored state snapshot (the state
 * after it is that snapshot). Else null: the next event waits for the commit and reads the tip then.
 * If the write fails, the next event's write finds other extremities than it was built on and is rebuilt.
 */
function tipAfter(prepared: PreparedEvent): RoomTip | null {
  if (typeof prepared.pdu.state_key === 'string' || prepared.before.group === null) return null;
  if (prepared.prevEventIds.length !== prepared.extremities.length) return null;
  return { extremities: [prepared.eventId], stateBeforeNext: { state: prepared.before.state, group: prepared.before.group, parentGroup: null } };
}

/** Building inside `session`'s transaction, seeing what it wrote. */
export function sessionSource(session: WriteSession): BuildSource {
  return { storage: session.tx, groups: session.cache, pendingTips: session.tips };
}

/** The tip for exactly `extremities`: the cached one when it matches, else read from storage. */
async function roomTip(
  ctx: RoomsContext,
  source: BuildSource,
  roomVersion: RoomVersion,
  roomId: string | undefined,
  extremities: readonly string[],
): Promise<RoomTip> {
  if (roomId === undefined || extremities.length === 0) return { extremities, stateBeforeNext: { state: new Map(), group: null, parentGroup: null } };
  const pending = source.pendingTips?.get(roomId);
  const cached = pending === undefined ? ctx.tips.get(roomId) : (pending ?? undefined);
  if (cached !== undefined && sameIds(cached.extremities, extremities)) return cached;
  const prevIds = (await referencedExtremities(ctx, source.storage, extremities)).map((event) => event.eventId);
  return { extremities, stateBeforeNext: await stateAfterEvents(source.storage, source.groups, roomVersion, prevIds) };
}

/** The extremities a new event references: the deepest {@link MAX_LOCAL_PREV_EVENTS}, deepest first. */
async function referencedExtremities(ctx: RoomsContext, storage: Storage, extremities: readonly string[]): Promise<BuildingBlock[]> {
  return (await buildingBlocks(ctx, storage, extremities))
    .sort((a, b) => b.depth - a.depth || (a.eventId < b.eventId ? -1 : 1))
    .slice(0, MAX_LOCAL_PREV_EVENTS);
}

/** The events among `eventIds` (order kept, unknown ones skipped), from the event cache where possible. */
async function buildingBlocks(ctx: RoomsContext, storage: Storage, eventIds: readonly string[]): Promise<BuildingBlock[]> {
  const found = new Map<string, BuildingBlock>();
  for (const id of eventIds) {
    const cached = ctx.events.get(id);
    if (cached !== undefined) found.set(id, cached);
  }
  const missing = eventIds.filter((id) => !found.has(id));
  if (missing.length > 0) {
    for (const event of await storage.events.getEvents(missing)) {
      const block = buildingBlockOf(event);
      found.set(event.eventId, block);
      ctx.events.set(event.eventId, block);
    }
  }
  return eventIds.flatMap((id) => found.get(id) ?? []);
}

function stateKeyField(stateKey: string | undefined): { state_key?: string } {
  return stateKey === undefined ? {} : { state_key: stateKey };
}
