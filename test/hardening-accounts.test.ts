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
