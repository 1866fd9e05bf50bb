import { expect, it } from 'vitest';
import { generateSigningKey } from '@parley/federation';
import { manualClock } from '../../clock.js';
import { configSchema, type Config } from '../../config/schema.js';
import { silentLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import type { Storage } from '../../storage/index.js';
import { OPENID_TOKEN_LIFETIME_MS } from './openid.js';
import { createAccountsService } from './service.js';
import { setServerAdmin } from './moderation.js';

const origin = { ip: '10.1.2.3', userAgent: 'test' };

function service(storage: Storage, notifier = createMemoryNotifier()) {
  const clock = manualClock(1_000_000);
  const config = { ...configSchema.parse({}), server_name: 'test.local' } as unknown as Config;
  const deps = { config, storage, notifier, clock, logger: silentLogger(), serverName: 'test.local', signingKey: generateSigningKey() };
  return { accounts: createAccountsService(deps), clock };
}

async function register(accounts: ReturnType<typeof service>['accounts'], options: { refreshToken?: boolean } = {}) {
  const local = `u${Math.random().toString(36).slice(2, 10)}`;
  const result = await accounts.register(
    { kind: 'user', username: local, password: 'pw', inhibitLogin: false, refreshToken: options.refreshToken ?? false, auth: { type: 'm.login.dummy' } },
    origin,
  );
  const session = result.session!;
  return { session, requester: await accounts.authenticate(session.accessToken, origin) };
}

forEachDatabase('accounts moderation and openid', (storage) => {
  it('openid tokens prove the user until they expire an hour later', async () => {
    const { accounts, clock } = service(storage());
    const { requester } = await register(accounts);
    const token = await accounts.requestOpenIdToken(requester, requester.userId);
    expect(token).toMatchObject({ serverName: 'test.local', expiresInS: 3600 });
    await expect(accounts.openIdUserInfo(token.accessToken)).resolves.toEqual({ sub: requester.userId });
    clock.advance(OPENID_TOKEN_LIFETIME_MS - 1);
    await expect(accounts.openIdUserInfo(token.accessToken)).resolves.toEqual({ sub: requester.userId });
    clock.advance(1);
    await expect(accounts.openIdUserInfo(token.accessToken)).rejects.toMatchObject({ status: 401, errcode: 'M_UNKNOWN_TOKEN' });
  });

  it('a lock refuses refresh until it is lifted, and the refresh token survives it', async () => {
    const { accounts } = service(storage());
    const { requester: admin } = await register(accounts);
    await setServerAdmin(storage().accounts, admin.userId, { admin: true });
    const { session, requester } = await register(accounts, { refreshToken: true });
    await accounts.setModerationFlag(admin, requester.userId, 'locked', true);
    await expect(accounts.refresh(session.refreshToken!)).rejects.toMatchObject({ status: 401, errcode: 'M_USER_LOCKED', extra: { soft_logout: true } });
    await expect(accounts.authenticate(session.accessToken, origin)).rejects.toMatchObject({ errcode: 'M_USER_LOCKED' });
    await expect(accounts.authenticate(session.accessToken, origin, { allowLocked: true })).resolves.toMatchObject({ userId: requester.userId });
    await accounts.setModerationFlag(admin, requester.userId, 'locked', false);
    await expect(accounts.refresh(session.refreshToken!)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('a suspension shows at once in isSuspended, though it is cached', async () => {
    const { accounts } = service(storage());
    const { requester: admin } = await register(accounts);
    await setServerAdmin(storage().accounts, admin.userId, { admin: true });
    const { requester } = await register(accounts);
    expect(await accounts.isSuspended(requester.userId)).toBe(false);
    await accounts.setModerationFlag(admin, requester.userId, 'suspended', true);
    expect(await accounts.isSuspended(requester.userId)).toBe(true);
    await accounts.setModerationFlag(admin, requester.userId, 'suspended', false);
    expect(await accounts.isSuspended(requester.userId)).toBe(false);
  });

  it('a change made by one process reaches the cache of another through the notifier', async () => {
    const notifier = createMemoryNotifier();
    const first = service(storage(), notifier).accounts;
    const second = service(storage(), notifier).accounts;
    const { requester: admin } = await register(first);
    await setServerAdmin(storage().accounts, admin.userId, { admin: true });
    const { session, requester } = await register(first);
    expect(await second.isSuspended(requester.userId)).toBe(false);
    await expect(second.authenticate(session.accessToken, origin)).resolves.toMatchObject({ userId: requester.userId });
    await first.setModerationFlag(admin, requester.userId, 'suspended', true);
    await first.setModerationFlag(admin, requester.userId, 'locked', true);
    expect(await second.isSuspended(requester.userId)).toBe(true);
    await expect(second.authenticate(session.accessToken, origin)).rejects.toMatchObject({ errcode: 'M_USER_LOCKED' });
  });
});
