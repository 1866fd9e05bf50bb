/**
 * What push evaluation needs to know about a room when an event arrives: its members (joined count, display
 * names, who is local) and the power levels (sender level, `notifications` levels).
 */
import {
  findRoomVersion,
  powerLevelOf,
  powerLevelsIn,
  stateKeyString,
  type Pdu,
} from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';

/** Membership and display name of one member. */
export interface MemberFacts {
  membership: string;
  displayName: string | null;
}

/** The room as push evaluation sees it. */
export interface RoomFacts {
  members: ReadonlyMap<string, MemberFacts>;
  joinedCount: number;
  /** `userId`'s power level (Infinity for v12 creators). */
  powerLevelOf(userId: string): number;
  notificationPowerLevels: ReadonlyMap<string, number>;
}

/** The current state types push evaluation reads. */
export const RELEVANT_STATE_TYPES: ReadonlySet<string> = new Set(['m.room.member', 'm.room.power_levels', 'm.room.create']);

/** Builds {@link RoomFacts} from the room's current state events (others than members/power/create are ignored). */
export function roomFactsFrom(stateEvents: readonly StoredEvent[], roomVersionId: string): RoomFacts {
  const members = new Map<string, MemberFacts>();
  const authState = new Map<string, Pdu>();
  for (const event of stateEvents) {
    if (event.stateKey === null) continue;
    if (event.type === 'm.room.member') {
      const { membership, displayname } = event.pdu.content;
      members.set(event.stateKey, {
        membership: typeof membership === 'string' ? membership : 'leave',
        displayName: typeof displayname === 'string' ? displayname : null,
      });
    } else if ((event.type === 'm.room.power_levels' || event.type === 'm.room.create') && event.stateKey === '') {
      authState.set(stateKeyString(event.type, ''), event.pdu);
    }
  }
  const joinedCount = [...members.values()].filter((member) => member.membership === 'join').length;
  const version = findRoomVersion(roomVersionId);
  return {
    members,
    joinedCount,
    powerLevelOf: (userId) => (version ? powerLevelOf(userId, authState, version) : 0),
    notificationPowerLevels: version ? powerLevelsIn(authState, version).notifications : new Map(),
  };
}

/** Facts of state snapshots kept (per snapshot; a busy room reuses one until its state changes). */
const MAX_CACHED_SNAPSHOTS = 512;

/**
 * Room facts by state snapshot. The rooms domain names the immutable snapshot after each event (its state group),
 * so facts derived from one never go stale, in this process or across processes.
 */
export interface RoomFactsCache {
  /** The facts of state group `stateGroup` of a room of version `roomVersionId`. */
  load(storage: Storage, stateGroup: number, roomVersionId: string): Promise<RoomFacts>;
}

export function createRoomFactsCache(): RoomFactsCache {
  const entries = new Map<number, RoomFacts>();
  return {
    async load(storage, stateGroup, roomVersionId) {
      const cached = entries.get(stateGroup);
      if (cached !== undefined) return cached;
      const relevant = (await storage.roomState.getStateGroup(stateGroup)).filter((entry) => RELEVANT_STATE_TYPES.has(entry.type));
      const facts = roomFactsFrom(await storage.events.getEvents(relevant.map((entry) => entry.eventId)), roomVersionId);
      entries.set(stateGroup, facts);
      if (entries.size > MAX_CACHED_SNAPSHOTS) entries.delete(entries.keys().next().value as number);
      return facts;
    },
  };
}
