/**
 * The `m.room.power_levels` auth rule (rule 10 in v1-v5 and v12, rule 9 in v6-v11): what a new power levels
 * event may contain, and which changes the sender's own power level permits.
 * https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json/canonical.js';
import type { AuthResult } from './types.js';
import { ALLOW, contentOf, reject, type AuthContext } from './context.js';
import { isValidUserId } from './identifiers.js';
import { LEVEL_KEYS, isPowerLevelValue, parseLevelMap, parsePowerLevelValue } from './power-levels.js';

/** Checks a power levels event against the current power levels and the sender's level. */
export function checkPowerLevelsEvent(ctx: AuthContext): AuthResult {
  const content = contentOf(ctx.event);
  const shape = checkShape(ctx, content);
  if (shape) return shape;
  const previous = ctx.stateEvent('m.room.power_levels', '');
  if (!previous) return ALLOW;
  return checkChanges(ctx, contentOf(previous), content);
}

/** Rules 10.1-10.4 (v12 numbering): the values are levels, the users are user IDs and not creators. */
function checkShape(ctx: AuthContext, content: JsonObject): AuthResult | undefined {
  const { version } = ctx;
  const rules = ctx.rules.powerLevels;
  // v10+ name these two checks; before v10 the spec leaves invalid values undefined. NOTSPEC: like Synapse
  // (int() fails) and Ruma (deserialisation fails), reject them there too, under the users rule's number.
  const integersRule = version.integerOnlyPowerLevels ? rules.integers : rules.users;
  const mapsRule = version.integerOnlyPowerLevels ? rules.maps : rules.users;
  for (const key of LEVEL_KEYS) {
    const value = content[key];
    if (value !== undefined && !isPowerLevelValue(value, version)) {
      return reject(integersRule, `${key} is not a valid power level: ${JSON.stringify(value)}`);
    }
  }
  const mapKeys = version.limitNotificationsPowerLevels || version.integerOnlyPowerLevels
    ? (['events', 'notifications'] as const)
    : (['events'] as const);
  for (const key of mapKeys) {
    const invalid = invalidLevelMap(content[key], ctx);
    if (invalid) return reject(mapsRule, `${key} ${invalid}`);
  }
  const users = content.users;
  if (users !== undefined) {
    if (!isJsonObject(users)) return reject(rules.users, 'users is not an object');
    for (const [userId, level] of Object.entries(users)) {
      if (!isValidUserId(userId)) return reject(rules.users, `users has a key that is not a user ID: ${JSON.stringify(userId)}`);
      if (!isPowerLevelValue(level, version)) {
        return reject(rules.users, `users[${userId}] is not a valid power level: ${JSON.stringify(level)}`);
      }
    }
    if (version.privilegedCreators) {
      const listed = ctx.creators.find((creator) => Object.hasOwn(users, creator));
      if (listed) return reject(rules.creators, `room creator ${listed} may not appear in users`);
    }
  }
  return undefined;
}

/** Why a present `events`/`notifications` value is not an object of levels; `undefined` when it is fine. */
function invalidLevelMap(value: JsonValue | undefined, ctx: AuthContext): string | undefined {
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) return 'is not an object';
  for (const [key, level] of Object.entries(value)) {
    if (!isPowerLevelValue(level, ctx.version)) return `[${key}] is not a valid power level: ${JSON.stringify(level)}`;
  }
  return undefined;
}

/** One entry that differs between the current and the new content (absent on one side when added/removed). */
interface Change {
  key: string;
  before: number | undefined;
  after: number | undefined;
}

function changes(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Change[] {
  const found: Change[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const change = { key, before: before.get(key), after: after.get(key) };
    if (change.before !== change.after) found.push(change);
  }
  return found;
}

function topLevelChanges(before: JsonObject, after: JsonObject, ctx: AuthContext): Change[] {
  const found: Change[] = [];
  for (const key of LEVEL_KEYS) {
    const change = {
      key,
      before: parsePowerLevelValue(before[key], ctx.version),
      after: parsePowerLevelValue(after[key], ctx.version),
    };
    if (change.before !== change.after) found.push(change);
  }
  return found;
}

/** Rules 10.6-10.10 (v12 numbering): each change must stay within the sender's power. */
function checkChanges(ctx: AuthContext, before: JsonObject, after: JsonObject): AuthResult {
  const { version, event } = ctx;
  const rules = ctx.rules.powerLevels;
  const senderLevel = ctx.powerLevelOf(event.sender);
  const above = (level: number | undefined) => level !== undefined && level > senderLevel;
  const describe = (what: string, change: Change) =>
    `${event.sender} (power level ${senderLevel}) may not change ${what} from ${change.before ?? 'unset'} to ${change.after ?? 'unset'}`;

  for (const change of topLevelChanges(before, after, ctx)) {
    if (above(change.before) || above(change.after)) return reject(rules.levels, describe(change.key, change));
  }

  const mapNames = version.limitNotificationsPowerLevels ? (['events', 'notifications'] as const) : (['events'] as const);
  const mapChanges = mapNames.map((name) => ({
    name,
    changes: changes(parseLevelMap(before[name], version), parseLevelMap(after[name], version)),
  }));
  for (const { name, changes: found } of mapChanges) {
    const change = found.find((entry) => above(entry.before));
    if (change) return reject(rules.eventsRemoved, describe(`${name}[${change.key}]`, change));
  }
  for (const { name, changes: found } of mapChanges) {
    const change = found.find((entry) => above(entry.after));
    if (change) return reject(rules.eventsAdded, describe(`${name}[${change.key}]`, change));
  }

  const userChanges = changes(parseLevelMap(before.users, version), parseLevelMap(after.users, version));
  const demoted = userChanges.find(
    (entry) => entry.key !== event.sender && entry.before !== undefined && entry.before >= senderLevel,
  );
  if (demoted) return reject(rules.usersRemoved, describe(`the level of ${demoted.key}`, demoted));
  const promoted = userChanges.find((entry) => above(entry.after));
  if (promoted) return reject(rules.usersAdded, describe(`the level of ${promoted.key}`, promoted));
  return ALLOW;
}
