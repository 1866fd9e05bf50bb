/**
 * The typing service: PUT /typing, the expiry sweep and the sync read.
 * https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
 */
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { claimJob } from '../jobs/index.js';
import type { TypingCallbacks, TypingOptions, TypingRequest, TypingService, TypingUpdate } from './types.js';

const DEFAULT_MAX_TIMEOUT_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SWEEP_INTERVAL_MS = 5_000;
/** Entries expired per sweep round; a sweep repeats until none are left. */
const SWEEP_BATCH = 500;

export function createTypingServiceImpl(deps: CoreDeps, callbacks: TypingCallbacks, options: TypingOptions): TypingService {
  const { storage, notifier, clock } = deps;
  const log = deps.logger.child({ component: 'typing' });
  const maxTimeoutMs = options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  // One process of the deployment sweeps: the holder of this job's lease. It learns of other processes' entries
  // from their typing advances, and at take-over from the database.
  const job = claimJob(deps, 'typing-expiry', { onClaimed: () => scheduleNextExpiry() });
  const sweeper = createSweepTimer({
    intervalMs: options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
    now: () => clock.now(),
    run: async () => {
      if (!job.held()) return null;
      await job.runIfHeld(expireTyping);
      return storage.ephemeral.getNextTypingExpiry();
    },
    onError: (error) => log.warn({ err: error }, 'typing expiry sweep failed'),
  });
  // Alone (no shared job claims), every entry was scheduled by this process when it was set.
  const unsubscribe = deps.jobs === undefined ? () => undefined : notifier.subscribe((advance) => {
    if (advance.stream === 'typing' && job.held()) scheduleNextExpiry();
  });

  function scheduleNextExpiry(): void {
    storage.ephemeral.getNextTypingExpiry().then(
      (next) => {
        if (next !== null) sweeper.scheduleAt(next);
      },
      (error: unknown) => log.warn({ err: error }, 'reading the next typing expiry failed'),
    );
  }

  /** Records a change of `roomId`'s typing list inside `tx`'s transaction and returns its stream position. */
  async function bump(tx: Storage, roomId: string): Promise<number> {
    const position = await tx.streams.next('typing');
    await tx.ephemeral.markTypingRoomChanged(roomId, position);
    return position;
  }

  async function publish(position: number | null, roomId: string): Promise<void> {
    if (position !== null) await notifier.publish({ stream: 'typing', position, roomIds: [roomId] });
  }

  async function startTyping(roomId: string, userId: string, timeoutMs: number): Promise<void> {
    const now = clock.now();
    // Whole milliseconds: the expiry is an integer column (a float timeout such as 1500.5 would fail on PostgreSQL).
    const expiresTs = now + Math.floor(Math.min(Math.max(timeoutMs, 0), maxTimeoutMs));
    const position = await storage.transaction(async (tx) => {
      const existing = await tx.ephemeral.getTyping(roomId, userId);
      await tx.ephemeral.upsertTyping({ roomId, userId, expiresTs });
      // A refresh of a live entry changes nobody's view of the room: no stream position, no wake-up.
      if (existing !== null && existing.expiresTs > now) return null;
      return bump(tx, roomId);
    });
    await publish(position, roomId);
    sweeper.scheduleAt(expiresTs);
  }

  async function stopTyping(roomId: string, userId: string): Promise<void> {
    const position = await storage.transaction(async (tx) =>
      (await tx.ephemeral.deleteTyping(roomId, userId)) ? bump(tx, roomId) : null,
    );
    await publish(position, roomId);
  }

  async function expireTyping(): Promise<number> {
    let expiredCount = 0;
    for (;;) {
      const now = clock.now();
      const expired = await storage.ephemeral.getExpiredTyping(now, SWEEP_BATCH);
      if (expired.length === 0) return expiredCount;
      const changedRooms = new Map<string, number>();
      await storage.transaction(async (tx) => {
        for (const entry of expired) {
          // Only if still expired: another process may have refreshed it since we looked.
          if (!(await tx.ephemeral.deleteTyping(entry.roomId, entry.userId, { expiredAt: now }))) continue;
          expiredCount += 1;
          if (!changedRooms.has(entry.roomId)) changedRooms.set(entry.roomId, 0);
        }
        for (const roomId of changedRooms.keys()) changedRooms.set(roomId, await bump(tx, roomId));
      });
      for (const [roomId, position] of changedRooms) await publish(position, roomId);
      if (expired.length < SWEEP_BATCH) return expiredCount;
    }
  }

  return {
    async setTyping(requesterId: string, roomId: string, userId: string, request: TypingRequest) {
      if (requesterId !== userId) throw new MatrixError(403, 'M_FORBIDDEN', 'You may only set your own typing state');
      if (!(await callbacks.isJoined(userId, roomId))) throw new MatrixError(403, 'M_FORBIDDEN', 'You are not joined to this room');
      if (request.typing) await startTyping(roomId, userId, request.timeout ?? defaultTimeoutMs);
      else await stopTyping(roomId, userId);
    },

    async getChanges(_userId: string, from: number, to: number, roomIds: readonly string[]): Promise<TypingUpdate[]> {
      const changed = await storage.ephemeral.getTypingRoomsChanged(roomIds, from, to);
      if (changed.length === 0) return [];
      const typing = await storage.ephemeral.getTypingUsers(changed, clock.now());
      const updates: TypingUpdate[] = [];
      for (const roomId of changed) {
        const userIds = typing.get(roomId) ?? [];
        // An initial sync has no earlier list to replace: an empty one says nothing.
        if (from === 0 && userIds.length === 0) continue;
        updates.push({ roomId, event: { type: 'm.typing', content: { user_ids: userIds } } });
      }
      return updates;
    },

    currentPosition: () => storage.streams.current('typing'),

    async getTypingUsers(roomId: string) {
      return (await storage.ephemeral.getTypingUsers([roomId], clock.now())).get(roomId) ?? [];
    },

    expireTyping,

    close: () => {
      unsubscribe();
      sweeper.stop();
    },
  };
}

interface SweepTimerOptions {
  /** 0 disables the timer entirely. */
  intervalMs: number;
  now(): number;
  /** Runs one sweep; returns the next time something expires (any process's entry), or null if nothing will. */
  run(): Promise<number | null>;
  onError(error: unknown): void;
}

/**
 * One timer that fires at the earliest known expiry (ours or, via the database, another process's), and at least
 * every `intervalMs` while anything is pending. Idle when nobody types. Unref'd: it never keeps the process alive.
 */
function createSweepTimer(options: SweepTimerOptions): { scheduleAt(at: number): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let stopped = false;

  function scheduleAt(at: number): void {
    if (options.intervalMs <= 0 || stopped) return;
    const when = Math.min(at, options.now() + options.intervalMs);
    if (timer !== undefined && timerAt <= when) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = when;
    timer = setTimeout(fire, Math.max(0, when - options.now()));
    timer.unref();
  }

  function fire(): void {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    options.run().then(
      (next) => {
        if (next !== null) scheduleAt(next);
      },
      (error: unknown) => options.onError(error),
    );
  }

  return {
    scheduleAt,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
