import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';

const hash = (): string => randomBytes(32).toString('hex');

forEachDatabase('OpenIdTokenStore', (storage) => {
  it('finds a token until it expires', async () => {
    const store = storage().openIdTokens;
    const tokenHash = hash();
    await store.addOpenIdToken({ tokenHash, userId: '@a:test', createdTs: 100, expiresTs: 200 });
    expect(await store.findOpenIdToken(tokenHash, 199)).toEqual({ tokenHash, userId: '@a:test', createdTs: 100, expiresTs: 200 });
    expect(await store.findOpenIdToken(tokenHash, 200)).toBeNull();
    expect(await store.findOpenIdToken(hash(), 150)).toBeNull();
  });

  it('deletes only expired tokens', async () => {
    const store = storage().openIdTokens;
    const old = hash();
    const live = hash();
    await store.addOpenIdToken({ tokenHash: old, userId: '@a:test', createdTs: 1, expiresTs: 1_000 });
    await store.addOpenIdToken({ tokenHash: live, userId: '@b:test', createdTs: 1, expiresTs: 5_000 });
    await store.deleteExpiredOpenIdTokens(1_000);
    expect(await store.findOpenIdToken(old, 0)).toBeNull();
    expect((await store.findOpenIdToken(live, 0))?.userId).toBe('@b:test');
  });
});
