import { expect, it } from 'vitest';
import { createKnexStorage } from './storage.js';
import { forEachDatabase } from '../testing/for-each-database.js';

forEachDatabase('StreamPositions', (getStorage, under) => {
  it('starts at 1 and increases by one per call', async () => {
    const { streams } = getStorage();
    expect(await streams.current('presence')).toBe(0);
    expect(await streams.next('presence')).toBe(1);
    expect(await streams.next('presence')).toBe(2);
    expect(await streams.current('presence')).toBe(2);
  });

  it('keeps each stream separate', async () => {
    const { streams } = getStorage();
    const before = await streams.current('typing');
    await streams.next('account_data');
    await streams.next('account_data');
    expect(await streams.current('typing')).toBe(before);
  });

  it('gives 50 concurrent callers, over three connection pools, 50 distinct consecutive positions', async () => {
    const pools = [getStorage(), createKnexStorage(await under.openAnother()), createKnexStorage(await under.openAnother())];
    const start = await pools[0]!.streams.current('to_device');
    const positions = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pools[i % pools.length]!.streams.next('to_device')),
    );
    expect(new Set(positions).size).toBe(50);
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => start + i + 1));
    expect(await pools[1]!.streams.current('to_device')).toBe(start + 50);
  });

  it('gives 50 concurrent transactions distinct increasing positions', async () => {
    const storage = getStorage();
    const start = await storage.streams.current('device_lists');
    const positions = await Promise.all(
      Array.from({ length: 50 }, () =>
        storage.transaction(async (tx) => {
          const position = await tx.streams.next('device_lists');
          await tx.streams.next('key_counts'); // more work inside the same transaction
          return position;
        }),
      ),
    );
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => start + i + 1));
  });

  it('gives a rolled-back position back', async () => {
    const { streams, transaction } = getStorage();
    const before = await streams.current('receipts');
    await expect(
      transaction(async (tx) => {
        await tx.streams.next('receipts');
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    expect(await streams.current('receipts')).toBe(before);
    expect(await streams.next('receipts')).toBe(before + 1);
  });

  // Needs two processes' worth of connections; SQLite's one connection per process already serialises.
  it.skipIf(under.dialect !== 'postgres')(
    'holds the stream until the allocating transaction ends, so positions commit in order',
    async () => {
      const first = getStorage();
      const second = createKnexStorage(await under.openAnother());
      const base = await first.streams.current('events');
      let releaseFirst: () => void = () => {};
      const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
      let allocatedInFirst: (position: number) => void = () => {};
      const firstAllocated = new Promise<number>((resolve) => (allocatedInFirst = resolve));

      const firstTx = first.transaction(async (tx) => {
        allocatedInFirst(await tx.streams.next('events'));
        await firstHolds;
      });
      expect(await firstAllocated).toBe(base + 1);

      let secondDone = false;
      const secondNext = second.streams.next('events').then((position) => {
        secondDone = true;
        return position;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Blocked behind the open transaction; readers still see the last committed position.
      expect(secondDone).toBe(false);
      expect(await second.streams.current('events')).toBe(base);

      releaseFirst();
      await firstTx;
      expect(await secondNext).toBe(base + 2);
    },
  );
});
