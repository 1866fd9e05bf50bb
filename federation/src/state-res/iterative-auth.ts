/**
 * The iterative auth checks of state resolution v2, and the auth events selection it relies on.
 * https://spec.matrix.org/v1.19/rooms/v2/#definitions
 */
import { authEventTypesFor } from '../auth/auth-events.js';
import { stateKeyString, type Pdu } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';
import type { AuthGraph } from './auth-chain.js';
import type { Authorize } from './types.js';

const CREATE_KEY = stateKeyString('m.room.create', '');

/**
 * The state keys the auth rules may consult for `event`: the spec's auth events selection, plus the
 * create event in every version (v12 leaves it out of `auth_events`, but the auth rules still need it).
 * https://spec.matrix.org/v1.19/server-server-api/#auth-events-selection
 */
export function authStateKeysFor(event: Pdu, version: RoomVersion): string[] {
  const keys = authEventTypesFor(event, version).map(([type, stateKey]) => stateKeyString(type, stateKey));
  if (!keys.includes(CREATE_KEY)) keys.push(CREATE_KEY);
  return keys;
}

export interface IterativeAuthOptions {
  graph: AuthGraph;
  version: RoomVersion;
  authorize: Authorize;
  /** v12: the create event (not cited in `auth_events`), added to every auth state. */
  createEventId?: string;
}

/**
 * Applies `sortedIds` to `state` in order, keeping each state event the auth rules allow and ignoring
 * the rest. The auth state for each event is its own non-rejected auth events, overridden by the
 * current `state` for every key the auth rules need (rejected events never serve as auth events).
 * Mutates and returns `state`.
 */
export function iterativeAuthChecks(
  state: Map<string, string>,
  sortedIds: readonly string[],
  options: IterativeAuthOptions,
): Map<string, string> {
  const { graph, version } = options;
  const createEvent = options.createEventId ? graph.get(options.createEventId) : undefined;
  for (const eventId of sortedIds) {
    const node = graph.get(eventId);
    // An event rejected against its own auth chain should not be here at all (spec "Rejected events");
    // if a caller passes one anyway it is never admitted into the state.
    if (!node || node.rejected || typeof node.pdu.state_key !== 'string') continue;
    const authState = new Map<string, Pdu>();
    if (createEvent && !createEvent.rejected) authState.set(CREATE_KEY, createEvent.pdu);
    for (const authId of node.authIds) {
      const auth = graph.get(authId);
      // Rejected auth events are excluded (spec: "Rejected events").
      if (auth && !auth.rejected && typeof auth.pdu.state_key === 'string') {
        authState.set(stateKeyString(auth.pdu.type, auth.pdu.state_key), auth.pdu);
      }
    }
    for (const key of authStateKeysFor(node.pdu, version)) {
      const current = state.get(key);
      const event = current === undefined ? undefined : graph.get(current);
      if (event && !event.rejected) authState.set(key, event.pdu);
    }
    const result = options.authorize({ event: node.pdu, eventId, roomVersion: version, authState });
    if (result.allowed) state.set(stateKeyString(node.pdu.type, node.pdu.state_key), eventId);
  }
  return state;
}
