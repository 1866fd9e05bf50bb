/**
 * Time as an injected dependency, so tests can control it instead of sleeping or patching `Date`.
 */

/** The source of "now" for everything that stamps or expires things. */
export interface Clock {
  /** Milliseconds since the POSIX epoch, like `Date.now()`. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Jumps to an absolute time. */
  set(ms: number): void;
}

/** Creates a {@link ManualClock} starting at `startMs`. */
export function manualClock(startMs: number): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}
