import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';

forEachDatabase('UserDataStore', (getStorage) => {
  it('saves, replaces and deletes a profile with extended fields', async () => {
    const { userData } = getStorage();
    const userId = uniqueId('@');
    expect(await userData.getProfile(userId)).toBeNull();
    await userData.saveProfile(userId, { displayname: 'Alice', avatar_url: 'mxc://x/y', 'm.tz': 'Europe/Paris' }, 10);
    expect(await userData.getProfile(userId)).toEqual({
      userId,
      fields: { displayname: 'Alice', avatar_url: 'mxc://x/y', 'm.tz': 'Europe/Paris' },
      updatedTs: 10,
    });
    await userData.saveProfile(userId, { 'org.example.flag': null, 'org.example.list': [1, 'a'] }, 20);
    expect((await userData.getProfile(userId))?.fields).toEqual({ 'org.example.flag': null, 'org.example.list': [1, 'a'] });
    await userData.deleteProfile(userId);
    expect(await userData.getProfile(userId)).toBeNull();
  });

  it('searches profiles by user ID or displayname, case-insensitively, treating LIKE wildcards literally', async () => {
    const { userData } = getStorage();
    const tag = uniqueId('$').slice(1, 8).toLowerCase().replace(/[^a-z0-9]/g, 'q');
    const zed = `@zed${tag}:test.example`;
    const amy = `@amy${tag}:test.example`;
    await userData.saveProfile(zed, { displayname: `Zed 100%_${tag.toUpperCase()}` }, 1);
    await userData.saveProfile(amy, {}, 1);
    const byId = await userData.searchProfiles(tag, 10);
    expect(byId.map((p) => p.userId)).toEqual([amy, zed]);
    expect(await userData.searchProfiles(`100%_${tag}`, 10)).toEqual([{ userId: zed, displayname: `Zed 100%_${tag.toUpperCase()}`, avatarUrl: null }]);
    // `%` must not act as a wildcard: "1%0" is not in the name.
    expect(await userData.searchProfiles(`1%0%_${tag}`, 10)).toEqual([]);
    expect(await userData.searchProfiles(tag, 1)).toHaveLength(1);
    expect((await userData.getDirectoryProfiles([zed, uniqueId('@')])).map((p) => p.userId)).toEqual([zed]);
  });

  it('keeps the latest account data per type and reads changes between stream positions', async () => {
    const storage = getStorage();
    const userId = uniqueId('@');
    const roomId = uniqueId('!');
    const write = (roomId: string | null, type: string, content: Record<string, string>) =>
      storage.transaction(async (tx) => {
        const streamPosition = await tx.streams.next('account_data');
        await tx.userData.putAccountData({ userId, roomId, type, content, streamPosition });
        return streamPosition;
      });
    const first = await write(null, 'org.example.a', { v: '1' });
    const second = await write(roomId, 'org.example.a', { v: 'room' });
    const third = await write(null, 'org.example.a', { v: '2' });
    expect(await storage.userData.getAccountData(userId, null, 'org.example.a')).toEqual({ v: '2' });
    expect(await storage.userData.getAccountData(userId, roomId, 'org.example.a')).toEqual({ v: 'room' });
    // No fallback from room to global.
    expect(await storage.userData.getAccountData(userId, roomId, 'org.example.b')).toBeNull();

    const all = await storage.userData.getAccountDataChanges(userId, 0, third);
    expect(all.map((r) => [r.roomId, r.content.v, r.streamPosition])).toEqual([
      [roomId, 'room', second],
      [null, '2', third],
    ]);
    const later = await storage.userData.getAccountDataChanges(userId, second, third);
    expect(later.map((r) => r.content.v)).toEqual(['2']);
    expect(await storage.userData.getAccountDataChanges(userId, first - 1, first)).toEqual([]);
    expect(await storage.userData.getAccountDataChanges(uniqueId('@'), 0, third)).toEqual([]);
  });

  it('measures account data usage in UTF-8 bytes, leaving out one entry and the exempt types', async () => {
    const storage = getStorage();
    const userId = uniqueId('@');
    const roomId = uniqueId('!');
    const put = (roomId: string | null, type: string, content: Record<string, string>) =>
      storage.transaction(async (tx) => {
        await tx.userData.putAccountData({ userId, roomId, type, content, streamPosition: await tx.streams.next('account_data') });
      });
    await put(null, 'org.example.a', { v: 'é' }); // {"v":"é"} is 10 bytes, 9 characters
    await put(roomId, 'org.example.a', { v: 'xy' }); // 10 bytes
    await put(roomId, 'm.fully_read', { event_id: '$e' }); // exempt below
    const usage = (except: { roomId: string | null; type: string }) =>
      storage.userData.getAccountDataUsage(userId, { except, exemptTypes: ['m.fully_read'] });
    expect(await usage({ roomId: null, type: 'org.example.new' })).toEqual({ entries: 2, bytes: 20, exceptBytes: null });
    expect(await usage({ roomId: null, type: 'org.example.a' })).toEqual({ entries: 1, bytes: 10, exceptBytes: 10 });
    expect(await usage({ roomId, type: 'org.example.a' })).toEqual({ entries: 1, bytes: 10, exceptBytes: 10 });
    expect(await storage.userData.getAccountDataUsage(uniqueId('@'), { except: { roomId: null, type: 'x' }, exemptTypes: [] })).toEqual({
      entries: 0,
      bytes: 0,
      exceptBytes: null,
    });
  });

  it('stores reports and lists them newest first with a cursor', async () => {
    const { userData } = getStorage();
    const reporterId = uniqueId('@');
    const base = { reporterId, roomId: null, eventId: null, targetUserId: null, reason: 'spam', score: null, receivedTs: 5 };
    const a = await userData.addReport({ ...base, kind: 'user', targetUserId: uniqueId('@') });
    const b = await userData.addReport({ ...base, kind: 'event', roomId: uniqueId('!'), eventId: uniqueId('$'), score: -100 });
    expect(b).toBeGreaterThan(a);
    const [newest] = await userData.listReports({ limit: 1 });
    expect(newest).toMatchObject({ reportId: b, kind: 'event', score: -100, reason: 'spam', reporterId });
    const older = await userData.listReports({ limit: 1, beforeId: b });
    expect(older[0]?.reportId).toBe(a);
  });
});
