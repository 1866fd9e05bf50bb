/**
 * Power checks the server makes itself (outside the auth rules): "may this user send this state event now?",
 * for alias deletion, directory listing and room upgrades.
 * https://spec.matrix.org/v1.19/client-server-api/#mroompower_levels
 */
import { readPowerLevels, roomCreators, stateKeyString, userPowerLevel, type JsonObject, type PowerLevels } from '@parley/federation';
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
