import { expect, it } from 'vitest';
import { createKnexStorage } from './storage.js';
import { forEachDatabase } from '../testing/for-each-database.js';

forEachDatabase('JobLeaseStore', (getStorage, under) => {
  it('gives a free lease to the first holder, renews it for that holder and refuses it to another until it expires', async () => {
    const { leases } = getStorage();
    expect(await leases.acquire('sweep-a', 'p1', { now: 1_000, expiresTs: 2_000 })).toBe(true);
    expect(await leases.acquire('sweep-a', 'p2', { now: 1_500, expiresTs: 2_500 })).toBe(false);
    expect(await leases.acquire('sweep-a', 'p1', { now: 1_600, expiresTs: 2_600 })).toBe(true);
    expect(await leases.get('sweep-a')).toEqual({ name: 'sweep-a', holder: 'p1', expiresTs: 2_600 });
    // Still refused just before the renewed expiry, taken over at it.
    expect(await leases.acquire('sweep-a', 'p2', { now: 2_599, expiresTs: 3_599 })).toBe(false);
    expect(await leases.acquire('sweep-a', 'p2', { now: 2_600, expiresTs: 3_600 })).toBe(true);
    expect(await leases.get('sweep-a')).toEqual({ name: 'sweep-a', holder: 'p2', expiresTs: 3_600 });
    // The old holder cannot renew what it lost.
    expect(await leases.acquire('sweep-a', 'p1', { now: 2_700, expiresTs: 3_700 })).toBe(false);
  });

  it('keeps jobs apart and lets a released lease be taken at once', async () => {
    const { leases } = getStorage();
    expect(await leases.acquire('job-x', 'p1', { now: 0, expiresTs: 10_000 })).toBe(true);
    expect(await leases.acquire('job-y', 'p2', { now: 0, expiresTs: 10_000 })).toBe(true);
    await leases.release('job-x', 'p2');
    expect((await leases.get('job-x'))?.holder).toBe('p1');
    await leases.release('job-x', 'p1');
    expect(await leases.get('job-x')).toBeNull();
    expect(await leases.acquire('job-x', 'p2', { now: 1, expiresTs: 10_001 })).toBe(true);
    expect((await leases.get('job-y'))?.holder).toBe('p2');
  });

  it('lets exactly one of many holders racing over three connection pools win an expired lease', async () => {
    const pools = [getStorage(), createKnexStorage(await under.openAnother()), createKnexStorage(await under.openAnother())];
    await pools[0]!.leases.acquire('contested', 'old', { now: 0, expiresTs: 100 });
    const wins = await Promise.all(
      Array.from({ length: 30 }, (_, i) => pools[i % pools.length]!.leases.acquire('contested', `p${i}`, { now: 200, expiresTs: 10_000 + i })),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = wins.indexOf(true);
    expect(await pools[1]!.leases.get('contested')).toEqual({ name: 'contested', holder: `p${winner}`, expiresTs: 10_000 + winner });
  });
});
