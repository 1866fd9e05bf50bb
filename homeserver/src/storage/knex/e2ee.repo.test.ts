import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';

forEachDatabase('E2eeStore', (getStorage) => {
  describe('device and one-time keys', () => {
    it('stores device keys and forgets everything of a deleted device', async () => {
      const { e2ee } = getStorage();
      const userId = uniqueId('@');
      await e2ee.setDeviceKeys(userId, 'DEV1', { device_id: 'DEV1', keys: { a: 'b' } }, 1);
      await e2ee.setDeviceKeys(userId, 'DEV2', { device_id: 'DEV2' }, 1);
      await e2ee.addOneTimeKeys(userId, 'DEV1', [{ algorithm: 'signed_curve25519', keyId: 'A', key: { key: 'x' } }], 1);
      await e2ee.setFallbackKey(userId, 'DEV1', { algorithm: 'signed_curve25519', keyId: 'F', key: { key: 'f' } });
      await e2ee.addSignatures([{ targetUserId: userId, targetKeyId: 'DEV1', signerUserId: userId, signerKeyId: 'ed25519:S', signature: 'sig' }]);
      expect(await e2ee.getDeviceKeys(userId, 'DEV1')).toEqual({ device_id: 'DEV1', keys: { a: 'b' } });
      expect((await e2ee.getDeviceKeysOfUsers([userId])).map((record) => record.deviceId)).toEqual(['DEV1', 'DEV2']);

      await e2ee.deleteDevice(userId, 'DEV1');
      expect(await e2ee.getDeviceKeys(userId, 'DEV1')).toBeNull();
      expect(await e2ee.countOneTimeKeys(userId, 'DEV1')).toEqual({});
      expect(await e2ee.getUnusedFallbackKeyTypes(userId, 'DEV1')).toEqual([]);
      expect(await e2ee.getSignatures([userId])).toEqual([]);
      expect(await e2ee.getDeviceKeys(userId, 'DEV2')).not.toBeNull();
    });

    it('keeps the first of two concurrent adds of the same one-time key instead of failing the second', async () => {
      const { e2ee } = getStorage();
      const userId = uniqueId('@');
      const key = { algorithm: 'signed_curve25519', keyId: 'SAME', key: { key: 'first' } };
      await e2ee.addOneTimeKeys(userId, 'D', [key], 1);
      await expect(e2ee.addOneTimeKeys(userId, 'D', [key, { ...key, keyId: 'OTHER' }], 2)).resolves.toBeUndefined();
      expect(await e2ee.countOneTimeKeys(userId, 'D')).toEqual({ signed_curve25519: 2 });
      expect(await e2ee.getOneTimeKeys(userId, 'D', [{ algorithm: key.algorithm, keyId: 'SAME' }])).toEqual([key]);
    });

    it('claims one-time keys oldest first, each once, then falls back to the fallback key', async () => {
      const storage = getStorage();
      const userId = uniqueId('@');
      const algorithm = 'signed_curve25519';
      await storage.e2ee.addOneTimeKeys(userId, 'D', [{ algorithm, keyId: 'old', key: { key: '1' } }], 1);
      await storage.e2ee.addOneTimeKeys(userId, 'D', [{ algorithm, keyId: 'a', key: { key: '2' } }, { algorithm, keyId: 'b', key: { key: '3' } }], 2);
      await storage.e2ee.addOneTimeKeys(userId, 'D', [{ algorithm: 'curve25519', keyId: 'c', key: { key: '4' } }], 3);
      expect(await storage.e2ee.countOneTimeKeys(userId, 'D')).toEqual({ [algorithm]: 3, curve25519: 1 });
      expect((await storage.e2ee.getOneTimeKeys(userId, 'D', [{ algorithm, keyId: 'a' }, { algorithm, keyId: 'zz' }])).map((k) => k.keyId)).toEqual(['a']);

      const claim = async (deviceId = 'D') => (await storage.e2ee.claimKeys([{ userId, deviceId, algorithm }]))[0]?.key ?? null;
      expect((await claim())?.keyId).toBe('old');
      // Concurrent claims never hand out the same key.
      const claims = await Promise.all([1, 2, 3].map(() => storage.transaction((tx) => tx.e2ee.claimKeys([{ userId, deviceId: 'D', algorithm }]))));
      expect(claims.map((claimed) => claimed[0]?.key.keyId ?? null).sort()).toEqual(['a', 'b', null].sort());
      expect(await storage.e2ee.countOneTimeKeys(userId, 'D')).toEqual({ curve25519: 1 });

      expect(await claim()).toBeNull();
      await storage.e2ee.setFallbackKey(userId, 'D', { algorithm, keyId: 'F1', key: { key: 'f1', fallback: true } });
      expect(await storage.e2ee.getUnusedFallbackKeyTypes(userId, 'D')).toEqual([algorithm]);
      expect(await claim()).toEqual({ algorithm, keyId: 'F1', key: { key: 'f1', fallback: true } });
      expect((await claim())?.keyId).toBe('F1');
      expect(await storage.e2ee.getUnusedFallbackKeyTypes(userId, 'D')).toEqual([]);
      // A replacement is unused again.
      await storage.e2ee.setFallbackKey(userId, 'D', { algorithm, keyId: 'F2', key: { key: 'f2' } });
      expect(await storage.e2ee.getUnusedFallbackKeyTypes(userId, 'D')).toEqual([algorithm]);
    });
  });

  describe('batched claims', () => {
    it('claims the oldest key of many devices in one call, falls back per device, and skips devices without keys', async () => {
      const storage = getStorage();
      const userId = uniqueId('@');
      const algorithm = 'signed_curve25519';
      const deviceIds = Array.from({ length: 300 }, (_, n) => `D${n}`);
      for (const deviceId of deviceIds) {
        await storage.e2ee.addOneTimeKeys(userId, deviceId, [{ algorithm, keyId: `${deviceId}-new`, key: { key: 'n' } }], 2);
        await storage.e2ee.addOneTimeKeys(userId, deviceId, [{ algorithm, keyId: `${deviceId}-old`, key: { key: 'o' } }], 1);
      }
      await storage.e2ee.setFallbackKey(userId, 'FB', { algorithm, keyId: 'F', key: { key: 'f' } });
      const claims = [...deviceIds, 'FB', 'NONE'].map((deviceId) => ({ userId, deviceId, algorithm }));

      const first = await storage.e2ee.claimKeys(claims);
      expect(first).toHaveLength(301);
      expect(new Set(first.filter((c) => c.deviceId !== 'FB').map((c) => c.key.keyId))).toEqual(new Set(deviceIds.map((d) => `${d}-old`)));
      expect(first.find((c) => c.deviceId === 'FB')?.key).toEqual({ algorithm, keyId: 'F', key: { key: 'f' } });
      expect(await storage.e2ee.getUnusedFallbackKeyTypes(userId, 'FB')).toEqual([]);

      // Two concurrent batches over the same devices share out the one key left of each, never the same one twice.
      const [a, b] = await Promise.all([storage.e2ee.claimKeys(claims.slice(0, 300)), storage.e2ee.claimKeys(claims.slice(0, 300))]);
      const handedOut = [...a, ...b].map((c) => c.key.keyId);
      expect(handedOut.sort()).toEqual(deviceIds.map((d) => `${d}-new`).sort());
      expect(await storage.e2ee.claimKeys(claims.slice(0, 300))).toEqual([]);
    });
  });

  describe('cross-signing and the device-list stream', () => {
    it('replaces cross-signing keys per type and filters by type', async () => {
      const { e2ee } = getStorage();
      const userId = uniqueId('@');
      await e2ee.setCrossSigningKey({ userId, type: 'master', key: { v: 1 } }, 1);
      await e2ee.setCrossSigningKey({ userId, type: 'master', key: { v: 2 } }, 2);
      await e2ee.setCrossSigningKey({ userId, type: 'self_signing', key: { v: 3 } }, 2);
      expect(await e2ee.getCrossSigningKeys([userId])).toEqual([
        { userId, type: 'master', key: { v: 2 } },
        { userId, type: 'self_signing', key: { v: 3 } },
      ]);
      expect(await e2ee.getCrossSigningKeys([userId], ['self_signing'])).toHaveLength(1);
    });

    it('returns change rows in a range by user or by room', async () => {
      const storage = getStorage();
      const [alice, bob, carol] = [uniqueId('@'), uniqueId('@'), uniqueId('@')];
      const roomId = uniqueId('!');
      const positions: number[] = [];
      for (const change of [
        { userId: alice, roomId: null, membership: null },
        { userId: bob, roomId, membership: 'join' as const },
        { userId: carol, roomId: null, membership: null },
      ]) {
        positions.push(
          await storage.transaction(async (tx) => {
            const position = await tx.streams.next('device_lists');
            await tx.e2ee.addDeviceListChange({ position, ...change });
            return position;
          }),
        );
      }
      const [p1, p2, p3] = positions as [number, number, number];
      const rows = await storage.e2ee.getDeviceListChanges(p1 - 1, p3, { userIds: [alice], roomIds: [roomId] });
      expect(rows).toEqual([
        { position: p1, userId: alice, roomId: null, membership: null },
        { position: p2, userId: bob, roomId, membership: 'join' },
      ]);
      expect(await storage.e2ee.getDeviceListChanges(p1, p3, { userIds: [alice, carol], roomIds: [] })).toEqual([
        { position: p3, userId: carol, roomId: null, membership: null },
      ]);
      expect(await storage.e2ee.getDeviceListChanges(p3, p3, { userIds: [carol], roomIds: [] })).toEqual([]);
    });
  });
});
