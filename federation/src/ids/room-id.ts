/**
 * Room IDs: `!opaque_id:domain` before room version 12, `!` + the create event's reference hash from v12.
 * https://spec.matrix.org/v1.19/appendices/#room-ids
 */
import type { RoomVersion } from '../room-versions/table.js';
import { isLenientLocalpart, splitSigilledId } from './server-name.js';

/** A room ID split into its parts, by form. */
export type RoomIdParts =
  | { kind: 'with-domain'; localpart: string; serverName: string }
  /** v12+: the URL-safe unpadded base64 SHA-256 reference hash of the room's create event. */
  | { kind: 'hash'; hash: string };

export interface RoomIdOptions {
  /** When given, only the form this room version uses is accepted; otherwise either form is. */
  roomVersion?: Pick<RoomVersion, 'roomIdIsCreateEventHash'>;
}

/**
 * 32 bytes in URL-safe unpadded base64: 43 characters, the last carrying 4 bits (its low 2 bits are zero).
 * Shared with v4+ event IDs, which use the same encoding with a `$` sigil.
 */
export const URL_SAFE_SHA256 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** Splits a room ID; `undefined` if it is not valid (for the given room version, when one is given). */
export function parseRoomId(roomId: string, options: RoomIdOptions = {}): RoomIdParts | undefined {
  if (!roomId.startsWith('!')) return undefined;
  const wantsHash = options.roomVersion?.roomIdIsCreateEventHash;
  const hash = roomId.slice(1);
  if (wantsHash !== false && URL_SAFE_SHA256.test(hash)) return { kind: 'hash', hash };
  if (wantsHash === true) return undefined;
  const parts = splitSigilledId(roomId, '!');
  if (!parts || !isLenientLocalpart(parts.localpart)) return undefined;
  return { kind: 'with-domain', ...parts };
}

/** True when `roomId` is a valid room ID (for the given room version, when one is given). */
export function isValidRoomId(roomId: string, options: RoomIdOptions = {}): boolean {
  return parseRoomId(roomId, options) !== undefined;
}

/** v12: the room ID whose create event has `eventId` (the same hash with `!` instead of `$`). */
export function roomIdFromCreateEventId(eventId: string): string {
  if (!eventId.startsWith('$')) throw new Error('an event ID starts with $');
  return `!${eventId.slice(1)}`;
}

/** v12: the event ID of the create event of `roomId` (the same hash with `$` instead of `!`). */
export function createEventIdFromRoomId(roomId: string): string {
  if (!roomId.startsWith('!')) throw new Error('a room ID starts with !');
  return `$${roomId.slice(1)}`;
}
