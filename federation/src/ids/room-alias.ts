/**
 * Room aliases: `#localpart:domain`.
 * https://spec.matrix.org/v1.19/appendices/#room-aliases
 */
import { isLenientLocalpart, splitSigilledId } from './server-name.js';

/** A room alias split into its parts. */
export interface RoomAliasParts {
  localpart: string;
  serverName: string;
}

/**
 * Splits a room alias; `undefined` if it is not valid. The localpart may hold any non-surrogate code points
 * except `:` and NUL; the whole alias is at most 255 bytes.
 */
export function parseRoomAlias(alias: string): RoomAliasParts | undefined {
  const parts = splitSigilledId(alias, '#');
  if (!parts || !isLenientLocalpart(parts.localpart)) return undefined;
  return parts;
}

/** True when `alias` is a valid room alias. */
export function isValidRoomAlias(alias: string): boolean {
  return parseRoomAlias(alias) !== undefined;
}
