/**
 * Unpadded Base64, as the spec uses for keys, signatures and hashes:
 * https://spec.matrix.org/v1.19/appendices/#unpadded-base64
 */

/** Standard alphabet, no `=` padding. */
export function encodeUnpaddedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** URL-safe alphabet (`-` and `_`), no padding: used for v4+ event IDs. */
export function encodeUnpaddedBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9\-_]*={0,2}$/;

/**
 * Decodes unpadded (or padded, which the spec says to accept) base64 in either alphabet.
 * Throws on characters outside the alphabets or an impossible length.
 */
export function decodeBase64(text: string): Buffer {
  if (!STANDARD.test(text) && !URL_SAFE.test(text)) throw new Error('invalid base64');
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) throw new Error('invalid base64 length');
  return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
