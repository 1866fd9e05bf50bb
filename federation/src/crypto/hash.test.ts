import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/signing.json' with { type: 'json' };
import { canonicalJson, type JsonObject } from '../json/canonical.js';
import { redactEvent } from '../events/redact.js';
import { ROOM_VERSIONS, getRoomVersion } from '../room-versions/table.js';
import { decodeBase64, encodeUnpaddedBase64 } from './base64.js';
import {
  addContentHash,
  checkContentHash,
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  computeRoomIdFromCreateEvent,
} from './hash.js';
import { signingKeyFromSeed } from './keys.js';
import { signJson, verifyJsonSignature } from './sign.js';

const key = signingKeyFromSeed(decodeBase64(vectors.signingKey.seed), vectors.signingKey.keyVersion);
const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

describe('event signing vectors (appendices "Cryptographic Test Vectors > Event Signing")', () => {
  for (const vector of vectors.eventSigning) {
    const input = JSON.parse(vector.input) as JsonObject;
    const expected = JSON.parse(vector.signed) as JsonObject;

    it(`${vector.name}: content hash`, () => {
      expect(encodeUnpaddedBase64(computeContentHash(input, getRoomVersion('1')))).toBe((expected.hashes as JsonObject).sha256);
      expect(checkContentHash(expected, getRoomVersion('1'))).toBe(true);
    });

    it.each(vector.roomVersions)(`${vector.name}: hash, redact, sign in room version %s`, (id) => {
      const version = getRoomVersion(id);
      const hashed = addContentHash(input, version);
      const signature = signJson(redactEvent(hashed, version), vectors.signingKey.serverName, key).signatures;
      const result = { ...hashed, signatures: signature };
      expect(canonicalJson(result)).toBe(canonicalJson(expected));
    });
  }

  it('the signature verifies against the redacted event and survives redaction', () => {
    const expected = JSON.parse(vectors.eventSigning[1]?.signed as string) as JsonObject;
    const version = getRoomVersion('1');
    const redacted = redactEvent(expected, version);
    expect(redacted.content).toStrictEqual({});
    expect(verifyJsonSignature(redacted, 'domain', 'ed25519:1', key.publicKey).ok).toBe(true);
    expect(verifyJsonSignature(redactEvent(redacted, version), 'domain', 'ed25519:1', key.publicKey).ok).toBe(true);
  });
});

describe('derived v11+ event signing vectors (origin no longer protected)', () => {
  for (const [index, vector] of vectors.derivedV11.entries()) {
    const input = JSON.parse(vectors.eventSigning[index]?.input as string) as JsonObject;

    it.each(vector.roomVersions)(`${vector.name} in room version %s`, (id) => {
      const version = getRoomVersion(id);
      const hashed = addContentHash(input, version);
      const redacted = redactEvent(hashed, version);
      const { signatures: _s, ...withoutSignatures } = redacted;
      expect(withoutSignatures).toStrictEqual(vector.redacted);
      const signed = signJson(redacted, 'domain', key);
      expect((signed.signatures as Record<string, Record<string, string>>).domain?.['ed25519:1']).toBe(vector.signature);
    });
  }
});

describe('reference hashes and event IDs', () => {
  const signed = JSON.parse(vectors.eventSigning[0]?.signed as string) as JsonObject;
  const v1Redacted = { ...vectors.derivedV11[0]?.redacted, origin: 'domain' };

  it('hashes the redacted event without signatures, unsigned and age_ts', () => {
    const expected = sha256(canonicalJson(v1Redacted));
    expect(computeReferenceHash(signed, getRoomVersion('3')).equals(expected)).toBe(true);
    expect(computeReferenceHash({ ...signed, age_ts: 5, unsigned: { x: 1 } }, getRoomVersion('3')).equals(expected)).toBe(true);
    const v11 = sha256(canonicalJson(vectors.derivedV11[0]?.redacted));
    expect(computeReferenceHash(signed, getRoomVersion('11')).equals(v11)).toBe(true);
  });

  it('encodes v3 IDs in standard base64 and v4+ IDs in URL-safe base64', () => {
    const hash = sha256(canonicalJson(v1Redacted));
    expect(computeEventId(signed, getRoomVersion('3'))).toBe(`$${encodeUnpaddedBase64(hash)}`);
    expect(computeEventId(signed, getRoomVersion('4'))).toBe(`$${hash.toString('base64url')}`);
  });

  it('v1/v2 take the event_id the event carries', () => {
    expect(computeEventId({ ...signed, event_id: '$abc:domain' }, getRoomVersion('1'))).toBe('$abc:domain');
    expect(() => computeEventId(signed, getRoomVersion('2'))).toThrow();
  });

  it('v12 room IDs are the create event reference hash with a ! sigil', () => {
    const create = { type: 'm.room.create', state_key: '', sender: '@a:domain', content: { room_version: '12' }, depth: 1, origin_server_ts: 1, prev_events: [], auth_events: [], hashes: { sha256: 'x' }, signatures: {} };
    const v12 = getRoomVersion('12');
    expect(computeRoomIdFromCreateEvent(create, v12)).toBe(`!${computeEventId(create, v12).slice(1)}`);
  });

  it('checkContentHash fails on changed content and malformed hashes', () => {
    const version = getRoomVersion('10');
    expect(checkContentHash({ ...signed, content: { x: 1 } }, version)).toBe(false);
    expect(checkContentHash({ ...signed, hashes: {} }, version)).toBe(false);
    expect(checkContentHash({ ...signed, hashes: { sha256: '!!' } }, version)).toBe(false);
    expect(checkContentHash({ ...signed, unsigned: { changed: true } }, version)).toBe(true);
  });

  it('strict room versions cannot hash out-of-range integers; lenient ones can', () => {
    const big = { ...signed, content: { n: 2 ** 53 } };
    expect(checkContentHash(addContentHash(big, getRoomVersion('5')), getRoomVersion('5'))).toBe(true);
    expect(() => computeContentHash(big, getRoomVersion('6'))).toThrow();
    expect(ROOM_VERSIONS.size).toBe(12);
  });
});
