/**
 * Typed shapes of Persistent Data Units (room events as servers exchange them) and EDUs.
 * https://spec.matrix.org/v1.19/server-server-api/#pdus
 */
import type { JsonObject, JsonValue } from '../json/canonical.js';

/** `{ "sha256": "<unpadded base64>" }` */
export interface EventHashes {
  sha256: string;
  [algorithm: string]: string;
}

/** `{ "<server name>": { "<key id>": "<unpadded base64 signature>" } }` */
export type Signatures = Record<string, Record<string, string>>;

/** Room versions 1-2 reference other events as `[event_id, {sha256: ...}]`. */
export type EventReferencePair = [string, Record<string, string>];

/**
 * A PDU in any room version. Fields whose presence depends on the version are optional here; the
 * validators in `validate.ts` check the version-specific shape.
 */
export interface Pdu {
  /** Absent on v12 `m.room.create` events (the room ID is derived from the event). */
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  /** v3+: event IDs. v1-2: reference pairs. */
  prev_events: string[] | EventReferencePair[];
  auth_events: string[] | EventReferencePair[];
  hashes: EventHashes;
  signatures: Signatures;
  unsigned?: JsonObject;
  /** v1-2 only. */
  event_id?: string;
  /** v1-10 redaction events carry their target here; v11+ in `content.redacts`. */
  redacts?: string;
  /** Historical top-level keys some servers still send. */
  origin?: string;
  prev_state?: JsonValue;
  membership?: string;
  [key: string]: JsonValue | undefined;
}

/** A PDU together with its (possibly derived) event ID: what everything above the wire works with. */
export interface EventWithId {
  eventId: string;
  pdu: Pdu;
}

/** The `(type, state_key)` tuple that identifies a piece of room state. */
export type StateKeyTuple = readonly [type: string, stateKey: string];

/** Encodes a state tuple as one string for map keys. The separator cannot appear in a type. */
export function stateKeyString(type: string, stateKey: string): string {
  return `${type}\u0000${stateKey}`;
}

/** Splits a key produced by {@link stateKeyString}. */
export function parseStateKeyString(key: string): StateKeyTuple {
  const index = key.indexOf('\u0000');
  return [key.slice(0, index), key.slice(index + 1)];
}

/** An Ephemeral Data Unit. https://spec.matrix.org/v1.19/server-server-api/#edus */
export interface Edu {
  edu_type: string;
  content: JsonObject;
}

/** A federation transaction. https://spec.matrix.org/v1.19/server-server-api/#transactions */
export interface Transaction {
  origin: string;
  origin_server_ts: number;
  pdus: Pdu[];
  edus?: Edu[];
}

/** Event IDs referenced by an edge list, in either format. */
export function referencedEventIds(edges: Pdu['prev_events'] | Pdu['auth_events']): string[] {
  return edges.map((edge) => (typeof edge === 'string' ? edge : edge[0]));
}

/** True for state events (those with a `state_key`, which may be empty). */
export function isStateEvent(pdu: Pick<Pdu, 'state_key'>): boolean {
  return typeof pdu.state_key === 'string';
}
