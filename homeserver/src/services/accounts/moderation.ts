/**
 * Server administration: who is a server admin, `GET /admin/whois`, and account suspension and locking
 * (`GET|PUT /admin/suspend/{userId}`, `GET|PUT /admin/lock/{userId}`).
 *
 * Enforcement lives where it bites: a lock in {@link Sessions.authenticate} (every authenticated request but
 * logout), a suspension in the domains that write (rooms' event pipeline, profile changes), which ask
 * {@link Moderation.isSuspended} through their ports.
 * https://spec.matrix.org/v1.19/client-server-api/#account-moderation
 * https://spec.matrix.org/v1.19/client-server-api/#server-administration
 */
import { parseUserId } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { AccountStore, UserRecord } from '../../storage/index.js';
import type { AccountsContext } from './context.js';
import type { Requester, WhoisInfo } from './types.js';

/** How long a suspension status is trusted without asking the database again (changes invalidate it at once). */
const SUSPENSION_CACHE_TTL_MS = 10_000;
const MAX_CACHED_USERS = 10_000;

/** Which moderation flag an admin endpoint reads or writes. */
export type ModerationFlag = 'suspended' | 'locked';

export interface Moderation {
  whois(requester: Requester, userId: string): Promise<WhoisInfo>;
  getFlag(requester: Requester, userId: string, flag: ModerationFlag): Promise<boolean>;
  setFlag(requester: Requester, userId: string, flag: ModerationFlag, value: boolean): Promise<boolean>;
  isAdmin(userId: string): Promise<boolean>;
  /** Whether a local account is suspended now (cached briefly per process; every change is published). */
  isSuspended(userId: string): Promise<boolean>;
  /** Drops the cached status of `userId` (the `access-tokens` invalidation, heard from any process). */
  forget(userId: string): void;
}

export function createModeration(context: AccountsContext): Moderation {
  const { storage, clock } = context;
  const suspensions = new Map<string, { suspended: boolean; cachedAt: number }>();
  // Bumped by every change: a read that started before one must not cache what it read.
  let changes = 0;
  const forget = (userId: string): void => {
    changes += 1;
    suspensions.delete(userId);
  };

  async function isAdmin(userId: string): Promise<boolean> {
    return (await storage.accounts.getUser(userId))?.isAdmin === true;
  }

  /** 403 unless the requester is a server admin: checked before any lookup of the target, so nobody can probe for accounts. */
  async function requireAdmin(requester: Requester): Promise<void> {
    if (!(await isAdmin(requester.userId))) throw new MatrixError(403, 'M_FORBIDDEN', 'Requesting user is not a server administrator');
  }

  /** The local, active account `userId` names: 400 `M_INVALID_PARAM` for another server's user, 404 for none. */
  async function requireLocalAccount(userId: string): Promise<UserRecord> {
    const parts = parseUserId(userId, { historical: true });
    if (parts === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', 'Not a valid user ID');
    if (parts.serverName !== context.serverName) throw new MatrixError(400, 'M_INVALID_PARAM', 'User does not belong to the local server');
    const user = await storage.accounts.getUser(userId);
    if (user === null || user.deactivatedTs !== null) throw new MatrixError(404, 'M_NOT_FOUND', 'User not found');
    return user;
  }

  /** The target of a suspend or lock endpoint, after the spec's checks in the spec's order. */
  async function moderationTarget(requester: Requester, userId: string): Promise<UserRecord> {
    await requireAdmin(requester);
    const user = await requireLocalAccount(userId);
    if (user.isAdmin && user.userId !== requester.userId) throw new MatrixError(403, 'M_FORBIDDEN', 'The target user is a server administrator');
    return user;
  }

  return {
    async whois(requester, userId) {
      // The spec allows the user themselves or a server admin (Synapse allows both too).
      if (requester.userId !== userId) await requireAdmin(requester);
      await requireLocalAccount(userId);
      const devices = await storage.accounts.listDevices(userId);
      return {
        userId,
        devices: devices.map((device) => ({
          deviceId: device.deviceId,
          lastSeen:
            device.lastSeenTs === null
              ? null
              : { ts: device.lastSeenTs, ip: device.lastSeenIp ?? '', userAgent: device.lastSeenUserAgent ?? '' },
        })),
      };
    },

    async getFlag(requester, userId, flag) {
      const user = await moderationTarget(requester, userId);
      return flag === 'suspended' ? user.suspendedTs !== null : user.lockedTs !== null;
    },

    async setFlag(requester, userId, flag, value) {
      const user = await moderationTarget(requester, userId);
      if (user.userId === requester.userId) throw new MatrixError(403, 'M_FORBIDDEN', `You cannot change whether your own account is ${flag}`);
      const ts = value ? clock.now() : null;
      await storage.accounts.setUserFlags(userId, flag === 'suspended' ? { suspendedTs: ts } : { lockedTs: ts });
      // Cached token owners (the lock) and suspension statuses go stale in every process: drop them everywhere.
      forget(userId);
      await context.revokeTokens(userId);
      context.logger.info({ admin: requester.userId, userId, flag, value }, 'account moderation changed');
      return value;
    },

    isAdmin,

    async isSuspended(userId) {
      const now = clock.now();
      const cached = suspensions.get(userId);
      if (cached !== undefined && now - cached.cachedAt < SUSPENSION_CACHE_TTL_MS && now >= cached.cachedAt) return cached.suspended;
      const epoch = changes;
      const suspended = (await storage.accounts.getUser(userId))?.suspendedTs != null;
      if (epoch !== changes) return suspended;
      if (suspensions.size >= MAX_CACHED_USERS) suspensions.clear();
      suspensions.set(userId, { suspended, cachedAt: now });
      return suspended;
    },

    forget,
  };
}

/**
 * NOTSPEC: the spec leaves "server-local administrator privileges" unspecified; ours are `users.is_admin`.
 * Makes `userId` a server admin or takes that away (what `parley make-admin` runs). False when there is no such
 * account. Admin status is read from the database on every check, so no cache needs telling.
 */
export async function setServerAdmin(store: AccountStore, userId: string, options: { admin: boolean }): Promise<boolean> {
  return store.setUserFlags(userId, { isAdmin: options.admin });
}
