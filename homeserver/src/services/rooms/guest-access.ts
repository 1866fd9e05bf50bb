/**
 * The rooms side of guest access: a guest joins only a room whose `m.room.guest_access` is `can_join`, and when a
 * room stops allowing guests its local guests are made to leave, as the spec requires.
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import type { StoredEvent } from '../../storage/index.js';
import { MatrixError } from '../../matrix-error.js';
import type { RoomsContext } from './context.js';
import { leave } from './membership.js';
import type { RoomRequester } from './types.js';

const GUEST_ACCESS = 'm.room.guest_access';

function allowsGuests(content: unknown): boolean {
  return typeof content === 'object' && content !== null && (content as { guest_access?: unknown }).guest_access === 'can_join';
}

/** Whether the room's current `m.room.guest_access` is `can_join` (no such event: guests are not allowed). */
export async function guestsMayJoin(ctx: RoomsContext, roomId: string): Promise<boolean> {
  const eventId = await ctx.deps.storage.events.getCurrentStateEventId(roomId, GUEST_ACCESS, '');
  if (eventId === null) return false;
  const [event] = await ctx.deps.storage.events.getEvents([eventId]);
  return allowsGuests(event?.pdu.content);
}

/**
 * 403 `M_GUEST_ACCESS_FORBIDDEN` when a guest asks to join a room that does not allow guests. An invite does not
 * change this: the spec allows guests only into `can_join` rooms.
 */
export async function requireGuestsMayJoin(ctx: RoomsContext, requester: RoomRequester, roomId: string): Promise<void> {
  if (requester.isGuest !== true) return;
  // The spec's code for "the room does not permit guests"; Synapse answers M_FORBIDDEN (also a 403).
  if (!(await guestsMayJoin(ctx, roomId))) throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'This room does not allow guests to join');
}

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
