/**
 * Login sessions: issuing access (and refresh) tokens for a device, resolving a token to its requester, refresh,
 * logout. Tokens are only ever stored as their SHA-256.
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
import { MatrixError } from '../../matrix-error.js';
import type { AccessTokenOwner, AccountStore, RefreshTokenRecord } from '../../storage/index.js';
import type { AccountsContext } from './context.js';
import { hashToken, newAccessToken, newDeviceId, newRefreshToken } from './secrets.js';
import type { AuthenticateOptions, LoginSession, RequestOrigin, Requester } from './types.js';

/** A device's "last seen" is written at most this often per token, so authenticating stays read-only. */
const SIGHTING_INTERVAL_MS = 60_000;
/** Sightings remembered before the map is cleared (bounds memory; a clear only causes extra writes). */
const MAX_REMEMBERED_SIGHTINGS = 10_000;
/** How long a revoked refresh token is kept so that replaying it is recognised (and logs its device out). */
const REVOKED_REFRESH_TOKEN_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;

export interface IssueOptions {
  userId: string;
  /** Reuse this device (its old tokens are revoked) or create it; a fresh ID when undefined. */
  deviceId?: string;
  displayName?: string;
  refreshable: boolean;
  origin: RequestOrigin;
}

export interface Sessions {
  issue(options: IssueOptions): Promise<LoginSession>;
  authenticate(accessToken: string | undefined, origin: RequestOrigin, options?: AuthenticateOptions): Promise<Requester>;
  refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string; expiresInMs: number }>;
}

export function createSessions(context: AccountsContext): Sessions {
  const { storage, clock } = context;
  const lastSighting = new Map<number, number>();

  async function addTokens(store: AccountStore, userId: string, deviceId: string, refreshable: boolean) {
    const now = clock.now();
    const accessToken = newAccessToken();
    if (!refreshable) {
      await store.addAccessToken({
        tokenHash: hashToken(accessToken),
        userId,
        deviceId,
        createdTs: now,
        expiresTs: null,
        refreshTokenId: null,
      });
      return { accessToken };
    }
    return addRefreshableTokens(store, userId, deviceId);
  }

  /** A refresh token and an expiring access token issued with it. */
  async function addRefreshableTokens(store: AccountStore, userId: string, deviceId: string) {
    const now = clock.now();
    const accessToken = newAccessToken();
    const lifetime = context.config.sessions.refreshable_access_token_lifetime_ms;
    const refreshToken = newRefreshToken();
    const refreshTokenId = await store.addRefreshToken({ tokenHash: hashToken(refreshToken), userId, deviceId, createdTs: now });
    await store.addAccessToken({
      tokenHash: hashToken(accessToken),
      userId,
      deviceId,
      createdTs: now,
      expiresTs: now + lifetime,
      refreshTokenId,
    });
    return { accessToken, refreshToken, refreshTokenId, expiresInMs: lifetime };
  }

  async function recordSighting(requester: Requester, tokenId: number, origin: RequestOrigin): Promise<void> {
    if (requester.deviceId === null) return;
    const now = clock.now();
    const previous = lastSighting.get(tokenId);
    if (previous !== undefined && now - previous < SIGHTING_INTERVAL_MS) return;
    if (lastSighting.size >= MAX_REMEMBERED_SIGHTINGS) lastSighting.clear();
    lastSighting.set(tokenId, now);
    await storage.accounts.recordDeviceSighting(requester.userId, requester.deviceId, { ts: now, ...origin });
  }

  function retireOptions(): { ts: number; forgetRevokedBefore: number } {
    const now = clock.now();
    return { ts: now, forgetRevokedBefore: now - REVOKED_REFRESH_TOKEN_MEMORY_MS };
  }

  /** Deletes every access and refresh token of the device a replayed refresh token belongs to. */
  async function revokeDevice(token: RefreshTokenRecord, message: string): Promise<void> {
    await storage.accounts.deleteDeviceTokens(token.userId, token.deviceId);
    await context.revokeTokens(token.userId);
    context.logger.warn({ userId: token.userId, deviceId: token.deviceId, refreshTokenId: token.id }, message);
  }

  /** The token's record: cached for a few seconds (see token-cache.ts), else from the database. */
  async function findAccessToken(tokenHash: string): Promise<AccessTokenOwner | null> {
    const cached = context.tokens.get(tokenHash, clock.now());
    if (cached !== undefined) return cached;
    const epoch = context.tokens.epoch();
    const token = await storage.accounts.findAccessToken(tokenHash);
    if (token !== null) context.tokens.put(token, clock.now(), epoch);
    return token;
  }

  return {
    async issue(options) {
      const deviceId = options.deviceId ?? newDeviceId();
      const { created, tokens } = await storage.transaction(async (tx) => {
        const created = await tx.accounts.ensureDevice({
          userId: options.userId,
          deviceId,
          displayName: options.displayName ?? null,
          createdTs: clock.now(),
        });
        // Logging in again on a known device replaces its session.
        if (!created) await tx.accounts.deleteDeviceTokens(options.userId, deviceId);
        const tokens = await addTokens(tx.accounts, options.userId, deviceId, options.refreshable);
        return { created, tokens };
      });
      // Logging in again on a known device revoked its old tokens.
      if (!created) await context.revokeTokens(options.userId);
      await storage.accounts.recordDeviceSighting(options.userId, deviceId, { ts: clock.now(), ...options.origin });
      if (created) await context.hooks.deviceChanged.emit({ userId: options.userId, deviceId, kind: 'created' });
      return {
        userId: options.userId,
        deviceId,
        accessToken: tokens.accessToken,
        ...('refreshToken' in tokens ? { refreshToken: tokens.refreshToken, expiresInMs: tokens.expiresInMs } : {}),
      };
    },

    async authenticate(accessToken, origin, options = {}) {
      if (accessToken === undefined || accessToken === '') {
        throw new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
      }
      const token = await findAccessToken(hashToken(accessToken));
      if (!token || token.deactivated) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised access token', { soft_logout: false });
      if (token.expiresTs !== null && token.expiresTs <= clock.now()) {
        // https://spec.matrix.org/v1.19/client-server-api/#soft-logout: an expired token is a soft logout.
        throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Access token has expired', { soft_logout: true });
      }
      // https://spec.matrix.org/v1.19/client-server-api/#account-locking: the token stays valid for after the unlock.
      if (token.locked && options.allowLocked !== true) throw accountLocked();
      if (!token.used) {
        await storage.accounts.markAccessTokenUsed(token.id);
        // The first use of a refreshed token revokes the refresh token it replaced.
        if (token.refreshTokenId !== null) {
          await storage.accounts.retirePredecessors(token.refreshTokenId, retireOptions());
          await context.revokeTokens(token.userId);
        }
        const epoch = context.tokens.epoch();
        context.tokens.put({ ...token, used: true }, clock.now(), epoch);
      }
      const requester: Requester = { userId: token.userId, deviceId: token.deviceId, accessTokenId: token.id, isGuest: token.isGuest, ip: origin.ip };
      await recordSighting(requester, token.id, origin);
      return requester;
    },

    /**
     * POST /refresh. Each refresh token has at most one live successor: a retry before that successor was used
     * (the client lost the answer) replaces it, and two concurrent exchanges cannot both win (a conditional update).
     * Once the successor is used the token is revoked, and presenting a revoked token again is a replay: every
     * token of its device is revoked.
     * https://spec.matrix.org/v1.19/client-server-api/#refreshing-access-tokens
     */
    async refresh(refreshToken) {
      const old = await storage.accounts.findRefreshToken(hashToken(refreshToken));
      if (!old) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised refresh token', { soft_logout: false });
      if (old.revoked) {
        await revokeDevice(old, 'a revoked refresh token was used again: revoked every token of its device');
        throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised refresh token', { soft_logout: false });
      }
      const user = await storage.accounts.getUser(old.userId);
      if (!user || user.deactivatedTs !== null) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised refresh token', { soft_logout: false });
      // NOTSPEC: no error is named for /refresh; a locked account obtains no new access token until it is unlocked
      // (the refresh token stays usable then).
      if (user.lockedTs !== null) throw accountLocked();
      const refreshed = await storage.transaction(async (tx) => {
        // Using this token retires the one it replaced (and that one's access tokens).
        await tx.accounts.retirePredecessors(old.id, retireOptions());
        const tokens = await addRefreshableTokens(tx.accounts, old.userId, old.deviceId);
        const exchange = { expectedNextTokenId: old.nextTokenId, nextTokenId: tokens.refreshTokenId };
        if (!(await tx.accounts.claimRefreshToken(old.id, exchange))) {
          throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'This refresh token was used concurrently', { soft_logout: false });
        }
        // A retry: the successor handed out before was never used (else this token would be revoked); it is replaced.
        if (old.nextTokenId !== null) await tx.accounts.revokeRefreshTokens([old.nextTokenId], clock.now());
        return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresInMs: tokens.expiresInMs };
      });
      await context.revokeTokens(old.userId);
      return refreshed;
    },
  };
}

/** 401 `M_USER_LOCKED` with `soft_logout: true`: the client keeps its session and retries until the lock is lifted. */
export function accountLocked(): MatrixError {
  return new MatrixError(401, 'M_USER_LOCKED', 'This account has been locked', { soft_logout: true });
}
