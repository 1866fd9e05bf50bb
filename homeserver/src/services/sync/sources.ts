/**
 * Adapts the other domains' public reads to the ports sync uses (types.ts). The registry calls
 * {@link syncSourcesFrom} with the services it built.
 */
import type { JsonObject } from '@parley/federation';
import type { PresenceService } from '../presence/index.js';
import type { ProfileService } from '../profile/index.js';
import type { PushService } from '../push/index.js';
import type { ReceiptsService } from '../receipts/index.js';
import type { TypingService } from '../typing/index.js';
import type { ToDeviceService } from '../to-device/index.js';
import type { E2eeService } from '../e2ee/index.js';
import type { AccountDataItem, SyncRoomsPort, SyncSources } from './types.js';

/** The services sync reads from (each only through the functions it names). */
export interface SyncSourceServices {
  rooms: SyncRoomsPort;
  typing?: Pick<TypingService, 'getChanges'>;
  receipts?: Pick<ReceiptsService, 'getChanges'>;
  presence?: Pick<PresenceService, 'getChanges' | 'setPresenceFromSync'>;
  profile?: Pick<ProfileService, 'getAccountDataChanges' | 'getIgnoredUsers'>;
  push?: Pick<PushService, 'getUnreadCounts' | 'getPushRulesChange'>;
  e2ee?: Pick<E2eeService, 'getDeviceListChanges' | 'getKeyCounts'>;
  toDevice?: Pick<ToDeviceService, 'getMessagesForSync'>;
}

export function syncSourcesFrom(services: SyncSourceServices): SyncSources {
  const { rooms, typing, receipts, presence, profile, push, toDevice } = services;
  const { e2ee } = services;
  return {
    rooms,
    ...(e2ee ? { deviceLists: e2ee } : {}),
    ...(toDevice ? { toDevice } : {}),
    ...(typing ? { typing } : {}),
    ...(receipts ? { receipts } : {}),
    ...(presence
      ? {
          presence: {
            getChanges: async (userId, from, to) => (await presence.getChanges(userId, from, to)) as unknown as JsonObject[],
            setFromSync: (userId, state) => presence.setPresenceFromSync(userId, state),
          },
        }
      : {}),
    ...(profile
      ? {
          accountData: {
            async getChanges(userId, from, to, { initial }) {
              const changes = await profile.getAccountDataChanges(userId, from, to);
              const global: AccountDataItem[] = [...changes.global];
              // m.push_rules is account data the push domain manages; it moves on the same stream. An initial
              // sync gets the rules even if they never changed.
              const pushRules = push ? await push.getPushRulesChange(userId, from, to, { initial }) : null;
              if (pushRules && !global.some((item) => item.type === pushRules.type)) {
                global.push({ type: pushRules.type, content: pushRules.content as unknown as JsonObject });
              }
              return { global, rooms: changes.rooms };
            },
            getIgnoredUsers: (userId) => profile.getIgnoredUsers(userId),
          },
        }
      : {}),
    ...(push
      ? {
          unreadCounts: {
            async getUnreadCounts(userId, roomIds, options) {
              const counts = await push.getUnreadCounts(userId, roomIds);
              return new Map(
                [...counts].map(([roomId, room]) => [
                  roomId,
                  options.threads ? { main: room.main, threads: room.threads } : { main: room.total },
                ]),
              );
            },
          },
        }
      : {}),
  };
}
