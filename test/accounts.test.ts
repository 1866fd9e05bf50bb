/**
 * Accounts through matrix-js-sdk 37.5.0, unmodified: register via user-interactive auth, log in with a password,
 * whoami, devices, capabilities, logout. Runs on SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 */
import { afterEach, expect, it } from 'vitest';
import { MatrixError, type MatrixClient } from 'matrix-js-sdk';
import { createAnonymousSdkClient, createSdkClient, stopClient } from './support/clients.js';
import { forEachDialect, uniqueLocalpart } from './support/homeserver.js';

const clients: MatrixClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) stopClient(client);
});

function track(client: MatrixClient): MatrixClient {
  clients.push(client);
  return client;
}

forEachDialect('accounts with matrix-js-sdk', (server) => {
  it('registers through the UIA dummy flow, logs in, and sees its devices', async () => {
    const anonymous = track(createAnonymousSdkClient(server()));
    const localpart = uniqueLocalpart('sdk');

    // First request without auth: the 401 lists the flows and a session.
    let session: string | undefined;
    try {
      await anonymous.registerRequest({ username: localpart, password: 'correct horse' });
      expect.unreachable('registration without auth must answer 401');
    } catch (error) {
      expect(error).toBeInstanceOf(MatrixError);
      const matrixError = error as MatrixError;
      expect(matrixError.httpStatus).toBe(401);
      expect(matrixError.data.flows).toEqual([{ stages: ['m.login.dummy'] }]);
      session = matrixError.data.session as string;
      expect(typeof session).toBe('string');
    }
    const registered = await anonymous.registerRequest({
      username: localpart,
      password: 'correct horse',
      initial_device_display_name: 'first device',
      auth: { type: 'm.login.dummy', session },
    });
    expect(registered.user_id).toBe(`@${localpart}:${server().serverName}`);
    expect(registered.access_token).toBeTruthy();
    expect(registered.device_id).toBeTruthy();

    const login = await anonymous.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: localpart },
      password: 'correct horse',
      initial_device_display_name: 'second device',
    });
    expect(login.user_id).toBe(registered.user_id);
    expect(login.device_id).not.toBe(registered.device_id);

    const client = track(createSdkClient(server(), { userId: login.user_id, accessToken: login.access_token, deviceId: login.device_id }));
    const whoami = await client.whoami();
    expect(whoami).toEqual({ user_id: login.user_id, device_id: login.device_id, is_guest: false });

    const { devices } = await client.getDevices();
    expect(devices.map((device) => device.device_id).sort()).toEqual([registered.device_id, login.device_id].sort());
    expect(devices.find((device) => device.device_id === login.device_id)?.display_name).toBe('second device');

    const capabilities = await client.getCapabilities();
    expect(capabilities['m.change_password']).toEqual({ enabled: true });
    expect(capabilities['m.room_versions']?.default).toBe('12');

    await client.logout(true);
    await expect(client.whoami()).rejects.toMatchObject({ httpStatus: 401, errcode: 'M_UNKNOWN_TOKEN' });
  });

  it('renames and deletes a device with password UIA through the SDK', async () => {
    const anonymous = track(createAnonymousSdkClient(server()));
    const localpart = uniqueLocalpart('dev');
    const first = await anonymous.registerRequest({ username: localpart, password: 'pw-one', auth: { type: 'm.login.dummy' } });
    const second = await anonymous.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'pw-one' });
    const client = track(createSdkClient(server(), { userId: first.user_id, accessToken: first.access_token as string, deviceId: first.device_id as string }));

    await client.setDeviceDetails(second.device_id, { display_name: 'Renamed' });
    expect((await client.getDevice(second.device_id)).display_name).toBe('Renamed');

    let session: string | undefined;
    try {
      await client.deleteDevice(second.device_id);
      expect.unreachable('deleting a device needs UIA');
    } catch (error) {
      expect((error as MatrixError).httpStatus).toBe(401);
      expect((error as MatrixError).data.flows).toEqual([{ stages: ['m.login.password'] }]);
      session = (error as MatrixError).data.session as string;
    }
    await client.deleteDevice(second.device_id, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: first.user_id },
      password: 'pw-one',
      session,
    });
    const { devices } = await client.getDevices();
    expect(devices.map((device) => device.device_id)).toEqual([first.device_id]);
  });
});
