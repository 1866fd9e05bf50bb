/**
 * Long-polling: a watch subscribes to the notifier before a sync computes its response, so an advance that
 * lands while the response is being computed is not missed; then the sync waits only for advances that
 * concern its user.
 */
import type { Notifier, StreamAdvance } from '../../pubsub/index.js';

export interface AdvanceWatch {
  /** The rooms whose advances wake this sync (joined, invited, knocked). */
  setRooms(roomIds: Iterable<string>): void;
  /**
   * Resolves true at the first relevant advance since the last call (at once if one already came), false when
   * `timeoutMs` passed or `signal` aborted.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/** Whether an advance concerns `userId`, who is in `roomIds`. Advances naming nobody concern everyone. */
export function concerns(advance: StreamAdvance, userId: string, roomIds: ReadonlySet<string>): boolean {
  const hasUsers = advance.userIds !== undefined && advance.userIds.length > 0;
  const hasRooms = advance.roomIds !== undefined && advance.roomIds.length > 0;
  if (!hasUsers && !hasRooms) return true;
  if (advance.userIds?.includes(userId)) return true;
  return advance.roomIds?.some((roomId) => roomIds.has(roomId)) ?? false;
}

export function watchAdvances(notifier: Notifier, userId: string): AdvanceWatch {
  // Until the first computation tells us the user's rooms, every advance might concern them: keep it.
  let rooms: ReadonlySet<string> | null = null;
  let pending = false;
  let wake: (() => void) | undefined;
  const unsubscribe = notifier.subscribe((advance) => {
    if (rooms !== null && !concerns(advance, userId, rooms)) return;
    pending = true;
    wake?.();
  });

  return {
    setRooms(roomIds) {
      rooms = new Set(roomIds);
    },
    wait(timeoutMs, signal) {
      if (pending) {
        pending = false;
        return Promise.resolve(true);
      }
      if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const finish = (woken: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          wake = undefined;
          if (woken) pending = false;
          resolve(woken);
        };
        const onAbort = () => finish(false);
        const timer = setTimeout(() => finish(false), timeoutMs);
        wake = () => finish(true);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      unsubscribe();
      wake = undefined;
    },
  };
}
