/**
 * What a suspended account may still do in rooms. The spec leaves the list to the server but asks that a suspended
 * user can still leave rooms, reject invites and redact their own events, and recommends refusing joins, knocks,
 * invites, messages and redacting others' events. We refuse every other local event by a suspended sender in
 * `sendLocalEvent` (local-event.ts), which every event into an existing room passes whatever the route; createRoom,
 * upgrades, aliases and the directory refuse a suspended user at their door. 403 `M_USER_SUSPENDED`.
 * https://spec.matrix.org/v1.19/client-server-api/#account-suspension
 */
import { MatrixError } from '../../matrix-error.js';
import type { RoomsContext } from './context.js';

/** The spec's error for an action refused because the account is suspended. */
export function suspendedError(): MatrixError {
  return new MatrixError(403, 'M_USER_SUSPENDED', 'You cannot perform this action while suspended');
}

/** Whether `userId`'s account is suspended (false when no accounts port is wired, as in unit tests). */
export async function isSuspended(ctx: RoomsContext, userId: string): Promise<boolean> {
  return (await ctx.callbacks.isSuspended?.(userId)) === true;
}

/** 403 `M_USER_SUSPENDED` when `userId` is suspended: for actions a suspended user may not take at all. */
export async function requireNotSuspended(ctx: RoomsContext, userId: string): Promise<void> {
  if (await isSuspended(ctx, userId)) throw suspendedError();
}

/**
 * Whether a suspended sender may still send this event: leaving a room or rejecting an invite (their own
 * membership becoming `leave`) and redactions (which must then be of their own events, checked with the target).
 */
export function allowedWhileSuspended(event: { type: string; sender: string; stateKey?: string; content: Record<string, unknown> }): boolean {
  if (event.type === 'm.room.redaction') return true;
  return event.type === 'm.room.member' && event.stateKey === event.sender && event.content.membership === 'leave';
}
