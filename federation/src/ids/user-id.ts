/**
 * User IDs: `@localpart:domain`.
 * https://spec.matrix.org/v1.19/appendices/#user-identifiers
 */
import { isLenientLocalpart, splitSigilledId } from './server-name.js';

/** A user ID split into its parts. */
export interface UserIdParts {
  localpart: string;
  serverName: string;
}

export interface UserIdOptions {
  /**
   * Accept historical localparts: any non-surrogate code points except `:` and NUL, including the empty
   * string. Servers MUST accept these in events received over federation
   * (https://spec.matrix.org/v1.19/appendices/#historical-user-ids). Default: false (the current grammar).
   */
  historical?: boolean;
}

const COMPLIANT_LOCALPART = /^[a-z0-9._=\-/+]+$/;

/** True when `localpart` matches the current grammar (non-empty, `a-z 0-9 . _ = - / +`). */
export function isCompliantUserLocalpart(localpart: string): boolean {
  return COMPLIANT_LOCALPART.test(localpart);
}

/** True when `localpart` is allowed by the chosen grammar. */
export function isValidUserLocalpart(localpart: string, options: UserIdOptions = {}): boolean {
  return options.historical ? isLenientLocalpart(localpart) : isCompliantUserLocalpart(localpart);
}

/** Splits a user ID; `undefined` if it is not valid under the chosen grammar (including the 255-byte limit). */
export function parseUserId(userId: string, options: UserIdOptions = {}): UserIdParts | undefined {
  const parts = splitSigilledId(userId, '@');
  if (!parts || !isValidUserLocalpart(parts.localpart, options)) return undefined;
  return parts;
}

/** True when `userId` is a valid user ID under the chosen grammar. */
export function isValidUserId(userId: string, options: UserIdOptions = {}): boolean {
  return parseUserId(userId, options) !== undefined;
}

/**
 * True for a user ID that is valid historically but not compliant: its localpart is empty or has characters
 * outside U+0021..U+007E. Servers SHOULD NOT forward such IDs to clients outside the context of an event.
 */
export function isNonCompliantUserId(userId: string): boolean {
  const parts = parseUserId(userId, { historical: true });
  return parts !== undefined && !/^[\u0021-\u007e]+$/.test(parts.localpart);
}

/** The server name of a user ID; `undefined` if it is not a (historically) valid user ID. */
export function userIdServerName(userId: string): string | undefined {
  return parseUserId(userId, { historical: true })?.serverName;
}
