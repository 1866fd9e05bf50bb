/**
 * The in-process notifier: the embedded default when no Redis is configured (one process only).
 */
import type { InvalidationListener, Notifier, StreamAdvance, StreamListener } from './index.js';

export function createMemoryNotifier(): Notifier {
  const listeners = new Set<StreamListener>();
  const invalidationListeners = new Set<InvalidationListener>();
  return {
    async publish(advance: StreamAdvance) {
      for (const listener of [...listeners]) listener(advance);
    },
    subscribe(listener: StreamListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async publishInvalidation(invalidation) {
      for (const listener of [...invalidationListeners]) listener(invalidation);
    },
    subscribeInvalidations(listener) {
      invalidationListeners.add(listener);
      return () => invalidationListeners.delete(listener);
    },
    async close() {
      listeners.clear();
      invalidationListeners.clear();
    },
  };
}
