/**
 * The rooms side of guest access: a guest joins only a room whose `m.room.guest_access` is `can_join` (the eviction
 * of guests from a room that stops allowing them is in guest-eviction.ts).
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import { MatrixError } from '../../matrix-error.js';
import type { RoomsContext } from './context.js';
import type { RoomRequester } from './types.js';

export const GUEST_ACCESS = 'm.room.guest_access';

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
