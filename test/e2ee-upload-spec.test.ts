/**
 * POST /keys/upload accepts every value the spec allows (algorithms unknown to us, extra fields, signatures by other
 * keys, `unsigned`, fallback keys of several algorithms) and refuses, with the spec's error codes, only what the spec
 * rules out or what would harm the server.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysupload
 * https://spec.matrix.org/v1.19/client-server-api/#uploading-keys
 */
import { expect, it } from 'vitest';
import { encodeUnpaddedBase64, generateSigningKey, signBytes, signingBytes, type JsonObject, type SigningKey } from '@parley/federation';
import { forEachDialect, registerUser, uniqueLocalpart, type TestUser } from './support/homeserver.js';
import { api, ok, sync, type Json } from './sync-helpers.js';

/** `object` with a signature by `userId`'s `keyId` added to those it has (`unsigned` is not signed). */
function sign(object: JsonObject, userId: string, keyId: string, key: SigningKey): JsonObject {
  const { signatures: existing, unsigned, ...rest } = object;
  const signatures = (existing ?? {}) as Record<string, Record<string, string>>;
  const signature = signBytes(key, signingBytes(rest));
  const signed: JsonObject = { ...rest, signatures: { ...signatures, [userId]: { ...(signatures[userId] ?? {}), [keyId]: signature } } };
  return unsigned === undefined ? signed : { ...signed, unsigned };
}

const base64Key = (): string => encodeUnpaddedBase64(generateSigningKey().publicKey);

forEachDialect('e2ee uploads: what the spec allows', (server) => {
  const register = (name: string): Promise<TestUser> => registerUser(server(), uniqueLocalpart(name));
  const upload = (user: TestUser, body: Json) => api(server(), 'POST', '/keys/upload', user, body);

  it('accepts device keys with unknown algorithms, no curve25519 key, extra fields and signatures by other keys', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const deviceKey = generateSigningKey();
    const crossSigning = generateSigningKey();
    const keyId = `ed25519:${alice.deviceId}`;
    let deviceKeys: JsonObject = {
      user_id: alice.userId,
      device_id: alice.deviceId,
      algorithms: ['org.example.pq.v1', 'm.megolm.v1.aes-sha2'],
      keys: { [keyId]: encodeUnpaddedBase64(deviceKey.publicKey), [`org.example.pq:${alice.deviceId}`]: 'cHEta2V5' },
      'org.example.extra': { nested: [1, 'two'] },
    };
    deviceKeys = sign(deviceKeys, alice.userId, keyId, deviceKey);
    // Signed by a cross-signing key of the user, and by somebody else entirely: both are kept, neither is judged.
    deviceKeys = sign(deviceKeys, alice.userId, `ed25519:${encodeUnpaddedBase64(crossSigning.publicKey)}`, crossSigning);
    deviceKeys = sign(deviceKeys, '@someone:elsewhere.example', 'ed25519:OTHER', generateSigningKey());
    const withUnsigned = { ...deviceKeys, unsigned: { 'org.example.note': 'not covered by signatures' } };

    expect(await upload(alice, { device_keys: withUnsigned })).toEqual({ status: 200, body: { one_time_key_counts: {} } });
    const query = await ok(api(server(), 'POST', '/keys/query', bob, { device_keys: { [alice.userId]: [] } }), 'query');
    const served = (query.device_keys as Record<string, Record<string, Json>>)[alice.userId]?.[alice.deviceId];
    const { unsigned, ...signedPart } = served ?? {};
    expect(signedPart).toEqual(deviceKeys);
    // The server's own `unsigned`, not the client's.
    expect(unsigned).not.toHaveProperty('org.example.note');
  });

  it('accepts one-time and fallback keys of any algorithm, with extra fields and extra signatures, and hands them out as uploaded', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const deviceKey = generateSigningKey();
    const keyId = `ed25519:${alice.deviceId}`;
    const deviceKeys = sign(
      {
        user_id: alice.userId,
        device_id: alice.deviceId,
        algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
        keys: { [keyId]: encodeUnpaddedBase64(deviceKey.publicKey), [`curve25519:${alice.deviceId}`]: base64Key() },
      },
      alice.userId,
      keyId,
      deviceKey,
    );
    const signedOneTime = sign(
      sign({ key: base64Key(), 'org.example.extra': true }, alice.userId, keyId, deviceKey),
      alice.userId,
      'ed25519:SomeOtherKey',
      generateSigningKey(),
    );
    const unknownObject: JsonObject = { key: 'b3RoZXI', 'org.example.params': { rounds: 3 } };
    const oneTimeKeys: JsonObject = {
      'signed_curve25519:AAAAAQ': signedOneTime,
      'curve25519:AAAAAg': base64Key(),
      'org.example.algo:K1': 'opaque-string-key',
      'org.example.algo:K2': unknownObject,
      // Another signed_* algorithm unknown to us: its signing rules are not ours to check.
      'signed_org.example:K3': { key: 'eHl6', signatures: {} },
    };
    const fallbackKeys: JsonObject = {
      'signed_curve25519:FALLBACK': sign({ key: base64Key(), fallback: true }, alice.userId, keyId, deviceKey),
      'org.example.algo:FB': { key: 'ZmFsbGJhY2s', fallback: false },
    };
    const answer = await upload(alice, { device_keys: deviceKeys, one_time_keys: oneTimeKeys, fallback_keys: fallbackKeys });
    expect(answer).toEqual({
      status: 200,
      body: { one_time_key_counts: { signed_curve25519: 1, curve25519: 1, 'org.example.algo': 2, 'signed_org.example': 1 } },
    });
    expect(((await sync(server(), alice)).device_unused_fallback_key_types as string[]).sort()).toEqual(['org.example.algo', 'signed_curve25519']);

    const claim = async (algorithm: string): Promise<Json> => {
      const body = await ok(api(server(), 'POST', '/keys/claim', bob, { one_time_keys: { [alice.userId]: { [alice.deviceId]: algorithm } } }), 'claim');
      return (body.one_time_keys as Record<string, Record<string, Json>>)[alice.userId]?.[alice.deviceId] ?? {};
    };
    expect(await claim('signed_curve25519')).toEqual({ 'signed_curve25519:AAAAAQ': signedOneTime });
    expect(await claim('signed_curve25519')).toEqual({ 'signed_curve25519:FALLBACK': fallbackKeys['signed_curve25519:FALLBACK'] });
    const unknown = { ...(await claim('org.example.algo')), ...(await claim('org.example.algo')) };
    expect(unknown).toEqual({ 'org.example.algo:K1': 'opaque-string-key', 'org.example.algo:K2': unknownObject });
    expect(await claim('org.example.algo')).toEqual({ 'org.example.algo:FB': fallbackKeys['org.example.algo:FB'] });
  });

  it('refuses what the spec rules out, with its error codes, and stores nothing of a refused upload', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const deviceKey = generateSigningKey();
    const keyId = `ed25519:${alice.deviceId}`;
    const unsignedDeviceKeys: JsonObject = {
      user_id: alice.userId,
      device_id: alice.deviceId,
      algorithms: ['m.megolm.v1.aes-sha2'],
      keys: { [keyId]: encodeUnpaddedBase64(deviceKey.publicKey) },
    };
    const deviceKeys = sign(unsignedDeviceKeys, alice.userId, keyId, deviceKey);
    const signedKey = (extra: JsonObject = {}): JsonObject => sign({ key: base64Key(), ...extra }, alice.userId, keyId, deviceKey);
    const cases: [string, Json, number, string][] = [
      ['another user', { device_keys: { ...deviceKeys, user_id: bob.userId } }, 400, 'M_INVALID_PARAM'],
      ['another device', { device_keys: { ...deviceKeys, device_id: 'NOTMINE' } }, 400, 'M_INVALID_PARAM'],
      ['no ed25519 key', { device_keys: { ...deviceKeys, keys: { [`curve25519:${alice.deviceId}`]: base64Key() } } }, 400, 'M_INVALID_PARAM'],
      ['no signatures', { device_keys: unsignedDeviceKeys }, 400, 'M_INVALID_SIGNATURE'],
      ['a forged signature', { device_keys: { ...deviceKeys, algorithms: ['m.olm.v1.curve25519-aes-sha2'] } }, 400, 'M_INVALID_SIGNATURE'],
      ['keys that are not strings', { device_keys: { ...deviceKeys, keys: { [keyId]: 5 } } }, 400, 'M_INVALID_PARAM'],
      ['a signed_curve25519 string', { device_keys: deviceKeys, one_time_keys: { 'signed_curve25519:A': base64Key() } }, 400, 'M_INVALID_PARAM'],
      ['an unsigned signed_curve25519 key', { device_keys: deviceKeys, one_time_keys: { 'signed_curve25519:A': { key: base64Key() } } }, 400, 'M_INVALID_SIGNATURE'],
      ['a key object without key', { device_keys: deviceKeys, one_time_keys: { 'org.example:A': { value: 'x' } } }, 400, 'M_INVALID_PARAM'],
      ['a non-boolean fallback', { device_keys: deviceKeys, fallback_keys: { 'signed_curve25519:F': signedKey({ fallback: 'yes' }) } }, 400, 'M_INVALID_PARAM'],
      [
        'two fallback keys of one algorithm',
        { device_keys: deviceKeys, fallback_keys: { 'signed_curve25519:F1': signedKey({ fallback: true }), 'signed_curve25519:F2': signedKey({ fallback: true }) } },
        400,
        'M_INVALID_PARAM',
      ],
      ['a float in a signed object', { device_keys: { ...deviceKeys, 'org.example.n': 1.5 } }, 400, 'M_BAD_JSON'],
    ];
    for (const [what, body, status, errcode] of cases) {
      const answer = await upload(alice, body);
      expect({ what, status: answer.status, errcode: answer.body.errcode }).toEqual({ what, status, errcode });
    }
    const query = await ok(api(server(), 'POST', '/keys/query', bob, { device_keys: { [alice.userId]: [] } }), 'query');
    expect((query.device_keys as Record<string, Json>)[alice.userId] ?? {}).toEqual({});
    expect((await sync(server(), alice)).device_one_time_keys_count ?? {}).toEqual({});
    // The same device keys, valid, are then accepted.
    expect((await upload(alice, { device_keys: deviceKeys })).status).toBe(200);
  });
});
