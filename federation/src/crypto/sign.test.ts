import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import vectors from '../test-vectors/signing.json' with { type: 'json' };
import { canonicalJson, type JsonObject, type JsonValue } from '../json/canonical.js';
import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';
import { generateSigningKey, signingKeyFromSeed } from './keys.js';
import { signatureKeyIds, signingBytes, signJson, verifyJsonSignature } from './sign.js';

const { signingKey: spec } = vectors;
const key = signingKeyFromSeed(decodeBase64(spec.seed), spec.keyVersion);

describe('signJson: appendices "Cryptographic Test Vectors > JSON Signing"', () => {
  it('derives the key ID and public key from the seed', () => {
    expect(key.keyId).toBe(spec.keyId);
    expect(encodeUnpaddedBase64(key.publicKey)).toBe(spec.publicKey);
  });

  it.each(vectors.jsonSigning)('$name', ({ input, signed }) => {
    const result = signJson(JSON.parse(input) as JsonObject, spec.serverName, key);
    expect(result).toStrictEqual(JSON.parse(signed));
    expect(canonicalJson(result)).toBe(canonicalJson(JSON.parse(signed)));
    expect(verifyJsonSignature(result, spec.serverName, spec.keyId, key.publicKey)).toStrictEqual({ ok: true });
  });
});

describe('signingBytes: appendices "Signing Details"', () => {
  it('leaves out signatures and unsigned', () => {
    const bytes = signingBytes(JSON.parse(vectors.signingDetails.input) as JsonObject);
    expect(bytes.toString('utf8')).toBe(vectors.signingDetails.signingBytes);
  });

  it('keeps existing signatures and unsigned when adding one', () => {
    const object = JSON.parse(vectors.signingDetails.input) as JsonObject;
    const result = signJson(object, spec.serverName, key);
    expect(result.unsigned).toStrictEqual({ age_ts: 922834800000 });
    expect(Object.keys(result.signatures as JsonObject).sort()).toStrictEqual(['domain', 'example.org']);
    expect(verifyJsonSignature(result, spec.serverName, spec.keyId, key.publicKey).ok).toBe(true);
  });
});

describe('verifyJsonSignature', () => {
  const signed: JsonObject = signJson({ a: 1 }, 'domain', key);

  it('reports a missing signer or key', () => {
    expect(verifyJsonSignature(signed, 'other', spec.keyId, key.publicKey)).toStrictEqual({ ok: false, reason: 'missing-signature' });
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:2', key.publicKey)).toStrictEqual({ ok: false, reason: 'missing-signature' });
  });

  it('reports malformed signatures', () => {
    const bad = { ...signed, signatures: { domain: { [spec.keyId]: 'not base64!' } } };
    expect(verifyJsonSignature(bad, 'domain', spec.keyId, key.publicKey)).toStrictEqual({ ok: false, reason: 'malformed-signature' });
    const short = { ...signed, signatures: { domain: { [spec.keyId]: 'AAAA' } } };
    expect(verifyJsonSignature(short, 'domain', spec.keyId, key.publicKey)).toStrictEqual({ ok: false, reason: 'malformed-signature' });
  });

  it('rejects a signature made with another key', () => {
    expect(verifyJsonSignature(signed, 'domain', spec.keyId, generateSigningKey().publicKey)).toStrictEqual({ ok: false, reason: 'bad-signature' });
  });

  it('ignores changes to unsigned and other signatures', () => {
    const changed = { ...signed, unsigned: { age: 5 }, signatures: { ...(signed.signatures as JsonObject), other: { 'ed25519:x': 'abc' } } };
    expect(verifyJsonSignature(changed, 'domain', spec.keyId, key.publicKey).ok).toBe(true);
  });

  it('lists only ed25519 key IDs', () => {
    const object = { signatures: { domain: { 'ed25519:1': 'a', 'curve25519:1': 'b' } } };
    expect(signatureKeyIds(object, 'domain')).toStrictEqual(['ed25519:1']);
  });
});

// --- properties -------------------------------------------------------------------------------------------

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;
const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 6, noNullPrototype: true });

type Container = JsonObject | JsonValue[];

/** Every object and array inside `object`, itself included, but not inside top-level signatures/unsigned. */
function containers(object: JsonObject): Container[] {
  const found: Container[] = [];
  const walk = (value: JsonValue | undefined, top: boolean): void => {
    if (value === null || value === undefined || typeof value !== 'object') return;
    found.push(value);
    for (const [name, child] of Object.entries(value)) {
      if (top && (name === 'signatures' || name === 'unsigned')) continue;
      walk(child, false);
    }
  };
  walk(object, true);
  return found;
}

type Tamper = 'add' | 'remove' | 'change';

/** Changes `target` in place so its canonical form differs; false when the chosen change does not apply. */
function tamper(target: Container, kind: Tamper, pick: number, top: boolean): boolean {
  const keys = Array.isArray(target) ? target.map((_, index) => String(index)) : Object.keys(target).filter((name) => !top || (name !== 'signatures' && name !== 'unsigned'));
  if (kind === 'add') {
    if (Array.isArray(target)) target.push('tamper');
    else target['\u0001tamper'] = 'tamper';
    return true;
  }
  if (keys.length === 0) return false;
  const name = keys[pick % keys.length] as string;
  if (Array.isArray(target)) {
    const index = Number(name);
    if (kind === 'remove') target.splice(index, 1);
    else target[index] = { tampered: target[index] as JsonValue };
  } else if (kind === 'remove') {
    delete target[name];
  } else {
    target[name] = { tampered: target[name] as JsonValue };
  }
  return true;
}

describe('signing properties', () => {
  const signer = generateSigningKey('prop');

  it('sign then verify round-trips for arbitrary JSON objects', () => {
    fc.assert(
      fc.property(jsonObject, fc.string({ minLength: 1, maxLength: 10 }), (object, serverName) => {
        const signed = signJson(object, serverName, signer);
        expect(verifyJsonSignature(signed, serverName, signer.keyId, signer.publicKey)).toStrictEqual({ ok: true });
        // What was signed is the object itself: the input is not modified.
        expect(signingBytes(signed).equals(signingBytes(object))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('tampering with any signed key or value anywhere fails verification', () => {
    fc.assert(
      fc.property(jsonObject, fc.nat(), fc.nat(), fc.constantFrom<Tamper>('add', 'remove', 'change'), (object, where, pick, kind) => {
        const signed = signJson(object, 'domain', signer);
        const copy = structuredClone(signed);
        const targets = containers(copy);
        const target = targets[where % targets.length] as Container;
        fc.pre(tamper(target, kind, pick, target === copy));
        expect(signingBytes(copy).equals(signingBytes(signed))).toBe(false);
        expect(verifyJsonSignature(copy, 'domain', signer.keyId, signer.publicKey)).toStrictEqual({ ok: false, reason: 'bad-signature' });
      }),
      { numRuns: 1000 },
    );
  });

  it('changing only unsigned or adding other signatures keeps the signature valid', () => {
    fc.assert(
      fc.property(jsonObject, jsonValue, (object, unsigned) => {
        const signed = signJson(object, 'domain', signer);
        const changed = { ...signed, unsigned, signatures: { ...(signed.signatures as JsonObject), elsewhere: { 'ed25519:z': 'x' } } };
        expect(verifyJsonSignature(changed, 'domain', signer.keyId, signer.publicKey).ok).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
