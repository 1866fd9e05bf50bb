import { describe, expect, it } from 'vitest';
import type { AccessTokenOwner } from '../../storage/index.js';
import { createTokenCache, TOKEN_CACHE_TTL_MS } from './token-cache.js';

function token(tokenHash: string, userId: string): AccessTokenOwner {
  return { id: 1, tokenHash, userId, deviceId: 'DEV', createdTs: 0, expiresTs: null, refreshTokenId: null, used: true, isGuest: false, deactivated: false, locked: false };
}

describe('token cache', () => {
  it('serves a token until the TTL ends', () => {
    const cache = createTokenCache();
    cache.put(token('h1', '@a:x'), 1_000, cache.epoch());
    expect(cache.get('h1', 1_000 + TOKEN_CACHE_TTL_MS - 1)?.userId).toBe('@a:x');
    expect(cache.get('h1', 1_000 + TOKEN_CACHE_TTL_MS)).toBeUndefined();
  });

  it('forgets only the revoked user', () => {
    const cache = createTokenCache();
    cache.put(token('h1', '@a:x'), 0, cache.epoch());
    cache.put(token('h2', '@b:x'), 0, cache.epoch());
    cache.forgetUser('@a:x');
    expect(cache.get('h1', 1)).toBeUndefined();
    expect(cache.get('h2', 1)?.userId).toBe('@b:x');
  });

  it('does not cache a read that may predate a revocation', () => {
    const cache = createTokenCache();
    const epoch = cache.epoch();
    // The lookup started, then a logout in this process revoked the token, then the (stale) read came back.
    cache.forgetUser('@a:x');
    cache.put(token('h1', '@a:x'), 0, epoch);
    expect(cache.get('h1', 1)).toBeUndefined();
  });
});
