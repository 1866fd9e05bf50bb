/**
 * The contract between the auth rules and their callers (event persistence, state resolution).
 * https://spec.matrix.org/v1.19/server-server-api/#authorization-rules
 */
import type { Pdu } from '../events/pdu.js';
import type { RoomVersion } from '../room-versions/table.js';

/** Input to {@link import('./rules.js').authorizeEvent}. */
export interface AuthInput {
  /** The event being authorised. */
  event: Pdu;
  /** Its event ID (derived for v3+, carried for v1/v2). */
  eventId: string;
  roomVersion: RoomVersion;
  /**
   * The state the event is checked against, keyed by `stateKeyString(type, stateKey)`: either the event's
   * auth events or the room state before it. Includes the `m.room.create` event in every version (in v12
   * the create event is not in `auth_events`; callers add it from the room ID).
   */
  authState: ReadonlyMap<string, Pdu>;
  /**
   * Whether `event` carries a valid signature from `serverName`. Signatures are verified when a PDU is
   * received (with keys fetched over the network), so the pure rules ask through this callback; used for
   * `join_authorised_via_users_server`. When omitted, that rule rejects unless the authorising server is
   * the sender's server and the event is signed by it (the caller already verified the sender's signature).
   */
  hasValidSignatureFrom?: (serverName: string) => boolean;
}

/** The outcome: allowed, or rejected with the spec rule that rejected it and a human reason. */
export type AuthResult =
  | { allowed: true }
  | {
      allowed: false;
      /** The spec rule number that rejected, e.g. `4.3.2` (as numbered in that version's auth rules). */
      rule: string;
      reason: string;
    };
