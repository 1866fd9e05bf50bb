/**
 * Which membership events each device was already sent, so lazy-loading syncs can skip redundant ones.
 *
 * An in-process LRU: it only saves bandwidth. A miss (another process served the previous sync, a restart,
 * an eviction) sends the member event again, which the spec allows ("it is valid for the server to send
 * redundant membership events"). https://spec.matrix.org/v1.19/client-server-api/#lazy-loading-room-members
 *
 * A stale hit would hide a member for good, so every process drops entries through the notifier's invalidations:
 * a device's whole entry when it makes an initial sync on any process (its client starts afresh), and a member's
 * entries in a room, for every device, when that member's membership changes (the next sync needing it looks it up).
 */

/** How many (device, room) entries are remembered. */
const DEFAULT_CAPACITY = 10_000;

export interface LazyMemberCache {
  /** Whether this device was sent exactly this member event for `memberId` in `roomId`. */
  wasSent(deviceKey: string, roomId: string, memberId: string, eventId: string): boolean;
  /** Whether this device was sent some member event for `memberId` in `roomId` (later changes reach it in timelines). */
  knows(deviceKey: string, roomId: string, memberId: string): boolean;
  /** Records member events sent to the device. */
  markSent(deviceKey: string, roomId: string, members: Iterable<[memberId: string, eventId: string]>): void;
  /** Forgets a device's rooms (an initial sync starts it afresh). */
  forgetDevice(deviceKey: string): void;
  /** Forgets what every device was sent for `memberId` in `roomId` (their membership changed). */
  forgetMember(roomId: string, memberId: string): void;
}

export function createLazyMemberCache(capacity = DEFAULT_CAPACITY): LazyMemberCache {
  // Map iteration order is insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<string, Map<string, string>>();
  const devices = new Map<string, Set<string>>();
  const rooms = new Map<string, Set<string>>();
  const keyOf = (deviceKey: string, roomId: string) => `${deviceKey}\u0000${roomId}`;

  function index(map: Map<string, Set<string>>, name: string, key: string): void {
    const keys = map.get(name) ?? new Set<string>();
    keys.add(key);
    map.set(name, keys);
  }

  function unindex(map: Map<string, Set<string>>, name: string, key: string): void {
    const keys = map.get(name);
    keys?.delete(key);
    if (keys?.size === 0) map.delete(name);
  }

  function drop(key: string): void {
    entries.delete(key);
    const split = key.indexOf('\u0000');
    unindex(devices, key.slice(0, split), key);
    unindex(rooms, key.slice(split + 1), key);
  }

  function touch(key: string): Map<string, string> | undefined {
    const members = entries.get(key);
    if (members) {
      entries.delete(key);
      entries.set(key, members);
    }
    return members;
  }

  return {
    wasSent(deviceKey, roomId, memberId, eventId) {
      return touch(keyOf(deviceKey, roomId))?.get(memberId) === eventId;
    },
    knows(deviceKey, roomId, memberId) {
      return touch(keyOf(deviceKey, roomId))?.has(memberId) === true;
    },
    markSent(deviceKey, roomId, members) {
      const key = keyOf(deviceKey, roomId);
      let known = touch(key);
      if (!known) {
        known = new Map();
        entries.set(key, known);
        index(devices, deviceKey, key);
        index(rooms, roomId, key);
      }
      for (const [memberId, eventId] of members) known.set(memberId, eventId);
      while (entries.size > capacity) drop(entries.keys().next().value as string);
    },
    forgetDevice(deviceKey) {
      for (const key of [...(devices.get(deviceKey) ?? [])]) drop(key);
    },
    forgetMember(roomId, memberId) {
      for (const key of rooms.get(roomId) ?? []) entries.get(key)?.delete(memberId);
    },
  };
}
