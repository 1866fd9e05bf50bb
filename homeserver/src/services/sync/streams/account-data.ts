/**
 * The `account_data` stream provider: the user's global account data and each room's.
 * https://spec.matrix.org/v1.19/client-server-api/#client-config
 */
import type { JsonObject } from '@parley/federation';
import { joinedRoomEntry, type SyncContext } from '../context.js';
import { eventMatches } from '../filter.js';
import type { AccountDataPort } from '../types.js';

export async function collectAccountData(port: AccountDataPort | undefined, context: SyncContext): Promise<void> {
  if (!port) return;
  const changes = await port.getChanges(context.userId, context.since?.account_data ?? 0, context.upTo.account_data, {
    initial: context.since === null,
  });
  const globalFilter = context.filter.accountData;
  const global = changes.global.filter((item) => eventMatches(globalFilter, { type: item.type }));
  context.response.account_data.events.push(...limited(global, globalFilter.limit).map(toEvent));

  const joined = new Set(context.joinedRoomIds);
  const roomFilter = context.filter.roomAccountData;
  for (const [roomId, items] of Object.entries(changes.rooms)) {
    const matching = items.filter((item) => eventMatches(roomFilter, { type: item.type, roomId }));
    if (matching.length === 0) continue;
    const events = limited(matching, roomFilter.limit).map(toEvent);
    if (joined.has(roomId)) joinedRoomEntry(context, roomId).account_data.events.push(...events);
    else context.response.rooms.leave[roomId]?.account_data.events.push(...events);
  }
}

function limited<T>(items: readonly T[], limit: number | undefined): readonly T[] {
  return limit === undefined ? items : items.slice(0, limit);
}

function toEvent(item: { type: string; content: JsonObject }): JsonObject {
  return { type: item.type, content: item.content };
}
