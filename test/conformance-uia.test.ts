/**
 * User-interactive auth edge cases the conformance suites check (issue 9, point 10), over raw HTTP: the 401 body
 * always has `completed`, registration remembers the first request's parameters (`device_id`, `inhibit_login`,
 * username and password), a retry of a finished session answers as the first request did, and another user's
 * identity in UIA is 403. SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#user-interactive-authentication-api
 */
import { expect, it } from 'vitest';
import { api, type ApiResponse } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const V3 = '/_matrix/client/v3';
const REGISTER = `${V3}/register`;
const enc = encodeURIComponent;

function passwordAuth(user: Pick<TestUser, 'userId' | 'password'>, session?: unknown) {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, ...(session ? { session } : {}) };
}

function login(server: TestHomeserver, userId: string, password: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> {
  return api(server, 'POST', `${V3}/login`, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password, ...extra } });
}

async function loginDevice(server: TestHomeserver, user: TestUser, deviceId: string): Promise<string> {
  const logged = await login(server, user.userId, user.password, { device_id: deviceId });
  expect(logged.status).toBe(200);
  return logged.body.access_token as string;
}

forEachDialect('user-interactive auth edge cases', (server) => {
  it('every 401 of UIA has `completed`, an empty list before the first stage', async () => {
    const user = await registerUser(server(), uniqueLocalpart('c'));
    const challenges = [
      await api(server(), 'POST', REGISTER, { body: { username: uniqueLocalpart('c') } }),
      await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: { new_password: 'n' } }),
      await api(server(), 'DELETE', `${V3}/devices/${enc(user.deviceId)}`, { token: user.accessToken, body: {} }),
      await api(server(), 'POST', `${V3}/delete_devices`, { token: user.accessToken, body: { devices: [user.deviceId] } }),
    ];
    for (const challenge of challenges) {
      expect(challenge.status).toBe(401);
      expect(challenge.body).toMatchObject({ completed: [], session: expect.any(String), flows: expect.any(Array), params: {} });
    }
    // A failed stage keeps the list (still empty here) beside its errcode.
    const wrong = await api(server(), 'POST', `${V3}/account/password`, {
      token: user.accessToken,
      body: { new_password: 'n', auth: { ...passwordAuth(user, challenges[1]?.body.session), password: 'not-it' } },
    });
    expect(wrong).toMatchObject({ status: 401, body: { errcode: 'M_FORBIDDEN', completed: [] } });
  });

  it('registration remembers the first request’s parameters when the next sends only auth', async () => {
    const localpart = uniqueLocalpart('remember');
    const password = 'sUp3rs3kr1t';
    const first = await api(server(), 'POST', REGISTER, {
      body: { username: localpart, password, device_id: 'XYZZY', initial_device_display_name: 'display name' },
    });
    expect(first.status).toBe(401);
    const done = await api(server(), 'POST', REGISTER, { body: { auth: { type: 'm.login.dummy', session: first.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ user_id: `@${localpart}:${server().serverName}`, device_id: 'XYZZY' });
    const token = done.body.access_token as string;
    const device = await api(server(), 'GET', `${V3}/devices/XYZZY`, { token });
    expect(device.body).toMatchObject({ device_id: 'XYZZY', display_name: 'display name' });
    expect((await login(server(), done.body.user_id as string, password)).status).toBe(200);
  });

  it('inhibit_login on the first request only still returns no device and creates none', async () => {
    const localpart = uniqueLocalpart('inhibit');
    const password = 'pw-inhibit';
    const first = await api(server(), 'POST', REGISTER, { body: { username: localpart, password, inhibit_login: true } });
    expect(first.status).toBe(401);
    const done = await api(server(), 'POST', REGISTER, { body: { auth: { type: 'm.login.dummy', session: first.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ user_id: `@${localpart}:${server().serverName}` });
    const logged = await login(server(), done.body.user_id as string, password);
    const devices = await api(server(), 'GET', `${V3}/devices`, { token: logged.body.access_token as string });
    expect((devices.body.devices as { device_id: string }[]).map((entry) => entry.device_id)).toEqual([logged.body.device_id]);
    // A retry of the finished session answers the same again.
    const again = await api(server(), 'POST', REGISTER, { body: { auth: { type: 'm.login.dummy', session: first.body.session } } });
    expect(again).toMatchObject({ status: 200, body: { user_id: done.body.user_id } });
    expect(again.body).not.toHaveProperty('access_token');
  });

  it('a retried registration session returns the same user and device and registers nobody else', async () => {
    const localpart = uniqueLocalpart('idem');
    const body = { username: localpart, password: 'sUp3rs3kr1t' };
    const first = await api(server(), 'POST', REGISTER, { body });
    const auth = { type: 'm.login.dummy', session: first.body.session };
    const done = await api(server(), 'POST', REGISTER, { body: { ...body, auth } });
    expect(done.status).toBe(200);
    const again = await api(server(), 'POST', REGISTER, { body: { ...body, auth } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ user_id: done.body.user_id, device_id: done.body.device_id, access_token: expect.any(String) });
    const whoami = await api(server(), 'GET', `${V3}/account/whoami`, { token: again.body.access_token as string });
    expect(whoami.body).toMatchObject({ user_id: done.body.user_id, device_id: done.body.device_id });
  });

  it('of concurrent requests completing one registration session, one registers; the others never register another', async () => {
    const first = await api(server(), 'POST', REGISTER, { body: {} });
    const names = [uniqueLocalpart('race'), uniqueLocalpart('race'), uniqueLocalpart('race')];
    const attempts = await Promise.all(
      names.map((username) => api(server(), 'POST', REGISTER, { body: { username, password: 'pw', auth: { type: 'm.login.dummy', session: first.body.session } } })),
    );
    const succeeded = attempts.filter((attempt) => attempt.status === 200);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const attempt of attempts) expect([200, 400]).toContain(attempt.status);
    expect(new Set(succeeded.map((attempt) => attempt.body.user_id)).size).toBe(1);
    const available = await Promise.all(names.map((name) => api(server(), 'GET', `${REGISTER}/available?username=${name}`)));
    expect(available.filter((answer) => answer.status === 200)).toHaveLength(names.length - 1);
  });

  it('a retried device deletion or password change answers 200 again without running again', async () => {
    const user = await registerUser(server(), uniqueLocalpart('replay'));
    await loginDevice(server(), user, 'GONE');
    const challenge = await api(server(), 'DELETE', `${V3}/devices/GONE`, { token: user.accessToken, body: {} });
    const body = { auth: passwordAuth(user, challenge.body.session) };
    expect((await api(server(), 'DELETE', `${V3}/devices/GONE`, { token: user.accessToken, body })).status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/devices/GONE`, { token: user.accessToken })).status).toBe(404);
    expect(await api(server(), 'DELETE', `${V3}/devices/GONE`, { token: user.accessToken, body })).toMatchObject({ status: 200, body: {} });

    const start = await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: { new_password: 'second-pw' } });
    const change = { new_password: 'second-pw', logout_devices: false, auth: passwordAuth(user, start.body.session) };
    expect((await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: change })).status).toBe(200);
    // The retry is answered from the session: it changes nothing, even with another new password.
    const retry = { ...change, new_password: 'third-pw' };
    expect((await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: retry })).status).toBe(200);
    expect((await login(server(), user.userId, 'second-pw')).status).toBe(200);
    expect((await login(server(), user.userId, 'third-pw')).status).toBe(403);
  });

  it('deleting a device with another user’s identity in UIA is 403 and keeps the device', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const eve = await registerUser(server(), uniqueLocalpart('eve'));
    const otherToken = await loginDevice(server(), alice, 'LOGIN_DEVICE');
    const asEve = await api(server(), 'DELETE', `${V3}/devices/LOGIN_DEVICE`, { token: alice.accessToken, body: { auth: passwordAuth(eve) } });
    expect(asEve).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect((await api(server(), 'GET', `${V3}/devices/LOGIN_DEVICE`, { token: alice.accessToken })).status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: otherToken })).status).toBe(200);
    // Eve's wrong password is refused the same way: the identity decides before any password is checked.
    const wrongPassword = await api(server(), 'DELETE', `${V3}/devices/LOGIN_DEVICE`, {
      token: alice.accessToken,
      body: { auth: { ...passwordAuth(eve), password: 'guess' } },
    });
    expect(wrongPassword.status).toBe(403);
    const asAlice = await api(server(), 'DELETE', `${V3}/devices/LOGIN_DEVICE`, { token: alice.accessToken, body: { auth: passwordAuth(alice) } });
    expect(asAlice.status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/devices/LOGIN_DEVICE`, { token: alice.accessToken })).status).toBe(404);
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: otherToken })).status).toBe(401);
  });
});
