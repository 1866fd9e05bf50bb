/**
 * Device-list tracking: the `device_lists` stream. A row per change of a user's devices or keys, and per change of a
 * user's membership between joined and not joined; /sync and /keys/changes turn the rows in a range into `changed`
 * (users whose devices changed, or who newly share a room) and `left` (users who no longer share any room).
 * https://spec.matrix.org/v1.19/client-server-api/#tracking-the-device-list-for-a-user
 */
import type { Storage } from '../../storage/index.js';
import type { E2eeContext, DeviceListChanges, MembershipTransition } from './types.js';

export interface DeviceLists {
  deviceListChanged(userId: string): Promise<void>;
  membershipChanged(transition: MembershipTransition): Promise<void>;
  /** Records the joined/not-joined transitions among `transitions` in `tx`; returns the publish to run after commit. */
  recordMembershipChanges(tx: Storage, transitions: readonly MembershipTransition[]): Promise<() => Promise<void>>;
  getChanges(userId: string, from: number, to: number): Promise<DeviceListChanges>;
}

export function createDeviceLists(ctx: Omit<E2eeContext, 'deviceListChanged'>): DeviceLists {
  const { storage, notifier } = ctx.deps;

  const lists: DeviceLists = {
    async deviceListChanged(userId) {
      const position = await storage.transaction(async (tx) => {
        const next = await tx.streams.next('device_lists');
        await tx.e2ee.addDeviceListChange({ position: next, userId, roomId: null, membership: null });
        return next;
      });
      // Published by room and by user: the wake-up index finds everyone sharing a room with them.
      await notifier.publish({ stream: 'device_lists', position, userIds: [userId], roomIds: await ctx.callbacks.joinedRoomIds(userId) });
    },

    async membershipChanged(transition) {
      const publish = await storage.transaction((tx) => lists.recordMembershipChanges(tx, [transition]));
      await publish();
    },

    async recordMembershipChanges(tx, transitions) {
      const written: { position: number; userId: string; roomId: string }[] = [];
      for (const { roomId, userId, membership, previous } of transitions) {
        const joined = membership === 'join';
        // Only entering or leaving the joined state changes who shares a room (a profile change is join -> join).
        if (joined === (previous === 'join')) continue;
        const position = await tx.streams.next('device_lists');
        await tx.e2ee.addDeviceListChange({ position, userId, roomId, membership: joined ? 'join' : 'leave' });
        written.push({ position, userId, roomId });
      }
      return async () => {
        for (const { position, userId, roomId } of written) {
          await notifier.publish({ stream: 'device_lists', position, userIds: [userId], roomIds: [roomId] });
        }
      };
    },

    async getChanges(userId, from, to) {
      if (to <= from) return { changed: [], left: [] };
      const sharing = new Set(await ctx.callbacks.usersSharingRoomWith(userId));
      sharing.add(userId);
      const rooms = new Set(await ctx.callbacks.joinedRoomIds(userId));
      const rows = await storage.e2ee.getDeviceListChanges(from, to, { userIds: [...sharing], roomIds: [...rooms] });
      const changed = new Set<string>();
      const maybeLeft = new Set<string>();
      for (const row of rows) {
        if (row.roomId === null) {
          changed.add(row.userId);
        } else if (row.userId === userId) {
          // The user joined or left a room: its members newly share a room with them, or may no longer.
          for (const member of await ctx.callbacks.joinedMembers(row.roomId)) {
            if (row.membership === 'join') changed.add(member);
            else maybeLeft.add(member);
          }
        } else if (row.membership === 'join' && rooms.has(row.roomId)) {
          changed.add(row.userId);
        } else if (row.membership === 'leave') {
          maybeLeft.add(row.userId);
        }
      }
      // Decided against the current rooms: whoever shares one now is not `left`; whoever shares none is not `changed`.
      const left = [...maybeLeft].filter((member) => !sharing.has(member) && member !== userId);
      return { changed: [...changed].filter((member) => sharing.has(member)).sort(), left: left.sort() };
    },
  };
  return lists;
}
