/**
 * The authorisation rules of room versions 1-12, as one function over a state map. The version differences
 * come from the flags in room-versions/table.ts.
 * https://spec.matrix.org/v1.19/server-server-api/#authorization-rules
 * https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules (and v1, v3, v6, v7, v8, v10, v11)
 */
import { computeRoomIdFromCreateEvent } from '../crypto/hash.js';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import { findRoomVersion, type RoomVersion } from '../room-versions/table.js';
import type { AuthInput, AuthResult } from './types.js';
import { ALLOW, contentOf, makeAuthContext, pduJson, reject, type AuthContext } from './context.js';
import { domainOf, isValidUserId } from './identifiers.js';
import { checkMemberEvent } from './member.js';
import { checkPowerLevelsEvent } from './power-levels-change.js';
import { requiredPowerLevel } from './power-levels.js';
import { ruleNumbers } from './rule-numbers.js';

/**
 * Decides whether `input.event` is allowed given `input.authState` (its auth events, or the room state
 * before it). Synchronous and allocation-light: state resolution calls it for every event it replays.
 *
 * The checks that need the event's own `auth_events` list (duplicates, selection, rejected entries) are in
 * {@link import('./auth-events.js').checkAuthEventsSelection}; run both when authorising against auth events.
 * https://spec.matrix.org/v1.19/server-server-api/#authorization-rules
 */
export function authorizeEvent(input: AuthInput): AuthResult {
  const { event, roomVersion: version } = input;
  if (event.type === 'm.room.create') return checkCreateEvent(event, version);

  const rules = ruleNumbers(version);
  const create = input.authState.get(stateKeyString('m.room.create', ''));
  if (version.roomIdIsCreateEventHash) {
    const roomIdCheck = checkRoomIdIsCreateEvent(event, create, version);
    if (roomIdCheck) return roomIdCheck;
  } else if (!create) {
    return reject(rules.authEvents.noCreate, 'there is no m.room.create event');
  } else if (create.room_id !== event.room_id) {
    return reject(rules.authEvents.roomId, `the m.room.create event belongs to ${create.room_id}, not ${event.room_id}`);
  }
  // Both branches above reject when there is no create event.
  const ctx = makeAuthContext(input, create as Pdu);

  const federation = checkFederate(ctx);
  if (federation) return federation;
  if (version.specialCaseAliasesAuth && event.type === 'm.room.aliases') return checkAliases(ctx);
  if (event.type === 'm.room.member') return checkMemberEvent(ctx);
  return checkNonMemberEvent(ctx);
}

/** Rule 1: the create event. */
function checkCreateEvent(event: Pdu, version: RoomVersion): AuthResult {
  const rules = ruleNumbers(version).create;
  if (event.prev_events.length > 0) return reject(rules.prevEvents, 'm.room.create must have no prev_events');
  if (version.roomIdIsCreateEventHash) {
    if (event.room_id !== undefined) return reject(rules.roomId, 'm.room.create must not have a room_id in this room version');
  } else {
    const roomDomain = typeof event.room_id === 'string' ? domainOf(event.room_id) : undefined;
    if (roomDomain === undefined || roomDomain !== domainOf(event.sender)) {
      return reject(rules.roomId, `the room ID ${String(event.room_id)} is not on the sender's server`);
    }
  }
  const content = contentOf(event);
  const roomVersion = content.room_version;
  if (roomVersion !== undefined && (typeof roomVersion !== 'string' || !findRoomVersion(roomVersion))) {
    return reject(rules.roomVersion, `unknown room_version ${JSON.stringify(roomVersion)}`);
  }
  if (!version.implicitRoomCreator && content.creator === undefined) {
    return reject(rules.creator, 'm.room.create content has no creator');
  }
  if (version.privilegedCreators && content.additional_creators !== undefined) {
    const creators = content.additional_creators;
    if (!Array.isArray(creators) || !creators.every((id) => isValidUserId(id))) {
      return reject(rules.additionalCreators, 'additional_creators must be an array of valid user IDs');
    }
  }
  return ALLOW;
}

const roomIdsOfCreateEvents = new WeakMap<Pdu, string | null>();

/** The v12 room ID a create event defines (cached: one hash per create event object). `null` if unhashable. */
function roomIdOfCreateEvent(create: Pdu, version: RoomVersion): string | null {
  let roomId = roomIdsOfCreateEvents.get(create);
  if (roomId === undefined) {
    try {
      roomId = computeRoomIdFromCreateEvent(pduJson(create), version);
    } catch {
      roomId = null;
    }
    roomIdsOfCreateEvents.set(create, roomId);
  }
  return roomId;
}

/** v12 rule 2: the room ID is the create event's ID with a `!` sigil. Whether it was rejected is the caller's to know. */
function checkRoomIdIsCreateEvent(event: Pdu, create: Pdu | undefined, version: RoomVersion): AuthResult | undefined {
  const rule = ruleNumbers(version).roomIdIsCreate;
  if (!create) return reject(rule, 'the room has no known m.room.create event');
  if (create.type !== 'm.room.create') return reject(rule, 'the state entry for m.room.create is not a create event');
  if (typeof event.room_id !== 'string' || event.room_id !== roomIdOfCreateEvent(create, version)) {
    return reject(rule, `room ID ${String(event.room_id)} is not the ID of the room's m.room.create event`);
  }
  return undefined;
}

/** Rule 3 (v12: 4): `m.federate: false` keeps other servers out. */
function checkFederate(ctx: AuthContext): AuthResult | undefined {
  const createContent = contentOf(ctx.create);
  if (createContent['m.federate'] !== false) return undefined;
  const senderDomain = domainOf(ctx.event.sender);
  const createDomain = domainOf(ctx.create.sender);
  if (senderDomain === createDomain) return undefined;
  return reject(ctx.rules.federate, `the room does not federate and ${ctx.event.sender} is not on ${String(createDomain)}`);
}

/** v1-v5 rule 4: `m.room.aliases` state is owned by the server named in its state key. */
function checkAliases(ctx: AuthContext): AuthResult {
  const { event, rules } = ctx;
  if (typeof event.state_key !== 'string') return reject(rules.aliases.stateKey, 'm.room.aliases needs a state_key');
  if (domainOf(event.sender) !== event.state_key) {
    return reject(rules.aliases.domain, `${event.sender} may not set the aliases of ${event.state_key}`);
  }
  return ALLOW;
}

/** The rules after the member rule: membership, third-party invites, power, state keys, power levels, redactions. */
function checkNonMemberEvent(ctx: AuthContext): AuthResult {
  const { event, rules, levels, version } = ctx;
  if (ctx.membershipOf(event.sender) !== 'join') return reject(rules.senderJoined, `${event.sender} is not joined to the room`);

  const senderLevel = ctx.powerLevelOf(event.sender);
  if (event.type === 'm.room.third_party_invite') {
    if (senderLevel >= levels.invite) return ALLOW;
    return reject(rules.thirdPartyInvite, `${event.sender} has power level ${senderLevel}, below the invite level ${levels.invite}`);
  }

  const isState = typeof event.state_key === 'string';
  const required = requiredPowerLevel(event.type, isState, levels);
  if (required > senderLevel) {
    return reject(rules.requiredPower, `${event.type} needs power level ${required}; ${event.sender} has ${senderLevel}`);
  }

  if (isState && event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    return reject(rules.stateKeyAt, `state_key ${event.state_key} is another user's ID`);
  }

  if (event.type === 'm.room.power_levels') return checkPowerLevelsEvent(ctx);
  if (!version.deferredRedactionCheck && event.type === 'm.room.redaction') return checkRedactionV1(ctx, senderLevel);
  return ALLOW;
}

/**
 * v1-v2 rule 11: a redaction needs the redact level, unless it redacts an event from its own server (judged by
 * the domains of the two event IDs).
 */
function checkRedactionV1(ctx: AuthContext, senderLevel: number): AuthResult {
  const { event, input, levels } = ctx;
  if (senderLevel >= levels.redact) return ALLOW;
  const redacts = ctx.version.redactsInContent ? contentOf(event).redacts : event.redacts;
  const targetDomain = typeof redacts === 'string' ? domainOf(redacts) : undefined;
  if (targetDomain !== undefined && targetDomain === domainOf(input.eventId)) return ALLOW;
  return reject(
    ctx.rules.redaction,
    `${event.sender} has power level ${senderLevel}, below the redact level ${levels.redact}, and ${String(redacts)} is from another server`,
  );
}
