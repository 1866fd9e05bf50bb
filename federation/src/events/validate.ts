/**
 * Checks 1-3 performed on receipt of a PDU: the event format of the room version (else drop), signatures
 * (else drop) and the content hash (else redact).
 * https://spec.matrix.org/v1.19/server-server-api/#checks-performed-on-receipt-of-a-pdu
 * https://spec.matrix.org/v1.19/server-server-api/#validating-hashes-and-signatures-on-received-events
 */
import { canonicalJsonBytes, isJsonObject, type JsonObject, type JsonValue } from '../json/canonical.js';
import { checkContentHash } from '../crypto/hash.js';
import { signatureKeyIds, verifyJsonSignature } from '../crypto/sign.js';
import { parseEventId } from '../ids/event-id.js';
import { isValidRoomId } from '../ids/room-id.js';
import { isValidServerName } from '../ids/server-name.js';
import { parseUserId } from '../ids/user-id.js';
import type { RoomVersion } from '../room-versions/table.js';
import type { Pdu } from './pdu.js';
import { redactEvent } from './redact.js';

/** The whole event, as canonical JSON with its signatures, MUST NOT exceed this many bytes. */
export const MAX_PDU_BYTES = 65_536;
/** `type` and `state_key` MUST NOT exceed this many bytes (IDs have the same identifier limit). */
export const MAX_PDU_KEY_BYTES = 255;
/** `auth_events` holds at most 10 entries, `prev_events` at most 20 (pdu_v*.yaml). */
export const MAX_AUTH_EVENTS = 10;
export const MAX_PREV_EVENTS = 20;

/** The outcome of {@link validatePdu}. */
export type PduValidation = { ok: true; pdu: Pdu } | { ok: false; reason: string };

type Check = string | undefined;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

function checkString(event: JsonObject, key: string, options: { required: boolean; maxBytes?: number }): Check {
  const value = event[key];
  if (value === undefined) return options.required ? `missing ${key}` : undefined;
  if (typeof value !== 'string') return `${key} must be a string`;
  if (options.maxBytes !== undefined && bytes(value) > options.maxBytes) return `${key} exceeds ${options.maxBytes} bytes`;
  return undefined;
}

function checkInteger(event: JsonObject, key: string): Check {
  const value = event[key];
  if (value === undefined) return `missing ${key}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${key} must be an integer`;
  return undefined;
}

function checkSignaturesShape(value: JsonValue | undefined): Check {
  if (!isJsonObject(value)) return 'signatures must be an object';
  for (const bySigner of Object.values(value)) {
    if (!isJsonObject(bySigner) || !Object.values(bySigner).every((signature) => typeof signature === 'string')) {
      return 'signatures must map server names to objects of strings';
    }
  }
  return undefined;
}

function checkHashesShape(value: JsonValue | undefined): Check {
  if (!isJsonObject(value)) return 'hashes must be an object';
  if (typeof value.sha256 !== 'string') return 'hashes.sha256 must be a string';
  return undefined;
}

function checkEdge(edge: JsonValue, roomVersion: RoomVersion): boolean {
  if (!roomVersion.edgesAsPairs) return typeof edge === 'string' && parseEventId(edge, { roomVersion }) !== undefined;
  // v1/v2: [event_id, {sha256: reference hash}].
  if (!Array.isArray(edge) || edge.length !== 2) return false;
  const [eventId, hashes] = edge;
  return typeof eventId === 'string' && parseEventId(eventId, { roomVersion }) !== undefined && isJsonObject(hashes);
}

function checkEdges(event: JsonObject, key: 'prev_events' | 'auth_events', max: number, roomVersion: RoomVersion): Check {
  const value = event[key];
  if (!Array.isArray(value)) return `${key} must be an array`;
  if (value.length > max) return `${key} has more than ${max} entries`;
  if (!value.every((edge) => checkEdge(edge, roomVersion))) return `${key} has a malformed entry`;
  return undefined;
}

function checkRoomId(event: JsonObject, roomVersion: RoomVersion): Check {
  const roomId = event.room_id;
  // v12: the create event has no room_id (auth rule 1.2 rejects one; that is not a format error here).
  const isV12Create = roomVersion.roomIdIsCreateEventHash && event.type === 'm.room.create';
  if (roomId === undefined) return isV12Create ? undefined : 'missing room_id';
  if (typeof roomId !== 'string') return 'room_id must be a string';
  if (!isV12Create && !isValidRoomId(roomId, { roomVersion })) return 'room_id is not a valid room ID for this room version';
  return isValidRoomId(roomId) ? undefined : 'room_id is not a valid room ID';
}

function checkIdentifiers(event: JsonObject, roomVersion: RoomVersion): Check {
  // Historical localparts are allowed: servers MUST accept them over federation.
  if (parseUserId(event.sender as string, { historical: true }) === undefined) return 'sender is not a valid user ID';
  if (roomVersion.eventsCarryEventId) {
    const eventId = event.event_id as string;
    if (parseEventId(eventId, { roomVersion }) === undefined) return 'event_id is not valid for this room version';
  }
  if (typeof event.redacts === 'string' && parseEventId(event.redacts) === undefined) return 'redacts is not an event ID';
  if (typeof event.origin === 'string' && !isValidServerName(event.origin)) return 'origin is not a server name';
  return undefined;
}

function checkCanonicalSize(event: JsonObject, roomVersion: RoomVersion): Check {
  let size: number;
  try {
    // v6+ enforce canonical JSON strictly (integer range); v1-v5 must be tolerated, but floats never encode.
    size = canonicalJsonBytes(event, { strictIntegerRange: roomVersion.strictCanonicalJson }).length;
  } catch (error) {
    return `not canonical JSON: ${(error as Error).message}`;
  }
  return size > MAX_PDU_BYTES ? `event is ${size} bytes, over the ${MAX_PDU_BYTES}-byte limit` : undefined;
}

/**
 * Validates the event format of `roomVersion` (pdu_v1/v3/v4/v6/v11/v12 in the spec's OpenAPI definitions)
 * and the size limits (https://spec.matrix.org/v1.19/client-server-api/#size-limits). An invalid event is
 * dropped. The reason is for logs.
 */
export function validatePdu(json: unknown, roomVersion: RoomVersion): PduValidation {
  if (!isJsonObject(json)) return { ok: false, reason: 'a PDU must be a JSON object' };
  const event = json;
  const checks: Array<() => Check> = [
    () => checkString(event, 'type', { required: true, maxBytes: MAX_PDU_KEY_BYTES }),
    () => checkString(event, 'sender', { required: true, maxBytes: MAX_PDU_KEY_BYTES }),
    () => checkString(event, 'state_key', { required: false, maxBytes: MAX_PDU_KEY_BYTES }),
    () => checkString(event, 'event_id', { required: roomVersion.eventsCarryEventId, maxBytes: MAX_PDU_KEY_BYTES }),
    () => checkString(event, 'origin', { required: false }),
    () => checkString(event, 'redacts', { required: false }),
    () => checkRoomId(event, roomVersion),
    () => (isJsonObject(event.content) ? undefined : 'content must be an object'),
    () => checkInteger(event, 'depth'),
    () => checkInteger(event, 'origin_server_ts'),
    // NOTSPEC: the schema only says "integer"; depth is "max depth of prev_events plus one", so never negative.
    () => ((event.depth as number) < 0 ? 'depth must not be negative' : undefined),
    () => checkHashesShape(event.hashes),
    () => checkSignaturesShape(event.signatures),
    () => (event.unsigned === undefined || isJsonObject(event.unsigned) ? undefined : 'unsigned must be an object'),
    () => checkEdges(event, 'prev_events', MAX_PREV_EVENTS, roomVersion),
    () => checkEdges(event, 'auth_events', MAX_AUTH_EVENTS, roomVersion),
    () => checkIdentifiers(event, roomVersion),
    () => checkCanonicalSize(event, roomVersion),
  ];
  for (const check of checks) {
    const reason = check();
    if (reason !== undefined) return { ok: false, reason };
  }
  return { ok: true, pdu: event as Pdu };
}

/** A verification key as a key lookup knows it. */
export interface VerifyKeyInfo {
  /** The raw 32-byte ed25519 public key. */
  publicKey: Uint8Array;
  /** `valid_until_ts` of the key response; from room version 5 a key is ignored for events after it. */
  validUntilTs?: number;
  /** `expired_ts` of an old verify key; the key is ignored for events after it. */
  expiredTs?: number;
}

/** Finds a server's verification key; `undefined` when the key is unknown (its signatures are then skipped). */
export type VerifyKeyLookup = (serverName: string, keyId: string) => Uint8Array | VerifyKeyInfo | undefined;

/** The outcome of {@link verifyEventSignatures}. */
export type EventSignatureCheck =
  | {
      ok: true;
      /** Servers whose signature was checked, in the order they were required. */
      verifiedServers: string[];
      /** `mismatch`: the content hash does not match, so the caller must use `redacted` instead of the event. */
      contentHash: 'valid' | 'mismatch';
      /** The redacted event, present when the content hash did not match. */
      redacted?: Pdu;
    }
  | { ok: false; serverName: string; reason: string };

/**
 * The servers whose signatures an event needs: the `sender`'s server; in v1/v2 also the server of the
 * `event_id`; and for a restricted join (v8+) the server of `join_authorised_via_users_server`
 * (auth rule "If the event is not validly signed by the homeserver of the user ID denoted by the key, reject").
 */
export function requiredSigningServers(pdu: Pdu, roomVersion: RoomVersion): string[] {
  const servers = new Set<string>();
  const sender = parseUserId(pdu.sender, { historical: true });
  if (sender) servers.add(sender.serverName);
  if (roomVersion.eventsCarryEventId && typeof pdu.event_id === 'string') {
    const eventId = parseEventId(pdu.event_id);
    if (eventId?.kind === 'with-domain') servers.add(eventId.serverName);
  }
  const authoriser = pdu.content.join_authorised_via_users_server;
  if (
    roomVersion.restrictedJoinsSupported &&
    pdu.type === 'm.room.member' &&
    pdu.content.membership === 'join' &&
    typeof authoriser === 'string'
  ) {
    const parts = parseUserId(authoriser, { historical: true });
    if (parts) servers.add(parts.serverName);
  }
  return [...servers];
}

function usableKey(found: Uint8Array | VerifyKeyInfo | undefined, pdu: Pdu, roomVersion: RoomVersion): Uint8Array | undefined {
  if (found === undefined) return undefined;
  if (found instanceof Uint8Array) return found;
  // Keys known to have expired before the event was sent are ignored, like unknown keys.
  if (found.expiredTs !== undefined && found.expiredTs < pdu.origin_server_ts) return undefined;
  if (roomVersion.enforceKeyValidity && found.validUntilTs !== undefined && found.validUntilTs < pdu.origin_server_ts) {
    return undefined;
  }
  return found.publicKey;
}

/** Checks one server's signatures on the redacted event: every known key must verify, and at least one must be known. */
function checkServerSignature(
  redacted: JsonObject,
  pdu: Pdu,
  serverName: string,
  roomVersion: RoomVersion,
  keyLookup: VerifyKeyLookup,
): Check {
  const keyIds = signatureKeyIds(redacted, serverName);
  if (keyIds.length === 0) return 'no ed25519 signature';
  let verified = 0;
  for (const keyId of keyIds) {
    const publicKey = usableKey(keyLookup(serverName, keyId), pdu, roomVersion);
    if (publicKey === undefined) continue;
    const check = verifyJsonSignature(redacted, serverName, keyId, publicKey, {
      strictIntegerRange: roomVersion.strictCanonicalJson,
    });
    if (!check.ok) return `${check.reason} with ${keyId}`;
    verified++;
  }
  return verified === 0 ? 'no known, unexpired key' : undefined;
}

/**
 * Verifies the signatures on a received PDU (already through {@link validatePdu}) against the redacted event,
 * then its content hash. Signature failure: drop the event. Hash mismatch: keep going with `redacted`.
 */
export function verifyEventSignatures(pdu: Pdu, roomVersion: RoomVersion, keyLookup: VerifyKeyLookup): EventSignatureCheck {
  const redacted = redactEvent(pdu as JsonObject, roomVersion);
  const servers = requiredSigningServers(pdu, roomVersion);
  if (servers.length === 0) return { ok: false, serverName: '', reason: 'cannot tell which server must sign' };
  for (const serverName of servers) {
    const reason = checkServerSignature(redacted, pdu, serverName, roomVersion, keyLookup);
    if (reason !== undefined) return { ok: false, serverName, reason };
  }
  if (checkContentHash(pdu as JsonObject, roomVersion)) return { ok: true, verifiedServers: servers, contentHash: 'valid' };
  return { ok: true, verifiedServers: servers, contentHash: 'mismatch', redacted: redacted as Pdu };
}
