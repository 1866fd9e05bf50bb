import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Invalidation, StreamAdvance } from './index.js';
import { advanceChannel, createRedisNotifier, decodeAdvance, decodeInvalidation, encodeAdvance } from './redis.js';
import { forEachBus, testBusPrefix, testRedisUrl } from './testing.js';

/** Collects what a listener hears and lets a test wait for the n-th delivery. */
function recorder() {
  const heard: StreamAdvance[] = [];
  let wake: (() => void) | undefined;
  return {
    heard,
    listener: (advance: StreamAdvance) => {
      heard.push(advance);
      wake?.();
    },
    async waitFor(count: number, timeoutMs = 2000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (heard.length < count) {
        if (Date.now() > deadline) throw new Error(`heard ${heard.length} of ${count} advances`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 20);
        });
      }
    },
  };
}

/** Lets in-flight deliveries land, so a test can assert that something did NOT arrive. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

forEachBus('notifier', (bus) => {
  it('carries invalidations to every process, the publisher included, apart from stream advances', async () => {
    const processA = await bus.connect();
    const processB = await bus.connect();
    const heardByA: Invalidation[] = [];
    const heardByB: Invalidation[] = [];
    const advancesOnB = recorder();
    processA.subscribeInvalidations((invalidation) => heardByA.push(invalidation));
    processB.subscribeInvalidations((invalidation) => heardByB.push(invalidation));
    processB.subscribe(advancesOnB.listener);
    await processA.publishInvalidation({ topic: 'access-tokens', keys: ['@alice:hs'] });
    const deadline = Date.now() + 2000;
    while ((heardByA.length < 1 || heardByB.length < 1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heardByB).toEqual([{ topic: 'access-tokens', keys: ['@alice:hs'] }]);
    expect(heardByA).toEqual([{ topic: 'access-tokens', keys: ['@alice:hs'] }]);
    await settle();
    expect(advancesOnB.heard).toEqual([]);
  });

  it('delivers a publish to subscribers of another notifier, as a second process', async () => {
    const processA = await bus.connect();
    const processB = await bus.connect();
    const onB = recorder();
    processB.subscribe(onB.listener);
    await processA.publish({ stream: 'events', position: 7, roomIds: ['!r:hs'], userIds: ['@a:hs'] });
    await onB.waitFor(1);
    expect(onB.heard).toEqual([{ stream: 'events', position: 7, roomIds: ['!r:hs'], userIds: ['@a:hs'] }]);
  });

  it('delivers to the publishing notifier itself and keeps publish order', async () => {
    const notifier = await bus.connect();
    const heard = recorder();
    notifier.subscribe(heard.listener);
    for (let position = 1; position <= 5; position += 1) await notifier.publish({ stream: 'typing', position });
    await heard.waitFor(5);
    expect(heard.heard.map((advance) => advance.position)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops delivering to a listener once it unsubscribed, and keeps delivering to the others', async () => {
    const publisher = await bus.connect();
    const subscriber = await bus.connect();
    const gone = recorder();
    const staying = recorder();
    const unsubscribe = subscriber.subscribe(gone.listener);
    subscriber.subscribe(staying.listener);
    await publisher.publish({ stream: 'receipts', position: 1 });
    await staying.waitFor(1);
    await gone.waitFor(1);
    unsubscribe();
    await publisher.publish({ stream: 'receipts', position: 2 });
    await staying.waitFor(2);
    await settle();
    expect(gone.heard.map((advance) => advance.position)).toEqual([1]);
  });

  it('delivers nothing to a closed notifier and ignores its publishes', async () => {
    const closedOne = await bus.connect();
    const other = await bus.connect();
    const onClosed = recorder();
    const onOther = recorder();
    closedOne.subscribe(onClosed.listener);
    other.subscribe(onOther.listener);
    await closedOne.close();
    await closedOne.publish({ stream: 'presence', position: 1 });
    await other.publish({ stream: 'presence', position: 2 });
    await onOther.waitFor(1);
    await settle();
    expect(onOther.heard.map((advance) => advance.position)).toEqual([2]);
    expect(onClosed.heard).toEqual([]);
    await closedOne.close(); // idempotent
  });
});

describe.skipIf(testRedisUrl() === undefined)('redis notifier connections', () => {
  const url = testRedisUrl() as string;

  it('releases its subscription on close', async () => {
    const prefix = testBusPrefix();
    const admin = new Redis(url);
    try {
      const numsub = async () => Number(((await admin.pubsub('NUMSUB', advanceChannel(prefix))) as [string, number])[1]);
      const notifier = await createRedisNotifier({ url, prefix });
      expect(await numsub()).toBe(1);
      await notifier.close();
      expect(await numsub()).toBe(0);
    } finally {
      admin.disconnect();
    }
  });

  it('keeps prefixes apart and reports malformed messages instead of delivering them', async () => {
    const errors: Error[] = [];
    const prefix = testBusPrefix();
    const mine = await createRedisNotifier({ url, prefix, onError: (error) => errors.push(error) });
    const elsewhere = await createRedisNotifier({ url, prefix: testBusPrefix() });
    const raw = new Redis(url);
    try {
      const heard = recorder();
      mine.subscribe(heard.listener);
      await elsewhere.publish({ stream: 'events', position: 99 });
      await raw.publish(advanceChannel(prefix), 'not json');
      await raw.publish(advanceChannel(prefix), JSON.stringify({ s: 'nope', p: 1 }));
      await mine.publish({ stream: 'events', position: 1 });
      await heard.waitFor(1);
      await settle();
      expect(heard.heard).toEqual([{ stream: 'events', position: 1 }]);
      expect(errors).toHaveLength(2);
    } finally {
      raw.disconnect();
      await Promise.all([mine.close(), elsewhere.close()]);
    }
  });

  it('fails to start with a clear error when Redis is unreachable', async () => {
    await expect(createRedisNotifier({ url: 'redis://127.0.0.1:1', prefix: 'x:' })).rejects.toThrow();
  });
});

describe('stream advance wire format', () => {
  it('round-trips every field', () => {
    const advance: StreamAdvance = { stream: 'to_device', position: 12, userIds: ['@u:hs'], roomIds: ['!r:hs'] };
    expect(decodeAdvance(encodeAdvance(advance))).toEqual(advance);
    expect(decodeAdvance(encodeAdvance({ stream: 'events', position: 0 }))).toEqual({ stream: 'events', position: 0 });
  });

  it.each([
    'garbage',
    'null',
    '[]',
    '{"s":"events"}',
    '{"s":"events","p":-1}',
    '{"s":"events","p":1.5}',
    '{"s":"unknown","p":1}',
    '{"s":"events","p":1,"u":"@a:hs"}',
    '{"s":"events","p":1,"r":[1]}',
  ])('rejects %s', (message) => {
    expect(decodeAdvance(message)).toBeNull();
  });
});

describe('decodeInvalidation', () => {
  it('accepts known topics with string keys and rejects anything else', () => {
    expect(decodeInvalidation('{"t":"lazy-members","k":["!r:hs|@a:hs"]}')).toEqual({ topic: 'lazy-members', keys: ['!r:hs|@a:hs'] });
    expect(decodeInvalidation('{"t":"unknown","k":[]}')).toBeNull();
    expect(decodeInvalidation('{"t":"access-tokens","k":[1]}')).toBeNull();
    expect(decodeInvalidation('{"t":"access-tokens"}')).toBeNull();
    expect(decodeInvalidation('not json')).toBeNull();
  });
});
