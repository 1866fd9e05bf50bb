/**
 * E2EE fan-out benchmarks: what happens when a Megolm session is shared with a 100-member encrypted room.
 * - /keys/claim of one one-time key for each of 100 devices in one request;
 * - /sendToDevice of one encrypted message to each of 100 devices in one request, and the time until a recipient's
 *   waiting /sync has it.
 */
import { encodeUnpaddedBase64, signJson, signingKeyFromSeed, type JsonObject } from '@parley/federation';
import { randomBytes } from 'node:crypto';
import { registerUser, startTestHomeserver, type TestDialect, type TestHomeserver, type TestUser } from '../../test/support/start.js';
import { call } from './http.js';
import { formatMeasurement, type Measurement } from './report.js';

const MEMBERS = 100;
const KEYS_PER_DEVICE = 30;
const CLAIM_ROUNDS = 20;
const TO_DEVICE_ROUNDS = 30;

/** Uploads signed device keys and `KEYS_PER_DEVICE` signed one-time keys, as a real client would. */
async function uploadKeys(server: TestHomeserver, user: TestUser): Promise<void> {
  const key = signingKeyFromSeed(randomBytes(32), user.deviceId);
  const curve = () => encodeUnpaddedBase64(randomBytes(32));
  const deviceKeys = signJson(
    {
      user_id: user.userId,
      device_id: user.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: { [`ed25519:${user.deviceId}`]: encodeUnpaddedBase64(key.publicKey), [`curve25519:${user.deviceId}`]: curve() },
    },
    user.userId,
    key,
  );
  const oneTimeKeys: JsonObject = {};
  for (let i = 0; i < KEYS_PER_DEVICE; i++) {
    oneTimeKeys[`signed_curve25519:AAAA${i}`] = signJson({ key: curve() }, user.userId, key);
  }
  await call(server, user, 'POST', '/keys/upload', { device_keys: deviceKeys, one_time_keys: oneTimeKeys });
}

async function benchDialect(dialect: TestDialect): Promise<Measurement[]> {
  const server = await startTestHomeserver({ dialect, config: { log: { level: 'error' }, presence: { enabled: false } } });
  try {
    const sender = await registerUser(server, 'sender');
    const members: TestUser[] = [];
    for (let i = 0; i < MEMBERS; i += 10) {
      members.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => registerUser(server, `member${i + j}`)))));
    }
    for (let i = 0; i < MEMBERS; i += 10) await Promise.all(members.slice(i, i + 10).map((member) => uploadKeys(server, member)));

    const claimBody = { one_time_keys: Object.fromEntries(members.map((m) => [m.userId, { [m.deviceId]: 'signed_curve25519' }])) };
    const claimStart = performance.now();
    for (let round = 0; round < CLAIM_ROUNDS; round++) await call(server, sender, 'POST', '/keys/claim', claimBody);
    const claimMs = performance.now() - claimStart;

    const reader = members[0] as TestUser;
    let since = (await call(server, reader, 'GET', '/sync')).next_batch as string;
    const ciphertext = encodeUnpaddedBase64(randomBytes(400));
    const toDeviceMs: number[] = [];
    const arrivalMs: number[] = [];
    for (let round = 0; round < TO_DEVICE_ROUNDS; round++) {
      const waiting = (async () => {
        for (;;) {
          const response = await call(server, reader, 'GET', `/sync?timeout=10000&since=${encodeURIComponent(since)}`);
          since = response.next_batch as string;
          const toDevice = response.to_device as { events?: unknown[] } | undefined;
          if ((toDevice?.events?.length ?? 0) > 0) return performance.now();
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const messages = Object.fromEntries(
        members.map((m) => [m.userId, { [m.deviceId]: { algorithm: 'm.olm.v1.curve25519-aes-sha2', sender_key: 'x', ciphertext: { k: { type: 0, body: ciphertext } } } }]),
      );
      const start = performance.now();
      await call(server, sender, 'PUT', `/sendToDevice/m.room.encrypted/bench-${round}`, { messages });
      toDeviceMs.push(performance.now() - start);
      arrivalMs.push((await waiting) - start);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    return [
      { name: `[${dialect}] /keys/claim for ${MEMBERS} devices in one request (mean over ${CLAIM_ROUNDS})`, value: claimMs / CLAIM_ROUNDS, unit: 'ms/request' },
      { name: `[${dialect}] one-time keys claimed`, value: (CLAIM_ROUNDS * MEMBERS * 1000) / claimMs, unit: 'keys/s' },
      { name: `[${dialect}] /sendToDevice to ${MEMBERS} devices in one request (median)`, value: median(toDeviceMs), unit: 'ms/request' },
      { name: `[${dialect}] to-device messages queued`, value: (MEMBERS * 1000) / median(toDeviceMs), unit: 'msg/s' },
      { name: `[${dialect}] send -> recipient's waiting /sync has it (median)`, value: median(arrivalMs), unit: 'ms' },
    ];
  } finally {
    await server.close();
  }
}

export async function runE2eeBench(): Promise<void> {
  console.log(`e2ee fan-out (a ${MEMBERS}-member encrypted room sharing a Megolm session)`);
  const dialects: TestDialect[] = ['sqlite'];
  if (process.env.TEST_POSTGRES_URL) dialects.push('postgres');
  for (const dialect of dialects) {
    for (const measurement of await benchDialect(dialect)) console.log(formatMeasurement(measurement));
  }
}
