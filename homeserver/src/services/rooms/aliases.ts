/**
 * Room aliases: the local alias → room mapping, the canonical alias check on send, and each room's local aliases.
 * https://spec.matrix.org/v1.19/client-server-api/#room-aliases
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3directoryroomroomalias
 */
import { isValidRoomAlias, parseRoomAlias, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import { requireRoomVersion, type RoomsContext } from './context.js';
import { requireRoomId } from './membership.js';
import { maySendState } from './power.js';
import { currentStateMap, isWorldReadable, requireRoomAccess } from './reads.js';
import type { RoomRequester } from './types.js';

function requireAlias(alias: string): void {
  if (!isValidRoomAlias(alias)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room alias ${alias}`);
}

function isLocal(ctx: RoomsContext, alias: string): boolean {
  return parseRoomAlias(alias)?.serverName === ctx.deps.serverName;
}

/** PUT /directory/room/{alias}: local aliases only, for a room the requester is joined to. */
export async function createAlias(ctx: RoomsContext, requester: RoomRequester, alias: string, roomId: string): Promise<void> {
  requireAlias(alias);
  requireRoomId(roomId);
  if (!isLocal(ctx, alias)) throw new MatrixError(400, 'M_INVALID_PARAM', `Aliases must be on this server (${ctx.deps.serverName})`);
  await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  // NOTSPEC: the spec leaves who may map an alias open; like other servers we require membership of the room.
  const membership = await ctx.deps.storage.roomState.getMembership(roomId, requester.userId);
  if (membership?.membership !== 'join') throw new MatrixError(403, 'M_FORBIDDEN', `You are not joined to ${roomId}`);
  if (!(await ctx.deps.storage.roomState.createAlias(alias, roomId, requester.userId, ctx.deps.clock.now()))) {
    throw new MatrixError(409, 'M_UNKNOWN', `Room alias ${alias} already exists`);
  }
}

/** GET /directory/room/{alias}. */
export async function getAlias(ctx: RoomsContext, alias: string): Promise<{ roomId: string; servers: string[] }> {
  requireAlias(alias);
  // NOTSPEC: aliases of other servers need a federation query (GET /_matrix/federation/v1/query/directory), not built yet.
  const roomId = await ctx.deps.storage.roomState.getAliasRoom(alias);
  if (roomId === null) throw new MatrixError(404, 'M_NOT_FOUND', `Room alias ${alias} not found`);
  return { roomId, servers: [ctx.deps.serverName] };
}

/**
 * DELETE /directory/room/{alias}: by the alias's creator or a user who may change the room's canonical alias.
 * Returns the room it pointed to (alias-removal.ts then updates the room's canonical alias).
 */
export async function deleteAlias(ctx: RoomsContext, requester: RoomRequester, alias: string): Promise<string> {
  requireAlias(alias);
  const { roomState } = ctx.deps.storage;
  const roomId = await roomState.getAliasRoom(alias);
  if (roomId === null) throw new MatrixError(404, 'M_NOT_FOUND', `Room alias ${alias} not found`);
  const creator = await roomState.getAliasCreator(alias);
  if (creator !== requester.userId && !(await maySendState(ctx, roomId, requester.userId, 'm.room.canonical_alias'))) {
    throw new MatrixError(403, 'M_FORBIDDEN', 'You may not delete this alias');
  }
  await roomState.deleteAlias(alias);
  return roomId;
}

/** GET /rooms/{id}/aliases: for members, or anyone when the room is world_readable. */
export async function getLocalAliases(ctx: RoomsContext, requester: RoomRequester, roomId: string): Promise<string[]> {
  await requireRoomAccess(ctx, requester.userId, roomId);
  const membership = await ctx.deps.storage.roomState.getMembership(roomId, requester.userId);
  // Former members (leave, ban) are external users now; requireRoomAccess let them through only for world_readable.
  if (membership !== null && membership.membership !== 'join') {
    if (!(await isWorldReadable(ctx, await currentStateMap(ctx, roomId)))) throw new MatrixError(403, 'M_FORBIDDEN', `You are not in ${roomId}`);
  }
  return ctx.deps.storage.roomState.getAliasesOfRoom(roomId);
}

/**
 * An `m.room.canonical_alias` a local client sends: every alias must be valid (400 M_INVALID_PARAM) and every
 * local one must point at this room (400 M_BAD_ALIAS).
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
 */
export async function checkCanonicalAlias(ctx: RoomsContext, tx: Storage, roomId: string, content: JsonObject): Promise<void> {
  const aliases: unknown[] = [];
  if (content.alias !== undefined && content.alias !== null) aliases.push(content.alias);
  if (content.alt_aliases !== undefined) {
    if (!Array.isArray(content.alt_aliases)) throw new MatrixError(400, 'M_INVALID_PARAM', 'alt_aliases must be a list of room aliases');
    aliases.push(...content.alt_aliases);
  }
  for (const alias of aliases) {
    if (typeof alias !== 'string' || !isValidRoomAlias(alias)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room alias ${JSON.stringify(alias)}`);
    // NOTSPEC: aliases of other servers would need a federation query; they are accepted unchecked.
    if (!isLocal(ctx, alias)) continue;
    if ((await tx.roomState.getAliasRoom(alias)) !== roomId) throw new MatrixError(400, 'M_BAD_ALIAS', `The alias ${alias} does not point to this room`);
  }
}
