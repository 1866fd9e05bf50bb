/** Assembles the rooms service from its parts (see api.ts for what each function does). */
import { stateKeyString } from '@parley/federation';
import type { StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { RoomsService } from './api.js';
import { DEFAULT_REDACTION_RETENTION_MS, requireRoomVersion, type RoomsContext } from './context.js';
import { createRoom } from './create.js';
import { strippedState, toClientEvents } from './format.js';
import { evictGuestsAfter } from './guest-eviction.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { LruMap, MAX_CACHED_EVENTS, MAX_CACHED_TIPS } from './caches.js';
import { ban, forget, invite, join, kick, knock, leave, unban } from './membership.js';
import { getMessages, getRoomEvents } from './messages.js';
import { runRoomWrite } from './persist.js';
import { persistPdu } from './persist-remote.js';
import { currentStateMap, getEvent, getJoinedMembers, getMembers, getState, getStateEvent } from './reads.js';
import { redact, sendEvent, sendMessage, setState } from './send.js';
import { purgeExpiredRedactions, startRedactionPurge } from './redaction-purge.js';
import { createGroupCache, loadGroup } from './state.js';
import type { Membership, RoomsCallbacks, RoomsOptions, StrippedStateEvent } from './types.js';
import { filterEventsForUser } from './visibility.js';
import { createAlias, getAlias, getLocalAliases } from './aliases.js';
import { removeAlias } from './alias-removal.js';
import { getDirectoryVisibility, listPublicRooms, setDirectoryVisibility } from './directory.js';
import { getContext } from './event-context.js';
import { getRelations, getThreads } from './relations.js';
import { afterFirstJoin, upgradeRoom } from './upgrade.js';
import { requireNotSuspended } from './suspension.js';
import { computeEventId, type JsonObject } from '@parley/federation';

/** State types copied into `invite_state`/`knock_state`. https://spec.matrix.org/v1.19/client-server-api/#stripped-state */
const STRIPPED_STATE_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.encryption',
  'm.room.canonical_alias',
  'm.room.topic',
];

export function createRoomsServiceImpl(deps: CoreDeps, callbacks: RoomsCallbacks, options: RoomsOptions): RoomsService {
  const ctx: RoomsContext = {
    deps,
    callbacks,
    redactionRetentionMs: options.redactionRetentionMs ?? DEFAULT_REDACTION_RETENTION_MS,
    groups: createGroupCache(),
    events: new LruMap(MAX_CACHED_EVENTS),
    tips: new LruMap(MAX_CACHED_TIPS),
    mutex: createKeyedMutex(),
    listeners: new Set(),
    derivedWriters: [],
    pendingTips: new Map(),
    versions: new Map(),
  };
  const { storage } = deps;
  // A room that stops allowing guests loses its local guests (awaited: once the change is answered, they are out).
  ctx.listeners.add((event) => evictGuestsAfter(ctx, event));
  // Without shared job claims (unit tests) nothing starts it: tests call purgeExpiredRedactions themselves.
  const purge = deps.jobs === undefined ? { stop: () => undefined } : startRedactionPurge(ctx);

  const eventsOfState = async (state: ReadonlyMap<string, string>): Promise<StoredEvent[]> => storage.events.getEvents([...state.values()]);
  const stateOfEvent = async (eventId: string, after: boolean): Promise<StoredEvent[]> => {
    const ref = (await storage.roomState.getEventState([eventId])).get(eventId);
    if (ref === undefined) return [];
    return eventsOfState(await loadGroup(storage, ctx.groups, after ? ref.afterGroup : ref.beforeGroup));
  };
  /** The room's current state as it was once the event was persisted (differs from the state after it in a fork). */
  const currentStateOnceWritten = async (eventId: string): Promise<StoredEvent[]> => {
    const ref = (await storage.roomState.getEventState([eventId])).get(eventId);
    if (ref === undefined) return [];
    return eventsOfState(await loadGroup(storage, ctx.groups, ref.currentGroup ?? ref.afterGroup));
  };

  return {
    sendEvent: (request) => sendEvent(ctx, request),
    async persistPdu(roomId, pdu) {
      const version = await requireRoomVersion(ctx, storage, roomId);
      const eventId = computeEventId(pdu as JsonObject, version);
      return runRoomWrite(ctx, roomId, (session) => persistPdu(ctx, session, version, eventId, roomId, pdu));
    },
    onEventPersisted(listener) {
      ctx.listeners.add(listener);
      return () => void ctx.listeners.delete(listener);
    },
    addDerivedRowsWriter(writer) {
      if (ctx.derivedWriters.some((known) => known.name === writer.name)) throw new Error(`derived rows writer "${writer.name}" added twice`);
      ctx.derivedWriters.push(writer);
    },

    // A suspended user creates no rooms, upgrades none and changes no directory entries (suspension.ts); the
    // event pipeline would refuse their events anyway, but this answers before any room ID is taken.
    createRoom: async (requester, request) => {
      await requireNotSuspended(ctx, requester.userId);
      return createRoom(ctx, requester, request);
    },
    async join(requester, roomIdOrAlias, opts) {
      const joined = await join(ctx, requester, roomIdOrAlias, opts);
      if (joined.firstJoin) {
        await afterFirstJoin(ctx, requester.userId, joined.roomId).catch((error: unknown) =>
          deps.logger.warn({ err: error, roomId: joined.roomId }, 'copying room tags to a successor room failed'),
        );
      }
      return { roomId: joined.roomId };
    },
    knock: (requester, roomIdOrAlias, opts) => knock(ctx, requester, roomIdOrAlias, opts),
    invite: (requester, roomId, userId, opts) => invite(ctx, requester, roomId, userId, opts),
    leave: (requester, roomId, opts) => leave(ctx, requester, roomId, opts),
    forget: (requester, roomId) => forget(ctx, requester, roomId),
    kick: (requester, roomId, userId, opts) => kick(ctx, requester, roomId, userId, opts),
    ban: (requester, roomId, userId, opts) => ban(ctx, requester, roomId, userId, opts),
    unban: (requester, roomId, userId, opts) => unban(ctx, requester, roomId, userId, opts),
    async joinedRooms(userId) {
      return (await storage.roomState.getMembershipsOfUser(userId)).filter((m) => m.membership === 'join').map((m) => m.roomId);
    },
    getMembers: (requester, roomId, query) => getMembers(ctx, requester, roomId, query),
    getJoinedMembers: (requester, roomId) => getJoinedMembers(ctx, requester, roomId),
    sendMessage: (requester, roomId, type, txnId, content) => sendMessage(ctx, requester, roomId, type, txnId, content),
    setState: (requester, roomId, type, stateKey, content) => setState(ctx, requester, roomId, type, stateKey, content),
    getStateEvent: (requester, roomId, type, stateKey) => getStateEvent(ctx, requester, roomId, type, stateKey),
    getState: (requester, roomId) => getState(ctx, requester, roomId),
    redact: (requester, roomId, eventId, txnId, opts) => redact(ctx, requester, roomId, eventId, txnId, opts),
    getEvent: (requester, roomId, eventId) => getEvent(ctx, requester, roomId, eventId),
    getMessages: (requester, roomId, query) => getMessages(ctx, requester, roomId, query),
    getContext: (requester, roomId, eventId, query) => getContext(ctx, requester, roomId, eventId, query),
    getRelations: (requester, roomId, eventId, query) => getRelations(ctx, requester, roomId, eventId, query),
    getThreads: (requester, roomId, query) => getThreads(ctx, requester, roomId, query),
    upgradeRoom: async (requester, roomId, request) => {
      await requireNotSuspended(ctx, requester.userId);
      return upgradeRoom(ctx, requester, roomId, request);
    },
    createAlias: async (requester, alias, roomId) => {
      await requireNotSuspended(ctx, requester.userId);
      await createAlias(ctx, requester, alias, roomId);
    },
    getAlias: (alias) => getAlias(ctx, alias),
    deleteAlias: async (requester, alias) => {
      await requireNotSuspended(ctx, requester.userId);
      await removeAlias(ctx, requester, alias);
    },
    getLocalAliases: (requester, roomId) => getLocalAliases(ctx, requester, roomId),
    getDirectoryVisibility: (roomId) => getDirectoryVisibility(ctx, roomId),
    setDirectoryVisibility: async (requester, roomId, visibility) => {
      await requireNotSuspended(ctx, requester.userId);
      await setDirectoryVisibility(ctx, requester, roomId, visibility);
    },
    listPublicRooms: (query) => listPublicRooms(ctx, query),

    async getRoomVersion(roomId) {
      return (await storage.rooms.getRoom(roomId))?.roomVersion ?? null;
    },
    async getRoomsForUser(userId) {
      return (await storage.roomState.getMembershipsOfUser(userId)).map((m) => ({
        roomId: m.roomId,
        membership: m.membership as Membership,
        eventId: m.eventId,
        streamOrdering: m.streamOrdering,
        sender: m.sender,
      }));
    },
    async getMembershipChanges(userId, from, to) {
      return (await storage.roomState.getMembershipChanges(userId, from, to)).map((change) => ({
        ...change,
        membership: change.membership as Membership,
        previous: change.previous as Membership | null,
      }));
    },
    async isJoined(userId, roomId) {
      return (await storage.roomState.getMembership(roomId, userId))?.membership === 'join';
    },
    getUsersSharingRoomWith: (userId) => storage.roomState.getUsersSharingRoomWith(userId),
    async leaveAllRooms(userId) {
      const requester = { userId, deviceId: null, accessTokenId: 0 };
      for (const membership of await storage.roomState.getMembershipsOfUser(userId)) {
        if (!['join', 'invite', 'knock'].includes(membership.membership)) continue;
        await leave(ctx, requester, membership.roomId).catch((error: unknown) =>
          deps.logger.warn({ err: error, roomId: membership.roomId, userId }, 'leaving a room on deactivation failed'),
        );
      }
    },
    async getJoinedUserIds(roomId) {
      return (await storage.roomState.getMembershipsOfRoom(roomId, 'join')).map((m) => m.userId);
    },
    getRoomEvents: (roomIds, from, to, limit) => getRoomEvents(ctx, roomIds, from, to, limit),
    async getCurrentState(roomId) {
      return eventsOfState(await currentStateMap(ctx, roomId));
    },
    async getStateAtPosition(roomId, position) {
      const last = await storage.events.getLastEventAtOrBefore(roomId, position);
      return last === null ? [] : currentStateOnceWritten(last.eventId);
    },
    getStateAtEvent: (eventId, opts) => stateOfEvent(eventId, opts?.after === true),
    async getInviteState(roomId, opts) {
      const state = await currentStateMap(ctx, roomId);
      const ids = STRIPPED_STATE_TYPES.flatMap((type) => state.get(stateKeyString(type, '')) ?? []);
      for (const member of new Set(opts?.members ?? [])) {
        const memberId = state.get(stateKeyString('m.room.member', member));
        if (memberId !== undefined) ids.push(memberId);
      }
      return (await storage.events.getEvents(ids)).map((event): StrippedStateEvent => strippedState(event));
    },
    currentPosition: () => storage.streams.current('events'),
    resolveAlias: (alias) => storage.roomState.getAliasRoom(alias),
    getEvents: (eventIds) => storage.events.getEvents(eventIds),

    filterEventsForUser: (userId, events) => filterEventsForUser(ctx, storage, userId, events),
    async canSeeEvent(userId, event) {
      return (await filterEventsForUser(ctx, storage, userId, [event])).length === 1;
    },
    toClientEvents: (events, viewer) => toClientEvents(ctx, storage, events, viewer),
    purgeExpiredRedactions: () => purgeExpiredRedactions(ctx),
    close: () => purge.stop(),
  };
}
