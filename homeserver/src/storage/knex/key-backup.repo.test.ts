import { expect, it } from 'vitest';
import type { BackedUpSession } from '../index.js';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';

const AUTH_DATA = { public_key: 'abcdefg', signatures: { '@a:x': { 'ed25519:D': 'sig' } } };

function session(roomId: string, sessionId: string, overrides: Partial<BackedUpSession> = {}): BackedUpSession {
  return {
    roomId,
    sessionId,
    firstMessageIndex: 0,
    forwardedCount: 0,
    isVerified: false,
    sessionData: { ephemeral: 'e', ciphertext: `c-${sessionId}`, mac: 'm' },
    ...overrides,
  };
}

forEachDatabase('KeyBackupStore', (getStorage) => {
  it('creates versions with increasing numbers and finds the latest one that is not deleted', async () => {
    const { keyBackup } = getStorage();
    const userId = uniqueId('@');
    expect(await keyBackup.getLatestVersion(userId)).toBeNull();
    const first = await keyBackup.createVersion({ userId, algorithm: 'alg', authData: AUTH_DATA, createdTs: 5 });
    const second = await keyBackup.createVersion({ userId, algorithm: 'alg', authData: { public_key: 'two' }, createdTs: 6 });
    expect(second).toBeGreaterThan(first);
    expect(await keyBackup.getLatestVersion(userId)).toEqual({
      version: second, userId, algorithm: 'alg', authData: { public_key: 'two' }, etag: 0, deleted: false, createdTs: 6,
    });
    expect((await keyBackup.getVersion(userId, first))?.authData).toEqual(AUTH_DATA);
    // Another user's version is invisible.
    expect(await keyBackup.getVersion(uniqueId('@'), first)).toBeNull();

    await keyBackup.markDeleted(second);
    expect((await keyBackup.getLatestVersion(userId))?.version).toBe(first);
    expect(await keyBackup.getVersion(userId, second)).toMatchObject({ deleted: true, authData: {} });
    const third = await keyBackup.createVersion({ userId, algorithm: 'alg', authData: AUTH_DATA, createdTs: 7 });
    expect(third).toBeGreaterThan(second);
  });

  it('updates auth_data and bumps the etag', async () => {
    const storage = getStorage();
    const userId = uniqueId('@');
    const version = await storage.keyBackup.createVersion({ userId, algorithm: 'alg', authData: AUTH_DATA, createdTs: 1 });
    await storage.keyBackup.updateAuthData(version, { public_key: 'new' });
    expect(await storage.transaction((tx) => tx.keyBackup.bumpEtag(version))).toBe(1);
    expect(await storage.keyBackup.bumpEtag(version)).toBe(2);
    expect(await storage.keyBackup.getVersion(userId, version, { lock: true })).toMatchObject({ authData: { public_key: 'new' }, etag: 2 });
  });

  it('stores, replaces, reads, counts and deletes sessions by scope', async () => {
    const { keyBackup } = getStorage();
    const userId = uniqueId('@');
    const version = await keyBackup.createVersion({ userId, algorithm: 'alg', authData: AUTH_DATA, createdTs: 1 });
    const other = await keyBackup.createVersion({ userId, algorithm: 'alg', authData: AUTH_DATA, createdTs: 1 });
    const roomA = '!a:test.example';
    const roomB = '!b:test.example';
    await keyBackup.putSessions(version, [session(roomB, 's1'), session(roomA, 's2'), session(roomA, 's1')]);
    await keyBackup.putSessions(other, [session(roomA, 's1')]);
    // uint32 message indices exceed PostgreSQL's integer.
    await keyBackup.putSessions(version, [session(roomA, 's1', { firstMessageIndex: 4_294_967_295, forwardedCount: 3, isVerified: true })]);

    expect(await keyBackup.countSessions(version)).toBe(3);
    expect((await keyBackup.getSessions(version)).map((s) => [s.roomId, s.sessionId])).toEqual([[roomA, 's1'], [roomA, 's2'], [roomB, 's1']]);
    expect(await keyBackup.getSessions(version, { roomId: roomA, sessionId: 's1' })).toEqual([
      session(roomA, 's1', { firstMessageIndex: 4_294_967_295, forwardedCount: 3, isVerified: true }),
    ]);
    expect((await keyBackup.getSessionsByKey(version, [
      { roomId: roomA, sessionId: 's2' }, { roomId: roomB, sessionId: 's1' }, { roomId: roomB, sessionId: 'nope' },
    ])).map((s) => `${s.roomId}/${s.sessionId}`).sort()).toEqual([`${roomA}/s2`, `${roomB}/s1`]);

    expect(await keyBackup.deleteSessions(version, { roomId: roomA, sessionId: 's2' })).toBe(1);
    expect(await keyBackup.deleteSessions(version, { roomId: roomB })).toBe(1);
    expect(await keyBackup.deleteSessions(version, { roomId: roomB })).toBe(0);
    expect(await keyBackup.countSessions(version)).toBe(1);
    expect(await keyBackup.deleteSessions(version)).toBe(1);
    expect(await keyBackup.countSessions(version)).toBe(0);
    // The other version was untouched; deleting a version takes its sessions with it.
    expect(await keyBackup.countSessions(other)).toBe(1);
    await keyBackup.markDeleted(other);
    expect(await keyBackup.countSessions(other)).toBe(0);
  });

  it('rolls session writes back with their transaction', async () => {
    const storage = getStorage();
    const userId = uniqueId('@');
    const version = await storage.keyBackup.createVersion({ userId, algorithm: 'alg', authData: AUTH_DATA, createdTs: 1 });
    await expect(storage.transaction(async (tx) => {
      await tx.keyBackup.putSessions(version, [session('!r:test.example', 's')]);
      await tx.keyBackup.bumpEtag(version);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await storage.keyBackup.countSessions(version)).toBe(0);
    expect((await storage.keyBackup.getVersion(userId, version))?.etag).toBe(0);
  });
});
