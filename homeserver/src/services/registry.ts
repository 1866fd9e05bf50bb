/**
 * Builds every domain service and wires the cross-domain callbacks (hooks that would otherwise be import cycles).
 * Called once by the composition root.
 */
import { stateKeyString, type JsonObject } from '@parley/federation';
import type { CoreDeps } from './deps.js';
import { createAccountsService, type AccountsService, type AttemptLimiter } from './accounts/index.js';
import { createPresenceService, PRESENCE_PRIVACY_TYPE, type PresenceService } from './presence/index.js';
import { createProfileService, type ProfileService } from './profile/index.js';
import { createPushService, type PushService } from './push/index.js';
import { createReceiptsService, type ReceiptsService } from './receipts/index.js';
import { createRoomsService, type RoomsService } from './rooms/index.js';
import { createSearchService, type SearchService } from './search/index.js';
import { createOldSyncService, createSyncService, syncSourcesFrom, type OldSyncService, type SyncService } from './sync/index.js';
import { createTypingService, type TypingService } from './typing/index.js';
import { createKeyBackupService, type KeyBackupService } from './key-backup/index.js';
import { createToDeviceService, type ToDeviceService } from './to-device/index.js';
import { createE2eeService, type E2eeService } from './e2ee/index.js';
import { createStreamReaders, type StreamReaders } from './stream-readers/index.js';

export type { CoreDeps } from './deps.js';

export interface Services {
  accounts: AccountsService;
  rooms: RoomsService;
  sync: SyncService;
  /** GET /events, /events/{eventId}, /initialSync, /rooms/{roomId}/initialSync (peeking). */
  oldSync: OldSyncService;
  typing: TypingService;
  receipts: ReceiptsService;
  presence: PresenceService;
  push: PushService;
  search: SearchService;
  profile: ProfileService;
  e2ee: E2eeService;
  toDevice: ToDeviceService;
  keyBackup: KeyBackupService;
  /** Durable readers of the events stream (push counts, search, device-list membership changes); main.ts starts them. */
  streamReaders: StreamReaders;
}

/** Adapters the composition root hands to domains (each domain's narrow port onto them). */
export interface ServicePorts {
  /** Limits password guesses in accounts (main.ts builds it from the rate limiter). */
  attemptLimiter?: AttemptLimiter;
  /** Limits accounts created per address in accounts (main.ts builds it from the rate limiter). */
  registrationLimiter?: AttemptLimiter;
}

export function createServices(deps: CoreDeps, ports: ServicePorts = {}): Services {
  const accounts = createAccountsService(deps, {
    attemptLimiter: ports.attemptLimiter,
    registrationLimiter: ports.registrationLimiter,
  });
  // Rooms copies the user's profile into member events; profile is built below (called only after both exist).
  const rooms = createRoomsService(
    deps,
    {
      getProfile: (userId) => profile.getProfile(userId),
      getIgnoredUsers: (userId) => profile.getIgnoredUsers(userId),
      copyRoomTags: (userId, fromRoomId, toRoomId) => profile.copyRoomTags(userId, fromRoomId, toRoomId),
      // Suspended accounts send no events but leaving and redacting their own (rooms/suspension.ts).
      isSuspended: (userId) => accounts.isSuspended(userId),
      guestsAmong: (userIds) => accounts.guestsAmong(userIds),
    },
    { redactionRetentionMs: deps.config.rooms.redaction_retention_ms },
  );
  // A deactivated account leaves every room it is joined to, invited to or knocking on.
  accounts.onDeactivated(({ userId }) => rooms.leaveAllRooms(userId));
  // Ephemeral domains (typing, receipts, presence) ask rooms about membership and profile about account data.
  const isJoined = (userId: string, roomId: string): Promise<boolean> => rooms.isJoined(userId, roomId);
  const typing = createTypingService(deps, { isJoined });
  const receipts = createReceiptsService(deps, {
    isJoined,
    setFullyRead: async (userId, roomId, eventId) => {
      await profile.setServerAccountData(userId, roomId, 'm.fully_read', { event_id: eventId });
    },
    getFullyRead: async (userId, roomId) => {
      const eventId = (await profile.getServerAccountData(userId, roomId, 'm.fully_read'))?.event_id;
      return typeof eventId === 'string' ? eventId : null;
    },
    onReadReceipt: (userId, receipt) => push.markRead(userId, receipt),
  });
  const presence = createPresenceService(deps, {
    usersSharingRoomWith: (userId) => rooms.getUsersSharingRoomWith(userId),
    joinedRoomIds: async (userId) => (await rooms.getRoomsForUser(userId)).filter((m) => m.membership === 'join').map((m) => m.roomId),
    getGlobalAccountData: (userId, type) => profile.getServerAccountData(userId, null, type),
  });
  // Sending an event is pro-active activity (coalesced in presence); remote users' presence comes over federation.
  // NOTSPEC: best-effort, not a durable reader: a crash between the commit and this call only loses a presence bump.
  // NOTSPEC: membership events (joins, profile changes) are not activity: a user who joined rooms but never synced
  // or acted stays unknown (offline) instead of coming down online to every co-member of a large room.
  rooms.onEventPersisted(async (event) => {
    if (!event.sender.endsWith(`:${deps.serverName}`) || event.type === 'm.room.member') return;
    await presence.markActive(event.sender).catch((error: unknown) => deps.logger.warn({ err: error }, 'presence update failed'));
  });
  // Push formats /notifications events like every other event read (rooms' formatter, called only after both exist).
  const push = createPushService(deps, {
    formatEvents: (events, userId) => rooms.toClientEvents(events, { userId }),
    // Events from users the reader ignores never notify them (m.ignored_user_list).
    getIgnoredUsers: (userId, via) => profile.getIgnoredUsers(userId, via),
  });
  const search = createSearchService(deps, rooms);
  const profile = createProfileService(deps, {
    rooms,
    userExists: (userId) => accounts.userExists(userId),
    isSuspended: (userId) => accounts.isSuspended(userId),
    // m.push_rules is server-managed account data: reads come from the push domain.
    getPushRules: async (userId) => (await push.getPushRulesAccountData(userId)).content as unknown as JsonObject,
    // Changing the presence privacy setting re-announces the user's presence, so others' views follow at once.
    onAccountDataChanged: async (userId, roomId, type) => {
      if (roomId === null && type === PRESENCE_PRIVACY_TYPE) await presence.privacyChanged(userId);
    },
  }, { searchAllUsers: deps.config.user_directory.search_all_users });
  // A new account starts with its localpart as displayname, so its member events carry a name (as other servers do).
  accounts.onRegistered(({ userId }) => profile.initProfile(userId, { displayname: userId.slice(1, userId.indexOf(':')) }));
  // To-device: `*` expands to the recipient's devices now; a deleted device's queue goes with it.
  const toDevice = createToDeviceService(deps, {
    listDeviceIds: (userIds) => accounts.listDevicesOfUsers(userIds),
  });
  accounts.onDeviceChanged(async ({ userId, deviceId, kind }) => {
    if (kind === 'deleted') await toDevice.deviceDeleted(userId, deviceId);
  });
  // E2EE keys: device lists follow device changes (a deleted device's keys go with it) and joins/leaves.
  const e2ee = createE2eeService(deps, {
    usersSharingRoomWith: (userId) => rooms.getUsersSharingRoomWith(userId),
    joinedRoomIds: async (userId) => (await rooms.getRoomsForUser(userId)).filter((m) => m.membership === 'join').map((m) => m.roomId),
    joinedMembers: (roomId) => rooms.getJoinedUserIds(roomId),
    listDevices: (userId) => accounts.listDevices(userId),
    listDevicesOfUsers: (userIds) => accounts.listDevicesOfUsers(userIds),
    requireUserInteractiveAuth: (requester, auth, operation) => accounts.requireUserInteractiveAuth(requester, auth, operation),
  });
  accounts.onDeviceChanged((change) => e2ee.deviceChanged(change));
  const streamReaders = createStreamReaders(deps);
  // Derived rows a crash must not lose, written in each event's own transaction (local and remote events alike):
  // notification counts, the search index (indexing, redactions, rooms turning encrypted), device-list changes of
  // joins and leaves. The same rows have durable readers of the events stream, which only catch up at startup on
  // what an older version (that wrote them after commit) left; every write moves their positions past its events.
  rooms.addDerivedRowsWriter({
    name: 'push',
    write: (event, { tx, roomVersion, stateGroup }) => push.writeEventRows(tx, event, { roomVersion, stateGroup }),
  });
  rooms.addDerivedRowsWriter({
    name: 'search',
    write: (event, { tx, stateAfter }) => search.writeEventRows(tx, event, { roomEncrypted: stateAfter.has(stateKeyString('m.room.encryption', '')) }),
  });
  rooms.addDerivedRowsWriter({
    name: 'device_lists',
    async write(event, { tx, membershipChanges }) {
      if (membershipChanges.length === 0) return;
      return e2ee.recordMembershipChanges(tx, membershipChanges);
    },
    finish: (tx, position) => streamReaders.markProcessed(tx, position),
  });
  streamReaders.register(push.eventReader);
  streamReaders.register(search.eventReader);
  streamReaders.register(
    e2ee.membershipReader(async (event) => {
      if (event.stateKey === null) return null;
      const changes = await rooms.getMembershipChanges(event.stateKey, event.streamOrdering - 1, event.streamOrdering);
      const change = changes.find((candidate) => candidate.eventId === event.eventId);
      return change ? { roomId: event.roomId, userId: event.stateKey, membership: change.membership, previous: change.previous } : null;
    }),
  );
  const sync = createSyncService(deps, syncSourcesFrom({ rooms, typing, receipts, presence, profile, push, toDevice, e2ee }));
  // A membership change reaches every process's lazy-loading cache (else a stale entry could hide the member).
  rooms.onEventPersisted(async (event) => {
    if (event.type === 'm.room.member' && event.stateKey !== null && !event.outlier) await sync.membershipChanged(event.roomId, event.stateKey);
  });
  const oldSync = createOldSyncService(deps, rooms, syncSourcesFrom({ rooms, presence, profile, push }));
  const keyBackup = createKeyBackupService(deps);
  // A deactivated account's backed-up room keys go with it.
  accounts.onDeactivated(({ userId }) => keyBackup.deleteAllVersions(userId));
  return { accounts, rooms, sync, oldSync, typing, receipts, presence, push, search, profile, e2ee, toDevice, keyBackup, streamReaders };
}

/**
 * Stops every service's background work (timers, sweeps) so that nothing touches storage after it closes. Call it
 * after the HTTP server stopped and before the notifier and database close. Order: the producers of ephemeral
 * updates first (typing, presence), then whatever else exposes `close`.
 */
export async function closeServices(services: Services): Promise<void> {
  const order: (keyof Services)[] = ['typing', 'presence'];
  const rest = (Object.keys(services) as (keyof Services)[]).filter((name) => !order.includes(name));
  const failures: unknown[] = [];
  for (const name of [...order, ...rest]) {
    const service: unknown = services[name];
    const close = (service as { close?: unknown } | undefined)?.close;
    // One failing close must not leave the other services' timers running.
    if (typeof close !== 'function') continue;
    try {
      await (close as () => unknown).call(service);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'some services failed to close');
}
