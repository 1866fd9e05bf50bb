import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';
import type { RemoteServerKey } from '../index.js';

forEachDatabase('ServerKeyRepository', (getStorage) => {
  it('round-trips our own keys and replaces one by key ID', async () => {
    const { serverKeys } = getStorage();
    const current = { keyId: 'ed25519:b', publicKey: 'cHVibGljYg', validUntilTs: 1_800_000_000_000, expiredTs: null };
    const old = { keyId: 'ed25519:a', publicKey: 'cHVibGljYQ', validUntilTs: 1_700_000_000_000, expiredTs: null };
    await serverKeys.saveOwnKey(current);
    await serverKeys.saveOwnKey(old);
    await serverKeys.saveOwnKey({ ...old, expiredTs: 1_750_000_000_000 });
    expect(await serverKeys.getOwnKeys()).toEqual([{ ...old, expiredTs: 1_750_000_000_000 }, current]);
  });

  it('stores remote keys per server, filters by key ID and keeps timestamps beyond 32 bits', async () => {
    const { serverKeys } = getStorage();
    const serverName = `${uniqueId('!').slice(1, 8).toLowerCase()}.example`;
    const key = (keyId: string, overrides: Partial<RemoteServerKey> = {}): RemoteServerKey => ({
      serverName,
      keyId,
      publicKey: `key-${keyId}`,
      validUntilTs: 4_102_444_800_000,
      expiredTs: null,
      fetchedTs: 1_700_000_000_123,
      responseJson: '{"server_name":"x"}',
      ...overrides,
    });
    await serverKeys.storeRemoteKeys([key('ed25519:2'), key('ed25519:1', { expiredTs: 1_600_000_000_000, responseJson: null })]);
    await serverKeys.storeRemoteKeys([{ ...key('other'), serverName: 'elsewhere.example' }]);

    expect(await serverKeys.getRemoteKeys(serverName)).toEqual([
      key('ed25519:1', { expiredTs: 1_600_000_000_000, responseJson: null }),
      key('ed25519:2'),
    ]);
    expect(await serverKeys.getRemoteKeys(serverName, ['ed25519:2', 'ed25519:9'])).toEqual([key('ed25519:2')]);
    expect(await serverKeys.getRemoteKeys('nobody.example')).toEqual([]);

    // A refetch replaces the stored copy.
    await serverKeys.storeRemoteKeys([key('ed25519:2', { fetchedTs: 1_700_000_999_999, publicKey: 'rotated' })]);
    expect(await serverKeys.getRemoteKeys(serverName, ['ed25519:2'])).toEqual([
      key('ed25519:2', { fetchedTs: 1_700_000_999_999, publicKey: 'rotated' }),
    ]);
  });

  it('accepts an empty batch', async () => {
    await expect(getStorage().serverKeys.storeRemoteKeys([])).resolves.toBeUndefined();
  });
});
