/**
 * Ed25519 signing keys as Matrix uses them: a 32-byte seed, key IDs `ed25519:<version>`.
 * https://spec.matrix.org/v1.19/appendices/#signing-key
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';

/** A server's (or device's) signing key pair. */
export interface SigningKey {
  /** e.g. `ed25519:a_AbCd` */
  keyId: string;
  /** The 32-byte private seed. */
  seed: Buffer;
  /** The 32-byte public key. */
  publicKey: Buffer;
  privateKeyObject: KeyObject;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_VERSION_PATTERN = /^[a-zA-Z0-9_]+$/;

/** Builds a signing key from a 32-byte seed. */
export function signingKeyFromSeed(seed: Uint8Array, keyVersion: string): SigningKey {
  if (seed.length !== 32) throw new Error('an ed25519 seed is 32 bytes');
  if (!KEY_VERSION_PATTERN.test(keyVersion)) throw new Error('key version must match [a-zA-Z0-9_]+');
  const privateKeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKeyObject).export({ format: 'der', type: 'spki' });
  return {
    keyId: `ed25519:${keyVersion}`,
    seed: Buffer.from(seed),
    publicKey: spki.subarray(spki.length - 32),
    privateKeyObject,
  };
}

/** Generates a fresh key with a random seed and a random 6-character version. */
export function generateSigningKey(keyVersion?: string): SigningKey {
  const version = keyVersion ?? `a_${randomBytes(4).toString('base64url').replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 4)}`;
  return signingKeyFromSeed(randomBytes(32), version);
}

/** Synapse-compatible signing key file line: `ed25519 <version> <unpadded base64 seed>`. */
export function formatSigningKeyLine(key: SigningKey): string {
  return `ed25519 ${key.keyId.slice('ed25519:'.length)} ${encodeUnpaddedBase64(key.seed)}`;
}

/** Parses a line written by {@link formatSigningKeyLine}. */
export function parseSigningKeyLine(line: string): SigningKey {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 3 || parts[0] !== 'ed25519') {
    throw new Error('a signing key line is "ed25519 <version> <base64 seed>"');
  }
  return signingKeyFromSeed(decodeBase64(parts[2] as string), parts[1] as string);
}

/** Parsed public keys by their hex form: building a KeyObject costs as much as a verification. */
const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_LIMIT = 4096;

/** Wraps a raw 32-byte ed25519 public key as a node KeyObject for verification (memoised). */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new Error('an ed25519 public key is 32 bytes');
  const cacheKey = Buffer.from(publicKey).toString('hex');
  const cached = publicKeyCache.get(cacheKey);
  if (cached) return cached;
  const keyObject = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKey)]),
    format: 'der',
    type: 'spki',
  });
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.clear();
  publicKeyCache.set(cacheKey, keyObject);
  return keyObject;
}
