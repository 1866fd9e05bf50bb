/**
 * Small in-process helpers that keep presence cheap: coalescing maps, per-user token buckets, an unref'd timer.
 * They only save work; the database stays the source of truth, so several processes remain correct.
 */

/** Remembers when a key was last written, forgetting entries older than the window. */
export function createRecentMap(windowMs: number): { isRecent(key: string, now: number): boolean; mark(key: string, now: number): void } {
  const seen = new Map<string, number>();
  return {
    isRecent(key, now) {
      const at = seen.get(key);
      return at !== undefined && now - at < windowMs && now >= at;
    },
    mark(key, now) {
      seen.set(key, now);
      // Bound memory: drop stale entries once the map grows.
      if (seen.size > 10_000) for (const [other, at] of seen) if (now - at >= windowMs) seen.delete(other);
    },
  };
}

/** Per-key token buckets. `take` returns 0 when allowed, else how many ms until a token is available. */
export function createTokenBuckets(options: { burst: number; refillMs: number }): { take(key: string, now: number): number } {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, now) {
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: now };
      const refilled = Math.min(options.burst, bucket.tokens + Math.max(0, now - bucket.at) / options.refillMs);
      if (refilled < 1) {
        buckets.set(key, { tokens: refilled, at: now });
        return Math.ceil((1 - refilled) * options.refillMs);
      }
      buckets.set(key, { tokens: refilled - 1, at: now });
      if (buckets.size > 10_000) for (const [other, state] of buckets) if (now - state.at > options.burst * options.refillMs) buckets.delete(other);
      return 0;
    },
  };
}

/** An unref'd interval started on first use (an idle process polls nothing); `intervalMs` 0 never starts. */
export function createIntervalTimer(intervalMs: number, run: () => Promise<void>): { start(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = false;
  return {
    start() {
      if (timer !== undefined || stopped || intervalMs <= 0) return;
      timer = setInterval(() => {
        if (running) return;
        running = true;
        void run().finally(() => {
          running = false;
        });
      }, intervalMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
