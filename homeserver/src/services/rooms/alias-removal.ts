/**
 * Deleting an alias, and taking it out of the room's `m.room.canonical_alias` (`alias` and `alt_aliases`), so the
 * room does not advertise an alias that no longer resolves.
 * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3directoryroomroomalias
 * https://spec.matrix.org/v1.19/client-server-api/#mroomcanonical_alias
 */
import { parseRoomAlias, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import { deleteAlias } from './aliases.js';
import type { RoomsContext } from './context.js';
import { setState } from './send.js';
import type { RoomRequester } from './types.js';

/** DELETE /directory/room/{alias}, then the canonical alias event without it. */
export async function removeAlias(ctx: RoomsContext, requester: RoomRequester, alias: string): Promise<void> {
  const roomId = await deleteAlias(ctx, requester, alias);
  await dropFromCanonicalAlias(ctx, requester, roomId, alias);
}

/**
 * NOTSPEC: the spec says servers may keep the canonical alias event in step with the directory but not how. As
 * Synapse does, the deleter sends the new event; when the auth rules do not let them (the alias's creator without
 * the power to change the canonical alias) the event stays as it is and the deletion still succeeds.
 */
async function dropFromCanonicalAlias(ctx: RoomsContext, requester: RoomRequester, roomId: string, alias: string): Promise<void> {
  const currentId = await ctx.deps.storage.events.getCurrentStateEventId(roomId, 'm.room.canonical_alias', '');
  if (currentId === null) return;
  const [current] = await ctx.deps.storage.events.getEvents([currentId]);
  if (current === undefined) return;
  if (!namesAlias(current.pdu.content, alias)) return;
  // Local aliases deleted earlier (while the deleter could not update the event) go too: the event is checked
  // like a client's, and a local alias that no longer points here would fail that check (M_BAD_ALIAS).
  const stale = await staleLocalAliases(ctx, roomId, current.pdu.content);
  const content = withoutAliases(current.pdu.content, new Set([alias, ...stale]));
  try {
    await setState(ctx, requester, roomId, 'm.room.canonical_alias', '', content);
  } catch (error) {
    if (!(error instanceof MatrixError)) throw error;
    ctx.deps.logger.info({ roomId, alias, errcode: error.errcode }, 'canonical alias not updated after the alias was deleted');
  }
}

function aliasesOf(content: JsonObject): string[] {
  const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : [];
  return [content.alias, ...alt].filter((value): value is string => typeof value === 'string');
}

function namesAlias(content: JsonObject, alias: string): boolean {
  return aliasesOf(content).includes(alias);
}

/** The aliases of this server in `content` that no longer point to the room. */
async function staleLocalAliases(ctx: RoomsContext, roomId: string, content: JsonObject): Promise<string[]> {
  const stale: string[] = [];
  for (const alias of aliasesOf(content)) {
    if (parseRoomAlias(alias)?.serverName !== ctx.deps.serverName) continue;
    if ((await ctx.deps.storage.roomState.getAliasRoom(alias)) !== roomId) stale.push(alias);
  }
  return stale;
}

/** The content without the given aliases in `alias` or `alt_aliases` (an emptied `alt_aliases` is left out). */
export function withoutAliases(content: JsonObject, drop: ReadonlySet<string>): JsonObject {
  const next: JsonObject = { ...content };
  if (typeof next.alias === 'string' && drop.has(next.alias)) delete next.alias;
  const alt = next.alt_aliases;
  if (Array.isArray(alt)) {
    const rest = alt.filter((entry) => typeof entry !== 'string' || !drop.has(entry));
    if (rest.length > 0) next.alt_aliases = rest;
    else delete next.alt_aliases;
  }
  return next;
}
