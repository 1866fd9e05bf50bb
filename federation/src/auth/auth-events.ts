/**
 * Auth events selection, and the auth rules that look at an event's `auth_events` list itself
 * (rule 2 in v1-v11, rule 3 in v12).
 * https://spec.matrix.org/v1.19/server-server-api/#auth-events-selection
 */
import { isJsonObject, type JsonObject } from '../json/canonical.js';
import { stateKeyString, type Pdu, type StateKeyTuple } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';
import type { AuthResult } from './types.js';
import { ALLOW, reject } from './context.js';
import { ruleNumbers } from './rule-numbers.js';

/** The fields of an event that decide its auth events (an event being built has no more than these). */
export type AuthEventSelectionFields = Pick<Pdu, 'type' | 'sender' | 'state_key'> & { content: JsonObject };

/**
 * The `(type, state_key)` pairs an event's `auth_events` should be chosen from (each "if any"): the create
 * event (not in v12, where the room ID names it), the power levels, the sender's membership and, for member
 * events, the target's membership, the join rules, the third-party invite and the authorising user's membership.
 * Empty for `m.room.create`.
 * https://spec.matrix.org/v1.19/server-server-api/#auth-events-selection
 */
export function authEventTypesFor(
  event: AuthEventSelectionFields,
  roomVersion: Pick<RoomVersion, 'roomIdIsCreateEventHash' | 'restrictedJoinsSupported'>,
): StateKeyTuple[] {
  if (event.type === 'm.room.create') return [];
  const selected: StateKeyTuple[] = [];
  const add = (type: string, stateKey: string) => {
    if (!selected.some(([t, k]) => t === type && k === stateKey)) selected.push([type, stateKey]);
  };
  if (!roomVersion.roomIdIsCreateEventHash) add('m.room.create', '');
  add('m.room.power_levels', '');
  add('m.room.member', event.sender);
  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    const { membership, third_party_invite: invite, join_authorised_via_users_server: authoriser } = event.content;
    add('m.room.member', event.state_key);
    if (membership === 'join' || membership === 'invite' || membership === 'knock') add('m.room.join_rules', '');
    if (membership === 'invite' && isJsonObject(invite) && isJsonObject(invite.signed)) {
      const token = invite.signed.token;
      if (typeof token === 'string') add('m.room.third_party_invite', token);
    }
    if (membership === 'join' && typeof authoriser === 'string' && roomVersion.restrictedJoinsSupported) {
      add('m.room.member', authoriser);
    }
  }
  return selected;
}

/** Options for {@link checkAuthEventsSelection}. */
export interface AuthEventsCheckOptions {
  /** Whether an auth event was itself rejected (rule 2.3/3.3); storage knows, the rules do not. */
  isRejected?: (authEvent: Pdu) => boolean;
}

/**
 * The rules about an event's `auth_events` list: no two entries for one `(type, state_key)`, only entries the
 * selection algorithm allows (in v12 never `m.room.create`), none rejected, an `m.room.create` among them
 * (v1-v11) and all in the event's room. `authEvents` are the events `event.auth_events` references.
 * Allows `m.room.create` events, whose rule 1 comes before these.
 * https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules
 */
export function checkAuthEventsSelection(
  event: Pdu,
  authEvents: readonly Pdu[],
  roomVersion: RoomVersion,
  options: AuthEventsCheckOptions = {},
): AuthResult {
  if (event.type === 'm.room.create') return ALLOW;
  const rules = ruleNumbers(roomVersion).authEvents;
  const label = (authEvent: Pdu) => `(${authEvent.type}, ${JSON.stringify(authEvent.state_key)})`;
  const seen = new Set<string>();
  for (const authEvent of authEvents) {
    if (typeof authEvent.state_key !== 'string') continue; // not selectable: the next pass rejects it
    const key = stateKeyString(authEvent.type, authEvent.state_key);
    if (seen.has(key)) return reject(rules.duplicate, `auth_events has two entries for ${label(authEvent)}`);
    seen.add(key);
  }
  const allowed = new Set(authEventTypesFor(event, roomVersion).map(([type, stateKey]) => stateKeyString(type, stateKey)));
  for (const authEvent of authEvents) {
    if (typeof authEvent.state_key !== 'string') {
      return reject(rules.selection, `auth event of type ${authEvent.type} is not a state event`);
    }
    if (!allowed.has(stateKeyString(authEvent.type, authEvent.state_key))) {
      return reject(rules.selection, `auth_events may not include ${label(authEvent)} for this event`);
    }
  }
  const rejected = options.isRejected ? authEvents.find(options.isRejected) : undefined;
  if (rejected) return reject(rules.rejected, `auth event ${label(rejected)} was rejected`);
  if (!roomVersion.roomIdIsCreateEventHash && !authEvents.some((authEvent) => authEvent.type === 'm.room.create')) {
    return reject(rules.noCreate, 'auth_events has no m.room.create event');
  }
  const foreign = authEvents.find((authEvent) => authEvent.room_id !== event.room_id);
  if (foreign) return reject(rules.roomId, `auth event ${foreign.type} belongs to ${String(foreign.room_id)}, not ${String(event.room_id)}`);
  return ALLOW;
}
