/**
 * `forEachBus()`: runs one test suite on every notifier transport. The in-process bus always; Redis when
 * `TEST_REDIS_URL` is set, on a channel prefix of its own so parallel runs sharing one Redis never hear
 * each other.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe } from 'vitest';
import type { Invalidation, InvalidationListener, Notifier, StreamAdvance, StreamListener } from './index.js';
import { createMemoryNotifier } from './memory.js';
import { createRedisNotifier } from './redis.js';

export type BusKind = 'memory' | 'redis';

/** What a suite gets: a way to connect "processes" to one bus. */
export interface BusUnderTest {
  kind: BusKind;
  /**
   * Connects a new Notifier to this suite's bus, as another process would. Every notifier connected here
   * hears every other one. Closed after the suite if the test did not close it.
   */
  connect(): Promise<Notifier>;
  /** For Redis: the URL and the prefix the suite's notifiers use (for servers started by the test). */
  redis?: { url: string; prefix: string };
}

/** The Redis server to test against, if any. */
export function testRedisUrl(): string | undefined {
  const url = process.env.TEST_REDIS_URL;
  return url && /^rediss?:\/\//i.test(url) ? url : undefined;
}

/** A fresh channel prefix for one suite. */
export function testBusPrefix(): string {
  return `parley-test-${randomBytes(6).toString('hex')}:`;
}

/** Registers `suite` once per bus, as `describe(`${name} [memory]`)` and `[redis]`. */
export function forEachBus(name: string, suite: (bus: BusUnderTest) => void): void {
  describe(`${name} [memory]`, () => {
    const shared = createMemoryNotifier();
    const opened: Notifier[] = [];
    afterAll(async () => {
      await Promise.allSettled(opened.map((notifier) => notifier.close()));
      await shared.close();
    });
    suite({
      kind: 'memory',
      async connect() {
        const notifier = memoryView(shared);
        opened.push(notifier);
        return notifier;
      },
    });
  });

  const url = testRedisUrl();
  describe.skipIf(url === undefined)(`${name} [redis]`, () => {
    const prefix = testBusPrefix();
    const opened: Notifier[] = [];
    afterAll(async () => {
      await Promise.allSettled(opened.map((notifier) => notifier.close()));
    });
    suite({
      kind: 'redis',
      redis: { url: url as string, prefix },
      async connect() {
        const notifier = await createRedisNotifier({ url: url as string, prefix });
        opened.push(notifier);
        return notifier;
      },
    });
  });
}

/**
 * One "process" on the shared in-memory bus: publishes to everyone, and its close() drops only its own
 * listeners, as closing one process's Redis connections would.
 */
function memoryView(bus: Notifier): Notifier {
  const unsubscribers = new Set<() => void>();
  let closed = false;
  function track(unsubscribe: () => void): () => void {
    if (closed) {
      unsubscribe();
      return () => undefined;
    }
    unsubscribers.add(unsubscribe);
    return () => {
      unsubscribe();
      unsubscribers.delete(unsubscribe);
    };
  }
  return {
    async publish(advance: StreamAdvance) {
      if (!closed) await bus.publish(advance);
    },
    subscribe(listener: StreamListener) {
      return track(bus.subscribe(listener));
    },
    async publishInvalidation(invalidation: Invalidation) {
      if (!closed) await bus.publishInvalidation(invalidation);
    },
    subscribeInvalidations(listener: InvalidationListener) {
      return track(bus.subscribeInvalidations(listener));
    },
    async close() {
      closed = true;
      for (const unsubscribe of unsubscribers) unsubscribe();
      unsubscribers.clear();
    },
  };
}
