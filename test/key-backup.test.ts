/**
 * Server-side key backup over HTTP on SQLite and (with TEST_POSTGRES_URL) PostgreSQL: versions, keys, the
 * replacement rules, etags, wrong versions and bad input.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 */
import { describe, expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { createSdkClient, stopClient } from './support/clients.js';
import { openDatabase } from '../homeserver/src/storage/knex/connect.js';
import { api, type ApiResponse } from './support/http.js';

const ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2';
const AUTH_DATA = { public_key: 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo', signatures: { '@x:y': { 'ed25519:DEV': 'sig' } } };
const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

interface KeyData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}

function keyData(overrides: Partial<KeyData> = {}, ciphertext = 'ciphertext'): KeyData {
  return { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { ephemeral: 'eph', ciphertext, mac: 'mac' }, ...overrides };
}

forEachDialect('key backup over HTTP', (server) => {
  const register = (name: string): Promise<TestUser> => registerUser(server(), uniqueLocalpart(name));
  const call = (user: TestUser | undefined, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    api(server(), method, `${V3}${path}`, { token: user?.accessToken, ...(typeof body === 'string' ? { rawBody: body } : { body }) });
  const createVersion = async (user: TestUser, authData: object = AUTH_DATA): Promise<string> => {
    const response = await call(user, 'POST', '/room_keys/version', { algorithm: ALGORITHM, auth_data: authData });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ version: expect.any(String) });
    return response.body.version as string;
  };
  const room = (): string => `!${uniqueLocalpart('room')}:${server().serverName}`;

  it('creates, reads, updates and deletes backup versions', async () => {
    const alice = await register('alice');
    expect(await call(alice, 'GET', '/room_keys/version')).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });

    const first = await createVersion(alice);
    const info = { algorithm: ALGORITHM, auth_data: AUTH_DATA, count: 0, etag: expect.any(String), version: first };
    expect(await call(alice, 'GET', '/room_keys/version')).toEqual({ status: 200, headers: expect.anything(), body: info });
    expect((await call(alice, 'GET', `/room_keys/version/${first}`)).body).toEqual(info);

    // Only auth_data changes; the body's version, when present, must match the path.
    const newAuth = { public_key: 'bmV3IGtleQ', signatures: {} };
    expect((await call(alice, 'PUT', `/room_keys/version/${first}`, { algorithm: ALGORITHM, auth_data: newAuth, version: first })).body).toEqual({});
    expect((await call(alice, 'GET', `/room_keys/version/${first}`)).body).toMatchObject({ auth_data: newAuth, version: first });
    expect(await call(alice, 'PUT', `/room_keys/version/${first}`, { algorithm: ALGORITHM, auth_data: AUTH_DATA, version: `${first}0` }))
      .toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    expect(await call(alice, 'PUT', `/room_keys/version/${first}`, { algorithm: 'org.example.other', auth_data: AUTH_DATA }))
      .toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    expect((await call(alice, 'GET', `/room_keys/version/${first}`)).body).toMatchObject({ auth_data: newAuth });

    // A newer version becomes the current one; the older one stays readable.
    const second = await createVersion(alice);
    expect(second).not.toBe(first);
    expect((await call(alice, 'GET', '/room_keys/version')).body).toMatchObject({ version: second, auth_data: AUTH_DATA });
    expect((await call(alice, 'GET', `/room_keys/version/${first}`)).body).toMatchObject({ version: first });

    // Deleting is idempotent; the previous live version becomes current again.
    expect(await call(alice, 'DELETE', `/room_keys/version/${second}`)).toMatchObject({ status: 200, body: {} });
    expect(await call(alice, 'DELETE', `/room_keys/version/${second}`)).toMatchObject({ status: 200, body: {} });
    expect(await call(alice, 'GET', `/room_keys/version/${second}`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect((await call(alice, 'GET', '/room_keys/version')).body).toMatchObject({ version: first });
    expect(await call(alice, 'PUT', `/room_keys/version/${second}`, { algorithm: ALGORITHM, auth_data: AUTH_DATA }))
      .toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect((await call(alice, 'DELETE', `/room_keys/version/${first}`)).status).toBe(200);
    expect(await call(alice, 'GET', '/room_keys/version')).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
  });

  it("keeps users' backups apart", async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const version = await createVersion(alice);
    expect(await call(bob, 'GET', '/room_keys/version')).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    for (const [method, path, body] of [
      ['GET', `/room_keys/version/${version}`, undefined],
      ['PUT', `/room_keys/version/${version}`, { algorithm: ALGORITHM, auth_data: AUTH_DATA }],
      ['DELETE', `/room_keys/version/${version}`, undefined],
      ['GET', `/room_keys/keys?version=${version}`, undefined],
      ['DELETE', `/room_keys/keys?version=${version}`, undefined],
      ['PUT', `/room_keys/keys?version=${version}`, { rooms: {} }],
    ] as const) {
      expect(await call(bob, method, path, body), `${method} ${path}`).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    }
    expect((await call(alice, 'GET', `/room_keys/version/${version}`)).body).toMatchObject({ version, auth_data: AUTH_DATA });
  });

  it('stores keys through the three PUT forms, serves them in the spec shapes and counts them', async () => {
    const alice = await register('alice');
    const version = await createVersion(alice);
    const [roomA, roomB] = [room(), room()];
    // Megolm session IDs are standard base64: `/` and `+` must survive the path.
    const odd = 'ab/c+d';
    const put1 = await call(alice, 'PUT', `/room_keys/keys/${enc(roomA)}/${enc(odd)}?version=${version}`, keyData({}, 'c1'));
    expect(put1).toMatchObject({ status: 200, body: { etag: expect.any(String), count: 1 } });
    expect(Object.keys(put1.body).sort()).toEqual(['count', 'etag']);
    const put2 = await call(alice, 'PUT', `/room_keys/keys/${enc(roomA)}?version=${version}`, { sessions: { s2: keyData({}, 'c2') } });
    expect(put2.body).toMatchObject({ count: 2 });
    expect(put2.body.etag).not.toBe(put1.body.etag);
    const put3 = await call(alice, 'PUT', `/room_keys/keys?version=${version}`, { rooms: { [roomB]: { sessions: { s3: keyData({}, 'c3') } } } });
    expect(put3.body).toMatchObject({ count: 3 });

    expect((await call(alice, 'GET', `/room_keys/keys/${enc(roomA)}/${enc(odd)}?version=${version}`)).body).toEqual(keyData({}, 'c1'));
    expect((await call(alice, 'GET', `/room_keys/keys/${enc(roomA)}?version=${version}`)).body).toEqual({
      sessions: { [odd]: keyData({}, 'c1'), s2: keyData({}, 'c2') },
    });
    expect((await call(alice, 'GET', `/room_keys/keys?version=${version}`)).body).toEqual({
      rooms: { [roomA]: { sessions: { [odd]: keyData({}, 'c1'), s2: keyData({}, 'c2') } }, [roomB]: { sessions: { s3: keyData({}, 'c3') } } },
    });
    expect((await call(alice, 'GET', '/room_keys/version')).body).toMatchObject({ count: 3, etag: put3.body.etag });

    // Missing session: 404; a room without keys: an empty `sessions` (as the spec's 200 response says).
    expect(await call(alice, 'GET', `/room_keys/keys/${enc(roomA)}/nope?version=${version}`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect(await call(alice, 'GET', `/room_keys/keys/${enc(room())}?version=${version}`)).toMatchObject({ status: 200, body: { sessions: {} } });
    // An unknown version: 404 for reads.
    expect(await call(alice, 'GET', `/room_keys/keys?version=999999`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect(await call(alice, 'GET', `/room_keys/keys?version=banana`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
  });

  it('deletes keys per session, room and backup, moving the etag only when something went', async () => {
    const alice = await register('alice');
    const version = await createVersion(alice);
    const [roomA, roomB] = [room(), room()];
    await call(alice, 'PUT', `/room_keys/keys?version=${version}`, {
      rooms: { [roomA]: { sessions: { s1: keyData(), s2: keyData() } }, [roomB]: { sessions: { s3: keyData(), s4: keyData() } } },
    });
    const etag0 = (await call(alice, 'GET', '/room_keys/version')).body.etag;
    const one = await call(alice, 'DELETE', `/room_keys/keys/${enc(roomA)}/s1?version=${version}`);
    expect(one).toMatchObject({ status: 200, body: { count: 3 } });
    expect(one.body.etag).not.toBe(etag0);
    const none = await call(alice, 'DELETE', `/room_keys/keys/${enc(roomA)}/s1?version=${version}`);
    expect(none.body).toEqual({ etag: one.body.etag, count: 3 });
    const roomGone = await call(alice, 'DELETE', `/room_keys/keys/${enc(roomB)}?version=${version}`);
    expect(roomGone.body).toMatchObject({ count: 1 });
    expect(roomGone.body.etag).not.toBe(one.body.etag);
    expect((await call(alice, 'GET', `/room_keys/keys?version=${version}`)).body).toEqual({ rooms: { [roomA]: { sessions: { s2: keyData() } } } });
    expect((await call(alice, 'DELETE', `/room_keys/keys?version=${version}`)).body).toMatchObject({ count: 0 });
    expect((await call(alice, 'GET', `/room_keys/keys?version=${version}`)).body).toEqual({ rooms: {} });
    expect(await call(alice, 'DELETE', `/room_keys/keys?version=999999`)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
  });

  it('writes only to the current version: 403 M_WRONG_ROOM_KEYS_VERSION with current_version; 404 with no backup', async () => {
    const alice = await register('alice');
    const roomId = room();
    const path = (version: string): string => `/room_keys/keys/${enc(roomId)}/s1?version=${version}`;
    expect(await call(alice, 'PUT', path('1'), keyData())).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    const old = await createVersion(alice);
    const current = await createVersion(alice);
    for (const wrong of [old, '999999', 'banana']) {
      expect(await call(alice, 'PUT', path(wrong), keyData())).toMatchObject({
        status: 403, body: { errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: current },
      });
    }
    expect(await call(alice, 'PUT', `/room_keys/keys?version=${old}`, { rooms: {} })).toMatchObject({ status: 403, body: { current_version: current } });
    expect((await call(alice, 'GET', `/room_keys/keys?version=${old}`)).body).toEqual({ rooms: {} });
    expect((await call(alice, 'PUT', path(current), keyData())).status).toBe(200);
    // Once the current version is deleted, the previous live one takes writes again.
    await call(alice, 'DELETE', `/room_keys/version/${current}`);
    expect((await call(alice, 'PUT', path(old), keyData())).body).toMatchObject({ count: 1 });
  });

  it('keeps the best key when devices upload the same session concurrently', async () => {
    const alice = await register('alice');
    const version = await createVersion(alice);
    const path = `/room_keys/keys/${enc(room())}/contended?version=${version}`;
    const indices = [7, 3, 9, 0, 5, 8, 1, 6, 2, 4];
    const answers = await Promise.all(indices.map((index) => call(alice, 'PUT', path, keyData({ first_message_index: index }, `c${index}`))));
    expect(answers.map((answer) => answer.status)).toEqual(indices.map(() => 200));
    expect((await call(alice, 'GET', path)).body).toEqual(keyData({ first_message_index: 0 }, 'c0'));
    expect((await call(alice, 'GET', '/room_keys/version')).body).toMatchObject({ count: 1 });
  });

  describe('replacement rules for a session the backup already holds', () => {
    const cases: [string, Partial<KeyData>, Partial<KeyData>, 'stored' | 'uploaded'][] = [
      ['verified beats unverified with a worse index', { is_verified: false, first_message_index: 0 }, { is_verified: true, first_message_index: 10 }, 'uploaded'],
      ['unverified never beats verified', { is_verified: true, first_message_index: 10, forwarded_count: 5 }, { is_verified: false, first_message_index: 0, forwarded_count: 0 }, 'stored'],
      ['lower first_message_index wins', { first_message_index: 10, forwarded_count: 0 }, { first_message_index: 3, forwarded_count: 9 }, 'uploaded'],
      ['higher first_message_index loses', { first_message_index: 3, forwarded_count: 9 }, { first_message_index: 10, forwarded_count: 0 }, 'stored'],
      ['equal index: lower forwarded_count wins', { first_message_index: 3, forwarded_count: 2 }, { first_message_index: 3, forwarded_count: 1 }, 'uploaded'],
      ['equal index: higher forwarded_count loses', { first_message_index: 3, forwarded_count: 1 }, { first_message_index: 3, forwarded_count: 2 }, 'stored'],
      ['all equal: the stored key stays', { first_message_index: 3, forwarded_count: 1 }, { first_message_index: 3, forwarded_count: 1 }, 'stored'],
    ];
    it.each(cases)('%s', async (_name, stored, uploaded, winner) => {
      const alice = await register('alice');
      const version = await createVersion(alice);
      const path = `/room_keys/keys/${enc(room())}/session?version=${version}`;
      const first = await call(alice, 'PUT', path, keyData(stored, 'stored'));
      const second = await call(alice, 'PUT', path, keyData(uploaded, 'uploaded'));
      expect(second.status).toBe(200);
      expect(second.body.count).toBe(1);
      // The etag moves exactly when the stored key changed.
      expect(second.body.etag !== first.body.etag).toBe(winner === 'uploaded');
      expect((await call(alice, 'GET', path)).body).toEqual(winner === 'stored' ? keyData(stored, 'stored') : keyData(uploaded, 'uploaded'));
    });

    it('applies the rules per session within one upload', async () => {
      const alice = await register('alice');
      const version = await createVersion(alice);
      const roomId = room();
      await call(alice, 'PUT', `/room_keys/keys/${enc(roomId)}?version=${version}`, {
        sessions: { better: keyData({ first_message_index: 5 }, 'old'), worse: keyData({ first_message_index: 5 }, 'old') },
      });
      const response = await call(alice, 'PUT', `/room_keys/keys/${enc(roomId)}?version=${version}`, {
        sessions: { better: keyData({ first_message_index: 1 }, 'new'), worse: keyData({ first_message_index: 9 }, 'new'), fresh: keyData({}, 'new') },
      });
      expect(response.body.count).toBe(3);
      const sessions = (await call(alice, 'GET', `/room_keys/keys/${enc(roomId)}?version=${version}`)).body.sessions as Record<string, KeyData>;
      expect(Object.fromEntries(Object.entries(sessions).map(([id, data]) => [id, data.session_data.ciphertext]))).toEqual({ better: 'new', worse: 'old', fresh: 'new' });
    });
  });

  it('rejects bad input with the right errors and stores nothing', async () => {
    const alice = await register('alice');
    const version = await createVersion(alice);
    const roomId = room();
    const session = `/room_keys/keys/${enc(roomId)}/s1?version=${version}`;
    const etag = (await call(alice, 'GET', '/room_keys/version')).body.etag;
    const cases: [string, string, unknown, number, string][] = [
      ['PUT', session, { ...keyData(), session_data: 'not an object' }, 400, 'M_BAD_JSON'],
      ['PUT', session, { ...keyData(), session_data: ['x'] }, 400, 'M_BAD_JSON'],
      ['PUT', session, { ...keyData(), is_verified: 'yes' }, 400, 'M_BAD_JSON'],
      ['PUT', session, { ...keyData(), first_message_index: -1 }, 400, 'M_BAD_JSON'],
      ['PUT', session, { ...keyData(), forwarded_count: 1.5 }, 400, 'M_BAD_JSON'],
      ['PUT', session, { first_message_index: 0, forwarded_count: 0, is_verified: false }, 400, 'M_MISSING_PARAM'],
      ['PUT', session, '{"first_message_index": 0,', 400, 'M_NOT_JSON'],
      ['PUT', session, [keyData()], 400, 'M_BAD_JSON'],
      ['PUT', `/room_keys/keys/${enc(roomId)}/s1`, keyData(), 400, 'M_MISSING_PARAM'],
      ['PUT', `/room_keys/keys/not-a-room/s1?version=${version}`, keyData(), 400, 'M_INVALID_PARAM'],
      ['PUT', `/room_keys/keys/${enc(roomId)}?version=${version}`, { sessions: { ok: keyData(), bad: { ...keyData(), session_data: 7 } } }, 400, 'M_BAD_JSON'],
      ['PUT', `/room_keys/keys/${enc(roomId)}?version=${version}`, {}, 400, 'M_MISSING_PARAM'],
      ['PUT', `/room_keys/keys?version=${version}`, { rooms: { [roomId]: { sessions: { ok: keyData() } }, 'no-sigil': { sessions: {} } } }, 400, 'M_INVALID_PARAM'],
      ['PUT', `/room_keys/keys?version=${version}`, { rooms: { [roomId]: { sessions: { ok: keyData(), bad: { is_verified: true } } } } }, 400, 'M_MISSING_PARAM'],
      ['PUT', `/room_keys/keys?version=${version}`, { rooms: [] }, 400, 'M_BAD_JSON'],
      ['GET', `/room_keys/keys/not-a-room?version=${version}`, undefined, 400, 'M_INVALID_PARAM'],
      ['GET', '/room_keys/keys', undefined, 400, 'M_MISSING_PARAM'],
      ['POST', '/room_keys/version', { algorithm: ALGORITHM }, 400, 'M_MISSING_PARAM'],
      ['POST', '/room_keys/version', { algorithm: ALGORITHM, auth_data: 'x' }, 400, 'M_BAD_JSON'],
      ['POST', '/room_keys/version', { algorithm: ALGORITHM, auth_data: {} }, 400, 'M_MISSING_PARAM'],
      ['POST', '/room_keys/version', { algorithm: ALGORITHM, auth_data: { public_key: 5 } }, 400, 'M_BAD_JSON'],
      ['POST', '/room_keys/version', { algorithm: 'org.example.unknown', auth_data: AUTH_DATA }, 400, 'M_INVALID_PARAM'],
      ['POST', '/room_keys/version', '{"algorithm"', 400, 'M_NOT_JSON'],
      ['PUT', `/room_keys/version/${version}`, { algorithm: ALGORITHM }, 400, 'M_MISSING_PARAM'],
      ['PUT', `/room_keys/version/${version}`, { algorithm: ALGORITHM, auth_data: {} }, 400, 'M_MISSING_PARAM'],
    ];
    for (const [method, path, body, status, errcode] of cases) {
      const response = await call(alice, method, path, body);
      expect(response, `${method} ${path} ${JSON.stringify(body)}`).toMatchObject({ status, body: { errcode } });
    }
    // Nothing was stored or changed, and the server keeps serving.
    expect((await call(alice, 'GET', '/room_keys/version')).body).toEqual({ algorithm: ALGORITHM, auth_data: AUTH_DATA, count: 0, etag, version });
    expect((await call(alice, 'GET', `/room_keys/keys?version=${version}`)).body).toEqual({ rooms: {} });
  });

  it('works with matrix-js-sdk (Rust crypto): reads a backup made over HTTP, then replaces it with its own', async () => {
    const alice = await register('alice');
    const made = await createVersion(alice);
    const client = createSdkClient(server(), alice);
    try {
      await client.initRustCrypto({ useIndexedDB: false });
      const crypto = client.getCrypto();
      if (crypto === undefined) throw new Error('no crypto');
      expect(await crypto.getKeyBackupInfo()).toMatchObject({ algorithm: ALGORITHM, auth_data: AUTH_DATA, version: made, count: 0 });
      // resetKeyBackup deletes every version (until GET answers 404) and creates one with a fresh key, signed by the device.
      await crypto.resetKeyBackup();
      const check = await crypto.checkKeyBackupAndEnable();
      const version = check?.backupInfo.version;
      expect(version).toBeDefined();
      expect(version).not.toBe(made);
      // The SDK trusts the new backup (it holds the key) and backs up to it.
      expect(check?.trustInfo.trusted).toBe(true);
      expect(await crypto.getActiveSessionBackupVersion()).toBe(version);
      const current = await call(alice, 'GET', '/room_keys/version');
      expect(current.body).toMatchObject({ algorithm: ALGORITHM, version, count: 0 });
      const authData = current.body.auth_data as { public_key: string; signatures: Record<string, Record<string, string>> };
      expect(authData.public_key).toMatch(/^[A-Za-z0-9+/]{43}$/);
      expect(Object.keys(authData.signatures[alice.userId] ?? {})).toContain(`ed25519:${alice.deviceId}`);
      expect(await call(alice, 'GET', `/room_keys/version/${made}`)).toMatchObject({ status: 404 });
    } finally {
      stopClient(client);
    }
  });

  it('needs an access token on every endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/room_keys/version'], ['POST', '/room_keys/version'], ['GET', '/room_keys/version/1'], ['PUT', '/room_keys/version/1'],
      ['DELETE', '/room_keys/version/1'], ['GET', '/room_keys/keys?version=1'], ['PUT', '/room_keys/keys?version=1'],
      ['DELETE', '/room_keys/keys/!r:x/s?version=1'],
    ] as const) {
      expect(await call(undefined, method, path), `${method} ${path}`).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } });
    }
    const bogus = { userId: '', accessToken: 'not-a-token', deviceId: '', password: '' };
    expect(await call(bogus, 'GET', '/room_keys/version')).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
  });

  it('deletes the backups of a deactivated account', async () => {
    const alice = await register('alice');
    const version = await createVersion(alice);
    await call(alice, 'PUT', `/room_keys/keys/${enc(room())}/s?version=${version}`, keyData());
    const deactivate = await call(alice, 'POST', '/account/deactivate', {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password },
    });
    expect(deactivate.status).toBe(200);
    // The account can no longer ask, so look at the database itself (a second connection, as another process would).
    const { config } = (server() as TestHomeserver).server;
    const database = await openDatabase({ databaseUrl: config.database.url, sqlitePath: config.database.sqlite_path });
    try {
      const versions = (await database.knex('key_backup_versions').select('deleted', 'auth_data_json').where({ user_id: alice.userId })) as { deleted: unknown; auth_data_json: string }[];
      expect(versions).toHaveLength(1);
      expect(versions.map((row) => [Boolean(row.deleted), row.auth_data_json])).toEqual([[true, '{}']]);
      const [{ n }] = (await database.knex('key_backup_sessions').where({ version: Number(version) }).count({ n: '*' })) as { n: unknown }[];
      expect(Number(n)).toBe(0);
    } finally {
      await database.close();
    }
  });
});
