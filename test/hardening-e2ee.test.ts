/**
 * Hardening of the E2EE and to-device endpoints against requests that used to stall the event loop or grow storage
 * without bound: /keys/query and /keys/claim caps and chunked work, one-time key quotas per upload and per device,
 * the to-device backlog per device and `*` fan-out, and the `key_upload` rate limit. Each attack runs over HTTP and
 * either gets a 4xx or finishes while another user's requests keep being answered promptly.
 */
import { expect, it } from 'vitest';
import { encodeUnpaddedBase64, generateSigningKey, signBytes, signingBytes, type JsonObject } from '@parley/federation';
import { forEachDialect, registerUser, uniqueLocalpart, type TestHomeserver, type TestUser } from './support/homeserver.js';
import { api, ok, sync, type Answer, type Json } from './sync-helpers.js';

/** Generous bound on another user's request latency during an attack (noisy 2-core machines). */
const PROMPT_MS = 2_500;

/**
 * Runs `attack` while another user repeatedly calls /account/whoami; returns the attack's answer and the slowest
 * whoami seen (at least one whoami runs, the last one after the attack has started).
 */
async function whileProbing(server: TestHomeserver, prober: TestUser, attack: () => Promise<Answer>): Promise<{ answer: Answer; slowestMs: number }> {
  let done = false;
  let slowestMs = 0;
  const probe = async (): Promise<void> => {
    do {
      const started = performance.now();
      const whoami = await api(server, 'GET', '/account/whoami', prober);
      expect(whoami.status).toBe(200);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    } while (!done);
  };
  const probing = probe();
  const answer = await attack().finally(() => {
    done = true;
  });
  await probing;
  return { answer, slowestMs };
}

/** Device keys for `user`'s device, self-signed. */
function deviceKeys(user: TestUser): JsonObject {
  const key = generateSigningKey();
  const unsigned: JsonObject = {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`ed25519:${user.deviceId}`]: encodeUnpaddedBase64(key.publicKey), [`curve25519:${user.deviceId}`]: 'curve' },
  };
  return { ...unsigned, signatures: { [user.userId]: { [`ed25519:${user.deviceId}`]: signBytes(key, signingBytes(unsigned)) } } };
}

/** `count` unsigned curve25519 one-time keys named `<prefix><n>`. */
function plainKeys(prefix: string, count: number): Json {
  return Object.fromEntries(Array.from({ length: count }, (_, n) => [`curve25519:${prefix}${n}`, `key-${prefix}${n}`]));
}

function fakeLocalUsers(server: TestHomeserver, count: number): string[] {
  const tag = uniqueLocalpart('ghost');
  return Array.from({ length: count }, (_, n) => `@${tag}-${n}:${server.serverName}`);
}

async function keyCounts(server: TestHomeserver, user: TestUser): Promise<Json> {
  return (await ok(api(server, 'POST', '/keys/upload', user, {}), 'counts')).one_time_key_counts as Json;
}

forEachDialect('hardening: e2ee keys', (server) => {
  it('refuses a /keys/query of more users than keys_query_max_users; a maximal one runs while others are served', async () => {
    const [alice, bob, prober] = await Promise.all(['alice', 'bob', 'probe'].map((name) => registerUser(server(), uniqueLocalpart(name))));
    await ok(api(server(), 'POST', '/keys/upload', bob, { device_keys: deviceKeys(bob) }), 'bob keys');

    const tooMany = fakeLocalUsers(server(), 10_001);
    const refused = await api(server(), 'POST', '/keys/query', alice, { device_keys: Object.fromEntries(tooMany.map((u) => [u, []])) });
    expect(refused.status).toBe(400);
    expect(refused.body.errcode).toBe('M_INVALID_PARAM');

    const users = [bob.userId, ...fakeLocalUsers(server(), 9_999)];
    const { answer, slowestMs } = await whileProbing(server(), prober, () =>
      api(server(), 'POST', '/keys/query', alice, { device_keys: Object.fromEntries(users.map((u) => [u, []])) }),
    );
    expect(answer.status).toBe(200);
    const devices = answer.body.device_keys as Record<string, Json>;
    expect(Object.keys(devices)).toHaveLength(10_000);
    expect(Object.keys(devices[bob.userId] ?? {})).toEqual([bob.deviceId]);
    expect(slowestMs).toBeLessThan(PROMPT_MS);
  });

  it('refuses a /keys/claim of more devices than keys_claim_max_devices; a maximal one runs while others are served', async () => {
    const [alice, bob, prober] = await Promise.all(['alice', 'bob', 'probe'].map((name) => registerUser(server(), uniqueLocalpart(name))));
    await ok(api(server(), 'POST', '/keys/upload', bob, { device_keys: deviceKeys(bob), one_time_keys: plainKeys('k', 2) }), 'bob keys');

    const devicesOf = (count: number): Record<string, string> =>
      Object.fromEntries(Array.from({ length: count }, (_, n) => [`GHOST${n}`, 'curve25519']));
    const refused = await api(server(), 'POST', '/keys/claim', alice, { one_time_keys: { [bob.userId]: { ...devicesOf(10_000), [bob.deviceId]: 'curve25519' } } });
    expect(refused.status).toBe(400);
    expect(refused.body.errcode).toBe('M_INVALID_PARAM');
    // The refused claim took nothing.
    expect(await keyCounts(server(), bob)).toEqual({ curve25519: 2 });

    const claim = { [bob.userId]: { ...devicesOf(4_999), [bob.deviceId]: 'curve25519' } };
    for (const ghost of fakeLocalUsers(server(), 5_000)) claim[ghost] = { DEV: 'curve25519' };
    const { answer, slowestMs } = await whileProbing(server(), prober, () => api(server(), 'POST', '/keys/claim', alice, { one_time_keys: claim }));
    expect(answer.status).toBe(200);
    expect(answer.body.one_time_keys).toEqual({ [bob.userId]: { [bob.deviceId]: { 'curve25519:k0': 'key-k0' } } });
    expect(await keyCounts(server(), bob)).toEqual({ curve25519: 1 });
    expect(slowestMs).toBeLessThan(PROMPT_MS);
  });

  it('refuses an upload of more one-time keys than one_time_keys_per_upload at once, storing nothing', async () => {
    const [alice, prober] = await Promise.all(['alice', 'probe'].map((name) => registerUser(server(), uniqueLocalpart(name))));
    const keys = deviceKeys(alice);
    const over = await api(server(), 'POST', '/keys/upload', alice, { device_keys: keys, one_time_keys: plainKeys('a', 200), fallback_keys: plainKeys('f', 1) });
    expect(over.status).toBe(400);
    expect(over.body.errcode).toBe('M_INVALID_PARAM');
    // The 150 000-key upload that took 20 s is refused before any key is looked at.
    const { answer, slowestMs } = await whileProbing(server(), prober, () =>
      api(server(), 'POST', '/keys/upload', alice, { device_keys: keys, one_time_keys: plainKeys('b', 150_000) }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errcode).toBe('M_INVALID_PARAM');
    expect(slowestMs).toBeLessThan(PROMPT_MS);
    expect(await keyCounts(server(), alice)).toEqual({});
    const devices = (await ok(api(server(), 'POST', '/keys/query', alice, { device_keys: { [alice.userId]: [] } }), 'query')).device_keys as Json;
    expect(devices[alice.userId]).toEqual({});
    // What Element uploads (device keys, up to 50 one-time keys and a fallback key) is accepted.
    expect(
      (await api(server(), 'POST', '/keys/upload', alice, { device_keys: keys, one_time_keys: plainKeys('c', 50), fallback_keys: plainKeys('f', 1) })).body,
    ).toEqual({ one_time_key_counts: { curve25519: 50 } });
  });

  it('keeps at most one_time_keys_per_device one-time keys per device: an upload beyond stores none of its keys', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => registerUser(server(), uniqueLocalpart(name))));
    for (let batch = 0; batch < 5; batch++) await ok(api(server(), 'POST', '/keys/upload', alice, { one_time_keys: plainKeys(`b${batch}-`, 200) }), 'fill');
    expect(await keyCounts(server(), alice)).toEqual({ curve25519: 1_000 });
    const over = await api(server(), 'POST', '/keys/upload', alice, { one_time_keys: plainKeys('x', 2) });
    expect(over.status).toBe(400);
    expect(over.body.errcode).toBe('M_INVALID_PARAM');
    expect(await keyCounts(server(), alice)).toEqual({ curve25519: 1_000 });
    // Re-uploading keys already stored adds nothing, so it stays allowed; a claim makes room for one new key.
    await ok(api(server(), 'POST', '/keys/upload', alice, { one_time_keys: plainKeys('b0-', 3) }), 'retry');
    await ok(api(server(), 'POST', '/keys/claim', bob, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'curve25519' } } }), 'claim');
    expect((await api(server(), 'POST', '/keys/upload', alice, { one_time_keys: plainKeys('y', 1) })).body).toEqual({ one_time_key_counts: { curve25519: 1_000 } });
  });
});

forEachDialect(
  'hardening: to-device',
  (server) => {
    it("keeps only the newest to_device_backlog_per_device messages of a device that never syncs", async () => {
      const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => registerUser(server(), uniqueLocalpart(name))));
      for (let n = 0; n < 25; n++) {
        await ok(api(server(), 'PUT', `/sendToDevice/m.test/t${n}`, alice, { messages: { [bob.userId]: { [bob.deviceId]: { n } } } }), 'send');
      }
      const events = ((await sync(server(), bob)).to_device as { events: { content: { n: number } }[] }).events;
      expect(events.map((event) => event.content.n)).toEqual(Array.from({ length: 20 }, (_, n) => n + 5));
    });

    it("refuses with 413 M_TOO_LARGE a '*' that would store more than the largest request body, queueing nothing", async () => {
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const bob = await registerUser(server(), uniqueLocalpart('bob'));
      const others = await Promise.all(
        [1, 2, 3].map(async () => {
          const body = { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: bob.password };
          return (await ok(api(server(), 'POST', '/login', undefined, body), 'login')).device_id as string;
        }),
      );
      expect(others).toHaveLength(3);
      const content = { pad: 'x'.repeat(6_000) };
      // To one named device it fits in the 16 KiB body limit; '*' to bob's four devices would store 24 KB.
      await ok(api(server(), 'PUT', '/sendToDevice/m.test/one', alice, { messages: { [bob.userId]: { [bob.deviceId]: content } } }), 'one');
      const fanOut = await api(server(), 'PUT', '/sendToDevice/m.test/all', alice, { messages: { [bob.userId]: { '*': content } } });
      expect(fanOut.status).toBe(413);
      expect(fanOut.body.errcode).toBe('M_TOO_LARGE');
      const events = ((await sync(server(), bob)).to_device as { events: Json[] }).events;
      expect(events).toHaveLength(1);
      // A small '*' reaches all four devices.
      await ok(api(server(), 'PUT', '/sendToDevice/m.test/all', alice, { messages: { [bob.userId]: { '*': { small: true } } } }), 'small');
    });
  },
  { config: { limits: { to_device_backlog_per_device: 20 }, max_request_body_bytes: 16 * 1024 } },
);

forEachDialect(
  'hardening: key_upload rate limit',
  (server) => {
    it('answers 429 M_LIMIT_EXCEEDED beyond the burst, shared by the three upload endpoints, per user', async () => {
      const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => registerUser(server(), uniqueLocalpart(name))));
      const statuses: number[] = [];
      for (let n = 0; n < 3; n++) statuses.push((await api(server(), 'POST', '/keys/upload', alice, { one_time_keys: plainKeys(`r${n}`, 1) })).status);
      const signatures = await api(server(), 'POST', '/keys/signatures/upload', alice, {});
      const signing = await api(server(), 'POST', '/keys/device_signing/upload', alice, {});
      const upload = await api(server(), 'POST', '/keys/upload', alice, { one_time_keys: plainKeys('late', 1) });
      expect(statuses).toEqual([200, 200, 200]);
      for (const limited of [signatures, signing, upload]) {
        expect(limited.status).toBe(429);
        expect(limited.body.errcode).toBe('M_LIMIT_EXCEEDED');
        expect(limited.body.retry_after_ms).toBeGreaterThan(0);
      }
      // Bob has his own bucket; the refused upload stored nothing: alice's device holds the three keys uploaded before.
      expect((await api(server(), 'POST', '/keys/upload', bob, {})).status).toBe(200);
      const claimed: string[] = [];
      for (let n = 0; n < 4; n++) {
        const body = await ok(api(server(), 'POST', '/keys/claim', bob, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'curve25519' } } }), 'claim');
        const byDevice = (body.one_time_keys as Record<string, Record<string, Json>>)[alice.userId];
        claimed.push(...Object.keys(byDevice?.[alice.deviceId] ?? {}));
      }
      expect(claimed.sort()).toEqual(['curve25519:r00', 'curve25519:r10', 'curve25519:r20']);
    });
  },
  { config: { rate_limits: { enabled: true, key_upload: { per_second: 0.01, burst_count: 3 } } } },
);
