import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { replacesStoredKey, type KeyRank } from './replacement.js';

const rank = (isVerified: boolean, firstMessageIndex: number, forwardedCount: number): KeyRank => ({ isVerified, firstMessageIndex, forwardedCount });

describe('replacesStoredKey (the spec order: is_verified, then first_message_index, then forwarded_count)', () => {
  it.each([
    ['a verified upload beats an unverified key, even with worse index and count', rank(false, 0, 0), rank(true, 9, 9), true],
    ['an unverified upload never beats a verified key', rank(true, 9, 9), rank(false, 0, 0), false],
    ['same is_verified: the lower first_message_index wins', rank(false, 5, 0), rank(false, 2, 7), true],
    ['same is_verified: a higher first_message_index loses', rank(true, 2, 7), rank(true, 5, 0), false],
    ['index decides before forwarded_count', rank(false, 3, 0), rank(false, 4, 0), false],
    ['both equal: the lower forwarded_count wins', rank(true, 3, 2), rank(true, 3, 1), true],
    ['both equal: a higher forwarded_count loses', rank(true, 3, 1), rank(true, 3, 2), false],
    ['all three equal: the stored key stays', rank(false, 3, 1), rank(false, 3, 1), false],
  ])('%s', (_name, stored, uploaded, expected) => {
    expect(replacesStoredKey(stored, uploaded)).toBe(expected);
  });

  it('is a strict order: of two different keys exactly one direction replaces, and never both', () => {
    const keyRank = fc.record({ isVerified: fc.boolean(), firstMessageIndex: fc.nat(5), forwardedCount: fc.nat(5) });
    fc.assert(
      fc.property(keyRank, keyRank, (a, b) => {
        const same = a.isVerified === b.isVerified && a.firstMessageIndex === b.firstMessageIndex && a.forwardedCount === b.forwardedCount;
        expect(Number(replacesStoredKey(a, b)) + Number(replacesStoredKey(b, a))).toBe(same ? 0 : 1);
      }),
    );
  });
});
