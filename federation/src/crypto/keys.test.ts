import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/signing.json' with { type: 'json' };
import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';
import { formatSigningKeyLine, generateSigningKey, parseSigningKeyLine, publicKeyObject, signingKeyFromSeed } from './keys.js';

describe('signing keys', () => {
  it('derives the spec test vector public key from its seed', () => {
    const key = signingKeyFromSeed(decodeBase64(vectors.signingKey.seed), vectors.signingKey.keyVersion);
    expect(key.keyId).toBe('ed25519:1');
    expect(encodeUnpaddedBase64(key.publicKey)).toBe(vectors.signingKey.publicKey);
  });

  it('round-trips the key file line', () => {
    const key = generateSigningKey('a_bc');
    const line = formatSigningKeyLine(key);
    expect(line).toMatch(/^ed25519 a_bc [A-Za-z0-9+/]{43}$/);
    const parsed = parseSigningKeyLine(line);
    expect(parsed.keyId).toBe('ed25519:a_bc');
    expect(parsed.publicKey.equals(key.publicKey)).toBe(true);
  });

  it('generates valid key versions', () => {
    expect(generateSigningKey().keyId).toMatch(/^ed25519:[a-zA-Z0-9_]+$/);
  });

  it('rejects bad seeds, versions and lines', () => {
    expect(() => signingKeyFromSeed(Buffer.alloc(31), '1')).toThrow();
    expect(() => signingKeyFromSeed(Buffer.alloc(32), 'a:b')).toThrow();
    expect(() => parseSigningKeyLine('curve25519 1 AAAA')).toThrow();
    expect(() => publicKeyObject(Buffer.alloc(31))).toThrow();
  });
});
