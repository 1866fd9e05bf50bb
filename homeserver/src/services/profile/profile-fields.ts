/**
 * Rules for profile field keys and values (pure).
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3profileuseridkeyname
 */
import type { JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { ProfileFields } from './types.js';

/** The keyName grammar of the OpenAPI definition: the defined keys or a namespaced identifier. */
const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;

/** "The supplied profile key exceeds the maximum allowed key length of 255 bytes." */
export const MAX_KEY_BYTES = 255;

/** "The total profile MUST be under 64 KiB." */
export const MAX_PROFILE_BYTES = 64 * 1024;

/**
 * Our own limits on displaynames (which servers MAY impose; member events carry them into every room) and
 * avatar URLs, in UTF-16 characters: `limits.displayname_max_length` and `limits.avatar_url_max_length`.
 */
export interface FieldLimits {
  displaynameMaxLength: number;
  avatarUrlMaxLength: number;
}

/** `mxc://<server-name>/<media-id>`. https://spec.matrix.org/v1.19/client-server-api/#matrix-content-mxc-uris */
const MXC_URI = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

/** Throws 400 unless `keyName` is a profile key clients may name (M_KEY_TOO_LARGE, else M_INVALID_PARAM). */
export function checkProfileKey(keyName: string): void {
  if (Buffer.byteLength(keyName, 'utf8') > MAX_KEY_BYTES) {
    throw new MatrixError(400, 'M_KEY_TOO_LARGE', `Profile keys are limited to ${MAX_KEY_BYTES} bytes`);
  }
  if (!KEY_NAME.test(keyName)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid profile key');
}

/** True for an `mxc://` URI. */
export function isMxcUri(value: string): boolean {
  return MXC_URI.test(value);
}

/**
 * Checks the value to store under `keyName` and says what to do with it: store the value, or remove the key
 * (an empty displayname or avatar URL clears it, as clients have long done to remove an avatar).
 */
export function normaliseFieldValue(
  keyName: string,
  value: JsonValue,
  limits: FieldLimits,
): { remove: true } | { remove: false; value: JsonValue } {
  if (keyName === 'displayname' || keyName === 'avatar_url' || keyName === 'm.tz') {
    // Servers MAY reject null for these; a null would otherwise reach member events as a non-string.
    if (typeof value !== 'string') throw new MatrixError(400, 'M_BAD_JSON', `${keyName} must be a string`);
  }
  if (keyName === 'displayname') {
    if (value === '') return { remove: true };
    if ((value as string).length > limits.displaynameMaxLength) {
      throw new MatrixError(400, 'M_INVALID_PARAM', `displayname is limited to ${limits.displaynameMaxLength} characters`);
    }
  }
  if (keyName === 'avatar_url') {
    if (value === '') return { remove: true };
    const url = value as string;
    if (url.length > limits.avatarUrlMaxLength) {
      throw new MatrixError(400, 'M_INVALID_PARAM', `avatar_url is limited to ${limits.avatarUrlMaxLength} characters`);
    }
    if (!isMxcUri(url)) throw new MatrixError(400, 'M_INVALID_PARAM', 'avatar_url must be an mxc:// URI');
  }
  return { remove: false, value };
}

/** Throws 400 M_PROFILE_TOO_LARGE when the whole profile as JSON is not under 64 KiB. */
export function checkProfileSize(fields: ProfileFields): void {
  if (Buffer.byteLength(JSON.stringify(fields), 'utf8') >= MAX_PROFILE_BYTES) {
    throw new MatrixError(400, 'M_PROFILE_TOO_LARGE', 'The profile would exceed 64 KiB');
  }
}
