/**
 * The durable stream-reader framework on both databases: exactly once across two "processes" (two pools on one
 * database), a failed write leaves the position where it was, a poison event is skipped after MAX_ATTEMPTS.
 */
import { expect, it } from 'vitest';
import { silentLogger } from '../../log.js';
import { createKnexStorage } from '../../storage/knex/storage.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { testEvent, uniqueId } from '../../storage/testing/fixtures.js';
import type { Storage } from '../../storage/index.js';
import { MAX_ATTEMPTS } from './runner.js';
import { createStreamReaders, type StreamReaderHandler } from './index.js';

/** A reader that records, after commit, the IDs of the events of `roomId` it committed. */
function recordingReader(name: string, roomId: string, committed: string[], options: { failOn?: Set<string> } = {}): StreamReaderHandler<string[]> {
  return {
    name,
    async prepare(events) {
      return events.filter(({ event }) => event.roomId === roomId).map(({ event }) => event.eventId);
    },
    async write(tx, ids) {
      // A real write in the transaction, so a failure after it must roll it back.
      await tx.streams.next('key_counts');
      if (ids.some((id) => options.failOn?.has(id))) throw new Error('handler failure');
      return async () => {
        committed.push(...ids);
      };
    },
  };
}

async function persistMessages(storage: Storage, roomId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const event = testEvent({ roomId });
    await storage.events.persist(event);
    ids.push(event.eventId);
  }
  return ids;
}

forEachDatabase('durable stream readers', (getStorage, under) => {
  it('processes every event exactly once and in order, with two processes racing', async () => {
    const roomId = uniqueId('!');
    const name = uniqueId('@').slice(1, 20);
    // PostgreSQL: a second pool, as a second process has. SQLite serves one process: two reader sets on its pool.
    const other = under.dialect === 'postgres' ? await under.openAnother() : null;
    try {
      const first: string[] = [];
      const second: string[] = [];
      const one = createStreamReaders({ storage: getStorage(), logger: silentLogger() }, { batchSize: 7 });
      const two = createStreamReaders({ storage: other === null ? getStorage() : createKnexStorage(other), logger: silentLogger() }, { batchSize: 5 });
      one.register(recordingReader(name, roomId, first));
      two.register(recordingReader(name, roomId, second));
      const ids: string[] = [];
      for (let round = 0; round < 4; round += 1) {
        ids.push(...(await persistMessages(getStorage(), roomId, 10)));
        await Promise.all([one.catchUp(), two.catchUp(), one.catchUp()]);
      }
      const all = [...first, ...second];
      expect(new Set(all).size).toBe(all.length);
      expect(new Set(all)).toEqual(new Set(ids));
      // Each process saw its share in stream order.
      for (const seen of [first, second]) expect(seen).toEqual(ids.filter((id) => seen.includes(id)));
      await Promise.all([one.close(), two.close()]);
    } finally {
      await other?.close();
    }
  });

  it('catchUp(upTo) resolves once the event is processed; a reader started later carries on from its position', async () => {
    const roomId = uniqueId('!');
    const name = uniqueId('@').slice(1, 20);
    const committed: string[] = [];
    const readers = createStreamReaders({ storage: getStorage(), logger: silentLogger() });
    readers.register(recordingReader(name, roomId, committed));
    const [firstId] = await persistMessages(getStorage(), roomId, 1);
    const [stored] = await getStorage().events.getEvents([firstId as string]);
    await readers.catchUp(stored?.streamOrdering);
    expect(committed).toEqual([firstId]);
    await readers.close();

    // "Crash": events written while no reader runs are processed by the next one, from the stored position.
    const later = await persistMessages(getStorage(), roomId, 3);
    const restarted = createStreamReaders({ storage: getStorage(), logger: silentLogger() }, { pollIntervalMs: 20 });
    restarted.register(recordingReader(name, roomId, committed));
    restarted.start();
    await expect.poll(() => committed.length, { timeout: 5_000 }).toBe(4);
    expect(committed).toEqual([firstId, ...later]);
    await restarted.close();
  });

  it('a failing write moves nothing and is retried; an event failing every time is skipped after MAX_ATTEMPTS', async () => {
    const roomId = uniqueId('!');
    const name = uniqueId('@').slice(1, 20);
    const committed: string[] = [];
    const [good, poison, after] = await persistMessages(getStorage(), roomId, 3);
    const failOn = new Set([poison as string]);
    const readers = createStreamReaders({ storage: getStorage(), logger: silentLogger() });
    readers.register(recordingReader(name, roomId, committed, { failOn }));
    const position = () => getStorage().streamReaders.position(name);
    const [poisonEvent] = await getStorage().events.getEvents([poison as string]);
    const poisonAt = poisonEvent?.streamOrdering ?? 0;

    await readers.catchUp();
    // The batch failed, then event by event: the good one committed, the poison one did not.
    expect(committed).toEqual([good]);
    expect(await position()).toBe(poisonAt - 1);
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt += 1) await readers.catchUp();
    expect(await position()).toBeGreaterThanOrEqual(poisonAt);
    await readers.catchUp();
    expect(committed).toEqual([good, after]);
    await readers.close();
  });
});
