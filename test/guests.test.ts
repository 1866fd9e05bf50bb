/**
 * Guest access over HTTP: guest registration (off by default), the endpoints a guest may call, joining only rooms
 * whose `m.room.guest_access` is `can_join`, sync as a guest (matrix-js-sdk), and upgrading to a full account.
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http.js';
import { createSdkClient } from './support/clients.js';
import { forEachDialect, registerUser, startTestHomeserver, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';

const REGISTER = '/_matrix/client/v3/register';
const WHOAMI = '/_matrix/client/v3/account/whoami';

interface Guest {
  userId: string;
  accessToken: string;
  deviceId: string;
}

async function registerGuest(server: TestHomeserver, body: Record<string, unknown> = {}): Promise<Guest> {
  const response = await api(server, 'POST', `${REGISTER}?kind=guest`, { body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { userId: response.body.user_id as string, accessToken: response.body.access_token as string, deviceId: response.body.device_id as string };
}

describe('guest registration when guests are off (the default)', () => {
  let server: TestHomeserver;
  beforeAll(async () => {
    server = await startTestHomeserver({ config: { registration: { allow_guests: false } } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 403 M_GUEST_ACCESS_FORBIDDEN and still registers users', async () => {
    const guest = await api(server, 'POST', `${REGISTER}?kind=guest`, { body: {} });
    expect(guest.status).toBe(403);
    expect(guest.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
    await expect(registerUser(server, uniqueLocalpart('user'))).resolves.toMatchObject({ accessToken: expect.any(String) });
  });
});

forEachDialect('guest registration', (server) => {
  it('needs no auth, ignores username, password and device_id, and gives a numeric guest ID', async () => {
    const wanted = uniqueLocalpart('wanted');
    const response = await api(server(), 'POST', `${REGISTER}?kind=guest`, {
      body: { username: wanted, password: 'pw', device_id: 'CHOSEN', initial_device_display_name: 'Guest phone', inhibit_login: true, refresh_token: 'not-a-boolean' },
    });
    expect(response.status).toBe(200);
    const { user_id: userId, access_token: accessToken, device_id: deviceId } = response.body as Record<string, string>;
    expect(userId).toMatch(new RegExp(`^@[0-9]+:${server().serverName.replace('.', '\\.')}$`));
    expect(typeof accessToken).toBe('string');
    expect(deviceId).not.toBe('CHOSEN');
    expect(response.body.refresh_token).toBeUndefined();
    const whoami = await api(server(), 'GET', WHOAMI, { token: accessToken });
    expect(whoami.body).toEqual({ user_id: userId, device_id: deviceId, is_guest: true });
    const device = await api(server(), 'GET', `/_matrix/client/v3/devices/${deviceId}`, { token: accessToken });
    expect(device.status).toBe(200);
    expect(device.body.display_name).toBe('Guest phone');
    const taken = await api(server(), 'GET', `${REGISTER}/available?username=${wanted}`);
    expect(taken.body).toEqual({ available: true });
  });

  it('gives each guest its own user ID', async () => {
    const guests = await Promise.all([registerGuest(server()), registerGuest(server()), registerGuest(server())]);
    expect(new Set(guests.map((guest) => guest.userId)).size).toBe(3);
  });

  it('checks the device display name it keeps', async () => {
    const response = await api(server(), 'POST', `${REGISTER}?kind=guest`, { body: { initial_device_display_name: 'x'.repeat(1000) } });
    expect(response.status).toBe(400);
    expect(response.body.errcode).toBe('M_TOO_LARGE');
  });

  it('registers a guest through matrix-js-sdk', async () => {
    const client = createSdkClient(server(), { userId: '', accessToken: '', deviceId: '' });
    const registered = await client.registerGuest({ body: {} });
    expect(registered.user_id).toMatch(/^@[0-9]+:/);
    expect(registered.access_token).toEqual(expect.any(String));
  });
});
