/**
 * When a room stops allowing guests, its local guests are made to leave, as the spec requires.
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import type { StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { GUEST_ACCESS, guestsMayJoin } from './guest-access.js';
import { leave } from './membership.js';
import type { RoomRequester } from './types.js';

/**
 * After an `m.room.guest_access` change (local or from another server) that leaves the room closed to guests, every
 * local guest joined to it leaves. Runs as a listener of persisted events, after the change committed.
 * NOTSPEC: not a durable reader: if the process dies between the change and this listener, the guests stay joined
 * (they can no longer join again). Acceptable for an optional module; noted in spec/notspec.md.
 */
export async function evictGuestsAfter(ctx: RoomsContext, event: StoredEvent): Promise<void> {
  if (event.type !== GUEST_ACCESS || event.stateKey !== '' || event.outlier || event.rejectedReason !== null || event.historical === true) return;
  const guestsAmong = ctx.callbacks.guestsAmong;
  if (guestsAmong === undefined) return;
  // The change may have lost to another branch; what counts is the room's state now.
  if (await guestsMayJoin(ctx, event.roomId)) return;
  const joined = (await ctx.deps.storage.roomState.getMembershipsOfRoom(event.roomId, 'join')).map((member) => member.userId);
  const local = joined.filter((userId) => userId.endsWith(`:${ctx.deps.serverName}`));
  for (const userId of await guestsAmong(local)) {
    const guest: RoomRequester = { userId, deviceId: null, accessTokenId: 0, isGuest: true };
    await leave(ctx, guest, event.roomId).catch((error: unknown) =>
      ctx.deps.logger.warn({ err: error, roomId: event.roomId, userId }, 'a guest could not be made to leave a room closed to guests'),
    );
  }
}
