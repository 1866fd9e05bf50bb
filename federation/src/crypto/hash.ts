/**
 * Content hashes and reference hashes of events.
 * https://spec.matrix.org/v1.19/server-server-api/#calculating-the-content-hash-for-an-event
 * https://spec.matrix.org/v1.19/server-server-api/#calculating-the-reference-hash-for-an-event
 */
import { createHash } from 'node:crypto';
import { canonicalJsonBytes, isJsonObject, type JsonObject } from '../json/canonical.js';
import { redactEvent } from '../events/redact.js';
import type { RoomVersion } from '../room-versions/table.js';
import { decodeBase64, encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.js';

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function canonicalOptions(version: Pick<RoomVersion, 'strictCanonicalJson'>) {
  return { strictIntegerRange: version.strictCanonicalJson };
}

/** SHA-256 over the event without `unsigned`, `signatures` and `hashes`; raw bytes. */
export function computeContentHash(event: JsonObject, version: Pick<RoomVersion, 'strictCanonicalJson'>): Buffer {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event;
  return sha256(canonicalJsonBytes(rest, canonicalOptions(version)));
}

/** Returns a copy of `event` with `hashes.sha256` set to its content hash. */
export function addContentHash<T extends JsonObject>(event: T, version: Pick<RoomVersion, 'strictCanonicalJson'>): T {
  return { ...event, hashes: { sha256: encodeUnpaddedBase64(computeContentHash(event, version)) } };
}

/** True when the event's `hashes.sha256` matches its content. */
export function checkContentHash(event: JsonObject, version: Pick<RoomVersion, 'strictCanonicalJson'>): boolean {
  const hashes = event.hashes;
  if (!isJsonObject(hashes) || typeof hashes.sha256 !== 'string') return false;
  let expected: Buffer;
  try {
    expected = decodeBase64(hashes.sha256);
  } catch {
    return false;
  }
  try {
    return expected.equals(computeContentHash(event, version));
  } catch {
    return false;
  }
}

/** SHA-256 over the redacted event without `signatures`, `unsigned` (and `age_ts`); raw bytes. */
export function computeReferenceHash(
  event: JsonObject,
  version: Pick<RoomVersion, 'redaction' | 'strictCanonicalJson'>,
): Buffer {
  const redacted = redactEvent(event, version);
  const { signatures: _s, unsigned: _u, age_ts: _a, ...rest } = redacted;
  return sha256(canonicalJsonBytes(rest, canonicalOptions(version)));
}

/**
 * The event ID of an event in room version 3+: `$` + its reference hash (v3: standard base64; v4+: URL-safe).
 * For v1/v2 the ID is carried in the event as `event_id`.
 */
export function computeEventId(
  event: JsonObject,
  version: Pick<RoomVersion, 'redaction' | 'strictCanonicalJson' | 'eventIdFormat'>,
): string {
  if (version.eventIdFormat === 'server-assigned') {
    if (typeof event.event_id !== 'string') throw new Error('v1/v2 events carry their event_id');
    return event.event_id;
  }
  const hash = computeReferenceHash(event, version);
  return `$${version.eventIdFormat === 'reference-hash-base64' ? encodeUnpaddedBase64(hash) : encodeUnpaddedBase64Url(hash)}`;
}

/** v12: the room ID of a room is `!` + the create event's reference hash (URL-safe unpadded base64). */
export function computeRoomIdFromCreateEvent(
  createEvent: JsonObject,
  version: Pick<RoomVersion, 'redaction' | 'strictCanonicalJson'>,
): string {
  return `!${encodeUnpaddedBase64Url(computeReferenceHash(createEvent, version))}`;
}
