/**
 * Ignored users: their non-state events never reach the ignorer in room reads (state events still do).
 * https://spec.matrix.org/v1.19/client-server-api/#ignoring-users
 */
import type { StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';

const NONE: ReadonlySet<string> = new Set();

/** The users `userId` ignores, from the profile domain through the registry's callback. */
export async function ignoredUsersOf(ctx: RoomsContext, userId: string): Promise<ReadonlySet<string>> {
  return ctx.callbacks.getIgnoredUsers ? ctx.callbacks.getIgnoredUsers(userId) : NONE;
}

/** Whether `event` must be hidden from someone ignoring `ignored` (state events are always sent). */
export function isFromIgnored(event: Pick<StoredEvent, 'sender' | 'stateKey'>, ignored: ReadonlySet<string>): boolean {
  return event.stateKey === null && ignored.has(event.sender);
}

/** `events` without the non-state events of ignored senders. */
export function withoutIgnored<T extends Pick<StoredEvent, 'sender' | 'stateKey'>>(events: readonly T[], ignored: ReadonlySet<string>): T[] {
  return ignored.size === 0 ? [...events] : events.filter((event) => !isFromIgnored(event, ignored));
}
