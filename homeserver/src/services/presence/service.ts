/**
 * The presence service. Keeps presence cheap (DESIGN.md: presence has pinned CPUs elsewhere):
 * - activity and sync heartbeats are coalesced in memory and only written when they matter;
 * - the stream moves (and anyone is woken) only when what others see changes: state, status message, or the end
 *   of `currently_active`; last-active refreshes alone are silent, as the spec's `currently_active` allows;
 * - PUT /presence is rate limited per user;
 * - changes fan out only to users who share a room with the user;
 * - `presence.enabled: false` turns all of it off.
 * https://spec.matrix.org/v1.19/client-server-api/#presence
 */
import { MatrixError } from '../../matrix-error.js';
import type { PresenceRecord, PresenceState, Storage } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { claimJob } from '../jobs/index.js';
import { createIntervalTimer, createTokenBuckets, createRecentMap } from './throttle.js';
import { PRESENCE_PRIVACY_TYPE, effectiveState, parsePresencePrivacy, presenceContentFor, type PresenceTimeouts } from './privacy.js';
import type { PresenceCallbacks, PresenceContent, PresenceEvent, PresenceOptions, PresenceService } from './types.js';

const MINUTE = 60_000;
const SWEEP_BATCH = 500;

/** A change to apply to a user's presence. */
interface PresenceChange {
  state?: PresenceState;
  /** undefined leaves the message as it is. */
  statusMsg?: string | null;
  active?: boolean;
  synced?: boolean;
}

export function createPresenceServiceImpl(deps: CoreDeps, callbacks: PresenceCallbacks, options: PresenceOptions): PresenceService {
  const { storage, notifier, clock } = deps;
  const log = deps.logger.child({ component: 'presence' });
  const enabled = options.enabled ?? deps.config.presence.enabled;
  const timeouts: PresenceTimeouts = {
    idleAfterMs: options.idleAfterMs ?? 5 * MINUTE,
    offlineAfterMs: options.offlineAfterMs ?? 5 * MINUTE,
  };
  const recentActivity = createRecentMap(options.activeCoalesceMs ?? MINUTE);
  const recentSync = createRecentMap(options.syncCoalesceMs ?? 30_000);
  const statusBuckets = createTokenBuckets({ burst: options.statusBurst ?? 10, refillMs: options.statusRefillMs ?? 2_000 });
  const sweepTimer = createIntervalTimer(options.sweepIntervalMs ?? 30_000, async () => {
    try {
      await job.runIfHeld(sweep);
    } catch (error) {
      log.warn({ err: error }, 'presence sweep failed');
    }
  });
  // One process of the deployment sweeps: the lease holder, from the moment it holds the job (others' timers idle).
  const job = claimJob(deps, 'presence-timeouts', { onClaimed: () => sweepTimer.start() });

  async function loadRecord(tx: Storage, userId: string): Promise<PresenceRecord | null> {
    return (await tx.ephemeral.getPresence([userId]))[0] ?? null;
  }

  /**
   * Applies `change` in one transaction. Returns the new stream position when what others see changed (state,
   * status message, or an idle user becoming active again), else null after a silent timestamp refresh.
   */
  async function apply(userId: string, change: PresenceChange): Promise<number | null> {
    const now = clock.now();
    return storage.transaction(async (tx) => {
      const before = await loadRecord(tx, userId);
      const shownBefore = before === null ? 'offline' : effectiveState(before, now, timeouts);
      const next: PresenceRecord = {
        userId,
        state: change.state ?? shownBefore,
        statusMsg: change.statusMsg === undefined ? (before?.statusMsg ?? null) : change.statusMsg,
        lastActiveTs: change.active ? now : (before?.lastActiveTs ?? now),
        lastSyncTs: change.synced ? now : (before?.lastSyncTs ?? null),
        streamId: before?.streamId ?? 0,
      };
      const visible = before === null || next.state !== shownBefore || next.state !== before.state || next.statusMsg !== before.statusMsg;
      if (!visible) {
        await tx.ephemeral.touchPresence(userId, { lastActiveTs: next.lastActiveTs, lastSyncTs: next.lastSyncTs ?? undefined });
        return null;
      }
      next.streamId = await tx.streams.next('presence');
      await tx.ephemeral.upsertPresence(next);
      return next.streamId;
    });
  }

  /** Wakes the user and everyone sharing a room with them: nobody else ever receives this presence. */
  async function publish(userId: string, position: number): Promise<void> {
    if (callbacks.joinedRoomIds) {
      // Published by room and by user, not as the list of everyone sharing a room.
      await notifier.publish({ stream: 'presence', position, userIds: [userId], roomIds: [...(await callbacks.joinedRoomIds(userId))] });
      return;
    }
    const audience = new Set(await callbacks.usersSharingRoomWith(userId));
    audience.add(userId);
    await notifier.publish({ stream: 'presence', position, userIds: [...audience] });
  }

  async function applyAndPublish(userId: string, change: PresenceChange): Promise<void> {
    sweepTimer.start();
    const position = await apply(userId, change);
    if (position !== null) await publish(userId, position);
  }

  async function mayView(viewerId: string, userId: string): Promise<boolean> {
    return viewerId === userId || (await callbacks.usersSharingRoomWith(viewerId)).includes(userId);
  }

  async function privacyOf(userId: string): Promise<ReturnType<typeof parsePresencePrivacy>> {
    return parsePresencePrivacy(await callbacks.getGlobalAccountData(userId, PRESENCE_PRIVACY_TYPE));
  }

  async function contentFor(viewerId: string, record: PresenceRecord | null, userId: string): Promise<PresenceContent> {
    const privacy = viewerId === userId ? parsePresencePrivacy(null) : await privacyOf(userId);
    return presenceContentFor({ record, viewerId, privacy, now: clock.now(), timeouts });
  }

  async function sweep(): Promise<number> {
    if (!enabled) return 0;
    let changed = 0;
    for (;;) {
      const now = clock.now();
      const stale = await storage.ephemeral.getStalePresence({
        idleBefore: now - timeouts.idleAfterMs,
        offlineBefore: now - timeouts.offlineAfterMs,
        limit: SWEEP_BATCH,
      });
      for (const record of stale) {
        // apply() re-reads the row and writes the timed-out state only if it still differs.
        const position = await apply(record.userId, { state: effectiveState(record, now, timeouts) });
        if (position === null) continue;
        changed += 1;
        await publish(record.userId, position);
      }
      if (stale.length < SWEEP_BATCH) return changed;
    }
  }

  return {
    enabled,

    async setStatus(requesterId, userId, request) {
      if (requesterId !== userId) throw new MatrixError(403, 'M_FORBIDDEN', 'You cannot set the presence of another user');
      if (!enabled) return;
      const retryAfterMs = statusBuckets.take(userId, clock.now());
      if (retryAfterMs > 0) throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many presence changes', { retry_after_ms: retryAfterMs });
      // "When setting the status, the activity time is updated" — except going offline or idle says the opposite.
      const active = request.presence === 'online';
      if (active) recentActivity.mark(userId, clock.now());
      await applyAndPublish(userId, { state: request.presence, statusMsg: request.statusMsg, active });
    },

    async getStatus(requesterId, userId) {
      if (!(await mayView(requesterId, userId))) {
        throw new MatrixError(403, 'M_FORBIDDEN', 'You are not allowed to see their presence');
      }
      if (!enabled) return { presence: 'offline' };
      return contentFor(requesterId, await loadRecord(storage, userId), userId);
    },

    async setPresenceFromSync(userId, state = 'online') {
      if (!enabled || state === 'offline') return;
      const now = clock.now();
      if (recentSync.isRecent(`${userId}|${state}`, now)) return;
      recentSync.mark(`${userId}|${state}`, now);
      if (state === 'unavailable') return applyAndPublish(userId, { state: 'unavailable', synced: true });
      // Syncing is not activity: it keeps the user from going offline and brings an offline user online, but an
      // idle (or explicitly unavailable) user stays so until they act.
      const record = await loadRecord(storage, userId);
      const bringOnline = record === null || effectiveState(record, now, timeouts) === 'offline';
      await applyAndPublish(userId, bringOnline ? { state: 'online', active: true, synced: true } : { synced: true });
    },

    async markActive(userId) {
      if (!enabled) return;
      const now = clock.now();
      if (recentActivity.isRecent(userId, now)) return;
      recentActivity.mark(userId, now);
      // "Any activity that bumps the last active time ... will cause the server to automatically set their presence
      // to online."
      await applyAndPublish(userId, { state: 'online', active: true });
    },

    async getChanges(userId, from, to) {
      if (!enabled || to <= from) return [];
      const audience = new Set(await callbacks.usersSharingRoomWith(userId));
      audience.add(userId);
      const records = await storage.ephemeral.getPresenceChanged([...audience], from, to);
      const events: PresenceEvent[] = [];
      for (const record of records) {
        events.push({ type: 'm.presence', sender: record.userId, content: await contentFor(userId, record, record.userId) });
      }
      return events;
    },

    currentPosition: () => storage.streams.current('presence'),

    async privacyChanged(userId) {
      if (!enabled) return;
      const position = await storage.transaction(async (tx) => {
        const record = await loadRecord(tx, userId);
        if (record === null) return null;
        const streamId = await tx.streams.next('presence');
        await tx.ephemeral.upsertPresence({ ...record, streamId });
        return streamId;
      });
      if (position !== null) await publish(userId, position);
    },

    sweep,

    close: () => sweepTimer.stop(),
  };
}
