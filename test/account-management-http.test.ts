/**
 * Account management over raw HTTP: password change and deactivation (with UIA), devices, capabilities,
 * registration modes and rate limits. SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#account-registration-and-management
 */
import { expect, it } from 'vitest';
import { createRegistrationToken } from '@parley/homeserver';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const V3 = '/_matrix/client/v3';

function passwordAuth(user: TestUser, session: unknown, password = user.password) {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password, session };
}

async function loginAgain(server: TestHomeserver, user: TestUser, password = user.password) {
  return api(server, 'POST', `${V3}/login`, {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password },
  });
}

forEachDialect('account management over HTTP', (server) => {
  it('changes the password through UIA and logs out the other devices by default', async () => {
    const user = await registerUser(server(), uniqueLocalpart('pw'));
    const other = await loginAgain(server(), user);
    const challenge = await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: { new_password: 'new-pw' } });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await api(server(), 'POST', `${V3}/account/password`, {
      token: user.accessToken,
      body: { new_password: 'new-pw', auth: passwordAuth(user, challenge.body.session, 'not-it') },
    });
    expect(wrong).toMatchObject({ status: 401, body: { errcode: 'M_FORBIDDEN', session: challenge.body.session } });
    const changed = await api(server(), 'POST', `${V3}/account/password`, {
      token: user.accessToken,
      body: { new_password: 'new-pw', auth: passwordAuth(user, challenge.body.session) },
    });
    expect(changed.status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: user.accessToken })).status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: other.body.access_token as string })).status).toBe(401);
    expect((await loginAgain(server(), user)).status).toBe(403);
    expect((await loginAgain(server(), user, 'new-pw')).status).toBe(200);
  });

  it('keeps other devices with logout_devices: false, and rejects a session started for another user', async () => {
    const user = await registerUser(server(), uniqueLocalpart('keep'));
    const intruder = await registerUser(server(), uniqueLocalpart('intr'));
    const other = await loginAgain(server(), user);
    const challenge = await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: { new_password: 'x2' } });
    const stolen = await api(server(), 'POST', `${V3}/account/password`, {
      token: intruder.accessToken,
      body: { new_password: 'x2', auth: passwordAuth(intruder, challenge.body.session) },
    });
    expect(stolen).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const someoneElse = await api(server(), 'POST', `${V3}/account/password`, {
      token: user.accessToken,
      body: { new_password: 'x2', auth: passwordAuth(intruder, challenge.body.session) },
    });
    // Another user's password never authorises this user's request: a refusal (403), not a failed stage (401).
    expect(someoneElse).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const kept = await api(server(), 'POST', `${V3}/account/password`, {
      token: user.accessToken,
      body: { new_password: 'x2', logout_devices: false, auth: passwordAuth(user, challenge.body.session) },
    });
    expect(kept.status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: other.body.access_token as string })).status).toBe(200);
    const badType = await api(server(), 'POST', `${V3}/account/password`, { token: user.accessToken, body: { new_password: 5 } });
    expect(badType.body.errcode).toBe('M_BAD_JSON');
    expect((await api(server(), 'POST', `${V3}/account/password`, { body: { new_password: 'x' } })).body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('deactivates an account: tokens die, login says M_USER_DEACTIVATED, the name stays taken', async () => {
    const user = await registerUser(server(), uniqueLocalpart('deact'));
    const challenge = await api(server(), 'POST', `${V3}/account/deactivate`, { token: user.accessToken, body: {} });
    expect(challenge.status).toBe(401);
    const done = await api(server(), 'POST', `${V3}/account/deactivate`, {
      token: user.accessToken,
      body: { auth: passwordAuth(user, challenge.body.session) },
    });
    expect(done).toMatchObject({ status: 200, body: { id_server_unbind_result: 'no-support' } });
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: user.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await loginAgain(server(), user)).body.errcode).toBe('M_USER_DEACTIVATED');
    const localpart = user.userId.slice(1, user.userId.indexOf(':'));
    expect((await api(server(), 'GET', `${V3}/register/available?username=${localpart}`)).body.errcode).toBe('M_USER_IN_USE');
  });

  it('lists, shows, renames and deletes devices', async () => {
    const user = await registerUser(server(), uniqueLocalpart('dev'));
    const second = await loginAgain(server(), user);
    const list = await api(server(), 'GET', `${V3}/devices`, { token: user.accessToken });
    const devices = list.body.devices as Record<string, unknown>[];
    expect(devices.map((device) => device.device_id).sort()).toEqual([user.deviceId, second.body.device_id].sort());
    const own = devices.find((device) => device.device_id === user.deviceId);
    expect(own?.last_seen_ip).toMatch(/127\.0\.0\.1/);
    expect(typeof own?.last_seen_ts).toBe('number');

    const renamed = await api(server(), 'PUT', `${V3}/devices/${second.body.device_id}`, { token: user.accessToken, body: { display_name: 'Tablet' } });
    expect(renamed.status).toBe(200);
    const shown = await api(server(), 'GET', `${V3}/devices/${second.body.device_id}`, { token: user.accessToken });
    expect(shown.body).toMatchObject({ device_id: second.body.device_id, display_name: 'Tablet' });
    expect((await api(server(), 'GET', `${V3}/devices/NOPE`, { token: user.accessToken })).body.errcode).toBe('M_NOT_FOUND');
    expect((await api(server(), 'PUT', `${V3}/devices/NOPE`, { token: user.accessToken, body: { display_name: 'x' } })).status).toBe(404);
    const badName = await api(server(), 'PUT', `${V3}/devices/${user.deviceId}`, { token: user.accessToken, body: { display_name: 1 } });
    expect(badName.body.errcode).toBe('M_BAD_JSON');

    const challenge = await api(server(), 'DELETE', `${V3}/devices/${second.body.device_id}`, { token: user.accessToken, body: {} });
    expect(challenge.status).toBe(401);
    // A session started to delete one device cannot delete another.
    const swapped = await api(server(), 'DELETE', `${V3}/devices/${user.deviceId}`, {
      token: user.accessToken,
      body: { auth: passwordAuth(user, challenge.body.session) },
    });
    expect(swapped.status).toBe(403);
    const deleted = await api(server(), 'DELETE', `${V3}/devices/${second.body.device_id}`, {
      token: user.accessToken,
      body: { auth: passwordAuth(user, challenge.body.session) },
    });
    expect(deleted.status).toBe(200);
    expect((await api(server(), 'GET', `${V3}/account/whoami`, { token: second.body.access_token as string })).status).toBe(401);
  });

  it('deletes devices in bulk with UIA', async () => {
    const user = await registerUser(server(), uniqueLocalpart('bulk'));
    const a = await loginAgain(server(), user);
    const b = await loginAgain(server(), user);
    const ids = [a.body.device_id, b.body.device_id, 'UNKNOWN'];
    const challenge = await api(server(), 'POST', `${V3}/delete_devices`, { token: user.accessToken, body: { devices: ids } });
    expect(challenge.status).toBe(401);
    const done = await api(server(), 'POST', `${V3}/delete_devices`, {
      token: user.accessToken,
      body: { devices: ids, auth: passwordAuth(user, challenge.body.session) },
    });
    expect(done.status).toBe(200);
    const list = await api(server(), 'GET', `${V3}/devices`, { token: user.accessToken });
    expect((list.body.devices as { device_id: string }[]).map((device) => device.device_id)).toEqual([user.deviceId]);
    const missing = await api(server(), 'POST', `${V3}/delete_devices`, { token: user.accessToken, body: {} });
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('serves capabilities to authenticated users only', async () => {
    const user = await registerUser(server(), uniqueLocalpart('cap'));
    const response = await api(server(), 'GET', `${V3}/capabilities`, { token: user.accessToken });
    const capabilities = response.body.capabilities as Record<string, Record<string, unknown>>;
    expect(capabilities['m.change_password']).toEqual({ enabled: true });
    expect(capabilities['m.3pid_changes']).toEqual({ enabled: false });
    expect(capabilities['m.get_login_token']).toEqual({ enabled: false });
    expect(capabilities['m.set_displayname']).toEqual({ enabled: true });
    expect(capabilities['m.room_versions']?.default).toBe('12');
    expect((capabilities['m.room_versions']?.available as Record<string, string>)['1']).toBe('stable');
    expect((await api(server(), 'GET', `${V3}/capabilities`)).body.errcode).toBe('M_MISSING_TOKEN');
  });
});

forEachDialect(
  'token-authenticated registration',
  (server) => {
    it('requires a valid token and counts its uses', async () => {
      const { token } = await createRegistrationToken(server().server.config, { usesAllowed: 1 });
      const validity = `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`;
      expect((await api(server(), 'GET', validity)).body).toEqual({ valid: true });

      const challenge = await api(server(), 'POST', `${V3}/register`, { body: { username: uniqueLocalpart('tk'), password: 'p' } });
      expect(challenge.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
      const dummy = await api(server(), 'POST', `${V3}/register`, { body: { username: uniqueLocalpart('tk'), auth: { type: 'm.login.dummy' } } });
      expect(dummy.status).toBe(401);
      const wrong = await api(server(), 'POST', `${V3}/register`, {
        body: { username: uniqueLocalpart('tk'), auth: { type: 'm.login.registration_token', token: 'wrong', session: challenge.body.session } },
      });
      expect(wrong).toMatchObject({ status: 401, body: { errcode: 'M_FORBIDDEN' } });
      const ok = await api(server(), 'POST', `${V3}/register`, {
        body: { username: uniqueLocalpart('tk'), password: 'p', auth: { type: 'm.login.registration_token', token, session: challenge.body.session } },
      });
      expect(ok.status).toBe(200);
      expect((await api(server(), 'GET', validity)).body).toEqual({ valid: false });
      const usedUp = await api(server(), 'POST', `${V3}/register`, {
        body: { username: uniqueLocalpart('tk'), auth: { type: 'm.login.registration_token', token } },
      });
      expect(usedUp).toMatchObject({ status: 401, body: { errcode: 'M_FORBIDDEN' } });
    });
  },
  { config: { registration: { mode: 'token' } } },
);

forEachDialect(
  'closed registration',
  (server) => {
    it('refuses to register', async () => {
      const response = await api(server(), 'POST', `${V3}/register`, { body: { username: uniqueLocalpart('c'), auth: { type: 'm.login.dummy' } } });
      expect(response).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect((await api(server(), 'GET', `${V3}/register/available?username=abc`)).status).toBe(403);
    });
  },
  { config: { registration: { mode: 'closed' } } },
);

const redisUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;
for (const store of redisUrl ? (['memory', 'redis'] as const) : (['memory'] as const)) {
  forEachDialect(
    `rate limits (${store})`,
    (server) => {
      it('answers 429 M_LIMIT_EXCEEDED with retry_after_ms past the burst, and keeps serving other actions', async () => {
        const statuses: number[] = [];
        let limited: Awaited<ReturnType<typeof api>> | undefined;
        for (let i = 0; i < 4; i++) {
          const response = await api(server(), 'POST', `${V3}/login`, {
            body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'nobody' }, password: 'x' },
          });
          statuses.push(response.status);
          if (response.status === 429) limited = response;
        }
        expect(statuses).toEqual([403, 403, 429, 429]);
        expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
        expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
        expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await api(server(), 'GET', `${V3}/login`)).status).toBe(200);
      });
    },
    {
      config: (dialect) => ({
        rate_limits: { enabled: true, login: { per_second: 0.01, burst_count: 2 } },
        // A server name of its own: counters in Redis are per server name, and outlive the server.
        ...(store === 'redis' ? { redis: { url: redisUrl }, server_name: `rl-${dialect}-${Date.now().toString(36)}.localhost` } : {}),
      }),
    },
  );
}
