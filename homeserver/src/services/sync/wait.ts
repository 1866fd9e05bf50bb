/**
 * Long-polling: a watch registers with the process's wake dispatcher before a sync computes its response, so an
 * advance that lands while the response is being computed is not missed; then the sync waits only for advances
 * that concern its user.
 *
 * The dispatcher holds one notifier subscription per process and an index (room → watches, user → watches), so an
 * advance costs one lookup per room and user it names, not one scan per waiting sync. Each watch keeps one pending
 * flag: advances coalesce until its sync runs again.
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

/** The per-process index of waiting syncs. */
export interface WakeDispatcher {
  watch(userId: string): AdvanceWatch;
  /** Watches currently registered (for tests and metrics). */
  size(): number;
  close(): void;
}

interface Watcher {
  userId: string;
  /** null until the first computation tells us the user's rooms: every advance might concern them. */
  rooms: ReadonlySet<string> | null;
  pending: boolean;
  wake: (() => void) | undefined;
}

/** Adds `value` to the set at `key`. */
function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

export function createWakeDispatcher(notifier: Notifier): WakeDispatcher {
  const all = new Set<Watcher>();
  const byUser = new Map<string, Set<Watcher>>();
  const byRoom = new Map<string, Set<Watcher>>();
  /** Watches whose rooms are not known yet: every advance concerns them. */
  const unscoped = new Set<Watcher>();

  const notify = (watcher: Watcher) => {
    watcher.pending = true;
    watcher.wake?.();
  };

  const unsubscribe = notifier.subscribe((advance) => {
    const hasUsers = advance.userIds !== undefined && advance.userIds.length > 0;
    const hasRooms = advance.roomIds !== undefined && advance.roomIds.length > 0;
    if (!hasUsers && !hasRooms) {
      for (const watcher of [...all]) notify(watcher);
      return;
    }
    const woken = new Set<Watcher>(unscoped);
    for (const userId of advance.userIds ?? []) for (const watcher of byUser.get(userId) ?? []) woken.add(watcher);
    for (const roomId of advance.roomIds ?? []) for (const watcher of byRoom.get(roomId) ?? []) woken.add(watcher);
    for (const watcher of woken) notify(watcher);
  });

  function setRooms(watcher: Watcher, roomIds: Iterable<string>): void {
    for (const roomId of watcher.rooms ?? []) removeFrom(byRoom, roomId, watcher);
    watcher.rooms = new Set(roomIds);
    unscoped.delete(watcher);
    for (const roomId of watcher.rooms) addTo(byRoom, roomId, watcher);
  }

  function remove(watcher: Watcher): void {
    all.delete(watcher);
    unscoped.delete(watcher);
    removeFrom(byUser, watcher.userId, watcher);
    for (const roomId of watcher.rooms ?? []) removeFrom(byRoom, roomId, watcher);
    watcher.wake = undefined;
  }

  return {
    watch(userId) {
      const watcher: Watcher = { userId, rooms: null, pending: false, wake: undefined };
      all.add(watcher);
      unscoped.add(watcher);
      addTo(byUser, userId, watcher);
      return {
        setRooms: (roomIds) => setRooms(watcher, roomIds),
        wait: (timeoutMs, signal) => waitOn(watcher, timeoutMs, signal),
        close: () => remove(watcher),
      };
    },
    size: () => all.size,
    close() {
      unsubscribe();
      for (const watcher of [...all]) remove(watcher);
    },
  };
}

function waitOn(watcher: Watcher, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (watcher.pending) {
    watcher.pending = false;
    return Promise.resolve(true);
  }
  if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const finish = (woken: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      watcher.wake = undefined;
      if (woken) watcher.pending = false;
      resolve(woken);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    watcher.wake = () => finish(true);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One watch on a dispatcher of its own (tests; the sync service shares one dispatcher per process). */
export function watchAdvances(notifier: Notifier, userId: string): AdvanceWatch {
  const dispatcher = createWakeDispatcher(notifier);
  const watch = dispatcher.watch(userId);
  return { ...watch, close: () => dispatcher.close() };
}
