/**
 * The in-process notifier: the embedded default when no Redis is configured (one process only).
 */
import type { Notifier, StreamAdvance, StreamListener } from './index.js';

export function createMemoryNotifier(): Notifier {
  const listeners = new Set<StreamListener>();
  return {
    async publish(advance: StreamAdvance) {
      for (const listener of [...listeners]) listener(advance);
    },
    subscribe(listener: StreamListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
