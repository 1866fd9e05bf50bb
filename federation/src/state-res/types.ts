/**
 * The contract between state resolution and its callers.
 * https://spec.matrix.org/v1.19/rooms/v2/#state-resolution
 */
import type { AuthInput, AuthResult } from '../auth/types.js';
import type { EventWithId } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';

/**
 * A room state: `stateKeyString(type, stateKey)` (from `events/pdu.ts`) to event ID.
 */
export type StateMap = ReadonlyMap<string, string>;

/**
 * An event as the store hands it to state resolution. `rejected` marks an event that failed the auth
 * rules against its own auth events: such events are never used as auth events in the iterative auth
 * checks (spec "Rejected events"). Events rejected only against the state before them are not marked.
 */
export interface StateResEvent extends EventWithId {
  rejected?: boolean;
}

/**
 * Where state resolution reads events from. Every event in the state sets and in their auth chains must
 * be available; auth events the store does not return are treated as absent.
 */
export interface StateResStore {
  /** Returns the events it has among `ids`, keyed by event ID (missing ones are simply left out). */
  getEvents(ids: readonly string[]): Promise<ReadonlyMap<string, StateResEvent>>;
  /**
   * Optional auth-chain index: the union of the auth chains of `ids` (every event reachable through one or
   * more `auth_events` edges). When present, state resolution asks it for the chain of the unconflicted
   * state instead of loading and walking that chain, so a big room costs only its conflicted part.
   */
  getAuthChainUnion?(ids: readonly string[]): Promise<Iterable<string>>;
}

/** Checks one event against an auth state: `authorizeEvent` from `auth/rules.ts` in production. */
export type Authorize = (input: AuthInput) => AuthResult;

/** Input to {@link import('./resolve.js').resolveState}. */
export interface ResolveStateInput {
  roomVersion: RoomVersion;
  /** The states to resolve (typically the states after each forward extremity). */
  stateSets: readonly StateMap[];
  store: StateResStore;
  /** The auth rules; defaults to `authorizeEvent` from `auth/rules.ts` (tests may inject others). */
  authorize?: Authorize;
}
