/**
 * The one PDU pipeline's write side. Local events are built in local-event.ts; remote PDUs enter at
 * persist-remote.ts; both are written here. One write = one transaction: the event row and edges with its stream
 * position, the state snapshot references, forward extremities, current state and memberships, and the rows other
 * domains derive from it (derived rows writers: notification counts, search entry, device-list changes). After
 * commit, listeners run and the notifier wakes /sync.
 * https://spec.matrix.org/v1.19/server-server-api/#checks-performed-on-receipt-of-a-pdu
 */
import { parseStateKeyString, stateKeyString, type Pdu, type RoomVersion } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import { buildingBlockOf, type RoomTip } from './caches.js';
import type { RoomsContext } from './context.js';
import { createBatchQueue, type BatchQueue } from './group-commit.js';
import { diffStates, loadGroup, pendingGroupCache, resolveStates, type PendingGroupCache, type StateBefore, type StateMap } from './state.js';
import { recordRelation } from './relations-write.js';
import { applyRedaction } from './redaction.js';
import type { AfterEventCommit, MembershipTransitionRecord, PersistedEvent } from './types.js';

/** One write transaction and what it produced, published after commit. */
export interface WriteSession {
  tx: Storage;
  cache: PendingGroupCache;
  /** Room tips this transaction produced (null: forget the room's tip), kept once it commits. */
  tips: Map<string, RoomTip | null>;
  /** Each persisted event with the state snapshot after it, for the listeners. */
  persisted: { event: StoredEvent; stateGroup: number }[];
  /** Users concerned directly (invite targets etc.), for the notifier. */
  users: Set<string>;
  roomVersions: Map<string, string>;
  /** Best-effort work the derived rows writers asked for, run once the transaction committed. */
  afterCommit: AfterEventCommit[];
}

/** The two steps of {@link runPreparedRoomWrite}. */
export interface PreparedRoomWrite<P, T> {
  /** Reads and CPU work before the transaction (no transaction is open; use the pool). */
  prepare(): Promise<P>;
  /** The writes, in one transaction, with what `prepare` returned. */
  write(session: WriteSession, prepared: P): Promise<T>;
  /**
   * True when the room's next local write may be prepared before this one commits (it built on a tip `prepare`
   * left in `ctx.pendingTips`); else the room's mutex is held until this write committed.
   */
  chains?(prepared: P): boolean;
}

/** Most writes in one group-commit transaction. */
export const MAX_WRITES_PER_BATCH = 64;

/** Room writes waiting for their group-commit batch, per rooms service (created on first use). */
const writeQueues = new WeakMap<RoomsContext, BatchQueue<QueuedWrite>>();

/** A room write waiting for its batch. */
interface QueuedWrite {
  roomId: string;
  fn: (session: WriteSession) => Promise<unknown>;
  /** At commit, with the work after it (listeners, publish), which runs outside the writer. */
  resolve(value: Written<unknown>): void;
  reject(error: unknown): void;
}

/** A committed write: its result, and the after-commit work still running (awaited before answering the caller). */
interface Written<T> {
  result: T;
  after: Promise<void>;
}

/**
 * Runs `fn` in a transaction, serialised with other writes to `roomId` (in-process mutex, plus a PostgreSQL row
 * lock on the room), then publishes what it persisted. Writes to existing rooms are group-committed: the
 * transaction may hold other rooms' writes too (see {@link writeBatch}). `roomId` null: a new room nobody else can
 * write yet, in a transaction of its own.
 */
export async function runRoomWrite<T>(ctx: RoomsContext, roomId: string | null, fn: (session: WriteSession) => Promise<T>): Promise<T> {
  if (roomId !== null) {
    // The room is held until commit; listeners run after it is released (they may write to the room again).
    const { result, after } = await ctx.mutex.run(roomId, () => queueWrite(ctx, roomId, fn));
    await after;
    return result;
  }
  const { result, session } = await transact(ctx, [], fn);
  await afterCommitLogged(ctx, session);
  return result;
}

/**
 * Like {@link runRoomWrite}, with a `prepare` step under the room's mutex before the write is queued. The mutex
 * keeps other local writers of the room out from `prepare` until commit, or, when `steps.chains` says so, until the
 * write is queued (the next one builds on the tip `prepare` left); `write` must re-check what another process, or
 * a failed earlier write, could have changed (it runs under the room's row lock).
 */
export async function runPreparedRoomWrite<P, T>(ctx: RoomsContext, roomId: string, steps: PreparedRoomWrite<P, T>): Promise<T> {
  const queued = await ctx.mutex.run(roomId, async () => {
    const prepared = await steps.prepare();
    const written = queueWrite(ctx, roomId, (session) => steps.write(session, prepared));
    if (steps.chains?.(prepared) !== true) await written.catch(() => undefined);
    // Wrapped: a promise returned from the mutex's task would be awaited by it.
    return { written };
  });
  const { result, after } = await queued.written;
  await after;
  return result;
}

function queueWrite<T>(ctx: RoomsContext, roomId: string, fn: (session: WriteSession) => Promise<T>): Promise<Written<T>> {
  let queue = writeQueues.get(ctx);
  if (queue === undefined) {
    queue = createBatchQueue<QueuedWrite>((jobs) => writeBatch(ctx, jobs), MAX_WRITES_PER_BATCH);
    writeQueues.set(ctx, queue);
  }
  return new Promise<Written<T>>((resolve, reject) => {
    queue.submit({ roomId, fn, resolve: (value) => resolve(value as Written<T>), reject });
  });
}

/**
 * Group commit: every queued write in one transaction, then one publish, then every caller answered. When any
 * write throws (a refused event, a client transaction ID race) or the commit fails, nothing of the batch stands
 * and each write runs again alone, so only the failing one fails. Writes to one room keep their queue order.
 */
async function writeBatch(ctx: RoomsContext, jobs: readonly QueuedWrite[]): Promise<void> {
  if (jobs.length > 1) {
    const outcome = await transact(ctx, jobs.map((job) => job.roomId), async (session) => {
      const results: unknown[] = [];
      for (const job of jobs) results.push(await job.fn(session));
      return results;
    }).catch((error: unknown) => {
      ctx.deps.logger.debug({ err: error, writes: jobs.length }, 'a write of a batch failed; writing them one by one');
      return null;
    });
    if (outcome !== null) {
      // Not awaited here: a listener may queue a write of its own, which this writer must be free to take.
      const after = afterCommitLogged(ctx, outcome.session);
      jobs.forEach((job, index) => job.resolve({ result: outcome.result[index], after }));
      return;
    }
  }
  for (const job of jobs) {
    try {
      const { result, session } = await transact(ctx, [job.roomId], job.fn);
      job.resolve({ result, after: afterCommitLogged(ctx, session) });
    } catch (error) {
      job.reject(error);
    }
  }
}

/** The writes committed: a failure of what follows (listeners, publish) is logged, never reported as a failed write. */
async function afterCommitLogged(ctx: RoomsContext, session: WriteSession): Promise<void> {
  await afterCommit(ctx, session).catch((error: unknown) => ctx.deps.logger.error({ err: error }, 'work after a room write committed failed'));
}

async function transact<T>(ctx: RoomsContext, roomIds: readonly string[], fn: (session: WriteSession) => Promise<T>): Promise<{ result: T; session: WriteSession }> {
  const cache = pendingGroupCache(ctx.groups);
  const outcome = await ctx.deps.storage.transaction(async (tx) => {
    // Sorted: two processes' batches take their room locks in one order, so they cannot deadlock.
    for (const roomId of [...new Set(roomIds)].sort()) await tx.roomState.lockRoom(roomId);
    const session: WriteSession = { tx, cache, tips: new Map(), persisted: [], users: new Set(), roomVersions: new Map(), afterCommit: [] };
    const result = await fn(session);
    await finishDerivedRows(ctx, session);
    return { result, session };
  });
  // Committed: what the transaction learnt is now true for everyone.
  cache.commit();
  for (const [tipRoomId, tip] of outcome.session.tips) {
    if (tip === null) ctx.tips.delete(tipRoomId);
    else ctx.tips.set(tipRoomId, tip);
  }
  return outcome;
}

/** Lets each derived rows writer close the transaction's work (e.g. move reader positions past it). */
async function finishDerivedRows(ctx: RoomsContext, session: WriteSession): Promise<void> {
  if (session.persisted.length === 0) return;
  const last = Math.max(...session.persisted.map(({ event }) => event.streamOrdering));
  for (const writer of ctx.derivedWriters) await writer.finish?.(session.tx, last);
}

async function afterCommit(ctx: RoomsContext, session: WriteSession): Promise<void> {
  if (session.persisted.length === 0) return;
  for (const work of session.afterCommit) {
    await work().catch((error: unknown) => ctx.deps.logger.warn({ err: error }, 'work after an event write failed'));
  }
  for (const { event, stateGroup } of session.persisted) {
    const roomVersion = session.roomVersions.get(event.roomId) ?? '';
    for (const listener of ctx.listeners) {
      try {
        await listener(event, { roomVersion, stateGroup });
      } catch (error) {
        ctx.deps.logger.error({ err: error, eventId: event.eventId }, 'onEventPersisted listener failed');
      }
    }
  }
  const position = Math.max(...session.persisted.map(({ event }) => event.streamOrdering));
  const roomIds = [...new Set(session.persisted.map(({ event }) => event.roomId))];
  await ctx.deps.notifier.publish({ stream: 'events', position, roomIds, userIds: [...session.users] });
}

export interface EventToWrite {
  eventId: string;
  roomId: string;
  pdu: Pdu;
  before: StateBefore;
  prevEventIds: readonly string[];
  rejectedReason: string | null;
  /** The room's forward extremities as read in this transaction, when the caller has them (saves a read). */
  currentExtremities?: readonly string[];
  /** Its depth is below the room's newest: stored with its topological place, not shown as new by sync. */
  historical?: boolean;
}

/** Writes one event and everything that follows from it, in `session`'s transaction. */
export async function writeEvent(ctx: RoomsContext, session: WriteSession, roomVersion: RoomVersion, event: EventToWrite): Promise<PersistedEvent> {
  const { tx, cache } = session;
  const { eventId, roomId, pdu, before } = event;
  const historical = event.historical === true;
  const stored = await tx.events.persist({ eventId, roomId, pdu, outlier: false, rejectedReason: event.rejectedReason, historical });
  const persisted: PersistedEvent = { eventId, roomId, streamOrdering: stored.streamOrdering, pdu, rejectedReason: event.rejectedReason };
  if (!stored.inserted) return persisted;
  ctx.events.set(eventId, buildingBlockOf({ eventId, type: pdu.type, stateKey: stateKeyOf(pdu), depth: pdu.depth, pdu }));
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
  const storedEvent = toStoredEvent(persisted, historical);
  session.roomVersions.set(roomId, roomVersion.id);
  if (!accepted) {
    await tx.roomState.setEventState([{ eventId, roomId, beforeGroup, afterGroup, replacesEventId }]);
    session.persisted.push({ event: storedEvent, stateGroup: afterGroup });
    return persisted;
  }

  const { currentGroup, membershipChanges } = await updateExtremitiesAndState(ctx, session, roomVersion, event, { state: after, group: afterGroup }, stored.streamOrdering);
  await tx.roomState.setEventState([{ eventId, roomId, beforeGroup, afterGroup, replacesEventId, currentGroup }]);
  if (currentGroup !== null) storedEvent.stateResolved = true;
  session.persisted.push({ event: storedEvent, stateGroup: afterGroup });
  await recordRelation(tx, storedEvent);
  if (pdu.type === 'm.room.redaction') await applyRedaction(ctx, tx, roomVersion, storedEvent, before.state);
  const derived = { tx, roomVersion: roomVersion.id, stateGroup: afterGroup, stateAfter: after, membershipChanges };
  for (const writer of ctx.derivedWriters) {
    const work = await writer.write(storedEvent, derived);
    if (work) session.afterCommit.push(work);
  }
  return persisted;
}

async function storeResolvedGroup(tx: Storage, cache: PendingGroupCache, roomId: string, before: StateBefore): Promise<number> {
  const parent = before.parentGroup === null ? new Map<string, string>() : await loadGroup(tx, cache, before.parentGroup);
  return storeDeltaGroup(tx, cache, { roomId, prevGroup: before.parentGroup, diff: diffStates(parent, before.state), state: before.state });
}

/** Stores `state` as the delta `diff` against `prevGroup` (never the whole state) and caches it whole. */
async function storeDeltaGroup(
  tx: Storage,
  cache: PendingGroupCache,
  group: { roomId: string; prevGroup: number | null; diff: ReturnType<typeof diffStates>; state: StateMap },
): Promise<number> {
  const id = await tx.roomState.createStateGroup({
    roomId: group.roomId,
    prevGroup: group.prevGroup,
    set: group.diff.set.map(([key, eventId]) => entryOf(key, eventId)),
    remove: group.diff.remove.map((key) => {
      const [type, stateKey] = parseStateKeyString(key);
      return { type, stateKey };
    }),
  });
  cache.put(id, group.state);
  return id;
}

/**
 * New forward extremities: the event replaces the prev events it references. Current state: when the event
 * built on every old extremity, the state before it was the current state, so only its own entry changes; else
 * the states after each new extremity are resolved and diffed against the current state. Returns the group
 * holding the room's current state when resolution made it differ from the state after the event (stored as a
 * delta against that group), else null.
 */
async function updateExtremitiesAndState(
  ctx: RoomsContext,
  session: WriteSession,
  roomVersion: RoomVersion,
  event: EventToWrite,
  after: { state: StateMap; group: number },
  streamOrdering: number,
): Promise<{ currentGroup: number | null; membershipChanges: MembershipTransitionRecord[] }> {
  const { tx } = session;
  const { roomId, eventId, pdu } = event;
  let currentGroup: number | null = null;
  const old = event.currentExtremities ?? (await tx.events.getForwardExtremities(roomId));
  const referenced = new Set(event.prevEventIds);
  await tx.events.updateForwardExtremities(roomId, { add: [eventId], remove: old.filter((id) => referenced.has(id)) });

  let set: [string, string][];
  let remove: string[] = [];
  if (old.length === referenced.size && old.every((id) => referenced.has(id))) {
    set = typeof pdu.state_key === 'string' ? [[stateKeyString(pdu.type, pdu.state_key), eventId]] : [];
    // The event is now the room's only extremity: the next local event builds on it and the state after it.
    session.tips.set(roomId, { extremities: [eventId], stateBeforeNext: { state: after.state, group: after.group, parentGroup: null } });
  } else {
    session.tips.set(roomId, null);
    const extremities = [...old.filter((id) => !referenced.has(id)), eventId];
    const refs = await tx.roomState.getEventState(extremities);
    const states = await Promise.all(
      extremities.map((id) => (id === eventId ? after.state : loadGroup(tx, session.cache, refs.get(id)?.afterGroup ?? -1))),
    );
    const resolved = await resolveStates(tx, roomVersion, states);
    const current = new Map((await tx.events.getCurrentState(roomId)).map((entry) => [stateKeyString(entry.type, entry.stateKey), entry.eventId]));
    ({ set, remove } = diffStates(current, resolved));
    currentGroup = await storeCurrentGroup(session, roomId, after, resolved);
    if (currentGroup !== null) await tx.events.markStateResolved(eventId);
  }
  if (set.length > 0 || remove.length > 0) {
    await tx.events.updateCurrentState(roomId, {
      set: set.map(([key, id]) => entryOf(key, id)),
      remove: remove.map((key) => {
        const [type, stateKey] = parseStateKeyString(key);
        return { type, stateKey };
      }),
    });
  }
  const membershipChanges = await applyMembershipChanges(ctx, session, roomId, set, event, streamOrdering);
  return { currentGroup, membershipChanges };
}

/** Stores the resolved current state as a delta against the state after the event; null when they are equal. */
async function storeCurrentGroup(session: WriteSession, roomId: string, after: { state: StateMap; group: number }, resolved: StateMap): Promise<number | null> {
  const diff = diffStates(after.state, resolved);
  if (diff.set.length === 0 && diff.remove.length === 0) return null;
  return storeDeltaGroup(session.tx, session.cache, { roomId, prevGroup: after.group, diff, state: resolved });
}

async function applyMembershipChanges(
  _ctx: RoomsContext,
  session: WriteSession,
  roomId: string,
  set: readonly [string, string][],
  event: EventToWrite,
  streamOrdering: number,
): Promise<MembershipTransitionRecord[]> {
  const memberIds = set.filter(([key]) => key.startsWith('m.room.member\u0000')).map(([, id]) => id);
  if (memberIds.length === 0) return [];
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
  return changes.map(({ userId, membership, previous, eventId }) => ({ roomId, userId, membership, previous, eventId }));
}

function toStoredEvent(event: PersistedEvent, historical: boolean): StoredEvent {
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
    ...(historical ? { historical: true } : {}),
  };
}

function entryOf(key: string, eventId: string): { type: string; stateKey: string; eventId: string } {
  const [type, stateKey] = parseStateKeyString(key);
  return { type, stateKey, eventId };
}

function stateKeyOf(pdu: Pdu): string | null {
  return typeof pdu.state_key === 'string' ? pdu.state_key : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

