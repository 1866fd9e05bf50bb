/**
 * Room upgrades: POST /rooms/{id}/upgrade creates the replacement room (with `predecessor`), copies the
 * transferable state, moves local aliases and the directory listing, tombstones the old room and restricts its
 * power levels. Also the hook that copies a user's room tags when they first join a successor room.
 * https://spec.matrix.org/v1.19/client-server-api/#server-behaviour-16
 */
import { findRoomVersion, isValidUserId, stateKeyString, type JsonObject, type JsonValue, type RoomVersion } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent } from '../../storage/index.js';
import { requireRoomVersion, type RoomsContext } from './context.js';
import { requireRoomId } from './membership.js';
import { yieldToEventLoop } from '../yield.js';
import { persistCreateEvent } from './create-event.js';
import { buildAndPersist, forbidden } from './local-event.js';
import { runRoomWrite } from './persist.js';
import { maySendState } from './power.js';
import { memberContent } from './profile.js';
import { currentStateMap } from './reads.js';
import { sendEvent } from './send.js';
import type { RoomRequester, UpgradeRequest } from './types.js';

/** The state the spec recommends transferring (power levels are handled on their own). */
const TRANSFERABLE = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.join_rules',
];

/** POST /rooms/{id}/upgrade. */
export async function upgradeRoom(ctx: RoomsContext, requester: RoomRequester, roomId: string, request: UpgradeRequest): Promise<{ replacementRoom: string }> {
  requireRoomId(roomId);
  const { storage } = ctx.deps;
  await requireRoomVersion(ctx, storage, roomId);
  const newVersion = findRoomVersion(request.newVersion);
  if (newVersion === undefined) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${request.newVersion} is not supported`);
  const upgrader = requester.userId;
  if ((await storage.roomState.getMembership(roomId, upgrader))?.membership !== 'join') throw new MatrixError(403, 'M_FORBIDDEN', `You are not joined to ${roomId}`);
  if (!(await maySendState(ctx, roomId, upgrader, 'm.room.tombstone'))) throw new MatrixError(403, 'M_FORBIDDEN', 'You may not upgrade this room');
  const additionalCreators = newVersion.privilegedCreators ? [...new Set(request.additionalCreators ?? [])].filter((id) => id !== upgrader) : [];
  for (const userId of additionalCreators) {
    if (!isValidUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid user ID in additional_creators: ${userId}`);
  }

  const state = await currentStateMap(ctx, roomId);
  const stateOf = async (types: readonly string[]) => storage.events.getEvents(types.flatMap((type) => state.get(stateKeyString(type, '')) ?? []));
  const [oldCreate, oldPowerLevels, canonicalAlias] = await Promise.all(['m.room.create', 'm.room.power_levels', 'm.room.canonical_alias'].map(async (type) => (await stateOf([type]))[0]));
  const copied = await stateOf(TRANSFERABLE);
  const [lastEventId] = await storage.events.getForwardExtremities(roomId);
  const joinRule = copied.find((event) => event.type === 'm.room.join_rules')?.pdu.content.join_rule;
  // NOTSPEC: members of a room that is not public are invited to the successor, so they can follow the tombstone.
  const invitees = joinRule === 'public' ? [] : (await storage.roomState.getMembershipsOfRoom(roomId, 'join')).map((m) => m.userId).filter((id) => id !== upgrader);
  const upgraderMember = await memberContent(ctx, upgrader, { membership: 'join' });
  const inviteMembers = await Promise.all(invitees.map((userId) => memberContent(ctx, userId, { membership: 'invite' })));
  const oldRoom = await storage.rooms.getRoom(roomId);
  const creators = [upgrader, ...additionalCreators];
  const levels = powerLevelsFor(oldPowerLevels?.pdu.content, newVersion, creators, upgrader);

  const replacementRoom = await runRoomWrite(ctx, null, async (session) => {
    const createContent: JsonObject = {
      room_version: newVersion.id,
      // v12 room IDs hash the create event, so the old room cannot name an event after it: omitted (spec v1.16).
      predecessor: newVersion.roomIdIsCreateEventHash || lastEventId === undefined ? { room_id: roomId } : { room_id: roomId, event_id: lastEventId },
    };
    const type = oldCreate?.pdu.content.type;
    if (typeof type === 'string') createContent.type = type;
    if (oldCreate?.pdu.content['m.federate'] !== undefined) createContent['m.federate'] = oldCreate.pdu.content['m.federate'];
    if (!newVersion.implicitRoomCreator) createContent.creator = upgrader;
    if (additionalCreators.length > 0) createContent.additional_creators = additionalCreators;
    const create = await persistCreateEvent(ctx, session, newVersion, { sender: upgrader, content: createContent }, forbidden);
    const newRoomId = create.roomId;
    const send = async (type: string, stateKey: string, content: JsonObject) => {
      await yieldToEventLoop();
      return buildAndPersist(ctx, session, newVersion, { roomId: newRoomId, sender: upgrader, type, stateKey, content });
    };
    await send('m.room.member', upgrader, upgraderMember);
    // The upgrader first gets the power to send everything that follows; the copied levels come last.
    await send('m.room.power_levels', '', levels.initial);
    for (const event of copied) await send(event.type, '', event.pdu.content);
    await session.tx.roomState.moveAliases(roomId, newRoomId);
    if (canonicalAlias !== undefined) await send('m.room.canonical_alias', '', canonicalAlias.pdu.content);
    for (const [index, userId] of invitees.entries()) await send('m.room.member', userId, inviteMembers[index] as JsonObject);
    if (levels.final !== undefined) await send('m.room.power_levels', '', levels.final);
    if (oldRoom?.isPublic === true) {
      await session.tx.rooms.setPublic(newRoomId, true);
      await session.tx.rooms.setPublic(roomId, false);
    }
    return newRoomId;
  });

  await sendEvent(ctx, {
    roomId,
    sender: upgrader,
    type: 'm.room.tombstone',
    stateKey: '',
    content: { body: 'This room has been replaced', replacement_room: replacementRoom },
  });
  await restrictOldRoom(ctx, roomId, upgrader, oldPowerLevels);
  await ctx.callbacks.copyRoomTags?.(upgrader, roomId, replacementRoom);
  return { replacementRoom };
}

/**
 * The successor's power levels: the old ones without creators listed (v12 creators have infinite power and may
 * not appear in `users`). Where the upgrader is no privileged creator, they first get the highest level the
 * content names (so they can send the copied state), then their old level back.
 */
function powerLevelsFor(
  old: JsonObject | undefined,
  version: RoomVersion,
  creators: readonly string[],
  upgrader: string,
): { initial: JsonObject; final?: JsonObject } {
  const content: JsonObject = structuredClone(old ?? {});
  const users: JsonObject = typeof content.users === 'object' && content.users !== null && !Array.isArray(content.users) ? { ...content.users } : {};
  if (version.privilegedCreators) {
    for (const creator of creators) delete users[creator];
    return { initial: { ...content, users } };
  }
  const numbers = (value: JsonValue | undefined): number[] =>
    typeof value === 'number' ? [value] : typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.values(value).flatMap(numbers) : [];
  const highest = Math.max(100, ...numbers(content as JsonValue).filter(Number.isFinite));
  const own = users[upgrader];
  const finalLevel = typeof own === 'number' ? own : 100;
  const initial = { ...content, users: { ...users, [upgrader]: highest } };
  return finalLevel === highest ? { initial } : { initial, final: { ...content, users: { ...users, [upgrader]: finalLevel } } };
}

/**
 * Old room: `events_default` and `invite` raised to the greater of 50 and `users_default + 1`, so no one without
 * power keeps talking there. Best effort: a refusal (the upgrader may lack the power) is logged.
 */
async function restrictOldRoom(ctx: RoomsContext, roomId: string, upgrader: string, powerLevels: StoredEvent | undefined): Promise<void> {
  // Without a power levels event, one naming only these keys would take everybody's power away.
  if (powerLevels === undefined) return;
  const content: JsonObject = structuredClone(powerLevels.pdu.content);
  const usersDefault = typeof content.users_default === 'number' ? content.users_default : 0;
  const restricted = Math.max(50, usersDefault + 1);
  const current = (key: string, fallback: number) => (typeof content[key] === 'number' ? (content[key] as number) : fallback);
  if (current('events_default', 0) >= restricted && current('invite', 0) >= restricted) return;
  content.events_default = Math.max(restricted, current('events_default', 0));
  content.invite = Math.max(restricted, current('invite', 0));
  try {
    await sendEvent(ctx, { roomId, sender: upgrader, type: 'm.room.power_levels', stateKey: '', content });
  } catch (error) {
    ctx.deps.logger.warn({ err: error, roomId }, 'could not restrict the power levels of an upgraded room');
  }
}

/**
 * After a user's first join of a room: when the room replaced another (create `predecessor`), their tags of the
 * old room are copied to it. https://spec.matrix.org/v1.19/client-server-api/#server-behaviour-16
 */
export async function afterFirstJoin(ctx: RoomsContext, userId: string, roomId: string): Promise<void> {
  if (ctx.callbacks.copyRoomTags === undefined) return;
  const createId = await ctx.deps.storage.events.getCurrentStateEventId(roomId, 'm.room.create', '');
  const [create] = createId === null ? [] : await ctx.deps.storage.events.getEvents([createId]);
  const predecessor = create?.pdu.content.predecessor;
  if (typeof predecessor !== 'object' || predecessor === null || Array.isArray(predecessor)) return;
  const oldRoomId = predecessor.room_id;
  if (typeof oldRoomId !== 'string') return;
  await ctx.callbacks.copyRoomTags(userId, oldRoomId, roomId);
}
