/**
 * Event IDs: `$opaque_id:domain` in room versions 1-2, `$` + reference hash from v3 (standard base64 in v3,
 * URL-safe base64 from v4).
 * https://spec.matrix.org/v1.19/appendices/#event-ids
 * https://spec.matrix.org/v1.19/rooms/v4/#event-ids
 */
import type { RoomVersion } from '../room-versions/table.js';
import { URL_SAFE_SHA256 } from './room-id.js';
import { fitsIdentifierLimit, splitSigilledId } from './server-name.js';

/** An event ID split into its parts, by form. */
export type EventIdParts =
  | { kind: 'with-domain'; opaque: string; serverName: string }
  | { kind: 'hash'; hash: string; alphabet: 'standard' | 'url-safe' };

export interface EventIdOptions {
  /** When given, only the form this room version uses is accepted; otherwise any form is. */
  roomVersion?: Pick<RoomVersion, 'eventIdFormat'>;
}

/** 32 bytes in standard unpadded base64 (room version 3). */
const STANDARD_SHA256 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/;

/** Splits an event ID; `undefined` if it is not valid (for the given room version, when one is given). */
export function parseEventId(eventId: string, options: EventIdOptions = {}): EventIdParts | undefined {
  if (!eventId.startsWith('$') || !fitsIdentifierLimit(eventId)) return undefined;
  const format = options.roomVersion?.eventIdFormat;
  const hash = eventId.slice(1);
  if ((format === undefined || format === 'reference-hash-urlsafe') && URL_SAFE_SHA256.test(hash)) {
    return { kind: 'hash', hash, alphabet: 'url-safe' };
  }
  if ((format === undefined || format === 'reference-hash-base64') && STANDARD_SHA256.test(hash)) {
    return { kind: 'hash', hash, alphabet: 'standard' };
  }
  if (format !== undefined && format !== 'server-assigned') return undefined;
  const parts = splitSigilledId(eventId, '$');
  // v1/v2 only say `opaque_id` is a locally-unique string; the split at the first `:` keeps it colon-free.
  if (!parts || parts.localpart === '' || parts.localpart.includes('\u0000')) return undefined;
  return { kind: 'with-domain', opaque: parts.localpart, serverName: parts.serverName };
}

/** True when `eventId` is a valid event ID (for the given room version, when one is given). */
export function isValidEventId(eventId: string, options: EventIdOptions = {}): boolean {
  return parseEventId(eventId, options) !== undefined;
}
