import { expect, it } from 'vitest';
import { generateSigningKey } from '@parley/federation';
import { manualClock } from '../../clock.js';
import { configSchema, type Config } from '../../config/schema.js';
import { silentLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import type { Storage } from '../../storage/index.js';
import { createAccountsService } from './service.js';
import type { DeviceChange } from './types.js';
import { UiaChallenge } from './uia.js';

const origin = { ip: '10.1.2.3', userAgent: 'test' };

function service(storage: Storage, mode: 'open' | 'token' = 'open') {
  const parsed = configSchema.parse({ registration: { mode } });
  const clock = manualClock(1_000_000);
  const config = { ...parsed, server_name: 'test.local' } as unknown as Config;
  const deps = { config, storage, notifier: createMemoryNotifier(), clock, logger: silentLogger(), serverName: 'test.local', signingKey: generateSigningKey() };
  return { accounts: createAccountsService(deps), clock };
}

forEachDatabase('accounts service', (storage) => {
  it('calls the registered, device and deactivated hooks', async () => {
    const { accounts } = service(storage());
    const events: string[] = [];
    accounts.onRegistered(({ userId }) => void events.push(`registered ${userId}`));
    accounts.onDeviceChanged((change: DeviceChange) => void events.push(`${change.kind} ${change.deviceId}`));
    accounts.onDeactivated(({ userId }) => void events.push(`deactivated ${userId}`));
    accounts.onDeactivated(() => {
      throw new Error('a failing listener does not stop the operation');
    });
    const local = `hooks${Date.now()}`;
    const result = await accounts.register(
      { kind: 'user', username: local, password: 'pw', deviceId: 'DEV1', inhibitLogin: false, refreshToken: false, auth: { type: 'm.login.dummy' } },
      origin,
    );
    const requester = await accounts.authenticate(result.session?.accessToken, origin);
    expect(requester).toMatchObject({ userId: `@${local}:test.local`, deviceId: 'DEV1', isGuest: false });
    await accounts.updateDevice(requester.userId, 'DEV1', 'Phone');
    await expect(accounts.deactivate(requester, {})).rejects.toBeInstanceOf(UiaChallenge);
    let session = '';
    try {
      await accounts.deactivate(requester, {});
    } catch (error) {
      session = ((error as UiaChallenge).body.session as string) ?? '';
    }
    await accounts.deactivate(requester, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: local }, password: 'pw', session } });
    expect(events).toEqual([`registered @${local}:test.local`, 'created DEV1', 'updated DEV1', 'deleted DEV1', `deactivated @${local}:test.local`]);
    expect(await accounts.isDeactivated(requester.userId)).toBe(true);
    await expect(accounts.authenticate(result.session?.accessToken, origin)).rejects.toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
  });

  it('uses up a registration token and forgets UIA sessions after their lifetime', async () => {
    const { accounts, clock } = service(storage(), 'token');
    const { token } = await accounts.createRegistrationToken({ usesAllowed: 1 });
    const request = { kind: 'user' as const, inhibitLogin: true, refreshToken: false };
    await expect(accounts.register({ ...request, auth: { type: 'm.login.registration_token', token } }, origin)).resolves.toMatchObject({ session: null });
    expect(await accounts.registrationTokenValid(token)).toBe(false);

    const second = await accounts.createRegistrationToken({ usesAllowed: 1 });
    const challenge = await accounts.register(request, origin).catch((error: unknown) => error);
    expect(challenge).toBeInstanceOf(UiaChallenge);
    const session = (challenge as UiaChallenge).body.session as string;
    clock.advance(2 * 60 * 60 * 1000);
    await expect(
      accounts.register({ ...request, auth: { type: 'm.login.registration_token', token: second.token, session } }, origin),
    ).rejects.toMatchObject({ errcode: 'M_UNKNOWN' });
    expect(await accounts.registrationTokenValid(second.token)).toBe(true);
  });
});
