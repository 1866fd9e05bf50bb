/**
 * The `typing` stream provider: each joined room's `m.typing` in `ephemeral`.
 * https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
 */
import { addRoomEphemeral, type SyncContext } from '../context.js';
import type { EphemeralPort, RoomEphemeralUpdate } from '../types.js';

/** Adds typing notifications that changed in the range (everyone typing now, on an initial sync). */
export async function collectTyping(port: EphemeralPort | undefined, context: SyncContext): Promise<void> {
  if (!port) return;
  const updates = await port.getChanges(context.userId, context.since?.typing ?? 0, context.upTo.typing, context.joinedRoomIds);
  addRoomEphemeral(context, updates.map((update) => withoutIgnoredTypists(update, context.ignoredUsers)));
}

function withoutIgnoredTypists(update: RoomEphemeralUpdate, ignored: ReadonlySet<string>): RoomEphemeralUpdate {
  const userIds = update.event.content.user_ids;
  if (ignored.size === 0 || !Array.isArray(userIds)) return update;
  const kept = userIds.filter((userId) => typeof userId !== 'string' || !ignored.has(userId));
  return { ...update, event: { ...update.event, content: { ...update.event.content, user_ids: kept } } };
}
