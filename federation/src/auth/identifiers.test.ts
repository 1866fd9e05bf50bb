import { describe, it, expect } from 'vitest';
import { domainOf, isValidUserId } from './identifiers.js';

describe('domainOf', () => {
  it('returns everything after the first colon', () => {
    expect(domainOf('@alice:example.org')).toBe('example.org');
    expect(domainOf('!room:example.org:8448')).toBe('example.org:8448');
    expect(domainOf('$event:[::1]:8448')).toBe('[::1]:8448');
  });

  it('is undefined for IDs without a domain (v12 room IDs, v3+ event IDs)', () => {
    expect(domainOf('!abcDEF123')).toBeUndefined();
    expect(domainOf('$abcDEF123')).toBeUndefined();
  });
});

describe('isValidUserId', () => {
  it('accepts current and historical user IDs', () => {
    for (const id of ['@alice:example.org', '@a.b_c=d-e/f+g:example.org:8448', '@Alice:example.org', '@h\u00e9:example.org', '@:example.org']) {
      expect(isValidUserId(id)).toBe(true);
    }
  });

  it('rejects non-strings, missing sigil or colon, NUL in the localpart, bad server names and over 255 bytes', () => {
    const tooLong = `@${'a'.repeat(250)}:example.org`;
    for (const id of [5, null, 'alice:example.org', '@alice', '@al\u0000ice:example.org', '@alice:exa_mple.org', '@alice:', tooLong]) {
      expect(isValidUserId(id)).toBe(false);
    }
  });
});
