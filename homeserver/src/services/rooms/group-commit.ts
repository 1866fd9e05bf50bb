/**
 * Group commit: jobs submitted while a batch is being written wait for the next batch, so concurrent room writes
 * share one transaction (one BEGIN/COMMIT, one room lock each, one notifier publish, one reader-position update)
 * instead of one each. A batch starts on the next turn of the event loop after the first job arrives (requests
 * arriving together join it) or as soon as the previous batch finished; it takes at most `maxBatch` jobs, in
 * submission order.
 */

/** A queue that hands its jobs to `runBatch`, one batch at a time. */
export interface BatchQueue<J> {
  submit(job: J): void;
  /** Jobs waiting plus the batch being written (for tests and metrics). */
  readonly pending: number;
}

export function createBatchQueue<J>(runBatch: (jobs: J[]) => Promise<void>, maxBatch: number): BatchQueue<J> {
  const waiting: J[] = [];
  let running = 0;
  let scheduled = false;

  async function drain(): Promise<void> {
    scheduled = false;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      running = batch.length;
      try {
        await runBatch(batch);
      } finally {
        running = 0;
      }
    }
  }

  return {
    submit(job) {
      waiting.push(job);
      if (scheduled || running > 0) return;
      scheduled = true;
      // runBatch settles every job itself; a throw here would be a bug in it, and must not stop the queue.
      setImmediate(() => void drain().catch(() => undefined));
    },
    get pending() {
      return waiting.length + running;
    },
  };
}
