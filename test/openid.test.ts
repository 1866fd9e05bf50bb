/**
 * OpenID tokens over HTTP: requesting one (client API, also through matrix-js-sdk) and exchanging it for the user
 * ID at the federation userinfo endpoint, on SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#openid
 * https://spec.matrix.org/v1.19/server-server-api/#openid
 */
import { expect, it } from 'vitest';
import { createSdkClient } from './support/clients.js';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';

const requestTokenPath = (userId: string): string => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`;
const userInfo = (server: TestHomeserver, token: string) =>
  api(server, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(token)}`);

forEachDialect('openid', (server) => {
  it('issues a token for oneself that userinfo exchanges for the user ID', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const response = await api(server(), 'POST', requestTokenPath(alice.userId), { token: alice.accessToken, body: {} });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      matrix_server_name: server().serverName,
      expires_in: 3600,
    });
    const info = await userInfo(server(), response.body.access_token as string);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ sub: alice.userId });
  });

  it('works through matrix-js-sdk', async () => {
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const client = createSdkClient(server(), bob);
    const token = await client.getOpenIdToken();
    expect(token.matrix_server_name).toBe(server().serverName);
    expect((await userInfo(server(), token.access_token)).body).toEqual({ sub: bob.userId });
  });

  it('refuses a token for another user with 403', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const response = await api(server(), 'POST', requestTokenPath(bob.userId), { token: alice.accessToken, body: {} });
    expect(response.status).toBe(403);
    expect(response.body.errcode).toBe('M_FORBIDDEN');
  });

  it('needs an access token and a JSON object body', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    expect((await api(server(), 'POST', requestTokenPath(alice.userId), { body: {} })).body.errcode).toBe('M_MISSING_TOKEN');
    const notObject = await api(server(), 'POST', requestTokenPath(alice.userId), { token: alice.accessToken, body: [1] });
    expect(notObject.status).toBe(400);
  });

  it('answers 401 M_UNKNOWN_TOKEN for unknown tokens, and 400 without one', async () => {
    const unknown = await userInfo(server(), 'poi_not-a-real-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe('M_UNKNOWN_TOKEN');
    const missing = await api(server(), 'GET', '/_matrix/federation/v1/openid/userinfo');
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('is no access token: the OpenID token opens no client endpoint, and an access token is no OpenID token', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const response = await api(server(), 'POST', requestTokenPath(alice.userId), { token: alice.accessToken, body: {} });
    const openIdToken = response.body.access_token as string;
    const whoami = await api(server(), 'GET', '/_matrix/client/v3/account/whoami', { token: openIdToken });
    expect(whoami.status).toBe(401);
    expect(whoami.body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await userInfo(server(), alice.accessToken)).status).toBe(401);
  });

  it('stops proving identity once the account is deactivated', async () => {
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    const response = await api(server(), 'POST', requestTokenPath(carol.userId), { token: carol.accessToken, body: {} });
    const deactivate = await api(server(), 'POST', '/_matrix/client/v3/account/deactivate', {
      token: carol.accessToken,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: carol.userId }, password: carol.password } },
    });
    expect(deactivate.status).toBe(200);
    expect((await userInfo(server(), response.body.access_token as string)).status).toBe(401);
  });
});
