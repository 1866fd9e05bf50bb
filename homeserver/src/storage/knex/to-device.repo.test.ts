import { expect, it } from 'vitest';
import type { Storage, ToDeviceMessageRecord } from '../index.js';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';

function message(userId: string, deviceId: string, streamId: number, body = `m${streamId}`): ToDeviceMessageRecord {
  return { userId, deviceId, streamId, sender: '@sender:test.example', type: 'm.test', content: { body, nested: { n: streamId } } };
}

/** Queues one message per position for the device, each position from the real stream, as the service does. */
async function queue(storage: Storage, userId: string, deviceId: string, count: number): Promise<number[]> {
  const positions: number[] = [];
  for (let index = 0; index < count; index += 1) {
    positions.push(
      await storage.transaction(async (tx) => {
        const position = await tx.streams.next('to_device');
        await tx.toDevice.enqueueToDeviceMessages([message(userId, deviceId, position)]);
        return position;
      }),
    );
  }
  return positions;
}

forEachDatabase('to-device store', (storage) => {
  it('returns a device queue in stream order within (after, upTo], at most limit', async () => {
    const bob = uniqueId('@');
    const positions = await queue(storage(), bob, 'DEV', 5);
    const all = await storage().toDevice.getToDeviceMessages(bob, 'DEV', { after: 0, upTo: positions[4] as number, limit: 100 });
    expect(all.map((m) => m.streamId)).toEqual(positions);
    expect(all[0]).toEqual(message(bob, 'DEV', positions[0] as number));

    const window = await storage().toDevice.getToDeviceMessages(bob, 'DEV', { after: positions[0] as number, upTo: positions[3] as number, limit: 2 });
    expect(window.map((m) => m.streamId)).toEqual([positions[1], positions[2]]);
    expect(await storage().toDevice.getToDeviceMessages(bob, 'DEV', { after: positions[4] as number, upTo: positions[4] as number, limit: 10 })).toEqual([]);
  });

  it("keeps each device's queue apart", async () => {
    const bob = uniqueId('@');
    const carol = uniqueId('@');
    const position = await storage().transaction(async (tx) => {
      const next = await tx.streams.next('to_device');
      await tx.toDevice.enqueueToDeviceMessages([message(bob, 'A', next, 'for A'), message(bob, 'B', next, 'for B'), message(carol, 'A', next, 'carol')]);
      return next;
    });
    const query = { after: 0, upTo: position, limit: 10 };
    expect((await storage().toDevice.getToDeviceMessages(bob, 'A', query)).map((m) => m.content.body)).toEqual(['for A']);
    expect((await storage().toDevice.getToDeviceMessages(bob, 'B', query)).map((m) => m.content.body)).toEqual(['for B']);
    expect((await storage().toDevice.getToDeviceMessages(carol, 'A', query)).map((m) => m.content.body)).toEqual(['carol']);
    expect(await storage().toDevice.getToDeviceMessages(bob, 'C', query)).toEqual([]);
  });

  it('deletes acknowledged messages up to a position, and a whole device queue', async () => {
    const bob = uniqueId('@');
    const positions = await queue(storage(), bob, 'A', 4);
    await queue(storage(), bob, 'B', 2);
    const upTo = await storage().streams.current('to_device');
    expect(await storage().toDevice.deleteToDeviceMessagesUpTo(bob, 'A', positions[1] as number)).toBe(2);
    expect((await storage().toDevice.getToDeviceMessages(bob, 'A', { after: 0, upTo, limit: 10 })).map((m) => m.streamId)).toEqual(positions.slice(2));
    expect(await storage().toDevice.deleteToDeviceMessagesUpTo(bob, 'A', positions[1] as number)).toBe(0);

    expect(await storage().toDevice.deleteDeviceQueue(bob, 'A')).toBe(2);
    expect(await storage().toDevice.getToDeviceMessages(bob, 'A', { after: 0, upTo, limit: 10 })).toEqual([]);
    expect(await storage().toDevice.getToDeviceMessages(bob, 'B', { after: 0, upTo, limit: 10 })).toHaveLength(2);
  });

  it('claims a transaction ID once per user and scope', async () => {
    const alice = uniqueId('@');
    const claim = (userId: string, scope: string, txnId: string) => storage().toDevice.claimToDeviceTxn({ userId, scope, txnId, createdTs: 1 });
    expect(await claim(alice, 'd:A', 't1')).toBe(true);
    expect(await claim(alice, 'd:A', 't1')).toBe(false);
    expect(await claim(alice, 'd:B', 't1')).toBe(true);
    expect(await claim(uniqueId('@'), 'd:A', 't1')).toBe(true);
    await storage().toDevice.deleteToDeviceTxns(alice, 'd:A');
    expect(await claim(alice, 'd:A', 't1')).toBe(true);
  });

  it('gives concurrent claims of one transaction ID exactly one winner', async () => {
    const alice = uniqueId('@');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => storage().transaction((tx) => tx.toDevice.claimToDeviceTxn({ userId: alice, scope: 'd:A', txnId: 'race', createdTs: 1 }))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('rolls back a claim and its messages together', async () => {
    const alice = uniqueId('@');
    const bob = uniqueId('@');
    const before = await storage().streams.current('to_device');
    await expect(
      storage().transaction(async (tx) => {
        await tx.toDevice.claimToDeviceTxn({ userId: alice, scope: 'd:A', txnId: 'rolled', createdTs: 1 });
        await tx.toDevice.enqueueToDeviceMessages([message(bob, 'B', await tx.streams.next('to_device'))]);
        throw new Error('fail');
      }),
    ).rejects.toThrow('fail');
    expect(await storage().toDevice.getToDeviceMessages(bob, 'B', { after: before, upTo: before + 10, limit: 10 })).toEqual([]);
    expect(await storage().toDevice.claimToDeviceTxn({ userId: alice, scope: 'd:A', txnId: 'rolled', createdTs: 1 })).toBe(true);
  });

  it('trims only the devices over the bound, oldest first, and restarts the count of a deleted queue', async () => {
    const bob = uniqueId('@');
    const positions = await queue(storage(), bob, 'FULL', 5);
    await queue(storage(), bob, 'SMALL', 2);
    const devices = [{ userId: bob, deviceId: 'FULL' }, { userId: bob, deviceId: 'SMALL' }];
    expect(await storage().toDevice.trimToDeviceQueues(devices, 3)).toEqual([{ userId: bob, deviceId: 'FULL', dropped: 2 }]);
    expect(await storage().toDevice.trimToDeviceQueues(devices, 3)).toEqual([]);
    const kept = await storage().toDevice.getToDeviceMessages(bob, 'FULL', { after: 0, upTo: Number.MAX_SAFE_INTEGER, limit: 10 });
    expect(kept.map((m) => m.streamId)).toEqual(positions.slice(2));

    expect(await storage().toDevice.deleteToDeviceMessagesUpTo(bob, 'FULL', positions[3] as number)).toBe(2);
    await queue(storage(), bob, 'FULL', 2);
    expect(await storage().toDevice.trimToDeviceQueues(devices, 3)).toEqual([]);
    expect(await storage().toDevice.deleteDeviceQueue(bob, 'FULL')).toBe(3);
    await queue(storage(), bob, 'FULL', 4);
    expect(await storage().toDevice.trimToDeviceQueues(devices, 3)).toEqual([{ userId: bob, deviceId: 'FULL', dropped: 1 }]);
  });
});
