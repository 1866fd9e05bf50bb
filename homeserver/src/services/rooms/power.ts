/**
 * Power checks the server makes itself (outside the auth rules): "may this user send this state event now?",
 * for alias deletion, directory listing and room upgrades.
 * https://spec.matrix.org/v1.19/client-server-api/#mroompower_levels
 */
import { isValidUserId, readPowerLevels, roomCreators, stateKeyString, userPowerLevel, type JsonObject, type PowerLevels } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent } from '../../storage/index.js';
import { requireRoomVersion, type RoomsContext } from './context.js';
import { currentStateMap } from './reads.js';

/** The room's current power levels, creators and the create and power level events. */
export interface RoomPower {
  levels: PowerLevels;
  creators: string[];
  create: StoredEvent | undefined;
  powerLevels: StoredEvent | undefined;
}

export async function roomPower(ctx: RoomsContext, roomId: string): Promise<RoomPower> {
  const version = await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const state = await currentStateMap(ctx, roomId);
  const ids = [stateKeyString('m.room.create', ''), stateKeyString('m.room.power_levels', '')].flatMap((key) => state.get(key) ?? []);
  const events = await ctx.deps.storage.events.getEvents(ids);
  const create = events.find((event) => event.type === 'm.room.create');
  const powerLevels = events.find((event) => event.type === 'm.room.power_levels');
  return {
    levels: readPowerLevels(powerLevels?.pdu.content as JsonObject | undefined, version),
    creators: create ? roomCreators(create.pdu, version) : [],
    create,
    powerLevels,
  };
}

/** Whether `userId` has the power to send a state event of `eventType` in the room's current state. */
export async function maySendState(ctx: RoomsContext, roomId: string, userId: string, eventType: string): Promise<boolean> {
  const version = await requireRoomVersion(ctx, ctx.deps.storage, roomId);
  const power = await roomPower(ctx, roomId);
  const required = power.levels.events.get(eventType) ?? power.levels.stateDefault;
  return userPowerLevel(userId, power.levels, power.creators, version) >= required;
}

const LEVEL_KEYS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

/**
 * Checks the shape of a power levels event a local client sends, so a malformed one is a 400 `M_BAD_JSON`
 * ("the request is malformed") rather than a 403 from the auth rules ("you may not"). New events carry integer
 * levels in every room version; the stringy levels of old versions are only accepted from other servers.
 * https://spec.matrix.org/v1.19/client-server-api/#mroompower_levels
 */
export function requireWellFormedPowerLevels(content: JsonObject): void {
  const isLevel = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value);
  for (const key of LEVEL_KEYS) {
    if (content[key] !== undefined && !isLevel(content[key])) throw badPowerLevels(`${key} must be an integer`);
  }
  for (const key of ['events', 'notifications', 'users'] as const) {
    const map = content[key];
    if (map === undefined) continue;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw badPowerLevels(`${key} must be an object`);
    for (const [name, value] of Object.entries(map)) {
      if (!isLevel(value)) throw badPowerLevels(`${key}.${name} must be an integer`);
      if (key === 'users' && !isValidUserId(name, { historical: true })) throw badPowerLevels(`${name} in users is not a user ID`);
    }
  }
}

function badPowerLevels(message: string): MatrixError {
  return new MatrixError(400, 'M_BAD_JSON', `Invalid power levels: ${message}`);
}
