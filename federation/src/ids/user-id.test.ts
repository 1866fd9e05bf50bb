import { describe, expect, it } from 'vitest';
import { isNonCompliantUserId, isValidUserId, parseUserId, userIdServerName } from './user-id.js';

describe('parseUserId (current grammar)', () => {
  it('splits a user ID', () => {
    expect(parseUserId('@alice:example.org')).toStrictEqual({ localpart: 'alice', serverName: 'example.org' });
    expect(parseUserId('@a.b_c=d-e/f+g9:[::1]:8448')).toStrictEqual({ localpart: 'a.b_c=d-e/f+g9', serverName: '[::1]:8448' });
  });

  it.each(['@Alice:example.org', '@:example.org', '@al ice:example.org', '@al*ce:example.org', '@é:example.org', 'alice:example.org', '@alice', '@alice:', '@alice:bad_host', '#alice:example.org'])(
    'rejects %j',
    (id) => {
      expect(isValidUserId(id)).toBe(false);
    },
  );

  it('limits the whole ID to 255 bytes', () => {
    const at255 = `@${'a'.repeat(242)}:example.org`;
    expect(Buffer.byteLength(at255)).toBe(255);
    expect(isValidUserId(at255)).toBe(true);
    expect(isValidUserId(`@${'a'.repeat(243)}:example.org`)).toBe(false);
  });
});

describe('parseUserId (historical grammar)', () => {
  it.each(['@Alice:example.org', '@:example.org', '@al ice:example.org', '@日本:example.org', '@\u0001:example.org', '@\u{1F600}:example.org'])(
    'accepts %j',
    (id) => {
      expect(isValidUserId(id, { historical: true })).toBe(true);
      expect(isValidUserId(id)).toBe(false);
    },
  );

  it.each(['@a\u0000b:example.org', '@a\ud800:example.org', '@alice:bad host'])('still rejects %j', (id) => {
    expect(isValidUserId(id, { historical: true })).toBe(false);
  });

  it('measures the limit in bytes, not characters', () => {
    const id = `@${'日'.repeat(81)}:example.org`;
    expect(id.length).toBeLessThan(255);
    expect(Buffer.byteLength(id)).toBeGreaterThan(255);
    expect(isValidUserId(id, { historical: true })).toBe(false);
  });
});

describe('isNonCompliantUserId', () => {
  it('flags empty localparts and characters outside U+0021..U+007E', () => {
    expect(isNonCompliantUserId('@:example.org')).toBe(true);
    expect(isNonCompliantUserId('@a b:example.org')).toBe(true);
    expect(isNonCompliantUserId('@é:example.org')).toBe(true);
    expect(isNonCompliantUserId('@Alice:example.org')).toBe(false);
    expect(isNonCompliantUserId('@alice:example.org')).toBe(false);
  });
});

describe('userIdServerName', () => {
  it('returns the domain of historical IDs too', () => {
    expect(userIdServerName('@Bob:example.org:8448')).toBe('example.org:8448');
    expect(userIdServerName('bob')).toBeUndefined();
  });
});
