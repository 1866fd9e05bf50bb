/**
 * Shapes and signatures of the key objects clients upload: device keys, one-time/fallback keys, cross-signing keys.
 * Every check throws a 400 MatrixError naming what is wrong, before anything is stored.
 * https://spec.matrix.org/v1.19/client-server-api/#device-keys
 * https://spec.matrix.org/v1.19/appendices/#signing-json
 */
import { canonicalJson, decodeBase64, isJsonObject, verifyJsonSignature, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { CrossSigningKeyType } from '../../storage/index.js';

/** Decodes an unpadded base64 ed25519 public key; null when it is not 32 bytes of base64. */
export function decodeEd25519Key(value: unknown): Uint8Array | null {
  if (typeof value !== 'string') return null;
  try {
    const bytes = decodeBase64(value);
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

/** Whether `signer` signed `object` with the ed25519 key `keyId` whose public half is `publicKey`. */
export function hasValidSignature(object: JsonObject, signer: string, keyId: string, publicKey: Uint8Array): boolean {
  return verifyJsonSignature(object, signer, keyId, publicKey).ok;
}

/** Throws 400 M_INVALID_SIGNATURE unless `object` carries a valid signature by `signer` with `keyId`. */
export function requireSignature(object: JsonObject, signer: string, keyId: string, publicKey: Uint8Array, what: string): void {
  if (!hasValidSignature(object, signer, keyId, publicKey)) {
    throw new MatrixError(400, 'M_INVALID_SIGNATURE', `Invalid or missing signature on ${what}`);
  }
}

function invalid(message: string): MatrixError {
  return new MatrixError(400, 'M_INVALID_PARAM', message);
}

/** `value` as a map of strings to strings, or a 400. */
function stringMap(value: unknown, what: string): Record<string, string> {
  if (!isJsonObject(value) || !Object.values(value).every((entry) => typeof entry === 'string')) {
    throw invalid(`${what} must be an object of strings`);
  }
  return value as Record<string, string>;
}

/**
 * Checks uploaded device keys as the spec requires: they belong to the requester's device (`user_id` and `device_id`
 * "must match" the login), have the DeviceKeys shape (algorithms, keys and signatures), include the device's
 * `ed25519:<device_id>` key and are signed by it ("must include the public part of the device's Ed25519 key, and must be
 * signed by that key"). Anything else is the client's business and accepted as is: algorithms and key types unknown to
 * us (no `curve25519` key is needed: only Olm v1 uses one), extra fields, and signatures by other keys (a cross-signing
 * key, say). Returns the ed25519 public key. `unsigned` is not stored (the server adds its own when serving them).
 * https://spec.matrix.org/v1.19/client-server-api/#uploading-keys
 */
export function validateDeviceKeys(keys: unknown, userId: string, deviceId: string): { stored: JsonObject; ed25519: Uint8Array } {
  if (!isJsonObject(keys)) throw invalid('device_keys must be an object');
  if (keys.user_id !== userId) throw invalid('device_keys.user_id must be your own user ID');
  if (keys.device_id !== deviceId) throw invalid('device_keys.device_id must be the ID of the device you are using');
  const algorithms = keys.algorithms;
  if (!Array.isArray(algorithms) || !algorithms.every((algorithm) => typeof algorithm === 'string')) {
    throw invalid('device_keys.algorithms must be a list of strings');
  }
  const keyMap = stringMap(keys.keys, 'device_keys.keys');
  const ed25519 = decodeEd25519Key(keyMap[`ed25519:${deviceId}`]);
  if (!ed25519) throw invalid(`device_keys.keys needs a valid ed25519:${deviceId}`);
  if (keys.signatures !== undefined) requireSignaturesShape(keys.signatures, 'device_keys.signatures');
  const { unsigned: _unsigned, ...stored } = keys;
  requireSignature(stored, userId, `ed25519:${deviceId}`, ed25519, 'device_keys');
  return { stored, ed25519 };
}

/**
 * The spec's Signatures shape: an object mapping signers to objects (of key IDs to signatures), or a 400. What other
 * signers put inside their entry is not ours to judge; the signature the server needs is checked on its own.
 */
function requireSignaturesShape(value: unknown, what: string): void {
  if (!isJsonObject(value) || !Object.values(value).every((bySigner) => isJsonObject(bySigner))) {
    throw invalid(`${what} must map user IDs to objects of signatures`);
  }
}

/** Whether two key objects are the same apart from their signatures (and `unsigned`). */
export function sameKeyContent(a: JsonObject, b: JsonObject): boolean {
  const strip = ({ signatures: _s, unsigned: _u, ...rest }: JsonObject): JsonObject => rest;
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** Whether two key objects are identical, signatures included. */
export function sameJson(a: JsonObject | string, b: JsonObject | string): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A parsed `<algorithm>:<key_id>` entry of `one_time_keys` / `fallback_keys`. */
export interface UploadedKey {
  algorithm: string;
  keyId: string;
  /** As uploaded: a key object, or a plain key string (served back as a string). */
  key: JsonObject | string;
}

const KEY_NAME = /^([^:]+):(.+)$/;

/**
 * The one-time key algorithm whose KeyObject the spec says is signed by the device's ed25519 key. Other algorithms
 * (unknown to us) are stored as uploaded: their signing rules are the client's business.
 * https://spec.matrix.org/v1.19/client-server-api/#key-algorithms
 */
const DEVICE_SIGNED_ALGORITHM = 'signed_curve25519';

/**
 * Checks one-time or fallback keys against the spec's OneTimeKeys shape: each value is a key string or a KeyObject
 * (a `key` string, `signatures`, an optional boolean `fallback`, and any other fields). `signed_curve25519` keys
 * must be KeyObjects signed by the device's ed25519 key (400 M_INVALID_SIGNATURE otherwise); signatures by other
 * keys are kept. Plain string keys are stored and served as strings.
 */
export function validateOneTimeKeys(
  value: unknown,
  what: 'one_time_keys' | 'fallback_keys',
  device: { userId: string; deviceId: string; ed25519: Uint8Array | null },
): UploadedKey[] {
  if (!isJsonObject(value)) throw invalid(`${what} must be an object`);
  const result: UploadedKey[] = [];
  for (const [name, key] of Object.entries(value)) {
    // NOTSPEC: the spec says names "should be" <algorithm>:<key_id>; a name without an algorithm could never be
    // counted or claimed (both go by algorithm), so it is refused rather than stored for nobody.
    const match = KEY_NAME.exec(name);
    if (!match) throw invalid(`${what}: key names are <algorithm>:<key_id>, not ${name}`);
    const algorithm = match[1] as string;
    const keyId = match[2] as string;
    if (typeof key === 'string') {
      if (algorithm === DEVICE_SIGNED_ALGORITHM) throw invalid(`${what}.${name} must be a signed key object`);
      result.push({ algorithm, keyId, key });
      continue;
    }
    if (!isJsonObject(key) || typeof key.key !== 'string') throw invalid(`${what}.${name} must be a key string or an object with a key string`);
    if (key.signatures !== undefined) requireSignaturesShape(key.signatures, `${what}.${name}.signatures`);
    if (key.fallback !== undefined && typeof key.fallback !== 'boolean') throw invalid(`${what}.${name}.fallback must be a boolean`);
    if (algorithm === DEVICE_SIGNED_ALGORITHM) {
      // NOTSPEC: the spec does not order the uploads; without the device's ed25519 key (stored or in this same upload)
      // the signature cannot be checked, and an unchecked key could make every claimer's Olm session fail.
      if (!device.ed25519) throw invalid(`Upload device keys before signed ${what}`);
      requireSignature(key, device.userId, `ed25519:${device.deviceId}`, device.ed25519, `${what}.${name}`);
    }
    result.push({ algorithm, keyId, key });
  }
  return result;
}

/** How a cross-signing key's public half is named: `ed25519:<base64>` → `<base64>`. */
export interface CrossSigningKey {
  json: JsonObject;
  /** The unpadded base64 public key (also the key ID after `ed25519:`). */
  publicKeyBase64: string;
  publicKey: Uint8Array;
}

/**
 * Checks a cross-signing key's shape: `user_id` is the uploader, `usage` contains the expected usage, and `keys` has
 * exactly one ed25519 key whose ID is its public key.
 * https://spec.matrix.org/v1.19/client-server-api/#cross-signing
 */
export function validateCrossSigningKey(value: unknown, userId: string, usage: CrossSigningKeyType): CrossSigningKey {
  const what = usage === 'master' ? 'master_key' : `${usage}_key`;
  if (!isJsonObject(value)) throw invalid(`${what} must be an object`);
  if (value.user_id !== userId) throw invalid(`${what}.user_id must be your own user ID`);
  if (!Array.isArray(value.usage) || !value.usage.includes(usage) || !value.usage.every((entry) => typeof entry === 'string')) {
    throw invalid(`${what}.usage must contain "${usage}"`);
  }
  const keys = stringMap(value.keys, `${what}.keys`);
  const entries = Object.entries(keys);
  if (entries.length !== 1) throw invalid(`${what}.keys must hold exactly one key`);
  const [keyId, publicKeyBase64] = entries[0] as [string, string];
  const publicKey = decodeEd25519Key(publicKeyBase64);
  if (!keyId.startsWith('ed25519:') || !publicKey || keyId !== `ed25519:${publicKeyBase64}`) {
    throw invalid(`${what}.keys must be one ed25519:<public key> entry`);
  }
  if (value.signatures !== undefined && !isJsonObject(value.signatures)) throw invalid(`${what}.signatures must be an object`);
  const { unsigned: _unsigned, ...json } = value;
  return { json, publicKeyBase64, publicKey };
}

/** The one public key of a stored cross-signing key (validated on upload). */
export function crossSigningPublicKey(json: JsonObject): CrossSigningKey | null {
  const keys = isJsonObject(json.keys) ? Object.entries(json.keys) : [];
  const first = keys[0];
  if (!first || typeof first[1] !== 'string') return null;
  const publicKey = decodeEd25519Key(first[1]);
  return publicKey ? { json, publicKeyBase64: first[1], publicKey } : null;
}
