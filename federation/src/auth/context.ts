/**
 * What one auth check knows: the event, its version's rule numbers, and read helpers over the state it is
 * checked against. Built once per {@link import('./rules.js').authorizeEvent} call; the heavy parts (parsed
 * power levels, create event IDs) are cached per event object so iterative auth checks stay cheap.
 */
import { isJsonObject, type JsonObject } from '../json/canonical.js';
import { computeEventId } from '../crypto/hash.js';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';
import type { AuthInput, AuthResult } from './types.js';
import { powerLevelsIn, roomCreators, userPowerLevel, type PowerLevels } from './power-levels.js';
import { ruleNumbers, type RuleNumbers } from './rule-numbers.js';

/** Everything a rule function needs. */
export interface AuthContext {
  readonly input: AuthInput;
  readonly event: Pdu;
  readonly version: RoomVersion;
  readonly rules: RuleNumbers;
  readonly create: Pdu;
  readonly creators: readonly string[];
  readonly levels: PowerLevels;
  /** The state event at `(type, stateKey)`, if any. */
  stateEvent(type: string, stateKey: string): Pdu | undefined;
  /** A user's current membership; `leave` when they have no member event. */
  membershipOf(userId: string): string;
  powerLevelOf(userId: string): number;
  /**
   * The current join rule. NOTSPEC: with no `m.room.join_rules` event (or no `join_rule` in it) the spec
   * names no join rule; like Synapse and Ruma we read it as `invite`, so agreeing state stays agreed.
   */
  joinRule(): string;
}

/** Builds the context; `create` is the room's create event (the caller checked it exists). */
export function makeAuthContext(input: AuthInput, create: Pdu): AuthContext {
  const { authState, roomVersion } = input;
  const creators = roomCreators(create, roomVersion);
  const levels = powerLevelsIn(authState, roomVersion);
  const stateEvent = (type: string, stateKey: string) => authState.get(stateKeyString(type, stateKey));
  return {
    input,
    event: input.event,
    version: roomVersion,
    rules: ruleNumbers(roomVersion),
    create,
    creators,
    levels,
    stateEvent,
    membershipOf(userId) {
      const membership = stateEvent('m.room.member', userId)?.content.membership;
      return typeof membership === 'string' ? membership : 'leave';
    },
    powerLevelOf: (userId) => userPowerLevel(userId, levels, creators, roomVersion),
    joinRule() {
      const joinRule = stateEvent('m.room.join_rules', '')?.content.join_rule;
      return typeof joinRule === 'string' ? joinRule : 'invite';
    },
  };
}

/** A rejection result. */
export function reject(rule: string, reason: string): AuthResult {
  return { allowed: false, rule, reason };
}

/** The allow result (one shared object: results are read, never mutated). */
export const ALLOW: AuthResult = Object.freeze({ allowed: true });

/** A PDU as the JSON object it was parsed from (a parsed PDU holds no `undefined` values). */
export function pduJson(pdu: Pdu): JsonObject {
  return pdu as unknown as JsonObject;
}

const createEventIds = new WeakMap<Pdu, { versionId: string; eventId: string }>();

/**
 * The event ID of a create event: carried in v1/v2, the reference hash from v3. Cached per object, since
 * every "creator's first join" check and every v12 room ID check asks for it. `undefined` when it has none.
 */
export function createEventIdOf(create: Pdu, version: RoomVersion): string | undefined {
  const cached = createEventIds.get(create);
  if (cached && cached.versionId === version.id) return cached.eventId;
  let eventId: string;
  try {
    eventId = computeEventId(pduJson(create), version);
  } catch {
    // A v1/v2 event without `event_id`, or content canonical JSON cannot encode: it has no usable ID.
    return undefined;
  }
  createEventIds.set(create, { versionId: version.id, eventId });
  return eventId;
}

/** `content` as an object, whatever was received. */
export function contentOf(event: Pdu): JsonObject {
  return isJsonObject(event.content) ? event.content : {};
}
