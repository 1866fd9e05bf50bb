/**
 * Signing and verifying JSON objects.
 * https://spec.matrix.org/v1.19/appendices/#signing-json
 */
import { sign as edSign, verify as edVerify } from 'node:crypto';
import { canonicalJsonBytes, isJsonObject, type CanonicalJsonOptions, type JsonObject } from '../json/canonical.js';
import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';
import { publicKeyObject, type SigningKey } from './keys.js';

/** The bytes that are signed: canonical JSON of the object without `signatures` and `unsigned`. */
export function signingBytes(object: JsonObject, options: CanonicalJsonOptions = {}): Buffer {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object;
  return canonicalJsonBytes(rest, options);
}

/** Signs raw bytes; returns the unpadded base64 signature. */
export function signBytes(key: SigningKey, bytes: Uint8Array): string {
  return encodeUnpaddedBase64(edSign(null, bytes, key.privateKeyObject));
}

/**
 * Returns a copy of `object` with a signature by `signer`'s `key` added to `signatures`, keeping existing
 * signatures and `unsigned`.
 */
export function signJson<T extends JsonObject>(object: T, signer: string, key: SigningKey, options: CanonicalJsonOptions = {}): T {
  const signature = signBytes(key, signingBytes(object, options));
  const existing = isJsonObject(object.signatures) ? (object.signatures as Record<string, Record<string, string>>) : {};
  return {
    ...object,
    signatures: { ...existing, [signer]: { ...(existing[signer] ?? {}), [key.keyId]: signature } },
  };
}

/** Why a signature did not verify. */
export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing-signature' | 'malformed-signature' | 'bad-signature' | 'unencodable' };

/**
 * Verifies `signer`'s signature with `keyId` on `object`, using the raw ed25519 `publicKey`.
 */
export function verifyJsonSignature(
  object: JsonObject,
  signer: string,
  keyId: string,
  publicKey: Uint8Array,
  options: CanonicalJsonOptions = {},
): SignatureCheck {
  const signatures = object.signatures;
  const bySigner = isJsonObject(signatures) ? signatures[signer] : undefined;
  const encoded = isJsonObject(bySigner) ? bySigner[keyId] : undefined;
  if (typeof encoded !== 'string') return { ok: false, reason: 'missing-signature' };
  let signature: Buffer;
  try {
    signature = decodeBase64(encoded);
  } catch {
    return { ok: false, reason: 'malformed-signature' };
  }
  if (signature.length !== 64) return { ok: false, reason: 'malformed-signature' };
  let bytes: Buffer;
  try {
    bytes = signingBytes(object, options);
  } catch {
    return { ok: false, reason: 'unencodable' };
  }
  return edVerify(null, bytes, publicKeyObject(publicKey), signature) ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

/** The ed25519 key IDs `signer` signed `object` with. */
export function signatureKeyIds(object: JsonObject, signer: string): string[] {
  const signatures = object.signatures;
  const bySigner = isJsonObject(signatures) ? signatures[signer] : undefined;
  return isJsonObject(bySigner) ? Object.keys(bySigner).filter((id) => id.startsWith('ed25519:')) : [];
}
