/**
 * Registration, login, tokens and account management over raw HTTP: exact status codes and error bodies,
 * on SQLite and (with TEST_POSTGRES_URL) PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#account-registration-and-management
 */
import { describe, expect, it } from 'vitest';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver } from './support/homeserver.js';

const REGISTER = '/_matrix/client/v3/register';
const LOGIN = '/_matrix/client/v3/login';
const WHOAMI = '/_matrix/client/v3/account/whoami';

function login(server: TestHomeserver, body: Record<string, unknown>) {
  return api(server, 'POST', LOGIN, { body: { type: 'm.login.password', ...body } });
}

forEachDialect('registration over HTTP', (server) => {
  it('answers a request without auth with the flows and a session, and no errcode', async () => {
    const response = await api(server(), 'POST', REGISTER, { body: { username: uniqueLocalpart('a'), password: 'pw' } });
    expect(response.status).toBe(401);
    expect(response.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    expect(response.body.params).toEqual({});
    expect(typeof response.body.session).toBe('string');
    expect(response.body.errcode).toBeUndefined();
  });

  it('completes with m.login.dummy in the session and returns a working token', async () => {
    const localpart = uniqueLocalpart('b');
    const first = await api(server(), 'POST', REGISTER, { body: { username: localpart, password: 'pw' } });
    const done = await api(server(), 'POST', REGISTER, {
      body: { username: localpart, password: 'pw', device_id: 'MYDEVICE', auth: { type: 'm.login.dummy', session: first.body.session } },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ user_id: `@${localpart}:${server().serverName}`, device_id: 'MYDEVICE' });
    expect(done.body.refresh_token).toBeUndefined();
    const whoami = await api(server(), 'GET', WHOAMI, { token: done.body.access_token as string });
    expect(whoami.body).toEqual({ user_id: done.body.user_id, device_id: 'MYDEVICE', is_guest: false });
    // A retry of the finished session answers as the first request did (same user and device, a new token); it
    // registers nobody else, whatever username it names.
    const again = await api(server(), 'POST', REGISTER, {
      body: { username: uniqueLocalpart('b'), auth: { type: 'm.login.dummy', session: first.body.session } },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ user_id: done.body.user_id, device_id: 'MYDEVICE' });
    expect((await api(server(), 'GET', WHOAMI, { token: again.body.access_token as string })).body.user_id).toBe(done.body.user_id);
  });

  it('lower-cases the username and generates one when none is given', async () => {
    const localpart = uniqueLocalpart('Mixed');
    const mixed = await api(server(), 'POST', REGISTER, { body: { username: localpart, auth: { type: 'm.login.dummy' } } });
    expect(mixed.body.user_id).toBe(`@${localpart.toLowerCase()}:${server().serverName}`);
    const generated = await api(server(), 'POST', REGISTER, { body: { auth: { type: 'm.login.dummy' } } });
    expect(generated.status).toBe(200);
    expect(generated.body.user_id).toMatch(new RegExp(`^@[a-z0-9]+:${server().serverName.replace('.', '\\.')}$`));
  });

  it('rejects taken and invalid usernames before UIA', async () => {
    const user = await registerUser(server(), uniqueLocalpart('taken'));
    const localpart = user.userId.slice(1, user.userId.indexOf(':'));
    const taken = await api(server(), 'POST', REGISTER, { body: { username: localpart, password: 'x' } });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe('M_USER_IN_USE');
    for (const username of ['white space', 'émile', 'a:b', 'x'.repeat(300)]) {
      const invalid = await api(server(), 'POST', REGISTER, { body: { username, password: 'x' } });
      expect(invalid.status, username).toBe(400);
      expect(invalid.body.errcode, username).toBe('M_INVALID_USERNAME');
    }
  });

  it('supports inhibit_login and refresh tokens', async () => {
    const inhibited = await api(server(), 'POST', REGISTER, {
      body: { username: uniqueLocalpart('inh'), password: 'pw', inhibit_login: true, auth: { type: 'm.login.dummy' } },
    });
    expect(inhibited.status).toBe(200);
    expect(Object.keys(inhibited.body)).toEqual(['user_id']);
    const refreshable = await api(server(), 'POST', REGISTER, {
      body: { username: uniqueLocalpart('ref'), password: 'pw', refresh_token: true, auth: { type: 'm.login.dummy' } },
    });
    expect(typeof refreshable.body.refresh_token).toBe('string');
    expect(refreshable.body.expires_in_ms).toBe(5 * 60 * 1000);
  });

  it('refuses malformed JSON, wrong types and unknown stages (guests: test/guests.test.ts)', async () => {
    const badKind = await api(server(), 'POST', `${REGISTER}?kind=robot`, { body: {} });
    expect(badKind.body.errcode).toBe('M_INVALID_PARAM');
    const notJson = await api(server(), 'POST', REGISTER, { rawBody: '{"username": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    for (const body of [{ username: 42 }, { password: ['x'] }, { inhibit_login: 'yes' }, { auth: 'dummy' }]) {
      const wrong = await api(server(), 'POST', REGISTER, { body });
      expect(wrong.status, JSON.stringify(body)).toBe(400);
      expect(wrong.body.errcode, JSON.stringify(body)).toBe('M_BAD_JSON');
    }
    const stage = await api(server(), 'POST', REGISTER, { body: { username: uniqueLocalpart('st'), auth: { type: 'm.login.password' } } });
    expect(stage.status).toBe(401);
    expect(stage.body.errcode).toBe('M_UNRECOGNIZED');
    expect(stage.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    const session = await api(server(), 'POST', REGISTER, { body: { auth: { type: 'm.login.dummy', session: 'no-such-session' } } });
    expect(session.status).toBe(400);
  });

  it('answers /register/available and token validity', async () => {
    const free = await api(server(), 'GET', `${REGISTER}/available?username=${uniqueLocalpart('free')}`);
    expect(free).toMatchObject({ status: 200, body: { available: true } });
    const user = await registerUser(server(), uniqueLocalpart('used'));
    const used = await api(server(), 'GET', `${REGISTER}/available?username=${encodeURIComponent(user.userId.slice(1).split(':')[0] as string)}`);
    expect(used).toMatchObject({ status: 400, body: { errcode: 'M_USER_IN_USE' } });
    const invalid = await api(server(), 'GET', `${REGISTER}/available?username=${encodeURIComponent('no spaces')}`);
    expect(invalid.body.errcode).toBe('M_INVALID_USERNAME');
    const missing = await api(server(), 'GET', `${REGISTER}/available`);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
    const validity = await api(server(), 'GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=nope');
    expect(validity).toMatchObject({ status: 200, body: { valid: false } });
  });
});

forEachDialect('login over HTTP', (server) => {
  it('lists m.login.password', async () => {
    const flows = await api(server(), 'GET', LOGIN);
    expect(flows.body).toEqual({ flows: [{ type: 'm.login.password' }] });
  });

  it('logs in by full user ID, localpart and the deprecated user field', async () => {
    const user = await registerUser(server(), uniqueLocalpart('log'));
    const localpart = user.userId.slice(1, user.userId.indexOf(':'));
    for (const body of [
      { identifier: { type: 'm.id.user', user: user.userId }, password: user.password },
      { identifier: { type: 'm.id.user', user: localpart.toUpperCase() }, password: user.password },
      { user: localpart, password: user.password },
    ]) {
      const response = await login(server(), body);
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(response.body.user_id).toBe(user.userId);
      expect(response.body.device_id).not.toBe(user.deviceId);
    }
  });

  it('answers wrong credentials and bad requests with the spec errors', async () => {
    const user = await registerUser(server(), uniqueLocalpart('bad'));
    const wrong = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: 'wrong' });
    expect(wrong).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const unknown = await login(server(), { identifier: { type: 'm.id.user', user: uniqueLocalpart('ghost') }, password: 'x' });
    expect(unknown).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const remote = await login(server(), { identifier: { type: 'm.id.user', user: '@someone:elsewhere.example' }, password: 'x' });
    expect(remote).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    const thirdParty = await login(server(), { identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' }, password: 'x' });
    expect(thirdParty.status).toBe(403);
    const type = await api(server(), 'POST', LOGIN, { body: { type: 'm.login.token', token: 'x' } });
    expect(type).toMatchObject({ status: 400, body: { errcode: 'M_UNKNOWN' } });
    const noIdentifier = await login(server(), { password: 'x' });
    expect(noIdentifier.body.errcode).toBe('M_MISSING_PARAM');
    const notJson = await api(server(), 'POST', LOGIN, { rawBody: 'nope' });
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    const wrongType = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: 12 });
    expect(wrongType.body.errcode).toBe('M_BAD_JSON');
  });

  it('reuses a device ID and revokes the token it had', async () => {
    const user = await registerUser(server(), uniqueLocalpart('reuse'));
    const again = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: user.password, device_id: user.deviceId });
    expect(again.body.device_id).toBe(user.deviceId);
    expect((await api(server(), 'GET', WHOAMI, { token: user.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await api(server(), 'GET', WHOAMI, { token: again.body.access_token as string })).status).toBe(200);
    const devices = await api(server(), 'GET', '/_matrix/client/v3/devices', { token: again.body.access_token as string });
    expect((devices.body.devices as unknown[]).length).toBe(1);
  });

  it('authenticates by header or the deprecated query parameter, and refuses missing or unknown tokens', async () => {
    const user = await registerUser(server(), uniqueLocalpart('tok'));
    const missing = await api(server(), 'GET', WHOAMI);
    expect(missing).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } });
    const unknown = await api(server(), 'GET', WHOAMI, { token: 'pat_not-a-token' });
    expect(unknown).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', soft_logout: false } });
    const query = await api(server(), 'GET', `${WHOAMI}?access_token=${encodeURIComponent(user.accessToken)}`);
    expect(query.body.user_id).toBe(user.userId);
  });

  it('refreshes tokens: the old refresh token works until the new access token is used', async () => {
    const user = await registerUser(server(), uniqueLocalpart('rt'));
    const session = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: user.password, refresh_token: true });
    const first = session.body.refresh_token as string;
    const refreshed = await api(server(), 'POST', '/_matrix/client/v3/refresh', { body: { refresh_token: first } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first);
    expect(refreshed.body.expires_in_ms).toBeGreaterThan(0);
    // Not used yet: the old one may be retried (a lost response) and the old access token still works.
    expect((await api(server(), 'GET', WHOAMI, { token: session.body.access_token as string })).status).toBe(200);
    const retried = await api(server(), 'POST', '/_matrix/client/v3/refresh', { body: { refresh_token: first } });
    expect(retried.status).toBe(200);
    expect((await api(server(), 'GET', WHOAMI, { token: retried.body.access_token as string })).status).toBe(200);
    // Using the successor retired the old refresh token and its access token.
    const stale = await api(server(), 'POST', '/_matrix/client/v3/refresh', { body: { refresh_token: first } });
    expect(stale).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    expect((await api(server(), 'GET', WHOAMI, { token: session.body.access_token as string })).status).toBe(401);
    const missing = await api(server(), 'POST', '/_matrix/client/v3/refresh', { body: {} });
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('logs out one device, then all of them', async () => {
    const user = await registerUser(server(), uniqueLocalpart('out'));
    const second = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: user.password });
    const third = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: user.password });
    expect((await api(server(), 'POST', '/_matrix/client/v3/logout', { token: user.accessToken })).status).toBe(200);
    expect((await api(server(), 'GET', WHOAMI, { token: user.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
    const devices = await api(server(), 'GET', '/_matrix/client/v3/devices', { token: second.body.access_token as string });
    expect((devices.body.devices as { device_id: string }[]).map((d) => d.device_id).sort()).toEqual(
      [second.body.device_id, third.body.device_id].sort(),
    );
    expect((await api(server(), 'POST', '/_matrix/client/v3/logout/all', { token: second.body.access_token as string })).status).toBe(200);
    expect((await api(server(), 'GET', WHOAMI, { token: third.body.access_token as string })).status).toBe(401);
    expect((await api(server(), 'POST', '/_matrix/client/v3/logout')).body.errcode).toBe('M_MISSING_TOKEN');
  });
});

describe('token lifetimes', () => {
  forEachDialect(
    'expiring access tokens',
    (server) => {
      it('answers an expired token with soft_logout, and refresh restores access', async () => {
        const user = await registerUser(server(), uniqueLocalpart('exp'));
        const session = await login(server(), { identifier: { type: 'm.id.user', user: user.userId }, password: user.password, refresh_token: true });
        expect(session.body.expires_in_ms).toBe(1500);
        await new Promise((resolve) => setTimeout(resolve, 1600));
        const expired = await api(server(), 'GET', WHOAMI, { token: session.body.access_token as string });
        expect(expired).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', soft_logout: true } });
        const refreshed = await api(server(), 'POST', '/_matrix/client/v3/refresh', { body: { refresh_token: session.body.refresh_token } });
        expect((await api(server(), 'GET', WHOAMI, { token: refreshed.body.access_token as string })).status).toBe(200);
        // Tokens issued without a refresh token never expire.
        expect((await api(server(), 'GET', WHOAMI, { token: user.accessToken })).status).toBe(200);
      });
    },
    { config: { sessions: { refreshable_access_token_lifetime_ms: 1500 } } },
  );
});
