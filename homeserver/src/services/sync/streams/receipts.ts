/**
 * The `receipts` stream provider: each joined room's `m.receipt` in `ephemeral`.
 * https://spec.matrix.org/v1.19/client-server-api/#receipts
 */
import type { JsonObject } from '@parley/federation';
import { addRoomEphemeral, type SyncContext } from '../context.js';
import type { EphemeralPort, RoomEphemeralUpdate } from '../types.js';

/** Adds receipts that changed in the range (every receipt, on an initial sync). */
export async function collectReceipts(port: EphemeralPort | undefined, context: SyncContext): Promise<void> {
  if (!port) return;
  const updates = await port.getChanges(context.userId, context.since?.receipts ?? 0, context.upTo.receipts, context.joinedRoomIds);
  addRoomEphemeral(
    context,
    updates.map((update) => withoutIgnoredReceipts(update, context.ignoredUsers)).filter((update) => update !== null),
  );
}

/**
 * m.receipt content is `{ eventId: { receiptType: { userId: receipt } } }`: drops ignored users' receipts, and the
 * whole update when nothing is left.
 */
function withoutIgnoredReceipts(update: RoomEphemeralUpdate, ignored: ReadonlySet<string>): RoomEphemeralUpdate | null {
  if (ignored.size === 0) return update;
  const content: JsonObject = {};
  for (const [eventId, byType] of Object.entries(update.event.content)) {
    if (typeof byType !== 'object' || byType === null || Array.isArray(byType)) continue;
    const keptTypes: JsonObject = {};
    for (const [receiptType, byUser] of Object.entries(byType)) {
      if (typeof byUser !== 'object' || byUser === null || Array.isArray(byUser)) continue;
      const keptUsers = Object.fromEntries(Object.entries(byUser).filter(([userId]) => !ignored.has(userId)));
      if (Object.keys(keptUsers).length > 0) keptTypes[receiptType] = keptUsers as JsonObject;
    }
    if (Object.keys(keptTypes).length > 0) content[eventId] = keptTypes;
  }
  return Object.keys(content).length > 0 ? { ...update, event: { ...update.event, content } } : null;
}
