/**
 * Building outgoing PDUs in the format of a room version: edges, `origin`, `redacts`, content hash,
 * signature, and the derived event ID (and, for v12 create events, room ID).
 * https://spec.matrix.org/v1.19/server-server-api/#signing-events
 * https://spec.matrix.org/v1.19/rooms/v12/#event-format
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../json/canonical.js';
import { addContentHash, computeEventId, computeReferenceHash, computeRoomIdFromCreateEvent } from '../crypto/hash.js';
import { encodeUnpaddedBase64 } from '../crypto/base64.js';
import type { SigningKey } from '../crypto/keys.js';
import { signJson } from '../crypto/sign.js';
import type { RoomVersion } from '../room-versions/table.js';
import type { EventReferencePair, Pdu, Signatures } from './pdu.js';
import { redactEvent } from './redact.js';

/** What the caller decides about a new event; everything else is derived from the room version. */
export interface EventTemplate {
  type: string;
  /** Absent only for a v12 `m.room.create` event, whose room ID is derived from it. */
  room_id?: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  /** Event IDs; turned into `[id, {sha256}]` pairs for v1/v2. */
  prev_events: string[];
  auth_events: string[];
  depth: number;
  origin_server_ts: number;
  /** For `m.room.redaction`: the target. Top-level before v11, in `content` from v11. */
  redacts?: string;
}

/** The server signing the event and its key. */
export interface EventSigner {
  serverName: string;
  key: SigningKey;
}

export interface BuildEventOptions {
  roomVersion: RoomVersion;
  template: EventTemplate;
  signer: EventSigner;
  /**
   * v1/v2 only: the reference hash (unpadded base64 SHA-256) of every event in `prev_events` and
   * `auth_events`, by event ID (see {@link referenceHashOf}).
   */
  referenceHashes?: ReadonlyMap<string, string>;
  /** v1/v2 only: the event ID to use. Default: `$` + 18 random characters + `:` + the signer's server name. */
  eventId?: string;
}

/** A built, hashed and signed event with its IDs. */
export interface BuiltEvent {
  eventId: string;
  roomId: string;
  pdu: Pdu;
}

/** The reference hash of `event` as v1/v2 edges carry it: unpadded base64 SHA-256 of its redacted form. */
export function referenceHashOf(event: JsonObject, roomVersion: RoomVersion): string {
  return encodeUnpaddedBase64(computeReferenceHash(event, roomVersion));
}

/**
 * Adds the content hash and this server's signature to `event`, as the spec's `hash_and_sign_event` does:
 * the hash covers the full event (without `unsigned`, `signatures`, `hashes`), the signature covers the
 * redacted event (so it survives redaction) and is copied back onto the full event.
 * https://spec.matrix.org/v1.19/server-server-api/#adding-hashes-and-signatures-to-outgoing-events
 */
export function hashAndSignEvent<T extends JsonObject>(event: T, roomVersion: RoomVersion, signer: EventSigner): T {
  const hashed = addContentHash(event, roomVersion);
  const signed = signJson(redactEvent(hashed, roomVersion), signer.serverName, signer.key, {
    strictIntegerRange: roomVersion.strictCanonicalJson,
  });
  return { ...hashed, signatures: signed.signatures as Signatures };
}

function randomEventId(serverName: string): string {
  const opaque = randomBytes(14).toString('base64url').slice(0, 18);
  return `$${opaque}:${serverName}`;
}

function edgesFor(eventIds: string[], options: BuildEventOptions): string[] | EventReferencePair[] {
  if (!options.roomVersion.edgesAsPairs) return [...eventIds];
  return eventIds.map((eventId): EventReferencePair => {
    const hash = options.referenceHashes?.get(eventId);
    if (hash === undefined) throw new Error(`no reference hash given for ${eventId}`);
    return [eventId, { sha256: hash }];
  });
}

function checkTemplate(template: EventTemplate, roomVersion: RoomVersion): void {
  const isCreate = template.type === 'm.room.create' && template.state_key === '';
  const roomIdIsDerived = roomVersion.roomIdIsCreateEventHash && isCreate;
  if (roomIdIsDerived && template.room_id !== undefined) {
    throw new Error('a v12 m.room.create event has no room_id: the room ID is derived from it');
  }
  if (!roomIdIsDerived && template.room_id === undefined) throw new Error('room_id is required');
  if (template.redacts !== undefined && template.type !== 'm.room.redaction') {
    throw new Error('only m.room.redaction events carry redacts');
  }
  if (!Number.isSafeInteger(template.depth) || template.depth < 0) throw new Error('depth must be a non-negative integer');
  if (!Number.isSafeInteger(template.origin_server_ts)) throw new Error('origin_server_ts must be an integer');
}

function contentFor(template: EventTemplate, roomVersion: RoomVersion): JsonObject {
  if (template.redacts === undefined || !roomVersion.redactsInContent) return template.content;
  const existing = template.content.redacts;
  if (existing !== undefined && existing !== template.redacts) throw new Error('content.redacts differs from redacts');
  return { ...template.content, redacts: template.redacts };
}

/**
 * Builds a PDU from `template` in the format of `roomVersion`, then hashes and signs it.
 * - v1/v2: `event_id` is `$random:server` (or `options.eventId`); edges are `[id, {sha256}]` pairs.
 * - `origin` is set only while the redaction algorithm keeps it (v1-v10); v11+ events do without.
 * - `redacts` is top-level before v11 and in `content` from v11.
 * - v3+: the event ID is the reference hash; v12 create events also give the room ID.
 */
export function buildEvent(options: BuildEventOptions): BuiltEvent {
  const { roomVersion, template, signer } = options;
  checkTemplate(template, roomVersion);
  const pdu: Pdu = {
    type: template.type,
    sender: template.sender,
    content: contentFor(template, roomVersion),
    prev_events: edgesFor(template.prev_events, options),
    auth_events: edgesFor(template.auth_events, options),
    depth: template.depth,
    origin_server_ts: template.origin_server_ts,
    hashes: { sha256: '' },
    signatures: {},
  };
  if (template.room_id !== undefined) pdu.room_id = template.room_id;
  if (template.state_key !== undefined) pdu.state_key = template.state_key;
  if (template.redacts !== undefined && !roomVersion.redactsInContent) pdu.redacts = template.redacts;
  if (roomVersion.keepsOriginOnRedaction) pdu.origin = signer.serverName;
  if (roomVersion.eventsCarryEventId) pdu.event_id = options.eventId ?? randomEventId(signer.serverName);
  const signed = hashAndSignEvent(pdu as JsonObject, roomVersion, signer) as Pdu;
  const eventId = computeEventId(signed as JsonObject, roomVersion);
  const roomId = signed.room_id ?? computeRoomIdFromCreateEvent(signed as JsonObject, roomVersion);
  return { eventId, roomId, pdu: signed };
}
