/**
 * Membership changes: join, knock, invite, leave, kick, ban, unban, forget. Each is one `m.room.member` event
 * through the PDU pipeline; the auth rules decide, and their reason is returned with 403 M_FORBIDDEN.
 * https://spec.matrix.org/v1.19/client-server-api/#room-membership
 */
import { canonicalJson, isValidRoomAlias, isValidRoomId, isValidUserId, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import { requireRoomVersion, type RoomsContext } from './context.js';
import { requireGuestsMayJoin } from './guest-access.js';
import { sendLocalEvent } from './local-event.js';
import { memberContent } from './profile.js';
import type { JoinOptions, MembershipOptions, RoomRequester } from './types.js';

/** Resolves `#alias:server` or checks `!room:server`; 404 M_NOT_FOUND for an alias we do not know. */
export async function resolveRoomIdOrAlias(ctx: RoomsContext, roomIdOrAlias: string): Promise<string> {
  if (roomIdOrAlias.startsWith('#')) {
    if (!isValidRoomAlias(roomIdOrAlias)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room alias ${roomIdOrAlias}`);
    const roomId = await ctx.deps.storage.roomState.getAliasRoom(roomIdOrAlias);
    if (roomId === null) throw new MatrixError(404, 'M_NOT_FOUND', `Room alias ${roomIdOrAlias} not found`);
    return roomId;
  }
  requireRoomId(roomIdOrAlias);
  return roomIdOrAlias;
}

/** 400 M_INVALID_PARAM unless `roomId` is a room ID. */
export function requireRoomId(roomId: string): void {
  if (!isValidRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room ID ${roomId}`);
}

/** 400 M_INVALID_PARAM unless `userId` is a user ID. */
export function requireUserId(userId: string): void {
  if (!isValidUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid user ID ${userId}`);
}

function withReason(content: JsonObject, options: MembershipOptions | undefined): JsonObject {
  return options?.reason === undefined ? content : { ...content, reason: options.reason };
}

/** Sends one member event about `target` by `sender`. */
async function sendMember(ctx: RoomsContext, roomId: string, sender: string, target: string, content: JsonObject): Promise<string> {
  const version = await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const event = await sendLocalEvent(ctx, version, { roomId, sender, type: 'm.room.member', stateKey: target, content });
  return event.eventId;
}

async function currentMembership(ctx: RoomsContext, roomId: string, userId: string): Promise<string | null> {
  return (await ctx.deps.storage.roomState.getMembership(roomId, userId))?.membership ?? null;
}

/**
 * Keys of a join body that never reach the member event: `membership` is the server's, `third_party_signed` is a
 * request parameter (for a third-party invite), `join_authorised_via_users_server` is set by a resident server.
 */
const RESERVED_JOIN_KEYS = new Set(['membership', 'third_party_signed', 'join_authorised_via_users_server']);

/**
 * The content of a join: the user's profile, then the body's other keys, then `membership` and `reason`.
 * NOTSPEC: the spec's join body has only `reason` and `third_party_signed`; like Synapse we keep its other keys
 * in the member event (custom keys, and `displayname`/`avatar_url` for a per-room profile).
 */
async function joinContent(ctx: RoomsContext, userId: string, options: JoinOptions | undefined): Promise<JsonObject> {
  const extra = Object.entries(options?.extraContent ?? {}).filter(([key]) => !RESERVED_JOIN_KEYS.has(key));
  for (const [key, value] of extra) {
    if ((key === 'displayname' || key === 'avatar_url') && typeof value !== 'string') {
      throw new MatrixError(400, 'M_BAD_JSON', `${key} must be a string`);
    }
  }
  const profile = await memberContent(ctx, userId, {});
  return withReason({ ...profile, ...Object.fromEntries(extra), membership: 'join' }, options);
}

/** Joins; `firstJoin` tells whether the user was not joined before (successor rooms then copy their tags). */
export async function join(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomIdOrAlias: string,
  options?: JoinOptions,
): Promise<{ roomId: string; firstJoin: boolean }> {
  const roomId = await resolveRoomIdOrAlias(ctx, roomIdOrAlias);
  // NOTSPEC: joining a room this server does not know needs federation (make_join/send_join), not built yet.
  await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  await requireGuestsMayJoin(ctx, requester, roomId);
  const content = await joinContent(ctx, requester.userId, options);
  const current = await ctx.deps.storage.roomState.getMembership(roomId, requester.userId);
  // A join that changes nothing (same content) sends no event.
  const unchanged = current?.membership === 'join' && (await sameContent(ctx, current.eventId, content));
  if (!unchanged) await sendMember(ctx, roomId, requester.userId, requester.userId, content);
  return { roomId, firstJoin: current?.membership !== 'join' };
}

async function sameContent(ctx: RoomsContext, eventId: string, content: JsonObject): Promise<boolean> {
  const [event] = await ctx.deps.storage.events.getEvents([eventId]);
  return event !== undefined && canonicalJson(event.pdu.content) === canonicalJson(content);
}

export async function knock(ctx: RoomsContext, requester: RoomRequester, roomIdOrAlias: string, options?: MembershipOptions): Promise<{ roomId: string }> {
  const roomId = await resolveRoomIdOrAlias(ctx, roomIdOrAlias);
  const version = await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  if (!version.knockingSupported) throw new MatrixError(403, 'M_FORBIDDEN', `Room version ${version.id} does not support knocking`);
  const content = withReason(await memberContent(ctx, requester.userId, { membership: 'knock' }), options);
  await sendMember(ctx, roomId, requester.userId, requester.userId, content);
  return { roomId };
}

export async function invite(
  ctx: RoomsContext,
  requester: RoomRequester,
  roomId: string,
  userId: string,
  options?: MembershipOptions & { isDirect?: boolean },
): Promise<void> {
  requireRoomId(roomId);
  requireUserId(userId);
  // NOTSPEC: invites of users on other servers are stored but not yet sent over federation (/invite, not built yet).
  const base: JsonObject = options?.isDirect === true ? { membership: 'invite', is_direct: true } : { membership: 'invite' };
  await sendMember(ctx, roomId, requester.userId, userId, withReason(await memberContent(ctx, userId, base), options));
}

export async function leave(ctx: RoomsContext, requester: RoomRequester, roomId: string, options?: MembershipOptions): Promise<void> {
  requireRoomId(roomId);
  await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const membership = await currentMembership(ctx, roomId, requester.userId);
  if (membership === 'leave') return;
  if (membership === null) throw new MatrixError(403, 'M_FORBIDDEN', `You are not a member of ${roomId}`);
  await sendMember(ctx, roomId, requester.userId, requester.userId, withReason({ membership: 'leave' }, options));
}

export async function kick(ctx: RoomsContext, requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions): Promise<void> {
  requireRoomId(roomId);
  requireUserId(userId);
  const membership = await currentMembership(ctx, roomId, userId);
  if (membership !== 'join' && membership !== 'invite' && membership !== 'knock') {
    await requireRoomVersion(ctx, ctx.deps.storage, roomId);
    throw new MatrixError(403, 'M_FORBIDDEN', `${userId} is not in the room`);
  }
  await sendMember(ctx, roomId, requester.userId, userId, withReason({ membership: 'leave' }, options));
}

export async function ban(ctx: RoomsContext, requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions): Promise<void> {
  requireRoomId(roomId);
  requireUserId(userId);
  await sendMember(ctx, roomId, requester.userId, userId, withReason({ membership: 'ban' }, options));
}

export async function unban(ctx: RoomsContext, requester: RoomRequester, roomId: string, userId: string, options?: MembershipOptions): Promise<void> {
  requireRoomId(roomId);
  requireUserId(userId);
  await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  if ((await currentMembership(ctx, roomId, userId)) !== 'ban') throw new MatrixError(403, 'M_FORBIDDEN', `${userId} is not banned`);
  await sendMember(ctx, roomId, requester.userId, userId, withReason({ membership: 'leave' }, options));
}

export async function forget(ctx: RoomsContext, requester: RoomRequester, roomId: string): Promise<void> {
  requireRoomId(roomId);
  const membership = await currentMembership(ctx, roomId, requester.userId);
  if (membership === 'join' || membership === 'invite' || membership === 'knock') {
    throw new MatrixError(400, 'M_UNKNOWN', `User ${requester.userId} is in room ${roomId}`);
  }
  await ctx.deps.storage.roomState.forgetRoom(roomId, requester.userId);
}
