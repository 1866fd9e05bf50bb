/**
 * A FIFO gate: at most `concurrency` jobs run at once, the rest wait in arrival order. Password hashing goes through
 * one so that a flood of guesses queues behind (and cannot starve) the logins that arrived before it, and so that
 * scrypt's memory (32 MiB per job) stays bounded.
 */
export interface FifoGate {
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Jobs waiting for a slot (for logs and tests). */
  waiting(): number;
}

export function createFifoGate(concurrency: number): FifoGate {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
  let running = 0;
  const queue: (() => void)[] = [];

  async function acquire(): Promise<void> {
    if (running < concurrency) {
      running++;
      return;
    }
    // The slot is handed over by release(), so `running` stays counted for the woken job.
    await new Promise<void>((resolve) => queue.push(resolve));
  }

  function release(): void {
    const next = queue.shift();
    if (next) next();
    else running--;
  }

  return {
    async run(job) {
      await acquire();
      try {
        return await job();
      } finally {
        release();
      }
    },
    waiting: () => queue.length,
  };
}
