/**
 * Reading power levels as the auth rules see them: parsing values per room version, defaults, room creators.
 * https://spec.matrix.org/v1.19/client-server-api/#mroompower_levels
 * https://spec.matrix.org/v1.19/rooms/v1/#mroompower_levels-events-accept-values-as-strings
 * https://spec.matrix.org/v1.19/rooms/v1/#mroompower_levels-events-accept-values-as-floats
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json/canonical.js';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';

/** The room version flags that decide how power level values are written. */
export type PowerLevelFlags = Pick<RoomVersion, 'integerOnlyPowerLevels' | 'strictCanonicalJson'>;

/** The flags that decide who the room creators are. */
export type CreatorFlags = Pick<RoomVersion, 'implicitRoomCreator' | 'privilegedCreators'>;

/** Power levels with every default filled in. */
export interface PowerLevels {
  /** Whether the room has an `m.room.power_levels` event at all. */
  readonly present: boolean;
  readonly users: ReadonlyMap<string, number>;
  readonly usersDefault: number;
  readonly eventsDefault: number;
  readonly stateDefault: number;
  readonly ban: number;
  readonly kick: number;
  readonly redact: number;
  readonly invite: number;
  readonly events: ReadonlyMap<string, number>;
  readonly notifications: ReadonlyMap<string, number>;
}

/** The power level of a user with no entry when the room has no power levels event (spec: 100 for the creator). */
export const CREATOR_DEFAULT_LEVEL = 100;

/** The integer-valued top-level keys of power levels content, as rule 10.1 (v10+) lists them. */
export const LEVEL_KEYS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;
export type LevelKey = (typeof LEVEL_KEYS)[number];

/** Defaults from the m.room.power_levels schema, used both when a key is missing and when there is no event. */
const LEVEL_DEFAULTS: Record<LevelKey, number> = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
};

// v1-v9 "stringy" values: base-10 digits, one optional sign, any surrounding whitespace.
const INTEGER_STRING = /^\s*[+-]?[0-9]+\s*$/;

/**
 * Parses one power level value the way `version` allows, or `undefined` when the value is absent or is not a
 * valid power level. v10+: integers only. v6-v9: integers or integer strings. v1-v5: additionally floats,
 * truncated toward zero (non-finite numbers are invalid).
 */
export function parsePowerLevelValue(value: JsonValue | undefined, version: PowerLevelFlags): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    if (Number.isInteger(value)) {
      return version.integerOnlyPowerLevels && !Number.isSafeInteger(value) ? undefined : value + 0;
    }
    // Floats only exist where canonical JSON was not enforced (v1-v5): truncate at the decimal point.
    return version.strictCanonicalJson ? undefined : Math.trunc(value) + 0;
  }
  if (typeof value === 'string' && !version.integerOnlyPowerLevels && INTEGER_STRING.test(value)) {
    // `+ 0` turns "-0" into 0.
    return Number.parseInt(value.trim(), 10) + 0;
  }
  return undefined;
}

/** True when `value` is a power level value `version` accepts (see {@link parsePowerLevelValue}). */
export function isPowerLevelValue(value: JsonValue | undefined, version: PowerLevelFlags): boolean {
  return value !== undefined && parsePowerLevelValue(value, version) !== undefined;
}

/** Parses a `{ key: level }` map, skipping entries whose values are not valid levels. */
export function parseLevelMap(value: JsonValue | undefined, version: PowerLevelFlags): Map<string, number> {
  const levels = new Map<string, number>();
  if (!isJsonObject(value)) return levels;
  for (const [key, raw] of Object.entries(value)) {
    const level = parsePowerLevelValue(raw, version);
    if (level !== undefined) levels.set(key, level);
  }
  return levels;
}

function namedLevel(content: JsonObject, key: LevelKey, version: PowerLevelFlags): number {
  return parsePowerLevelValue(content[key], version) ?? LEVEL_DEFAULTS[key];
}

function parsePowerLevels(content: JsonObject | undefined, version: PowerLevelFlags): PowerLevels {
  const body = content ?? {};
  return {
    present: content !== undefined,
    users: parseLevelMap(body.users, version),
    usersDefault: namedLevel(body, 'users_default', version),
    eventsDefault: namedLevel(body, 'events_default', version),
    stateDefault: namedLevel(body, 'state_default', version),
    ban: namedLevel(body, 'ban', version),
    kick: namedLevel(body, 'kick', version),
    redact: namedLevel(body, 'redact', version),
    invite: namedLevel(body, 'invite', version),
    events: parseLevelMap(body.events, version),
    notifications: parseLevelMap(body.notifications, version),
  };
}

// Parsed power levels per content object, per parsing mode: auth checks run for every event of a state
// resolution and the same power levels event is read thousands of times.
const parsedCache = new Map<string, WeakMap<JsonObject, PowerLevels>>();
const NO_POWER_LEVELS = new Map<string, PowerLevels>();

/**
 * The power levels described by an `m.room.power_levels` content, with defaults for missing keys; pass
 * `undefined` when the room has no power levels event. Invalid values count as missing.
 */
export function readPowerLevels(content: JsonObject | undefined, version: PowerLevelFlags): PowerLevels {
  const mode = `${version.integerOnlyPowerLevels}/${version.strictCanonicalJson}`;
  if (content === undefined) {
    let empty = NO_POWER_LEVELS.get(mode);
    if (!empty) NO_POWER_LEVELS.set(mode, (empty = parsePowerLevels(undefined, version)));
    return empty;
  }
  let cache = parsedCache.get(mode);
  if (!cache) parsedCache.set(mode, (cache = new WeakMap()));
  let levels = cache.get(content);
  if (!levels) cache.set(content, (levels = parsePowerLevels(content, version)));
  return levels;
}

/**
 * The room creators. v12: the create event's `sender` plus every string in `content.additional_creators`.
 * v11: the `sender`. v1-v10: `content.creator`.
 * https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules
 */
export function roomCreators(createEvent: Pick<Pdu, 'sender' | 'content'>, roomVersion: CreatorFlags): string[] {
  if (roomVersion.privilegedCreators) {
    const additional = createEvent.content.additional_creators;
    const extra = Array.isArray(additional) ? additional.filter((id): id is string => typeof id === 'string') : [];
    return [...new Set([createEvent.sender, ...extra])];
  }
  if (roomVersion.implicitRoomCreator) return [createEvent.sender];
  const creator = createEvent.content.creator;
  return typeof creator === 'string' ? [creator] : [];
}

/**
 * A user's power level given parsed power levels and the room creators: infinite for creators where the
 * version makes them privileged (v12), else the `users` entry or `users_default`; with no power levels event,
 * 100 for a creator and 0 for anyone else.
 */
export function userPowerLevel(
  userId: string,
  levels: PowerLevels,
  creators: readonly string[],
  roomVersion: Pick<RoomVersion, 'privilegedCreators'>,
): number {
  if (roomVersion.privilegedCreators && creators.includes(userId)) return Number.POSITIVE_INFINITY;
  if (!levels.present) return creators.includes(userId) ? CREATOR_DEFAULT_LEVEL : 0;
  return levels.users.get(userId) ?? levels.usersDefault;
}

/**
 * A user's power level in the room whose state is `state` (keyed by `stateKeyString`).
 * https://spec.matrix.org/v1.19/client-server-api/#mroompower_levels
 */
export function powerLevelOf(userId: string, state: ReadonlyMap<string, Pdu>, roomVersion: RoomVersion): number {
  const create = state.get(stateKeyString('m.room.create', ''));
  const creators = create ? roomCreators(create, roomVersion) : [];
  return userPowerLevel(userId, powerLevelsIn(state, roomVersion), creators, roomVersion);
}

/** The parsed power levels of the room whose state is `state`. */
export function powerLevelsIn(state: ReadonlyMap<string, Pdu>, roomVersion: PowerLevelFlags): PowerLevels {
  return readPowerLevels(state.get(stateKeyString('m.room.power_levels', ''))?.content, roomVersion);
}

/**
 * The *required power level* to send an event of `eventType`: its `events` entry, else `state_default` for
 * state events and `events_default` for others.
 * https://spec.matrix.org/v1.19/server-server-api/#definitions
 */
export function requiredPowerLevel(eventType: string, isState: boolean, levels: PowerLevels): number {
  return levels.events.get(eventType) ?? (isState ? levels.stateDefault : levels.eventsDefault);
}
