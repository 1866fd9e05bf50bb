/**
 * Cooperative yielding for big but legitimate requests: work is cut into chunks and the event loop gets a turn
 * between them (setImmediate runs after pending I/O), so one large /keys/query or /keys/claim never stalls the
 * other clients of this process.
 */

/** How many items one chunk of per-user or per-device work holds by default. */
export const YIELD_CHUNK_SIZE = 250;

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `work` on consecutive slices of `items` (at most `size` each), in order, yielding to the event loop
 * between slices. Returns the results of every slice, in order.
 */
export async function inChunks<T, R>(items: readonly T[], work: (chunk: T[]) => Promise<R>, size = YIELD_CHUNK_SIZE): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await yieldToEventLoop();
    results.push(await work(items.slice(start, start + size)));
  }
  return results;
}
