/**
 * The secrets of accounts: random tokens and device IDs, the hash tokens are stored under, and password hashing
 * with scrypt (random salt; the cost parameters are stored with each hash so they can be raised later).
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Prefixes make leaked tokens recognisable (e.g. by secret scanners) and tell the two kinds apart. */
const ACCESS_TOKEN_PREFIX = 'pat_';
const REFRESH_TOKEN_PREFIX = 'prt_';
const TOKEN_BYTES = 32;

/** A fresh access token: 256 random bits. */
export function newAccessToken(): string {
  return ACCESS_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** A fresh refresh token. */
export function newRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * What a token is stored and looked up as. Tokens carry 256 random bits, so a fast unsalted hash is enough:
 * nobody can brute-force the preimage, and lookups stay one indexed query.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const DEVICE_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DEVICE_ID_LENGTH = 10;

/** A fresh device ID like `QBUAZIFURK`. */
export function newDeviceId(): string {
  let id = '';
  for (let i = 0; i < DEVICE_ID_LENGTH; i++) id += DEVICE_ID_ALPHABET[randomInt(DEVICE_ID_ALPHABET.length)];
  return id;
}

/** A random session ID for user-interactive auth. */
export function newSessionId(): string {
  return randomBytes(18).toString('base64url');
}

/** scrypt cost: N = 2^15, r = 8 (32 MiB, tens of milliseconds), p = 1. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const HASH_PREFIX = 'scrypt';

/** Hashes a password as `scrypt$<logN>$<r>$<p>$<salt>$<key>` (base64url salt and key). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return [HASH_PREFIX, params.logN, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches `stored` (a {@link hashPassword} result); false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== HASH_PREFIX) return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every((value) => Number.isInteger(value) && value > 0) || logN > 22) return false;
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const expected = Buffer.from(parts[5] as string, 'base64url');
  const actual = await derive(password, salt, { logN, r, p }, expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A stored hash to verify against when the user does not exist, so the answer takes as long either way. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength = KEY_LENGTH): Promise<Buffer> {
  const N = 2 ** params.logN;
  // Node refuses scrypt above maxmem (default 32 MiB); the work needs about 128 * N * r bytes.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
