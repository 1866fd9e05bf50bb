/**
 * Guest access over HTTP: guest registration (off by default), the endpoints a guest may call, joining only rooms
 * whose `m.room.guest_access` is `can_join`, sync as a guest (matrix-js-sdk), and upgrading to a full account.
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http.js';
import { createSdkClient, stopClient, waitForSync } from './support/clients.js';
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

/** A room created by `owner` with `guest_access` set as given (or the preset's default when omitted). */
async function createRoom(server: TestHomeserver, owner: Guest, options: { preset: string; guestAccess?: string; invite?: string[] }): Promise<string> {
  const initial_state = options.guestAccess === undefined ? [] : [{ type: 'm.room.guest_access', state_key: '', content: { guest_access: options.guestAccess } }];
  const response = await api(server, 'POST', '/_matrix/client/v3/createRoom', {
    token: owner.accessToken,
    body: { preset: options.preset, initial_state, invite: options.invite ?? [] },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.room_id as string;
}

async function membershipOf(server: TestHomeserver, viewer: Guest, roomId: string, userId: string): Promise<unknown> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`;
  const response = await api(server, 'GET', path, { token: viewer.accessToken });
  return response.body.membership;
}

forEachDialect('guest restrictions', (server) => {
  it('lets a guest call the spec list and answers M_GUEST_ACCESS_FORBIDDEN elsewhere', async () => {
    const guest = await registerGuest(server());
    const me = encodeURIComponent(guest.userId);
    const call = (method: string, path: string, body?: unknown) => api(server(), method, `/_matrix/client/v3${path}`, { token: guest.accessToken, body });
    const allowed: [string, string, unknown?][] = [
      ['GET', '/account/whoami'],
      ['GET', '/devices'],
      ['PUT', `/devices/${guest.deviceId}`, { display_name: 'renamed' }],
      ['PUT', `/profile/${me}/displayname`, { displayname: 'Visitor' }],
      ['POST', '/keys/query', { device_keys: { [guest.userId]: [] } }],
      ['POST', '/keys/upload', {}],
      ['POST', '/keys/claim', { one_time_keys: {} }],
      ['PUT', '/sendToDevice/m.test/txn1', { messages: {} }],
      ['GET', '/sync?timeout=0'],
      ['GET', '/capabilities'],
    ];
    for (const [method, path, body] of allowed) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBe(200);
    }
    const forbidden: [string, string, unknown?][] = [
      ['POST', '/createRoom', {}],
      ['PUT', `/profile/${me}/avatar_url`, { avatar_url: 'mxc://hs/x' }],
      ['GET', '/joined_rooms'],
      ['GET', '/pushrules/'],
      ['POST', `/user/${me}/filter`, {}],
      ['PUT', `/user/${me}/account_data/m.test`, {}],
      ['POST', '/logout', {}],
      ['POST', '/account/password', { new_password: 'pw' }],
      ['DELETE', `/devices/${guest.deviceId}`, {}],
      ['GET', '/keys/changes?from=s0&to=s1'],
      ['POST', '/publicRooms', {}],
    ];
    for (const [method, path, body] of forbidden) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.errcode, `${method} ${path}`).toBe('M_GUEST_ACCESS_FORBIDDEN');
    }
    const profile = await api(server(), 'GET', `/_matrix/client/v3/profile/${me}/displayname`);
    expect(profile.body).toEqual({ displayname: 'Visitor' });
    // Unknown endpoints stay 404 M_UNRECOGNIZED, whoever asks.
    const unknown = await call('GET', '/no-such-endpoint');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_UNRECOGNIZED');
  });

  it('joins only rooms whose guest_access is can_join, invited or not', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const guest = await registerGuest(server());
    const join = (path: string) => api(server(), 'POST', `/_matrix/client/v3${path}`, { token: guest.accessToken, body: {} });

    const closed = await createRoom(server(), alice, { preset: 'public_chat' });
    for (const path of [`/rooms/${encodeURIComponent(closed)}/join`, `/join/${encodeURIComponent(closed)}`]) {
      const refused = await join(path);
      expect(refused.status, path).toBe(403);
      expect(refused.body.errcode, path).toBe('M_GUEST_ACCESS_FORBIDDEN');
    }
    const invitedButClosed = await createRoom(server(), alice, { preset: 'private_chat', guestAccess: 'forbidden', invite: [guest.userId] });
    expect(await membershipOf(server(), alice, invitedButClosed, guest.userId)).toBe('invite');
    expect((await join(`/rooms/${encodeURIComponent(invitedButClosed)}/join`)).body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');

    const open = await createRoom(server(), alice, { preset: 'public_chat', guestAccess: 'can_join' });
    expect((await join(`/join/${encodeURIComponent(open)}`)).status).toBe(200);
    const invitedOpen = await createRoom(server(), alice, { preset: 'private_chat', invite: [guest.userId] });
    expect((await join(`/rooms/${encodeURIComponent(invitedOpen)}/join`)).status).toBe(200);
    // Private rooms still need the invite: can_join does not open the join rule.
    const uninvited = await createRoom(server(), alice, { preset: 'private_chat' });
    expect((await join(`/rooms/${encodeURIComponent(uninvited)}/join`)).body.errcode).toBe('M_FORBIDDEN');

    const sent = await api(server(), 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(open)}/send/m.room.message/t1`, {
      token: guest.accessToken,
      body: { msgtype: 'm.text', body: 'hello from a guest' },
    });
    expect(sent.status).toBe(200);
    const messages = await api(server(), 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(open)}/messages?dir=b&limit=5`, { token: guest.accessToken });
    expect(messages.status).toBe(200);
    expect((messages.body.chunk as { content: { body?: string } }[]).map((event) => event.content.body)).toContain('hello from a guest');
    const members = await api(server(), 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(open)}/members`, { token: guest.accessToken });
    expect(members.status).toBe(200);
    const left = await api(server(), 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(open)}/leave`, { token: guest.accessToken, body: {} });
    expect(left.status).toBe(200);
    expect(await membershipOf(server(), alice, open, guest.userId)).toBe('leave');
  });

  it('makes guests leave once the room stops allowing them, and keeps full members', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const guests = [await registerGuest(server()), await registerGuest(server())];
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', guestAccess: 'can_join' });
    for (const member of [bob, ...guests]) {
      expect((await api(server(), 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: member.accessToken, body: {} })).status).toBe(200);
    }
    const closing = await api(server(), 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.guest_access/`, {
      token: alice.accessToken,
      body: { guest_access: 'forbidden' },
    });
    expect(closing.status).toBe(200);
    for (const guest of guests) expect(await membershipOf(server(), alice, roomId, guest.userId)).toBe('leave');
    expect(await membershipOf(server(), alice, roomId, bob.userId)).toBe('join');
    const again = await api(server(), 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: guests[0]?.accessToken, body: {} });
    expect(again.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });

  it('syncs a guest with matrix-js-sdk: joined rooms and their messages arrive', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', guestAccess: 'can_join' });
    const anonymous = createSdkClient(server(), { userId: '', accessToken: '', deviceId: '' });
    const registered = await anonymous.registerGuest({ body: {} });
    const client = createSdkClient(server(), { userId: registered.user_id, accessToken: registered.access_token ?? '', deviceId: registered.device_id ?? '' });
    client.setGuest(true);
    try {
      await client.startClient({ initialSyncLimit: 10 });
      await waitForSync(client);
      await client.joinRoom(roomId);
      await api(server(), 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
        token: alice.accessToken,
        body: { msgtype: 'm.text', body: 'welcome, guest' },
      });
      await expect
        .poll(() => client.getRoom(roomId)?.getLiveTimeline().getEvents().map((event) => event.getContent().body), { timeout: 10_000 })
        .toContain('welcome, guest');
      expect(client.getRoom(roomId)?.getMyMembership()).toBe('join');
    } finally {
      stopClient(client);
    }
  });
});

forEachDialect('upgrading a guest account', (server) => {
  const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(':'));

  it('keeps the user ID, rooms and profile, goes through UIA, and ends the guest restrictions', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const guest = await registerGuest(server());
    const roomId = await createRoom(server(), alice, { preset: 'public_chat', guestAccess: 'can_join' });
    await api(server(), 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: guest.accessToken, body: {} });
    await api(server(), 'PUT', `/_matrix/client/v3/profile/${encodeURIComponent(guest.userId)}/displayname`, {
      token: guest.accessToken,
      body: { displayname: 'Visitor' },
    });

    const body = { username: localpartOf(guest.userId), password: 'now-a-member', guest_access_token: guest.accessToken };
    const challenge = await api(server(), 'POST', REGISTER, { body });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    const done = await api(server(), 'POST', REGISTER, { body: { ...body, auth: { type: 'm.login.dummy', session: challenge.body.session } } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.user_id).toBe(guest.userId);
    expect(done.body.device_id).not.toBe(guest.deviceId);

    for (const token of [done.body.access_token as string, guest.accessToken]) {
      const whoami = await api(server(), 'GET', WHOAMI, { token });
      expect(whoami.body).toMatchObject({ user_id: guest.userId, is_guest: false });
      // Endpoints closed to guests now work, on the old device's token too.
      expect((await api(server(), 'GET', '/_matrix/client/v3/joined_rooms', { token })).body).toEqual({ joined_rooms: [roomId] });
    }
    const profile = await api(server(), 'GET', `/_matrix/client/v3/profile/${encodeURIComponent(guest.userId)}/displayname`);
    expect(profile.body).toEqual({ displayname: 'Visitor' });
    const login = await api(server(), 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpartOf(guest.userId) }, password: 'now-a-member' },
    });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe(guest.userId);
    // The room closing to guests no longer concerns the upgraded account.
    await api(server(), 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.guest_access/`, {
      token: alice.accessToken,
      body: { guest_access: 'forbidden' },
    });
    expect(await membershipOf(server(), alice, roomId, guest.userId)).toBe('join');

    // Once upgraded, the token is no guest's: a second upgrade is refused.
    const again = await api(server(), 'POST', REGISTER, { body: { ...body, auth: { type: 'm.login.dummy' } } });
    expect(again.status).toBe(403);
    expect(again.body.errcode).toBe('M_FORBIDDEN');
  });

  it('needs a guest token and the guest localpart as username', async () => {
    const guest = await registerGuest(server());
    const user = await registerUser(server(), uniqueLocalpart('full'));
    const register = (body: Record<string, unknown>) => api(server(), 'POST', REGISTER, { body: { password: 'pw', auth: { type: 'm.login.dummy' }, ...body } });

    const missing = await register({ guest_access_token: guest.accessToken });
    expect([missing.status, missing.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    const other = await register({ guest_access_token: guest.accessToken, username: uniqueLocalpart('other') });
    expect([other.status, other.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const bogus = await register({ guest_access_token: 'not-a-token', username: localpartOf(guest.userId) });
    expect([bogus.status, bogus.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const fullToken = await register({ guest_access_token: user.accessToken, username: localpartOf(user.userId) });
    expect([fullToken.status, fullToken.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    // Without the guest's token its user ID is taken like any other.
    const taken = await register({ username: localpartOf(guest.userId) });
    expect([taken.status, taken.body.errcode]).toEqual([400, 'M_USER_IN_USE']);
    expect((await api(server(), 'GET', WHOAMI, { token: guest.accessToken })).body.is_guest).toBe(true);
  });
});

describe('upgrading a guest when registration is closed', () => {
  let server: TestHomeserver;
  beforeAll(async () => {
    server = await startTestHomeserver({ config: { registration: { mode: 'closed' } } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('still lets guests register but refuses the upgrade', async () => {
    const guest = await registerGuest(server);
    const upgrade = await api(server, 'POST', REGISTER, {
      body: { username: guest.userId.slice(1, guest.userId.indexOf(':')), password: 'pw', guest_access_token: guest.accessToken, auth: { type: 'm.login.dummy' } },
    });
    expect([upgrade.status, upgrade.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect((await api(server, 'GET', WHOAMI, { token: guest.accessToken })).body.is_guest).toBe(true);
  });
});
