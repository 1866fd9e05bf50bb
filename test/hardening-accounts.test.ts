/**
 * Hardening of accounts, attacked over HTTP: replayed refresh tokens, password guessing through UIA, one-use
 * registration tokens raced, and oversized device display names.
 * https://spec.matrix.org/v1.19/client-server-api/#refreshing-access-tokens
 */
import { expect, it } from 'vitest';
import { createRegistrationToken } from '@parley/homeserver';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';
import { api } from './support/http.js';

const V3 = '/_matrix/client/v3';

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

async function loginRefreshable(server: TestHomeserver, localpart: string): Promise<Tokens> {
  const user = await registerUser(server, localpart);
  const login = await api(server, 'POST', `${V3}/login`, {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: user.password, refresh_token: true },
  });
  expect(login.status).toBe(200);
  return { accessToken: login.body.access_token as string, refreshToken: login.body.refresh_token as string };
}

async function refresh(server: TestHomeserver, refreshToken: string) {
  return api(server, 'POST', `${V3}/refresh`, { body: { refresh_token: refreshToken } });
}

function tokensOf(response: Awaited<ReturnType<typeof refresh>>): Tokens {
  expect(response.status).toBe(200);
  return { accessToken: response.body.access_token as string, refreshToken: response.body.refresh_token as string };
}

async function whoamiStatus(server: TestHomeserver, accessToken: string): Promise<number> {
  return (await api(server, 'GET', `${V3}/account/whoami`, { token: accessToken })).status;
}

forEachDialect('hardening: refresh tokens', (server) => {
  it('keeps the old access token until the new one is used, then a replayed refresh token logs the device out', async () => {
    const first = await loginRefreshable(server(), uniqueLocalpart('replay'));
    const second = tokensOf(await refresh(server(), first.refreshToken));
    // Spec: the old access token may stay valid until the new one is used.
    expect(await whoamiStatus(server(), first.accessToken)).toBe(200);
    expect(await whoamiStatus(server(), second.accessToken)).toBe(200);
    expect(await whoamiStatus(server(), first.accessToken)).toBe(401);

    // The stolen first refresh token, replayed after its successor was used: refused, and the device's tokens die.
    const replay = await refresh(server(), first.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect(await whoamiStatus(server(), second.accessToken)).toBe(401);
    expect((await refresh(server(), second.refreshToken)).status).toBe(401);
  });

  it('a retry before the successor was used replaces that successor: one live chain', async () => {
    const first = await loginRefreshable(server(), uniqueLocalpart('retry'));
    const lost = tokensOf(await refresh(server(), first.refreshToken));
    const retried = tokensOf(await refresh(server(), first.refreshToken));
    expect(await whoamiStatus(server(), lost.accessToken)).toBe(401);
    expect(await whoamiStatus(server(), retried.accessToken)).toBe(200);
    const next = tokensOf(await refresh(server(), retried.refreshToken));
    expect(await whoamiStatus(server(), next.accessToken)).toBe(200);
  });

  it('concurrent refreshes of one token leave exactly one live access token', async () => {
    const first = await loginRefreshable(server(), uniqueLocalpart('race'));
    const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(server(), first.refreshToken)));
    const granted = responses.filter((response) => response.status === 200).map(tokensOf);
    expect(granted.length).toBeGreaterThan(0);
    for (const response of responses) expect([200, 401]).toContain(response.status);
    const live: string[] = [];
    for (const tokens of granted) if ((await whoamiStatus(server(), tokens.accessToken)) === 200) live.push(tokens.accessToken);
    expect(live).toHaveLength(1);
  });
});

forEachDialect('hardening: device display names', (server) => {
  it('refuses device names over 100 characters on PUT /devices, /login and /register with 400 M_TOO_LARGE', async () => {
    const localpart = uniqueLocalpart('named');
    const user = await registerUser(server(), localpart);
    const long = 'x'.repeat(101);
    const rename = (name: string) => api(server(), 'PUT', `${V3}/devices/${user.deviceId}`, { token: user.accessToken, body: { display_name: name } });
    const refused = await rename(long);
    expect(refused.status).toBe(400);
    expect(refused.body.errcode).toBe('M_TOO_LARGE');
    // 100 characters are fine, counted as characters (an emoji is one), not UTF-16 units or bytes.
    expect((await rename('😀'.repeat(100))).status).toBe(200);
    const device = await api(server(), 'GET', `${V3}/devices/${user.deviceId}`, { token: user.accessToken });
    expect(device.body.display_name).toBe('😀'.repeat(100));

    const login = await api(server(), 'POST', `${V3}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: user.password, initial_device_display_name: long },
    });
    expect(login.status).toBe(400);
    expect(login.body.errcode).toBe('M_TOO_LARGE');
    const devices = await api(server(), 'GET', `${V3}/devices`, { token: user.accessToken });
    expect(devices.body.devices).toHaveLength(1);

    const register = await api(server(), 'POST', `${V3}/register`, {
      body: { username: uniqueLocalpart('named'), password: 'pw-123456', initial_device_display_name: long, auth: { type: 'm.login.dummy' } },
    });
    expect(register.status).toBe(400);
    expect(register.body.errcode).toBe('M_TOO_LARGE');
  });
});

forEachDialect(
  'hardening: registration tokens',
  (server) => {
    it('a one-use token raced by ten registrations registers exactly one account', async () => {
      const { token } = await createRegistrationToken(server().server.config, { usesAllowed: 1 });
      const attempt = async (): Promise<number> => {
        const username = uniqueLocalpart('tok');
        const challenge = await api(server(), 'POST', `${V3}/register`, { body: { username, password: 'pw-123456' } });
        expect(challenge.status).toBe(401);
        const auth = { type: 'm.login.registration_token', token, session: challenge.body.session };
        return (await api(server(), 'POST', `${V3}/register`, { body: { username, password: 'pw-123456', auth } })).status;
      };
      const statuses = await Promise.all(Array.from({ length: 10 }, attempt));
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(9);
      const validity = await api(server(), 'GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`);
      expect(validity.body.valid).toBe(false);
    });

    it('tokens are looked up by hash: a valid token works, its hash does not', async () => {
      const { token } = await createRegistrationToken(server().server.config, { usesAllowed: 5 });
      const valid = (candidate: string) => api(server(), 'GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${candidate}`);
      expect((await valid(token)).body.valid).toBe(true);
      const { createHash } = await import('node:crypto');
      expect((await valid(createHash('sha256').update(token).digest('hex'))).body.valid).toBe(false);
    });
  },
  { config: { registration: { mode: 'token' } } },
);

/** A request from client address `ip` (the server trusts X-Forwarded-For in these suites). */
async function from(server: TestHomeserver, ip: string, method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Forwarded-For': ip };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.url}${path}`, { method, headers, body: JSON.stringify(options.body ?? {}) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function passwordAuth(localpart: string, password: string): Record<string, unknown> {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password };
}

forEachDialect(
  'hardening: password guessing',
  (server) => {
    it('40 parallel wrong-password UIA attempts mostly get 429 while another user logs in promptly', async () => {
      const attacker = uniqueLocalpart('guesser');
      const attackerUser = await registerUser(server(), attacker);
      const victim = uniqueLocalpart('victim');
      const victimUser = await registerUser(server(), victim);

      // The same login on the idle server, twice (the slower one), sets the scale: machines here are shared and noisy.
      const idleLogin = async (): Promise<number> => {
        const begun = performance.now();
        expect((await from(server(), '10.1.0.2', 'POST', `${V3}/login`, { body: passwordAuth(victim, victimUser.password) })).status).toBe(200);
        return performance.now() - begun;
      };
      const baselineMs = Math.max(await idleLogin(), await idleLogin());

      const guesses = Array.from({ length: 40 }, (_, index) =>
        from(server(), '10.1.0.1', 'POST', `${V3}/account/password`, {
          token: attackerUser.accessToken,
          body: { new_password: 'new-password', auth: passwordAuth(attacker, `wrong-${index}`) },
        }),
      );
      // Another user, from another address, logs in during the attack.
      const started = performance.now();
      const login = await from(server(), '10.1.0.2', 'POST', `${V3}/login`, { body: passwordAuth(victim, victimUser.password) });
      const latencyMs = performance.now() - started;
      const results = await Promise.all(guesses);

      expect(login.status).toBe(200);
      // Unlimited, the login would queue behind 40 scrypt jobs in 2 lanes (about 20 idle logins' time); limited, behind
      // the 5 guesses the burst lets through.
      expect(latencyMs).toBeLessThan(Math.max(1_000, 10 * baselineMs));
      const limited = results.filter((result) => result.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(30);
      for (const result of limited) {
        expect(result.body.errcode).toBe('M_LIMIT_EXCEEDED');
        expect(result.body.retry_after_ms).toBeGreaterThan(0);
      }
      // The others were checked and refused as a failed UIA stage; none changed the password.
      for (const result of results.filter((r) => r.status !== 429)) {
        expect(result.status).toBe(401);
        expect(result.body.errcode).toBe('M_FORBIDDEN');
      }
      const old = await from(server(), '10.1.0.3', 'POST', `${V3}/login`, { body: passwordAuth(attacker, attackerUser.password) });
      expect(old.status).toBe(429); // the account is still cooling down: even the right password waits
    });

    it('counts wrong /login passwords per account across addresses', async () => {
      const localpart = uniqueLocalpart('target');
      await registerUser(server(), localpart);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        statuses.push((await from(server(), `10.2.0.${i + 1}`, 'POST', `${V3}/login`, { body: passwordAuth(localpart, 'wrong') })).status);
      }
      expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
      expect(statuses.slice(5)).toEqual([429, 429]);
    });

    it('counts wrong UIA passwords per address across accounts', async () => {
      const users = await Promise.all([0, 1, 2].map(() => registerUser(server(), uniqueLocalpart('shared'))));
      const statuses: number[] = [];
      for (const user of users) {
        for (let i = 0; i < 2; i++) {
          const localpart = user.userId.slice(1, user.userId.indexOf(':'));
          const response = await from(server(), '10.3.0.1', 'DELETE', `${V3}/devices/NOSUCHDEVICE`, {
            token: user.accessToken,
            body: { auth: passwordAuth(localpart, 'wrong') },
          });
          statuses.push(response.status);
        }
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });

    it('right passwords are given back: a user re-authenticating often is not limited', async () => {
      const localpart = uniqueLocalpart('honest');
      const user = await registerUser(server(), localpart);
      for (let i = 0; i < 7; i++) {
        const response = await from(server(), '10.4.0.1', 'DELETE', `${V3}/devices/NOSUCHDEVICE`, {
          token: user.accessToken,
          body: { auth: passwordAuth(localpart, user.password) },
        });
        expect(response.status).toBe(200);
      }
    });
  },
  {
    config: {
      http: { trust_proxy: true },
      rate_limits: { enabled: true, register: { per_second: 100, burst_count: 1_000 } },
    },
  },
);
