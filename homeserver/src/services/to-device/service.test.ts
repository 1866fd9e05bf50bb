import { generateSigningKey } from '@parley/federation';
import { expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { configSchema, type Config } from '../../config/schema.js';
import { createLogger } from '../../log.js';
import type { StreamAdvance } from '../../pubsub/index.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { uniqueId } from '../../storage/testing/fixtures.js';
import { createToDeviceService } from './index.js';

function setUp(storage: Storage, limits: { backlog?: number; maxBodyBytes?: number } = {}) {
  const notifier = createMemoryNotifier();
  const published: StreamAdvance[] = [];
  notifier.subscribe((advance) => published.push(advance));
  const devices = new Map<string, string[]>();
  const deps = {
    config: {
      ...configSchema.parse({
        limits: { to_device_backlog_per_device: limits.backlog ?? 10_000 },
        max_request_body_bytes: limits.maxBodyBytes ?? 10 * 1024 * 1024,
      }),
      server_name: 'test.example',
    } as Config,
    storage,
    notifier,
    clock: manualClock(1_700_000_000_000),
    logger: createLogger({ level: 'silent' }),
    serverName: 'test.example',
    signingKey: generateSigningKey(),
  };
  const toDevice = createToDeviceService(deps, {
    listDeviceIds: async (userIds) => userIds.flatMap((userId) => (devices.get(userId) ?? []).map((deviceId) => ({ userId, deviceId }))),
  });
  const alice = { userId: uniqueId('@'), deviceId: 'ALICE', accessTokenId: 1 };
  const [bob, carol] = [uniqueId('@'), uniqueId('@')];
  devices.set(bob, ['B1', 'B2']);
  devices.set(carol, ['C1']);
  return { toDevice, published, alice, bob, carol };
}

forEachDatabase('to-device service', (storage) => {
  it('gives one request one stream position and publishes it for the recipients', async () => {
    const { toDevice, published, alice, bob, carol } = setUp(storage());
    await toDevice.send(alice, 'm.test', 't1', { [bob]: { '*': { a: 1 } }, [carol]: { C1: { c: 1 }, GONE: { x: 1 } } });
    const position = await toDevice.currentPosition();
    expect(published).toEqual([{ stream: 'to_device', position, userIds: [bob, carol] }]);
    for (const [userId, deviceId, content] of [[bob, 'B1', { a: 1 }], [bob, 'B2', { a: 1 }], [carol, 'C1', { c: 1 }]] as const) {
      const batch = await toDevice.getMessagesForSync(userId, deviceId, { from: position - 1, to: position, acknowledged: null });
      expect(batch).toEqual({ events: [{ sender: alice.userId, type: 'm.test', content }], position });
    }
  });

  it('publishes nothing for a retry or a request with no local recipients', async () => {
    const { toDevice, published, alice, bob } = setUp(storage());
    await toDevice.send(alice, 'm.test', 't1', { [bob]: { B1: {} } });
    await toDevice.send(alice, 'm.test', 't1', { [bob]: { B1: {} } });
    await toDevice.send(alice, 'm.test', 't2', { '@x:elsewhere.example': { '*': {} }, [bob]: { NOPE: {} } });
    expect(published).toHaveLength(1);
  });

  it('stops the position at the last message delivered when the page is full, and deletes what was acknowledged', async () => {
    const { toDevice, alice, bob } = setUp(storage());
    const start = await toDevice.currentPosition();
    for (let n = 0; n < 3; n += 1) await toDevice.send(alice, 'm.test', `n${n}`, { [bob]: { B1: { n } } });
    const end = await toDevice.currentPosition();
    const page = await toDevice.getMessagesForSync(bob, 'B1', { from: start, to: end, acknowledged: null, limit: 2 });
    expect(page.events.map((event) => event.content.n)).toEqual([0, 1]);
    expect(page.position).toBeLessThan(end);
    const rest = await toDevice.getMessagesForSync(bob, 'B1', { from: page.position, to: end, acknowledged: page.position, limit: 2 });
    expect(rest).toEqual({ events: [{ sender: alice.userId, type: 'm.test', content: { n: 2 } }], position: end });
    // Acknowledged messages are gone even for a client going back to the start.
    const replay = await toDevice.getMessagesForSync(bob, 'B1', { from: start, to: end, acknowledged: null });
    expect(replay.events.map((event) => event.content.n)).toEqual([2]);
  });

  it('rejects a key that is not a user ID before storing anything', async () => {
    const { toDevice, published, alice, bob } = setUp(storage());
    await expect(toDevice.send(alice, 'm.test', 'bad', { [bob]: { B1: {} }, 'not-a-user': { X: {} } })).rejects.toMatchObject({
      status: 400,
      errcode: 'M_BAD_JSON',
    });
    expect(published).toEqual([]);
    await toDevice.send(alice, 'm.test', 'bad', { [bob]: { B1: {} } });
    expect(published).toHaveLength(1);
  });

  it('forgets a deleted device: its queue and its transaction IDs', async () => {
    const { toDevice, published, alice, bob } = setUp(storage());
    const start = await toDevice.currentPosition();
    await toDevice.send(alice, 'm.test', 'once', { [bob]: { B1: {} } });
    await toDevice.deviceDeleted(bob, 'B1');
    await toDevice.deviceDeleted(alice.userId, alice.deviceId);
    const end = await toDevice.currentPosition();
    expect((await toDevice.getMessagesForSync(bob, 'B1', { from: start, to: end, acknowledged: null })).events).toEqual([]);
    await toDevice.send(alice, 'm.test', 'once', { [bob]: { B2: {} } });
    expect(published).toHaveLength(2);
  });

  it('keeps the newest messages of a device whose backlog is full, and counts acknowledged ones out', async () => {
    const { toDevice, alice, bob } = setUp(storage(), { backlog: 3 });
    const start = await toDevice.currentPosition();
    for (let n = 0; n < 5; n += 1) await toDevice.send(alice, 'm.test', `b${n}`, { [bob]: { B1: { n }, B2: { n } } });
    const end = await toDevice.currentPosition();
    const queued = async (deviceId: string) =>
      (await toDevice.getMessagesForSync(bob, deviceId, { from: start, to: end, acknowledged: null })).events.map((event) => event.content.n);
    expect(await queued('B1')).toEqual([2, 3, 4]);
    expect(await queued('B2')).toEqual([2, 3, 4]);
    // Delivering two frees two places: the next two messages drop nothing.
    const page = await toDevice.getMessagesForSync(bob, 'B1', { from: start, to: end, acknowledged: null, limit: 2 });
    await toDevice.getMessagesForSync(bob, 'B1', { from: page.position, to: end, acknowledged: page.position });
    for (let n = 5; n < 7; n += 1) await toDevice.send(alice, 'm.test', `b${n}`, { [bob]: { B1: { n } } });
    const later = await toDevice.currentPosition();
    const rest = await toDevice.getMessagesForSync(bob, 'B1', { from: start, to: later, acknowledged: null });
    expect(rest.events.map((event) => event.content.n)).toEqual([4, 5, 6]);
  });

  it("refuses with 413 M_TOO_LARGE a '*' that expands beyond the largest request body, storing nothing", async () => {
    const { toDevice, published, alice, bob } = setUp(storage(), { maxBodyBytes: 1_500 });
    const content = { pad: 'x'.repeat(1_000) };
    // Explicitly to one device it fits; '*' to bob's two devices doubles it past the bound.
    await toDevice.send(alice, 'm.test', 'one', { [bob]: { B1: content } });
    await expect(toDevice.send(alice, 'm.test', 'all', { [bob]: { '*': content } })).rejects.toMatchObject({ status: 413, errcode: 'M_TOO_LARGE' });
    expect(published).toHaveLength(1);
    // The refused transaction ID was not used up.
    await toDevice.send(alice, 'm.test', 'all', { [bob]: { '*': { small: true } } });
    expect(published).toHaveLength(2);
  });
});
