/**
 * A per-key mutex for one process: tasks with the same key run one after another, in arrival order.
 * Serialises writes to one room so two sends never build on the same forward extremities. Across processes the
 * PostgreSQL row lock taken by `roomState.lockRoom` does the same job (see index.ts).
 */
export interface KeyedMutex {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task, task);
      // The tail never rejects, so one failed task does not fail the next.
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
