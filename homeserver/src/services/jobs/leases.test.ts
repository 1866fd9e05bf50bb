import { expect, it } from 'vitest';
import { systemClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { createKnexStorage } from '../../storage/knex/storage.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { createBackgroundJobs } from './leases.js';

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

forEachDatabase('background jobs (leases)', (getStorage, under) => {
  it('lets exactly one of two processes hold a job, and the other take it over once the first stops', async () => {
    const storages = [getStorage(), createKnexStorage(await under.openAnother())];
    const claimedBy: string[] = [];
    const runners = storages.map((storage, index) =>
      createBackgroundJobs({ leases: storage.leases, clock: systemClock, logger: silentLogger() }, { leaseTtlMs: 600, instanceId: `p${index}` }),
    );
    const claims = runners.map((runner) => runner.register('sweep', { onClaimed: () => claimedBy.push(runner.instanceId) }));
    await until(() => claims.some((claim) => claim.held()));
    // A few renewal periods later still exactly one holds it, and it is the one the database names.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(claims.filter((claim) => claim.held())).toHaveLength(1);
    const holder = claims[0]!.held() ? 0 : 1;
    expect((await storages[0]!.leases.get('sweep'))?.holder).toBe(`p${holder}`);
    expect(claimedBy).toEqual([`p${holder}`]);
    let ran = 0;
    await claims[1 - holder]!.runIfHeld(async () => (ran += 1));
    await claims[holder]!.runIfHeld(async () => (ran += 10));
    expect(ran).toBe(10);

    await runners[holder]!.close();
    expect(claims[holder]!.held()).toBe(false);
    await until(() => claims[1 - holder]!.held());
    expect(claimedBy).toEqual([`p${holder}`, `p${1 - holder}`]);
    expect((await storages[0]!.leases.get('sweep'))?.holder).toBe(`p${1 - holder}`);
    await runners[1 - holder]!.close();
    expect(await storages[0]!.leases.get('sweep')).toBeNull();
  });

  it('takes over a lease whose holder vanished without releasing it, after the lease expired', async () => {
    const storage = getStorage();
    const now = Date.now();
    await storage.leases.acquire('orphan', 'crashed', { now, expiresTs: now + 400 });
    const runner = createBackgroundJobs({ leases: storage.leases, clock: systemClock, logger: silentLogger() }, { leaseTtlMs: 300, instanceId: 'survivor' });
    const claim = runner.register('orphan');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(claim.held()).toBe(false);
    await until(() => claim.held());
    expect(Date.now()).toBeGreaterThanOrEqual(now + 400);
    expect((await storage.leases.get('orphan'))?.holder).toBe('survivor');
    await runner.close();
  });
});
