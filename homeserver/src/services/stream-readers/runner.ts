/**
 * One durable reader: reads the events after its stored position, lets its handler prepare them (no transaction),
 * then in one transaction claims its position row (a row lock), checks nobody moved it meanwhile, writes the
 * handler's rows and advances the position. A batch that fails is retried one event at a time; an event that
 * fails {@link MAX_ATTEMPTS} runs in a row is skipped with an error log, so one poison event cannot stop the reader.
 */
import type { Logger } from '../../log.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { ReaderEvent, StreamReaderHandler } from './types.js';

/** Runs of one event that may fail before the reader gives up on it. */
export const MAX_ATTEMPTS = 3;

export interface ReaderRunnerOptions {
  storage: Storage;
  logger: Logger;
  batchSize: number;
  /**
   * The events after `from` (at most `batchSize`) and, on demand, their reader-visible form (room version, state
   * snapshot). Readers at the same position share one load.
   */
  load(from: number, batchSize: number): Promise<LoadedBatch>;
}

export interface LoadedBatch {
  stored: StoredEvent[];
  described(): Promise<ReaderEvent[]>;
}

export interface ReaderRunner {
  readonly name: string;
  /** Processes everything committed up to at least `upTo` (a run already under way may be joined by a second one). */
  runUntil(upTo: number): Promise<void>;
  /** Resolves when no run is in flight. */
  idle(): Promise<void>;
}

type Step = 'done' | 'progress' | 'failed';

export function createReaderRunner<P>(handler: StreamReaderHandler<P>, options: ReaderRunnerOptions): ReaderRunner {
  const { storage, logger } = options;
  const log = logger.child({ component: 'stream-reader', reader: handler.name });
  /** A position known to be committed (a lower bound of the stored one). */
  let known = 0;
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const attempts = new Map<number, number>();

  /** One batch: 'done' when nothing is left, 'progress' when the position moved (or another process moved it). */
  async function step(batchSize: number): Promise<Step> {
    // Optimistic: the position this process last committed (or saw), checked under the row lock below; only the
    // first run reads it. Another process moving it costs one discarded batch.
    const from = known > 0 ? known : await storage.streamReaders.position(handler.name);
    known = Math.max(known, from);
    const { stored, described } = await options.load(from, batchSize);
    const last = stored.at(-1);
    if (last === undefined) return 'done';
    try {
      const prepared = await handler.prepare(await described());
      const moved = await storage.transaction(async (tx) => {
        const claimed = await tx.streamReaders.claim(handler.name);
        if (claimed !== from) return { claimed };
        const after = await handler.write(tx, prepared);
        await tx.streamReaders.advance(handler.name, last.streamOrdering);
        return { claimed, after };
      });
      if (!('after' in moved)) {
        log.debug({ from, claimed: moved.claimed }, 'another process advanced the reader; batch discarded');
        known = Math.max(known, moved.claimed);
      } else {
        known = Math.max(known, last.streamOrdering);
        if (moved.after) await moved.after().catch((error: unknown) => log.warn({ err: error }, 'stream reader after-commit work failed'));
      }
      attempts.clear();
      // A short batch was everything committed when it was read; later commits poke the reader again.
      return 'after' in moved && stored.length < batchSize ? 'done' : 'progress';
    } catch (error) {
      if (stored.length > 1) {
        log.warn({ err: error, from, events: stored.length }, 'stream reader batch failed; retrying one event at a time');
        return 'failed';
      }
      return giveUpOrRetry(from, last, error);
    }
  }

  async function giveUpOrRetry(from: number, event: StoredEvent, error: unknown): Promise<Step> {
    const count = (attempts.get(event.streamOrdering) ?? 0) + 1;
    attempts.set(event.streamOrdering, count);
    if (count < MAX_ATTEMPTS) {
      log.warn({ err: error, eventId: event.eventId, attempt: count }, 'stream reader failed on an event; will retry');
      return 'failed';
    }
    log.error({ err: error, eventId: event.eventId, streamOrdering: event.streamOrdering }, 'stream reader skips an event that keeps failing');
    const claimed = await storage.transaction(async (tx) => {
      const position = await tx.streamReaders.claim(handler.name);
      if (position !== from) return position;
      await tx.streamReaders.advance(handler.name, event.streamOrdering);
      return event.streamOrdering;
    });
    known = Math.max(known, claimed);
    attempts.delete(event.streamOrdering);
    return 'progress';
  }

  async function run(): Promise<void> {
    let batchSize = options.batchSize;
    for (;;) {
      const outcome = await step(batchSize);
      if (outcome === 'done') return;
      if (outcome === 'failed') {
        // A failed batch of one ends the run (retried at the next call); a bigger one is retried event by event.
        if (batchSize === 1) return;
        batchSize = 1;
      }
    }
  }

  function start(): Promise<void> {
    const current = run()
      .catch((error: unknown) => log.error({ err: error }, 'stream reader run failed'))
      .finally(() => {
        if (running === current) running = null;
      });
    running = current;
    return current;
  }

  return {
    name: handler.name,
    async runUntil(upTo) {
      if (known >= upTo) return;
      if (running === null) return start();
      // A run is under way but may have read before `upTo` committed: one more run after it covers it.
      queued ??= running.then(() => {
        queued = null;
        return start();
      });
      return queued;
    },
    async idle() {
      while (running !== null || queued !== null) await (queued ?? running);
    },
  };
}
