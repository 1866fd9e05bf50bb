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
import type { AccountDataItem, SyncRoomsPort, SyncSources } from './types.js';

/** The services sync reads from (each only through the functions it names). */
export interface SyncSourceServices {
  rooms: SyncRoomsPort;
  typing?: Pick<TypingService, 'getChanges'>;
  receipts?: Pick<ReceiptsService, 'getChanges'>;
  presence?: Pick<PresenceService, 'getChanges' | 'setPresenceFromSync'>;
  profile?: Pick<ProfileService, 'getAccountDataChanges' | 'getIgnoredUsers'>;
  push?: Pick<PushService, 'getUnreadCounts' | 'getPushRulesChange'>;
}

export function syncSourcesFrom(services: SyncSourceServices): SyncSources {
  const { rooms, typing, receipts, presence, profile, push } = services;
  return {
    rooms,
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
              // m.push_rules is account data the push domain manages; it moves on the same stream. Push reads
              // `from` 0 as "initial sync, send the rules even if they never changed"; an incremental sync from
              // position 0 must only get rules that did change, i.e. changed after any position below 1.
              const pushFrom = !initial && from === 0 ? Number.MIN_VALUE : from;
              const pushRules = push ? await push.getPushRulesChange(userId, pushFrom, to) : null;
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
