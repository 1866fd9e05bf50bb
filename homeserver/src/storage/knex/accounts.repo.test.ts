import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';

const fresh = (prefix: string): string => `${prefix}${randomBytes(4).toString('hex')}`;
const hash = (): string => randomBytes(32).toString('hex');

forEachDatabase('AccountStore', (storage) => {
  it('creates a user once and reports a taken ID', async () => {
    const userId = `@${fresh('u')}:test`;
    const store = storage().accounts;
    expect(await store.createUser({ userId, passwordHash: 'h1', createdTs: 10, isGuest: false })).toBe(true);
    expect(await store.createUser({ userId, passwordHash: 'h2', createdTs: 11, isGuest: false })).toBe(false);
    expect(await store.getUser(userId)).toEqual({ userId, passwordHash: 'h1', createdTs: 10, isGuest: false, isAdmin: false, deactivatedTs: null, suspendedTs: null, lockedTs: null });
    expect(await store.getUser(`@${fresh('nobody')}:test`)).toBeNull();
  });

  it('keeps a transaction usable after a taken user ID (savepoint)', async () => {
    const userId = `@${fresh('u')}:test`;
    await storage().accounts.createUser({ userId, passwordHash: null, createdTs: 1, isGuest: false });
    const other = `@${fresh('u')}:test`;
    await storage().transaction(async (tx) => {
      expect(await tx.accounts.createUser({ userId, passwordHash: null, createdTs: 1, isGuest: false })).toBe(false);
      expect(await tx.accounts.createUser({ userId: other, passwordHash: null, createdTs: 1, isGuest: false })).toBe(true);
    });
    expect(await storage().accounts.getUser(other)).not.toBeNull();
  });

  it('numbers guests without repeats, lists guests and upgrades a guest once', async () => {
    const store = storage().accounts;
    const numbers = await Promise.all([store.nextGuestNumber(), store.nextGuestNumber(), store.nextGuestNumber()]);
    expect(new Set(numbers).size).toBe(3);
    expect(await store.nextGuestNumber()).toBeGreaterThan(Math.max(...numbers));
    const guest = `@${fresh('g')}:test`;
    const full = `@${fresh('u')}:test`;
    await store.createUser({ userId: guest, passwordHash: null, createdTs: 1, isGuest: true });
    await store.createUser({ userId: full, passwordHash: null, createdTs: 1, isGuest: false });
    expect(await store.guestsAmong([guest, full, `@${fresh('nobody')}:test`, guest])).toEqual([guest]);
    const tokenHash = hash();
    await store.addAccessToken({ tokenHash, userId: guest, deviceId: null, createdTs: 1, expiresTs: null, refreshTokenId: null });
    expect((await store.findAccessToken(tokenHash))?.isGuest).toBe(true);
    expect(await store.upgradeGuest(guest, 'h')).toBe(true);
    expect(await store.upgradeGuest(guest, 'other')).toBe(false);
    expect(await store.upgradeGuest(full, 'h')).toBe(false);
    expect(await store.getUser(guest)).toMatchObject({ isGuest: false, passwordHash: 'h' });
    expect((await store.findAccessToken(tokenHash))?.isGuest).toBe(false);
    expect(await store.guestsAmong([guest])).toEqual([]);
  });

  it('deactivation forgets the password and shows on the token owner', async () => {
    const store = storage().accounts;
    const userId = `@${fresh('u')}:test`;
    await store.createUser({ userId, passwordHash: 'secret', createdTs: 1, isGuest: false });
    const tokenHash = hash();
    await store.addAccessToken({ tokenHash, userId, deviceId: null, createdTs: 1, expiresTs: null, refreshTokenId: null });
    expect((await store.findAccessToken(tokenHash))?.deactivated).toBe(false);
    await store.markDeactivated(userId, 99);
    expect(await store.getUser(userId)).toMatchObject({ passwordHash: null, deactivatedTs: 99 });
    expect((await store.findAccessToken(tokenHash))?.deactivated).toBe(true);
  });

  it('sets and clears the admin, suspended and locked flags; a lock shows on the token owner', async () => {
    const store = storage().accounts;
    const userId = `@${fresh('u')}:test`;
    await store.createUser({ userId, passwordHash: null, createdTs: 1, isGuest: false });
    const tokenHash = hash();
    await store.addAccessToken({ tokenHash, userId, deviceId: null, createdTs: 1, expiresTs: null, refreshTokenId: null });
    expect(await store.setUserFlags(userId, { isAdmin: true, suspendedTs: 7 })).toBe(true);
    expect(await store.getUser(userId)).toMatchObject({ isAdmin: true, suspendedTs: 7, lockedTs: null });
    expect((await store.findAccessToken(tokenHash))?.locked).toBe(false);
    expect(await store.setUserFlags(userId, { lockedTs: 8, suspendedTs: null })).toBe(true);
    expect(await store.getUser(userId)).toMatchObject({ isAdmin: true, suspendedTs: null, lockedTs: 8 });
    expect((await store.findAccessToken(tokenHash))?.locked).toBe(true);
    expect(await store.setUserFlags(userId, { lockedTs: null, isAdmin: false })).toBe(true);
    expect(await store.getUser(userId)).toMatchObject({ isAdmin: false, lockedTs: null });
    expect(await store.setUserFlags(`@${fresh('nobody')}:test`, { isAdmin: true })).toBe(false);
  });

  it('creates devices once, records sightings, renames, and deletes them with their tokens', async () => {
    const store = storage().accounts;
    const userId = `@${fresh('u')}:test`;
    await store.createUser({ userId, passwordHash: null, createdTs: 1, isGuest: false });
    expect(await store.ensureDevice({ userId, deviceId: 'AAA', displayName: 'phone', createdTs: 5 })).toBe(true);
    expect(await store.ensureDevice({ userId, deviceId: 'AAA', displayName: 'other', createdTs: 6 })).toBe(false);
    expect(await store.ensureDevice({ userId, deviceId: 'BBB', displayName: null, createdTs: 7 })).toBe(true);
    await store.recordDeviceSighting(userId, 'AAA', { ts: 50, ip: '10.0.0.1', userAgent: 'ua' });
    expect(await store.getDevice(userId, 'AAA')).toEqual({
      userId,
      deviceId: 'AAA',
      displayName: 'phone',
      createdTs: 5,
      lastSeenTs: 50,
      lastSeenIp: '10.0.0.1',
      lastSeenUserAgent: 'ua',
    });
    expect(await store.setDeviceDisplayName(userId, 'BBB', 'laptop')).toBe(true);
    expect(await store.setDeviceDisplayName(userId, 'ZZZ', 'x')).toBe(false);
    expect((await store.listDevices(userId)).map((device) => [device.deviceId, device.displayName])).toEqual([
      ['AAA', 'phone'],
      ['BBB', 'laptop'],
    ]);

    const tokenA = hash();
    const tokenB = hash();
    await store.addAccessToken({ tokenHash: tokenA, userId, deviceId: 'AAA', createdTs: 1, expiresTs: null, refreshTokenId: null });
    await store.addAccessToken({ tokenHash: tokenB, userId, deviceId: 'BBB', createdTs: 1, expiresTs: null, refreshTokenId: null });
    const refresh = hash();
    await store.addRefreshToken({ tokenHash: refresh, userId, deviceId: 'AAA', createdTs: 1 });
    expect(await store.deleteDevices(userId, ['AAA', 'NOPE'])).toEqual(['AAA']);
    expect(await store.findAccessToken(tokenA)).toBeNull();
    expect(await store.findRefreshToken(refresh)).toBeNull();
    expect(await store.findAccessToken(tokenB)).not.toBeNull();
    expect((await store.listDevices(userId)).map((device) => device.deviceId)).toEqual(['BBB']);
  });

  it('retires a refresh token and its access tokens once its successor is used', async () => {
    const store = storage().accounts;
    const userId = `@${fresh('u')}:test`;
    await store.createUser({ userId, passwordHash: null, createdTs: 1, isGuest: false });
    const firstHash = hash();
    const first = await store.addRefreshToken({ tokenHash: firstHash, userId, deviceId: 'D', createdTs: 1 });
    const oldAccess = hash();
    await store.addAccessToken({ tokenHash: oldAccess, userId, deviceId: 'D', createdTs: 1, expiresTs: 100, refreshTokenId: first });
    const secondHash = hash();
    const second = await store.addRefreshToken({ tokenHash: secondHash, userId, deviceId: 'D', createdTs: 2 });
    const newAccess = hash();
    const newAccessId = await store.addAccessToken({ tokenHash: newAccess, userId, deviceId: 'D', createdTs: 2, expiresTs: 200, refreshTokenId: second });
    expect(await store.claimRefreshToken(first, { expectedNextTokenId: null, nextTokenId: second })).toBe(true);
    // A second exchange expecting no successor loses: only one exchange of a token wins.
    expect(await store.claimRefreshToken(first, { expectedNextTokenId: null, nextTokenId: second + 1000 })).toBe(false);

    const owner = await store.findAccessToken(newAccess);
    expect(owner).toMatchObject({ id: newAccessId, used: false, expiresTs: 200, refreshTokenId: second });
    await store.markAccessTokenUsed(newAccessId);
    expect(await store.retirePredecessors(second, { ts: 10, forgetRevokedBefore: 0 })).toEqual([first]);
    expect((await store.findAccessToken(newAccess))?.used).toBe(true);
    expect(await store.findAccessToken(oldAccess)).toBeNull();
    expect(await store.findRefreshToken(secondHash)).toMatchObject({ id: second, nextTokenId: null, revoked: false });
    // The retired token is kept, revoked, so a replay is recognised; a revoked token cannot be exchanged.
    expect(await store.findRefreshToken(firstHash)).toMatchObject({ id: first, revoked: true });
    expect(await store.claimRefreshToken(first, { expectedNextTokenId: second, nextTokenId: second + 1000 })).toBe(false);
    // Retiring again finds nothing new; revoked tokens older than forgetRevokedBefore are deleted.
    expect(await store.retirePredecessors(second, { ts: 20, forgetRevokedBefore: 11 })).toEqual([]);
    expect(await store.findRefreshToken(firstHash)).toMatchObject({ revoked: true });
    const third = await store.addRefreshToken({ tokenHash: hash(), userId, deviceId: 'D', createdTs: 3 });
    expect(await store.claimRefreshToken(second, { expectedNextTokenId: null, nextTokenId: third })).toBe(true);
    expect(await store.retirePredecessors(third, { ts: 30, forgetRevokedBefore: 11 })).toEqual([second]);
    expect(await store.findRefreshToken(firstHash)).toBeNull();
  });

  it('revokes refresh tokens with their access tokens', async () => {
    const store = storage().accounts;
    const userId = `@${fresh('u')}:test`;
    await store.createUser({ userId, passwordHash: null, createdTs: 1, isGuest: false });
    const refreshHash = hash();
    const id = await store.addRefreshToken({ tokenHash: refreshHash, userId, deviceId: 'D', createdTs: 1 });
    const access = hash();
    await store.addAccessToken({ tokenHash: access, userId, deviceId: 'D', createdTs: 1, expiresTs: 100, refreshTokenId: id });
    await store.revokeRefreshTokens([id], 5);
    expect(await store.findRefreshToken(refreshHash)).toMatchObject({ revoked: true });
    expect(await store.findAccessToken(access)).toBeNull();
  });

  it('stores UIA sessions and expires old ones', async () => {
    const store = storage().accounts;
    const sessionId = fresh('s');
    await store.createUiaSession({ sessionId, operation: 'POST /register', userId: null, completed: [], data: {}, createdTs: 1_000 });
    await store.updateUiaSession(sessionId, { completed: ['m.login.dummy'], data: { registration_token: 'abc' } });
    expect(await store.getUiaSession(sessionId)).toEqual({
      sessionId,
      operation: 'POST /register',
      userId: null,
      completed: ['m.login.dummy'],
      data: { registration_token: 'abc' },
      createdTs: 1_000,
    });
    const expired = await store.deleteUiaSessionsBefore(1_001);
    expect(expired.map((session) => session.sessionId)).toContain(sessionId);
    expect(await store.getUiaSession(sessionId)).toBeNull();
  });

  it('lets one request claim a UIA session, keeps its result for retries, and expires both together', async () => {
    const store = storage().accounts;
    const sessionId = fresh('c');
    await store.createUiaSession({ sessionId, operation: 'POST /register', userId: null, completed: ['m.login.dummy'], data: { k: 'v' }, createdTs: 2_000 });
    const claims = await Promise.all([1, 2, 3].map(() => store.claimUiaSession(sessionId)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimUiaSession(fresh('missing'))).toBe(false);
    expect((await store.getUiaSession(sessionId))?.claim).toEqual({ result: null });
    await store.completeUiaSession(sessionId, '{"user_id":"@a:hs"}');
    expect(await store.getUiaSession(sessionId)).toMatchObject({ data: {}, claim: { result: '{"user_id":"@a:hs"}' } });
    // The claim's own row is never read as a session.
    expect(await store.getUiaSession(`${sessionId}/claim`)).toBeNull();
    const expired = (await store.deleteUiaSessionsBefore(2_001)).filter((session) => session.sessionId.startsWith(sessionId));
    expect(expired).toEqual([expect.objectContaining({ sessionId, claim: { result: null } })]);
    expect(await store.getUiaSession(sessionId)).toBeNull();
    expect(await store.claimUiaSession(sessionId)).toBe(false);
  });

  it('counts registration token uses', async () => {
    const store = storage().accounts;
    const tokenHash = hash();
    expect(await store.createRegistrationToken({ tokenHash, usesAllowed: 2, expiryTs: null, createdTs: 1 })).toBe(true);
    expect(await store.createRegistrationToken({ tokenHash, usesAllowed: 5, expiryTs: null, createdTs: 1 })).toBe(false);
    await store.adjustRegistrationToken(tokenHash, { pending: 1 });
    await store.adjustRegistrationToken(tokenHash, { pending: 1 });
    await store.adjustRegistrationToken(tokenHash, { pending: -1, completed: 1 });
    expect(await store.getRegistrationToken(tokenHash)).toEqual({ tokenHash, usesAllowed: 2, pending: 1, completed: 1, expiryTs: null, createdTs: 1 });
  });

  it('reserves a registration token use only while one is left and it has not expired', async () => {
    const store = storage().accounts;
    const once = hash();
    await store.createRegistrationToken({ tokenHash: once, usesAllowed: 1, expiryTs: null, createdTs: 1 });
    const attempts = await Promise.all([1, 2, 3, 4].map(() => store.reserveRegistrationToken(once, 10)));
    expect(attempts.filter(Boolean)).toHaveLength(1);
    expect(await store.getRegistrationToken(once)).toMatchObject({ pending: 1, completed: 0 });
    const expiring = hash();
    await store.createRegistrationToken({ tokenHash: expiring, usesAllowed: null, expiryTs: 50, createdTs: 1 });
    expect(await store.reserveRegistrationToken(expiring, 49)).toBe(true);
    expect(await store.reserveRegistrationToken(expiring, 50)).toBe(false);
    expect(await store.reserveRegistrationToken(hash(), 1)).toBe(false);
  });
});
