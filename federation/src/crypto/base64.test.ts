import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBase64, encodeUnpaddedBase64, encodeUnpaddedBase64Url } from './base64.js';

describe('unpadded base64 (appendices, Unpadded Base64)', () => {
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('UNPADDED_BASE64(%j) = %j', (plain, encoded) => {
    expect(encodeUnpaddedBase64(Buffer.from(plain))).toBe(encoded);
    expect(decodeBase64(encoded).toString()).toBe(plain);
  });

  it('accepts padded input too', () => {
    expect(decodeBase64('Zg==').toString()).toBe('f');
    expect(decodeBase64('Zm8=').toString()).toBe('fo');
  });

  it('uses - and _ in the URL-safe alphabet', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]);
    expect(encodeUnpaddedBase64(bytes)).toBe('+/+/');
    expect(encodeUnpaddedBase64Url(bytes)).toBe('-_-_');
    expect(decodeBase64('-_-_').equals(bytes)).toBe(true);
  });

  it('rejects characters outside the alphabets and impossible lengths', () => {
    expect(() => decodeBase64('Zm9v!')).toThrow();
    expect(() => decodeBase64('Z')).toThrow();
    expect(() => decodeBase64('Zm9vY')).toThrow();
  });

  it('round-trips arbitrary bytes in both alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const standard = encodeUnpaddedBase64(bytes);
        const urlSafe = encodeUnpaddedBase64Url(bytes);
        expect(standard).not.toContain('=');
        expect(decodeBase64(standard).equals(Buffer.from(bytes))).toBe(true);
        expect(decodeBase64(urlSafe).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
