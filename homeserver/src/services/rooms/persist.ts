/**
 * The one PDU pipeline. Local events are built here in the room version's format (prev_events = forward
 * extremities, depth, auth_events chosen from the state), authorised against the state before them and written;
 * remote PDUs enter at {@link persistPdu} and take the same write path. One write = one transaction: the event
 * row and edges with its stream position, the state snapshot references, forward extremities, current state and
 * memberships. After commit, listeners run and the notifier wakes /sync.
 * https://spec.matrix.org/v1.19/server-server-api/#checks-performed-on-receipt-of-a-pdu
 */
import {
  MAX_PDU_BYTES,
  authEventTypesFor,
  authorizeEvent,
  buildEvent,
  canonicalJson,
  parseStateKeyString,
  referenceHashOf,
  stateKeyString,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { diffStates, loadGroup, pendingGroupCache, resolveStates, stateAfterEvents, type PendingGroupCache, type StateBefore, type StateMap } from './state.js';
import { recordRelation } from './relations-write.js';
import type { PersistedEvent } from './types.js';

/** Most prev_events a local event references (the spec allows 20; fewer keeps events small). */
export const MAX_LOCAL_PREV_EVENTS = 10;

/** One write transaction and what it produced, published after commit. */
export interface WriteSession {
  tx: Storage;
  cache: PendingGroupCache;
  persisted: StoredEvent[];
  /** Users concerned directly (invite targets etc.), for the notifier. */
  users: Set<string>;
  roomVersions: Map<string, string>;
}

/**
 * Runs `fn` in one transaction, serialised with other writes to `roomId` (in-process mutex, plus a PostgreSQL
 * row lock on the room), then publishes what it persisted. `roomId` null: a new room nobody else can write yet.
 */
export async function runRoomWrite<T>(ctx: RoomsContext, roomId: string | null, fn: (session: WriteSession) => Promise<T>): Promise<T> {
  const write = async (): Promise<{ result: T; session: WriteSession }> => {
    const cache = pendingGroupCache(ctx.groups);
    return ctx.deps.storage.transaction(async (tx) => {
      if (roomId !== null) await tx.roomState.lockRoom(roomId);
      const session: WriteSession = { tx, cache, persisted: [], users: new Set(), roomVersions: new Map() };
      const result = await fn(session);
      return { result, session };
    });
  };
  const { result, session } = roomId === null ? await write() : await ctx.mutex.run(roomId, write);
  session.cache.commit();
  await afterCommit(ctx, session);
  return result;
}

async function afterCommit(ctx: RoomsContext, session: WriteSession): Promise<void> {
  if (session.persisted.length === 0) return;
  for (const event of session.persisted) {
    const roomVersion = session.roomVersions.get(event.roomId) ?? '';
    for (const listener of ctx.listeners) {
      try {
        await listener(event, { roomVersion });
      } catch (error) {
        ctx.deps.logger.error({ err: error, eventId: event.eventId }, 'onEventPersisted listener failed');
      }
    }
  }
  const position = Math.max(...session.persisted.map((event) => event.streamOrdering));
  const roomIds = [...new Set(session.persisted.map((event) => event.roomId))];
  await ctx.deps.notifier.publish({ stream: 'events', position, roomIds, userIds: [...session.users] });
}

/** A local event before it is built. */
export interface LocalEventTemplate {
  /** Absent only for a v12 create event. */
  roomId?: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
  redacts?: string;
}

/** How a refused local event is reported: 403 M_FORBIDDEN normally, 400 M_INVALID_ROOM_STATE during createRoom. */
export type AuthFailure = (reason: string) => MatrixError;

const forbidden: AuthFailure = (reason) => new MatrixError(403, 'M_FORBIDDEN', reason);

/**
 * Builds, signs, authorises and writes a local event inside `session`. The auth rules see the state before the
 * event; a refusal throws (nothing written).
 */
export async function buildAndPersist(
  ctx: RoomsContext,
  session: WriteSession,
  roomVersion: RoomVersion,
  template: LocalEventTemplate,
  onAuthFailure: AuthFailure = forbidden,
): Promise<PersistedEvent> {
  const { tx } = session;
  const extremities = template.roomId === undefined ? [] : await tx.events.getForwardExtremities(template.roomId);
  const prevEvents = (await tx.events.getEvents(extremities))
    .sort((a, b) => b.depth - a.depth || (a.eventId < b.eventId ? -1 : 1))
    .slice(0, MAX_LOCAL_PREV_EVENTS);
  const before = await stateAfterEvents(tx, session.cache, roomVersion, prevEvents.map((event) => event.eventId));

  const selection = { type: template.type, sender: template.sender, content: template.content, ...stateKeyField(template.stateKey) };
  const authKeys = authEventTypesFor(selection, roomVersion).map(([type, stateKey]) => stateKeyString(type, stateKey));
  const authIds = authKeys.flatMap((key) => before.state.get(key) ?? []);
  const createId = before.state.get(stateKeyString('m.room.create', ''));
  const authEvents = await tx.events.getEvents([...new Set([...authIds, ...(createId ? [createId] : [])])]);

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
  let built = build(ctx.deps.clock.now());
  // A v12 room ID is the create event's hash: the same creator and content in the same millisecond would name an
  // existing room, so move the timestamp on until the ID is new.
  while (template.type === 'm.room.create' && (await tx.rooms.getRoom(built.roomId)) !== null) {
    built = build(built.pdu.origin_server_ts + 1);
  }
  if (Buffer.byteLength(canonicalJson(built.pdu as JsonObject), 'utf8') > MAX_PDU_BYTES) {
    throw new MatrixError(413, 'M_TOO_LARGE', `The event is larger than ${MAX_PDU_BYTES} bytes`);
  }

  const authState = new Map(authEvents.map((event) => [stateKeyString(event.type, event.stateKey ?? ''), event.pdu]));
  const result = authorizeEvent({ event: built.pdu, eventId: built.eventId, roomVersion, authState });
  if (!result.allowed) throw onAuthFailure(result.reason);

  return writeEvent(ctx, session, roomVersion, {
    eventId: built.eventId,
    roomId: built.roomId,
    pdu: built.pdu,
    before,
    prevEventIds: prevEvents.map((event) => event.eventId),
    rejectedReason: null,
  });
}

export interface EventToWrite {
  eventId: string;
  roomId: string;
  pdu: Pdu;
  before: StateBefore;
  prevEventIds: readonly string[];
  rejectedReason: string | null;
}

/** Writes one event and everything that follows from it, in `session`'s transaction. */
export async function writeEvent(ctx: RoomsContext, session: WriteSession, roomVersion: RoomVersion, event: EventToWrite): Promise<PersistedEvent> {
  const { tx, cache } = session;
  const { eventId, roomId, pdu, before } = event;
  const stored = await tx.events.persist({ eventId, roomId, pdu, outlier: false, rejectedReason: event.rejectedReason });
  const persisted: PersistedEvent = { eventId, roomId, streamOrdering: stored.streamOrdering, pdu, rejectedReason: event.rejectedReason };
  if (!stored.inserted) return persisted;
  if (pdu.type === 'm.room.create' && typeof pdu.state_key === 'string') {
    await tx.rooms.addRoom({ roomId, roomVersion: roomVersion.id, creator: pdu.sender, isPublic: false });
  }

  const beforeGroup = before.group ?? (await storeResolvedGroup(tx, cache, roomId, before));
  const accepted = event.rejectedReason === null;
  const stateKey = accepted && typeof pdu.state_key === 'string' ? stateKeyString(pdu.type, pdu.state_key) : null;
  let afterGroup = beforeGroup;
  let after = before.state;
  if (stateKey !== null) {
    afterGroup = await tx.roomState.createStateGroup({
      roomId,
      prevGroup: beforeGroup,
      set: [{ type: pdu.type, stateKey: pdu.state_key as string, eventId }],
      remove: [],
    });
    after = new Map(before.state).set(stateKey, eventId);
    cache.put(afterGroup, after);
  }
  const replacesEventId = stateKey !== null ? (before.state.get(stateKey) ?? null) : null;
  await tx.roomState.setEventState([{ eventId, roomId, beforeGroup, afterGroup, replacesEventId }]);

  const storedEvent = toStoredEvent(persisted);
  session.persisted.push(storedEvent);
  session.roomVersions.set(roomId, roomVersion.id);
  if (!accepted) return persisted;

  await updateExtremitiesAndState(ctx, session, roomVersion, event, after, stored.streamOrdering);
  await recordRelation(tx, storedEvent);
  if (pdu.type === 'm.room.redaction') await applyRedaction(ctx, session, roomVersion, storedEvent);
  return persisted;
}

async function storeResolvedGroup(tx: Storage, cache: PendingGroupCache, roomId: string, before: StateBefore): Promise<number> {
  const parent = before.parentGroup === null ? new Map<string, string>() : await loadGroup(tx, cache, before.parentGroup);
  const diff = diffStates(parent, before.state);
  const group = await tx.roomState.createStateGroup({
    roomId,
    prevGroup: before.parentGroup,
    set: diff.set.map(([key, eventId]) => entryOf(key, eventId)),
    remove: diff.remove.map((key) => {
      const [type, stateKey] = parseStateKeyString(key);
      return { type, stateKey };
    }),
  });
  cache.put(group, before.state);
  return group;
}

/**
 * New forward extremities: the event replaces the prev events it references. Current state: when the event
 * built on every old extremity, the state before it was the current state, so only its own entry changes; else
 * the states after each new extremity are resolved and diffed against the current state.
 */
async function updateExtremitiesAndState(
  ctx: RoomsContext,
  session: WriteSession,
  roomVersion: RoomVersion,
  event: EventToWrite,
  after: StateMap,
  streamOrdering: number,
): Promise<void> {
  const { tx } = session;
  const { roomId, eventId, pdu } = event;
  const old = await tx.events.getForwardExtremities(roomId);
  const referenced = new Set(event.prevEventIds);
  await tx.events.updateForwardExtremities(roomId, { add: [eventId], remove: old.filter((id) => referenced.has(id)) });

  let set: [string, string][];
  let remove: string[] = [];
  if (old.length === referenced.size && old.every((id) => referenced.has(id))) {
    set = typeof pdu.state_key === 'string' ? [[stateKeyString(pdu.type, pdu.state_key), eventId]] : [];
  } else {
    const extremities = [...old.filter((id) => !referenced.has(id)), eventId];
    const refs = await tx.roomState.getEventState(extremities);
    const states = await Promise.all(
      extremities.map((id) => (id === eventId ? after : loadGroup(tx, session.cache, refs.get(id)?.afterGroup ?? -1))),
    );
    const resolved = await resolveStates(tx, roomVersion, states);
    const current = new Map((await tx.events.getCurrentState(roomId)).map((entry) => [stateKeyString(entry.type, entry.stateKey), entry.eventId]));
    ({ set, remove } = diffStates(current, resolved));
  }
  await tx.events.updateCurrentState(roomId, {
    set: set.map(([key, id]) => entryOf(key, id)),
    remove: remove.map((key) => {
      const [type, stateKey] = parseStateKeyString(key);
      return { type, stateKey };
    }),
  });
  await applyMembershipChanges(ctx, session, roomId, set, event, streamOrdering);
}

async function applyMembershipChanges(
  _ctx: RoomsContext,
  session: WriteSession,
  roomId: string,
  set: readonly [string, string][],
  event: EventToWrite,
  streamOrdering: number,
): Promise<void> {
  const memberIds = set.filter(([key]) => key.startsWith('m.room.member\u0000')).map(([, id]) => id);
  if (memberIds.length === 0) return;
  const others = await session.tx.events.getEvents(memberIds.filter((id) => id !== event.eventId));
  const byId = new Map<string, Pdu>(others.map((stored) => [stored.eventId, stored.pdu]));
  byId.set(event.eventId, event.pdu);
  const changes = [];
  for (const id of memberIds) {
    const member = byId.get(id);
    if (member === undefined || typeof member.state_key !== 'string') continue;
    const membership = typeof member.content.membership === 'string' ? member.content.membership : 'leave';
    const previous = await session.tx.roomState.getMembership(roomId, member.state_key);
    changes.push({
      roomId,
      userId: member.state_key,
      membership,
      previous: previous?.membership ?? null,
      eventId: id,
      sender: member.sender,
      streamOrdering,
      displayname: stringOrNull(member.content.displayname),
      avatarUrl: stringOrNull(member.content.avatar_url),
    });
    session.users.add(member.state_key);
  }
  await session.tx.roomState.applyMembershipChanges(changes);
}

/**
 * An accepted redaction marks its target redacted when the target is in the same room and the redaction is
 * allowed for it (v3+: same sender domain, or the redaction passed the power check at send time, which the
 * caller ensures for local events). The original is kept for the retention window.
 * https://spec.matrix.org/v1.19/rooms/v11/#handling-redactions
 */
async function applyRedaction(ctx: RoomsContext, session: WriteSession, roomVersion: RoomVersion, redaction: StoredEvent): Promise<void> {
  const targetId = redactionTarget(redaction.pdu, roomVersion);
  if (targetId === undefined) return;
  const [target] = await session.tx.events.getEvents([targetId]);
  if (target === undefined || target.roomId !== redaction.roomId || target.redactedBy !== null) return;
  await session.tx.events.markRedacted(targetId, redaction.eventId);
  // A redacted child breaks its relationship: it leaves /relations and every aggregation.
  await session.tx.roomState.removeRelation(targetId);
  await session.tx.roomState.retainRedacted(targetId, redaction.eventId, ctx.deps.clock.now() + ctx.redactionRetentionMs);
}

/** The event a redaction redacts: `content.redacts` from v11, top-level `redacts` before. */
export function redactionTarget(pdu: Pdu, roomVersion: RoomVersion): string | undefined {
  const target = roomVersion.redactsInContent ? pdu.content.redacts : pdu.redacts;
  return typeof target === 'string' ? target : undefined;
}

function toStoredEvent(event: PersistedEvent): StoredEvent {
  const { pdu } = event;
  return {
    eventId: event.eventId,
    roomId: event.roomId,
    type: pdu.type,
    stateKey: typeof pdu.state_key === 'string' ? pdu.state_key : null,
    sender: pdu.sender,
    depth: pdu.depth,
    originServerTs: pdu.origin_server_ts,
    streamOrdering: event.streamOrdering,
    pdu,
    outlier: false,
    rejectedReason: event.rejectedReason,
    redactedBy: null,
  };
}

function entryOf(key: string, eventId: string): { type: string; stateKey: string; eventId: string } {
  const [type, stateKey] = parseStateKeyString(key);
  return { type, stateKey, eventId };
}

function stateKeyField(stateKey: string | undefined): { state_key?: string } {
  return stateKey === undefined ? {} : { state_key: stateKey };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

