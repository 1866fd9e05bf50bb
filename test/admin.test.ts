/**
 * Server administration over HTTP: whois, account suspension and locking (who may, the spec's error order) and
 * their enforcement, on SQLite and (with TEST_POSTGRES_URL) PostgreSQL. Admins are made with `setServerAdmin`,
 * what `parley make-admin` runs.
 * https://spec.matrix.org/v1.19/client-server-api/#server-administration
 * https://spec.matrix.org/v1.19/client-server-api/#account-moderation
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { setServerAdmin } from '@parley/homeserver';
import { runCli } from '../homeserver/src/cli.js';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';

const enc = encodeURIComponent;
const whoisPath = (userId: string): string => `/_matrix/client/v3/admin/whois/${enc(userId)}`;
const suspendPath = (userId: string): string => `/_matrix/client/v1/admin/suspend/${enc(userId)}`;
const lockPath = (userId: string): string => `/_matrix/client/v1/admin/lock/${enc(userId)}`;
const WHOAMI = '/_matrix/client/v3/account/whoami';

async function registerAdmin(server: TestHomeserver): Promise<TestUser> {
  const admin = await registerUser(server, uniqueLocalpart('admin'));
  expect(await setServerAdmin(server.server.config, admin.userId, { admin: true })).toBe(true);
  return admin;
}

function login(server: TestHomeserver, user: TestUser, password = user.password) {
  return api(server, 'POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password },
  });
}

async function createRoom(server: TestHomeserver, user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const response = await api(server, 'POST', '/_matrix/client/v3/createRoom', { token: user.accessToken, body });
  expect(response.status).toBe(200);
  return response.body.room_id as string;
}

async function send(server: TestHomeserver, user: TestUser, roomId: string, body = 'hi') {
  return api(server, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${uniqueLocalpart('txn')}`, {
    token: user.accessToken,
    body: { msgtype: 'm.text', body },
  });
}

forEachDialect('admin: whois', (server) => {
  it('shows a user their own devices in the spec shape', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const response = await api(server(), 'GET', whoisPath(alice.userId), { token: alice.accessToken });
    expect(response.status).toBe(200);
    expect(response.body.user_id).toBe(alice.userId);
    const devices = response.body.devices as Record<string, { sessions: { connections: Record<string, unknown>[] }[] }>;
    expect(Object.keys(devices)).toEqual([alice.deviceId]);
    const [connection] = devices[alice.deviceId]!.sessions[0]!.connections;
    expect(connection).toEqual({ ip: expect.stringContaining('127.0.0.1'), last_seen: expect.any(Number), user_agent: expect.any(String) });
  });

  it('refuses other users to non-admins, before looking the target up', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    for (const target of [bob.userId, `@${uniqueLocalpart('nobody')}:${server().serverName}`]) {
      const response = await api(server(), 'GET', whoisPath(target), { token: alice.accessToken });
      expect(response.status).toBe(403);
      expect(response.body.errcode).toBe('M_FORBIDDEN');
    }
  });

  it('lets a server admin look up anyone local: 404 for unknown users, 400 for other servers', async () => {
    const admin = await registerAdmin(server());
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const found = await api(server(), 'GET', whoisPath(bob.userId), { token: admin.accessToken });
    expect(found.status).toBe(200);
    expect(Object.keys(found.body.devices as object)).toEqual([bob.deviceId]);
    const unknown = await api(server(), 'GET', whoisPath(`@${uniqueLocalpart('nobody')}:${server().serverName}`), { token: admin.accessToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const remote = await api(server(), 'GET', whoisPath('@someone:elsewhere.example'), { token: admin.accessToken });
    expect(remote.status).toBe(400);
    expect(remote.body.errcode).toBe('M_INVALID_PARAM');
  });
});

forEachDialect('admin: suspend and lock endpoints', (server) => {
  it('are for server admins only, checked before any account lookup', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const nobody = `@${uniqueLocalpart('nobody')}:${server().serverName}`;
    for (const path of [suspendPath, lockPath]) {
      for (const target of [bob.userId, nobody, '@x:elsewhere.example']) {
        const get = await api(server(), 'GET', path(target), { token: alice.accessToken });
        expect(get.status).toBe(403);
        expect(get.body.errcode).toBe('M_FORBIDDEN');
      }
    }
    const put = await api(server(), 'PUT', suspendPath(bob.userId), { token: alice.accessToken, body: { suspended: true } });
    expect(put.status).toBe(403);
    const lock = await api(server(), 'PUT', lockPath(bob.userId), { token: alice.accessToken, body: { locked: true } });
    expect(lock.status).toBe(403);
    // Nothing changed: bob still works.
    expect((await api(server(), 'GET', WHOAMI, { token: bob.accessToken })).status).toBe(200);
  });

  it('answer 400 for other servers, 404 for unknown or deactivated users, 403 for other admins and oneself', async () => {
    const admin = await registerAdmin(server());
    const otherAdmin = await registerAdmin(server());
    const gone = await registerUser(server(), uniqueLocalpart('gone'));
    await api(server(), 'POST', '/_matrix/client/v3/account/deactivate', {
      token: gone.accessToken,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: gone.userId }, password: gone.password } },
    });
    for (const path of [suspendPath, lockPath]) {
      const remote = await api(server(), 'GET', path('@x:elsewhere.example'), { token: admin.accessToken });
      expect([remote.status, remote.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
      const unknown = await api(server(), 'GET', path(`@${uniqueLocalpart('nobody')}:${server().serverName}`), { token: admin.accessToken });
      expect([unknown.status, unknown.body.errcode]).toEqual([404, 'M_NOT_FOUND']);
      const deactivated = await api(server(), 'GET', path(gone.userId), { token: admin.accessToken });
      expect([deactivated.status, deactivated.body.errcode]).toEqual([404, 'M_NOT_FOUND']);
      const another = await api(server(), 'GET', path(otherAdmin.userId), { token: admin.accessToken });
      expect([another.status, another.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    }
    const selfSuspend = await api(server(), 'PUT', suspendPath(admin.userId), { token: admin.accessToken, body: { suspended: true } });
    expect([selfSuspend.status, selfSuspend.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const selfLock = await api(server(), 'PUT', lockPath(admin.userId), { token: admin.accessToken, body: { locked: true } });
    expect([selfLock.status, selfLock.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect((await api(server(), 'GET', suspendPath(admin.userId), { token: admin.accessToken })).body).toEqual({ suspended: false });
  });

  it('read and set the flags, and validate the body', async () => {
    const admin = await registerAdmin(server());
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    expect((await api(server(), 'GET', suspendPath(bob.userId), { token: admin.accessToken })).body).toEqual({ suspended: false });
    expect((await api(server(), 'GET', lockPath(bob.userId), { token: admin.accessToken })).body).toEqual({ locked: false });
    const suspend = await api(server(), 'PUT', suspendPath(bob.userId), { token: admin.accessToken, body: { suspended: true } });
    expect([suspend.status, suspend.body]).toEqual([200, { suspended: true }]);
    expect((await api(server(), 'GET', suspendPath(bob.userId), { token: admin.accessToken })).body).toEqual({ suspended: true });
    expect((await api(server(), 'GET', lockPath(bob.userId), { token: admin.accessToken })).body).toEqual({ locked: false });
    const lift = await api(server(), 'PUT', suspendPath(bob.userId), { token: admin.accessToken, body: { suspended: false } });
    expect(lift.body).toEqual({ suspended: false });
    const missing = await api(server(), 'PUT', lockPath(bob.userId), { token: admin.accessToken, body: {} });
    expect([missing.status, missing.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    const wrongType = await api(server(), 'PUT', suspendPath(bob.userId), { token: admin.accessToken, body: { suspended: 'yes' } });
    expect([wrongType.status, wrongType.body.errcode]).toEqual([400, 'M_BAD_JSON']);
  });

  it('advertise m.account_moderation in /capabilities to admins only', async () => {
    const admin = await registerAdmin(server());
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const forAdmin = await api(server(), 'GET', '/_matrix/client/v3/capabilities', { token: admin.accessToken });
    expect((forAdmin.body.capabilities as Record<string, unknown>)['m.account_moderation']).toEqual({ suspend: true, lock: true });
    const forBob = await api(server(), 'GET', '/_matrix/client/v3/capabilities', { token: bob.accessToken });
    expect(forBob.body.capabilities).not.toHaveProperty('m.account_moderation');
  });
});

forEachDialect('admin: a locked account', (server) => {
  it('gets 401 M_USER_LOCKED with soft_logout on every request but logout, keeps its tokens, and works again once unlocked', async () => {
    const admin = await registerAdmin(server());
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const second = await login(server(), bob);
    expect(second.status).toBe(200);
    await api(server(), 'PUT', lockPath(bob.userId), { token: admin.accessToken, body: { locked: true } });

    for (const [method, path] of [['GET', WHOAMI], ['GET', '/_matrix/client/v3/sync?timeout=0'], ['GET', '/_matrix/client/v3/joined_rooms']] as const) {
      const response = await api(server(), method, path, { token: bob.accessToken });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ errcode: 'M_USER_LOCKED', soft_logout: true });
    }
    const created = await api(server(), 'POST', '/_matrix/client/v3/createRoom', { token: bob.accessToken, body: {} });
    expect([created.status, created.body.errcode]).toEqual([401, 'M_USER_LOCKED']);
    // No new access token while locked: the right password gets the lock error, a wrong one the usual 403.
    const relogin = await login(server(), bob);
    expect(relogin.status).toBe(401);
    expect(relogin.body).toMatchObject({ errcode: 'M_USER_LOCKED', soft_logout: true });
    expect((await login(server(), bob, 'wrong password')).body.errcode).toBe('M_FORBIDDEN');
    // Logout is the spec's exception.
    const logout = await api(server(), 'POST', '/_matrix/client/v3/logout', { token: second.body.access_token as string });
    expect(logout.status).toBe(200);
    expect((await api(server(), 'GET', WHOAMI, { token: second.body.access_token as string })).body.errcode).toBe('M_UNKNOWN_TOKEN');

    await api(server(), 'PUT', lockPath(bob.userId), { token: admin.accessToken, body: { locked: false } });
    const whoami = await api(server(), 'GET', WHOAMI, { token: bob.accessToken });
    expect(whoami.status).toBe(200);
    expect(whoami.body.user_id).toBe(bob.userId);
  });

  it('may log out of every device while locked', async () => {
    const admin = await registerAdmin(server());
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    await api(server(), 'PUT', lockPath(carol.userId), { token: admin.accessToken, body: { locked: true } });
    expect((await api(server(), 'POST', '/_matrix/client/v3/logout/all', { token: carol.accessToken })).status).toBe(200);
    await api(server(), 'PUT', lockPath(carol.userId), { token: admin.accessToken, body: { locked: false } });
    expect((await api(server(), 'GET', WHOAMI, { token: carol.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});

forEachDialect('admin: a suspended account', (server) => {
  it('reads, leaves and redacts its own events, but sends, joins, invites, creates and changes nothing else', async () => {
    const admin = await registerAdmin(server());
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const carol = await registerUser(server(), uniqueLocalpart('carol'));
    // Bob creates a room (so he may redact anyone there) and alice joins; bob is invited to a second room.
    const roomId = await createRoom(server(), bob, { preset: 'public_chat' });
    const otherRoom = await createRoom(server(), alice, { preset: 'public_chat' });
    const inviteRoom = await createRoom(server(), alice, { invite: [bob.userId] });
    expect((await api(server(), 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: alice.accessToken, body: {} })).status).toBe(200);
    const own = (await send(server(), bob, roomId, 'mine')).body.event_id as string;
    const hers = (await send(server(), alice, roomId, 'hers')).body.event_id as string;

    const suspend = await api(server(), 'PUT', suspendPath(bob.userId), { token: admin.accessToken, body: { suspended: true } });
    expect(suspend.status).toBe(200);

    const refused = [
      await send(server(), bob, roomId),
      await api(server(), 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { token: bob.accessToken, body: { topic: 'x' } }),
      await api(server(), 'POST', '/_matrix/client/v3/createRoom', { token: bob.accessToken, body: {} }),
      await api(server(), 'POST', `/_matrix/client/v3/join/${enc(otherRoom)}`, { token: bob.accessToken, body: {} }),
      await api(server(), 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { token: bob.accessToken, body: { user_id: carol.userId } }),
      await api(server(), 'PUT', `/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`, { token: bob.accessToken, body: { displayname: 'B' } }),
      await api(server(), 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(hers)}/${uniqueLocalpart('r')}`, { token: bob.accessToken, body: {} }),
      await api(server(), 'PUT', `/_matrix/client/v3/directory/room/${enc(`#${uniqueLocalpart('a')}:${server().serverName}`)}`, {
        token: bob.accessToken,
        body: { room_id: roomId },
      }),
      await api(server(), 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { token: bob.accessToken, body: { user_id: alice.userId } }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(403);
      expect(response.body.errcode).toBe('M_USER_SUSPENDED');
    }

    // Reads still work.
    expect((await api(server(), 'GET', '/_matrix/client/v3/sync?timeout=0', { token: bob.accessToken })).status).toBe(200);
    const messages = await api(server(), 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=20`, { token: bob.accessToken });
    expect(messages.status).toBe(200);
    const bodies = (messages.body.chunk as { content: { body?: string } }[]).map((event) => event.content.body);
    expect(bodies).toContain('hers');
    expect(bodies).not.toContain('hi');
    // Redacting his own event, rejecting an invite and leaving are allowed.
    const redactOwn = await api(server(), 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(own)}/${uniqueLocalpart('r')}`, {
      token: bob.accessToken,
      body: {},
    });
    expect(redactOwn.status).toBe(200);
    expect((await api(server(), 'POST', `/_matrix/client/v3/rooms/${enc(inviteRoom)}/leave`, { token: bob.accessToken, body: {} })).status).toBe(200);
    // The others are unaffected, and lifting the suspension lets bob act again.
    expect((await send(server(), alice, roomId, 'still here')).status).toBe(200);
    await api(server(), 'PUT', suspendPath(bob.userId), { token: admin.accessToken, body: { suspended: false } });
    expect((await send(server(), bob, roomId, 'back')).status).toBe(200);
    expect((await api(server(), 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: bob.accessToken, body: {} })).status).toBe(200);
  });

  it('may still leave a room while suspended', async () => {
    const admin = await registerAdmin(server());
    const dave = await registerUser(server(), uniqueLocalpart('dave'));
    const roomId = await createRoom(server(), dave);
    await api(server(), 'PUT', suspendPath(dave.userId), { token: admin.accessToken, body: { suspended: true } });
    expect((await api(server(), 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: dave.accessToken, body: {} })).status).toBe(200);
    const joined = await api(server(), 'GET', '/_matrix/client/v3/joined_rooms', { token: dave.accessToken });
    expect(joined.body.joined_rooms).toEqual([]);
  });
});

forEachDialect('admin: parley make-admin', (server) => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('makes a user a server admin in the configured database, and --revoke takes it back', async () => {
    // The CLI reads the database from the config file only: no env var may point it elsewhere.
    for (const name of ['DATABASE_URL', 'PARLEY_CONFIG', 'PARLEY_DATA_DIR', 'PARLEY_SERVER_NAME']) vi.stubEnv(name, undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { config } = server().server;
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    try {
      const path = join(dir, 'parley.yaml');
      const database = config.database.url === undefined ? '' : `database:\n  url: ${JSON.stringify(config.database.url)}\n`;
      writeFileSync(path, `server_name: ${JSON.stringify(config.server_name)}\ndata_dir: ${JSON.stringify(config.data_dir)}\n${database}`);
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const bob = await registerUser(server(), uniqueLocalpart('bob'));
      expect((await api(server(), 'GET', suspendPath(bob.userId), { token: alice.accessToken })).status).toBe(403);

      expect(await runCli(['make-admin', alice.userId, '--config', path])).toBe(0);
      expect((await api(server(), 'GET', suspendPath(bob.userId), { token: alice.accessToken })).body).toEqual({ suspended: false });

      expect(await runCli(['make-admin', alice.userId, '--revoke', '--config', path])).toBe(0);
      expect((await api(server(), 'GET', suspendPath(bob.userId), { token: alice.accessToken })).status).toBe(403);

      expect(await runCli(['make-admin', `@${uniqueLocalpart('nobody')}:${config.server_name}`, '--config', path])).toBe(1);
      expect(await runCli(['make-admin', '--config', path])).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
