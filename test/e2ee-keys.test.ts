/**
 * E2EE key management over HTTP: /keys/upload, /keys/query, /keys/claim, /keys/changes, device_lists in /sync,
 * cross-signing keys and signatures, and bad input that must store nothing.
 * https://spec.matrix.org/v1.19/client-server-api/#key-management-api
 */
import { expect, it } from 'vitest';
import { encodeUnpaddedBase64, generateSigningKey, signBytes, signingBytes, type JsonObject, type SigningKey } from '@parley/federation';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, createRoom, joinRoom, ok, sync, type Json } from './sync-helpers.js';

const ALGORITHM = 'signed_curve25519';

/** `object` with a signature by `userId`'s `keyId`, added to any it has. */
function sign(object: JsonObject, userId: string, keyId: string, key: SigningKey): JsonObject {
  const signatures = (object.signatures ?? {}) as Record<string, Record<string, string>>;
  const signature = signBytes(key, signingBytes(object));
  return { ...object, signatures: { ...signatures, [userId]: { ...(signatures[userId] ?? {}), [keyId]: signature } } };
}

interface Device {
  user: TestUser;
  key: SigningKey;
  deviceKeys: JsonObject;
}

function device(user: TestUser): Device {
  const key = generateSigningKey();
  const unsigned: JsonObject = {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`ed25519:${user.deviceId}`]: encodeUnpaddedBase64(key.publicKey), [`curve25519:${user.deviceId}`]: encodeUnpaddedBase64(generateSigningKey().publicKey) },
  };
  return { user, key, deviceKeys: sign(unsigned, user.userId, `ed25519:${user.deviceId}`, key) };
}

function oneTimeKeys(dev: Device, ids: readonly string[], extra: JsonObject = {}): JsonObject {
  return Object.fromEntries(
    ids.map((id) => [`${ALGORITHM}:${id}`, sign({ key: `curve-${id}`, ...extra }, dev.user.userId, `ed25519:${dev.user.deviceId}`, dev.key)]),
  );
}

/** A cross-signing key of `usage`, optionally signed by `signer` (its ID is `ed25519:<public key>`). */
function crossSigningKey(userId: string, usage: string, signer?: SigningKey): { key: SigningKey; json: JsonObject } {
  const key = generateSigningKey();
  const publicKey = encodeUnpaddedBase64(key.publicKey);
  const json: JsonObject = { user_id: userId, usage: [usage], keys: { [`ed25519:${publicKey}`]: publicKey } };
  return { key, json: signer ? sign(json, userId, `ed25519:${encodeUnpaddedBase64(signer.publicKey)}`, signer) : json };
}

async function login(server: TestHomeserver, user: TestUser): Promise<TestUser> {
  const body = await ok(
    api(server, 'POST', '/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password }),
    'login',
  );
  return { ...user, accessToken: body.access_token as string, deviceId: body.device_id as string };
}

async function queryDevices(server: TestHomeserver, asker: TestUser, userId: string): Promise<Json> {
  const body = await ok(api(server, 'POST', '/keys/query', asker, { device_keys: { [userId]: [] } }), 'query');
  return (body.device_keys as Record<string, Json>)[userId] ?? {};
}

forEachDialect('e2ee keys', (server) => {
  it('uploads device, one-time and fallback keys; query, claim and sync show them', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const dev = device(alice);
    const upload = await ok(
      api(server(), 'POST', '/keys/upload', alice, {
        device_keys: dev.deviceKeys,
        one_time_keys: oneTimeKeys(dev, ['AAAA', 'AAAB']),
        fallback_keys: oneTimeKeys(dev, ['FFFF'], { fallback: true }),
      }),
      'upload',
    );
    expect(upload).toEqual({ one_time_key_counts: { [ALGORITHM]: 2 } });
    // An identical retry is fine and changes nothing.
    expect((await api(server(), 'POST', '/keys/upload', alice, { device_keys: dev.deviceKeys, one_time_keys: oneTimeKeys(dev, ['AAAA']) })).body).toEqual(upload);

    await ok(api(server(), 'PUT', `/devices/${alice.deviceId}`, alice, { display_name: 'Alice laptop' }), 'rename');
    const devices = await queryDevices(server(), bob, alice.userId);
    expect(Object.keys(devices)).toEqual([alice.deviceId]);
    expect(devices[alice.deviceId]).toMatchObject({ ...dev.deviceKeys, unsigned: { device_display_name: 'Alice laptop' } });
    const remote = await ok(api(server(), 'POST', '/keys/query', bob, { device_keys: { '@x:remote.example': [] }, timeout: 10 }), 'remote');
    expect(remote.failures).toHaveProperty(['remote.example']);

    const initial = await sync(server(), alice);
    expect(initial.device_one_time_keys_count).toEqual({ [ALGORITHM]: 2 });
    expect(initial.device_unused_fallback_key_types).toEqual([ALGORITHM]);

    const claim = (): Promise<Json> =>
      ok(api(server(), 'POST', '/keys/claim', bob, { one_time_keys: { [alice.userId]: { [alice.deviceId]: ALGORITHM, NOSUCHDEVICE: ALGORITHM }, '@nobody:remote.example': { D: ALGORITHM } } }), 'claim');
    const claimedIds = [];
    for (let i = 0; i < 4; i++) {
      const body = await claim();
      expect(body.failures).toHaveProperty(['remote.example']);
      const keys = (body.one_time_keys as Record<string, Record<string, Json>>)[alice.userId];
      expect(Object.keys(keys ?? {})).toEqual([alice.deviceId]);
      claimedIds.push(...Object.keys(keys?.[alice.deviceId] ?? {}));
    }
    // One-time keys in upload order, each once, then the fallback key again and again.
    expect(claimedIds.slice(0, 2).sort()).toEqual([`${ALGORITHM}:AAAA`, `${ALGORITHM}:AAAB`]);
    expect(claimedIds.slice(2)).toEqual([`${ALGORITHM}:FFFF`, `${ALGORITHM}:FFFF`]);
    const after = await sync(server(), alice);
    expect(after.device_one_time_keys_count ?? {}).toEqual({});
    expect(after.device_unused_fallback_key_types).toEqual([]);
  });

  it('refuses bad keys and stores nothing', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const dev = device(alice);
    const other = device(bob);
    const refused = async (body: unknown, status: number, errcode: string): Promise<void> => {
      const answer = await api(server(), 'POST', '/keys/upload', alice, body);
      expect([answer.status, answer.body.errcode]).toEqual([status, errcode]);
    };
    await refused({ device_keys: other.deviceKeys }, 400, 'M_INVALID_PARAM');
    const forged = { ...dev.deviceKeys, algorithms: ['m.megolm.v1.aes-sha2'] };
    await refused({ device_keys: forged }, 400, 'M_INVALID_SIGNATURE');
    await refused({ device_keys: { ...dev.deviceKeys, keys: { [`ed25519:${alice.deviceId}`]: 'short' } } }, 400, 'M_INVALID_PARAM');
    await refused({ device_keys: dev.deviceKeys, one_time_keys: { [`${ALGORITHM}:X`]: { key: 'k', signatures: {} } } }, 400, 'M_INVALID_SIGNATURE');
    await refused({ device_keys: dev.deviceKeys, one_time_keys: { nocolon: 'k' } }, 400, 'M_INVALID_PARAM');
    await refused({ device_keys: 'nope' }, 400, 'M_BAD_JSON');
    await refused('{not json', 400, 'M_NOT_JSON');
    expect(await queryDevices(server(), alice, alice.userId)).toEqual({});

    await ok(api(server(), 'POST', '/keys/upload', alice, { device_keys: dev.deviceKeys, one_time_keys: oneTimeKeys(dev, ['K1']) }), 'upload');
    // The same key ID with other content, and new identity keys for the device, are refused.
    await refused({ one_time_keys: oneTimeKeys(dev, ['K1'], { other: true }) }, 400, 'M_INVALID_PARAM');
    await refused({ device_keys: device(alice).deviceKeys }, 400, 'M_INVALID_PARAM');
    expect((await sync(server(), alice)).device_one_time_keys_count).toEqual({ [ALGORITHM]: 1 });
    expect(await queryDevices(server(), alice, alice.userId)).toMatchObject({ [alice.deviceId]: dev.deviceKeys });

    const badClaim = await api(server(), 'POST', '/keys/claim', alice, { one_time_keys: { 'not-a-user': { D: ALGORITHM } } });
    expect([badClaim.status, badClaim.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const badQuery = await api(server(), 'POST', '/keys/query', alice, { device_keys: { [bob.userId]: 'all' } });
    expect(badQuery.status).toBe(400);
    const unknown = await ok(api(server(), 'POST', '/keys/claim', alice, { one_time_keys: { [bob.userId]: { NOPE: ALGORITHM } } }), 'claim');
    expect(unknown).toEqual({ one_time_keys: {}, failures: {} });
  });

  it('reports device-list changes in sync and /keys/changes', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const roomId = await createRoom(server(), alice, { preset: 'public_chat' });
    const start = (await sync(server(), alice)).next_batch as string;

    await joinRoom(server(), bob, roomId);
    const afterJoin = await sync(server(), alice, { since: start });
    expect((afterJoin.device_lists as Json).changed).toContain(bob.userId);

    const bobPhone = await login(server(), bob);
    await ok(api(server(), 'POST', '/keys/upload', bobPhone, { device_keys: device(bobPhone).deviceKeys }), 'upload');
    const afterDevice = await sync(server(), alice, { since: afterJoin.next_batch as string });
    expect(afterDevice.device_lists).toEqual({ changed: [bob.userId], left: [] });

    const changes = await ok(api(server(), 'GET', `/keys/changes?from=${start}&to=${afterDevice.next_batch as string}`, alice), 'changes');
    expect(changes).toEqual({ changed: [bob.userId], left: [] });
    // Logging out deletes the device and its keys: Alice hears of it and no longer sees the device.
    expect(Object.keys(await queryDevices(server(), alice, bob.userId))).toEqual([bobPhone.deviceId]);
    await ok(api(server(), 'POST', '/logout', bobPhone, {}), 'logout');
    const afterLogout = await sync(server(), alice, { since: afterDevice.next_batch as string });
    expect(afterLogout.device_lists).toEqual({ changed: [bob.userId], left: [] });
    expect(await queryDevices(server(), alice, bob.userId)).toEqual({});
    await ok(api(server(), 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, bob, {}), 'leave');
    const afterLeave = await sync(server(), alice, { since: afterLogout.next_batch as string });
    expect(afterLeave.device_lists).toEqual({ changed: [], left: [bob.userId] });

    const bad = await api(server(), 'GET', '/keys/changes?from=garbage&to=s1', alice);
    expect([bad.status, bad.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });

  it('uploads cross-signing keys (UIA only to replace them) and validates signatures', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const dev = device(alice);
    await ok(api(server(), 'POST', '/keys/upload', alice, { device_keys: dev.deviceKeys }), 'upload');

    const master = crossSigningKey(alice.userId, 'master');
    const selfSigning = crossSigningKey(alice.userId, 'self_signing', master.key);
    const userSigning = crossSigningKey(alice.userId, 'user_signing', master.key);
    const wrong = crossSigningKey(alice.userId, 'self_signing', generateSigningKey());
    const badSig = await api(server(), 'POST', '/keys/device_signing/upload', alice, { master_key: master.json, self_signing_key: wrong.json });
    expect([badSig.status, badSig.body.errcode]).toEqual([400, 'M_INVALID_SIGNATURE']);
    const noMaster = await api(server(), 'POST', '/keys/device_signing/upload', alice, { self_signing_key: selfSigning.json });
    expect([noMaster.status, noMaster.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);

    const keys = { master_key: master.json, self_signing_key: selfSigning.json, user_signing_key: userSigning.json };
    await ok(api(server(), 'POST', '/keys/device_signing/upload', alice, keys), 'first upload without UIA');
    await ok(api(server(), 'POST', '/keys/device_signing/upload', alice, keys), 'identical retry without UIA');
    const replace = await api(server(), 'POST', '/keys/device_signing/upload', alice, { master_key: crossSigningKey(alice.userId, 'master').json });
    expect(replace.status).toBe(401);
    expect(replace.body.flows).toEqual(expect.arrayContaining([{ stages: ['m.login.password'] }]));

    // Alice signs her device with her self-signing key; a bad signature and an unknown key fail precisely.
    const masterId = encodeUnpaddedBase64(master.key.publicKey);
    const selfId = `ed25519:${encodeUnpaddedBase64(selfSigning.key.publicKey)}`;
    const signedDevice = sign(dev.deviceKeys, alice.userId, selfId, selfSigning.key);
    const forged = sign(dev.deviceKeys, alice.userId, selfId, generateSigningKey());
    const result = await ok(
      api(server(), 'POST', '/keys/signatures/upload', alice, { [alice.userId]: { [alice.deviceId]: signedDevice, UNKNOWNKEY: signedDevice } }),
      'signatures',
    );
    expect(result.failures).toEqual({ [alice.userId]: { UNKNOWNKEY: expect.objectContaining({ errcode: 'M_NOT_FOUND' }) } });
    const failed = await ok(api(server(), 'POST', '/keys/signatures/upload', alice, { [alice.userId]: { [alice.deviceId]: forged } }), 'forged');
    expect(failed.failures).toEqual({ [alice.userId]: { [alice.deviceId]: expect.objectContaining({ errcode: 'M_INVALID_SIGNATURE' }) } });

    // Bob sees the signature on Alice's device and her master and self-signing keys, but not her user-signing key.
    const seenByBob = await ok(api(server(), 'POST', '/keys/query', bob, { device_keys: { [alice.userId]: [] } }), 'query');
    const aliceDevice = (seenByBob.device_keys as Record<string, Record<string, Json>>)[alice.userId]?.[alice.deviceId];
    expect((aliceDevice?.signatures as Record<string, Json>)[alice.userId]).toHaveProperty([selfId]);
    expect((seenByBob.master_keys as Json)[alice.userId]).toEqual(master.json);
    expect((seenByBob.self_signing_keys as Json)[alice.userId]).toEqual(selfSigning.json);
    expect(seenByBob.user_signing_keys).toEqual({});
    const seenByAlice = await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [alice.userId]: [] } }), 'own query');
    expect((seenByAlice.user_signing_keys as Json)[alice.userId]).toEqual(userSigning.json);

    // Bob cross-signs, then Alice signs Bob's master key with her user-signing key: only Alice sees that signature.
    const bobMaster = crossSigningKey(bob.userId, 'master');
    await ok(api(server(), 'POST', '/keys/device_signing/upload', bob, { master_key: bobMaster.json }), 'bob upload');
    const bobMasterId = encodeUnpaddedBase64(bobMaster.key.publicKey);
    const userSigningId = `ed25519:${encodeUnpaddedBase64(userSigning.key.publicKey)}`;
    const signedBob = sign(bobMaster.json, alice.userId, userSigningId, userSigning.key);
    expect((await ok(api(server(), 'POST', '/keys/signatures/upload', alice, { [bob.userId]: { [bobMasterId]: signedBob } }), 'sign bob')).failures).toEqual({});
    const aliceView = await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [bob.userId]: [] } }), 'alice view');
    expect(((aliceView.master_keys as Record<string, Json>)[bob.userId]?.signatures as Json)[alice.userId]).toHaveProperty([userSigningId]);
    const bobView = await ok(api(server(), 'POST', '/keys/query', bob, { device_keys: { [bob.userId]: [] } }), 'bob view');
    expect((bobView.master_keys as Record<string, Json>)[bob.userId]).toEqual(bobMaster.json);
    // Signing Alice's own master key with her device works too.
    const masterByDevice = sign(master.json, alice.userId, `ed25519:${alice.deviceId}`, dev.key);
    expect((await ok(api(server(), 'POST', '/keys/signatures/upload', alice, { [alice.userId]: { [masterId]: masterByDevice } }), 'master')).failures).toEqual({});
  });
});
