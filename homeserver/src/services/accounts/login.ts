/**
 * POST /login with m.login.password, and the account operations that re-check the password through UIA:
 * changing it and deactivating the account.
 * https://spec.matrix.org/v1.19/client-server-api/#login
 */
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { AccountsContext } from './context.js';
import { checkDeviceDisplayName } from './device-names.js';
import { accountLocked, type Sessions } from './sessions.js';
import { PASSWORD, passwordStage, qualifyUserId } from './stages.js';
import { MAX_PASSWORD_LENGTH } from './register.js';
import type { LoginRequest, LoginSession, Requester, RequestOrigin } from './types.js';

export interface PasswordAccounts {
  login(request: LoginRequest, origin: RequestOrigin): Promise<LoginSession>;
  changePassword(requester: Requester, options: { newPassword: string; logoutDevices: boolean; auth?: JsonObject }): Promise<void>;
  deactivate(requester: Requester, options: { auth?: JsonObject }): Promise<void>;
  /**
   * UIA with the password stage for `requester`, for an operation of another domain. A session authorises one
   * request: reusing a finished one is 400 `M_UNKNOWN` (the caller answers an identical retry before asking).
   */
  requirePassword(requester: Requester, auth: JsonObject | undefined, operation: string): Promise<void>;
  /**
   * Runs `operation` once UIA with the password stage is complete. A retry of the finished session answers as the
   * first request did, without running it again.
   */
  withPassword(requester: Requester, auth: JsonObject | undefined, operation: string, run: () => Promise<void>): Promise<void>;
}

export function createPasswordAccounts(context: AccountsContext, sessions: Sessions): PasswordAccounts {
  const { storage } = context;

  function passwordUia(requester: Requester, auth: JsonObject | undefined, operation: string) {
    return context.uia.authenticate({
      operation,
      userId: requester.userId,
      auth,
      flows: [[PASSWORD]],
      stages: { [PASSWORD]: passwordStage(context, requester) },
    });
  }

  async function requirePassword(requester: Requester, auth: JsonObject | undefined, operation: string): Promise<void> {
    const result = await passwordUia(requester, auth, operation);
    if (result.replay !== undefined) throw new MatrixError(400, 'M_UNKNOWN', 'This user-interactive auth session was already used');
    await context.uia.finish(result.sessionId);
    await context.uia.complete(result.sessionId, {});
  }

  async function withPassword(requester: Requester, auth: JsonObject | undefined, operation: string, run: () => Promise<void>): Promise<void> {
    const result = await passwordUia(requester, auth, operation);
    // The operations run this way all answer `{}`: the replay is that answer.
    if (result.replay !== undefined) return;
    await context.uia.finish(result.sessionId);
    try {
      await run();
    } catch (error) {
      await context.uia.abandon(result.sessionId);
      throw error;
    }
    await context.uia.complete(result.sessionId, {});
  }

  /** Deletes devices and their tokens, telling the device-list listeners. */
  async function removeDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
    const deleted = await storage.accounts.deleteDevices(userId, deviceIds);
    await context.revokeTokens(userId);
    for (const deviceId of deleted) await context.hooks.deviceChanged.emit({ userId, deviceId, kind: 'deleted' });
  }

  return {
    async login(request, origin) {
      if (request.type !== PASSWORD) throw new MatrixError(400, 'M_UNKNOWN', `Unsupported login type ${request.type}`);
      if (request.identifier === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'identifier is required');
      const userId = loginUserId(context, request.identifier);
      if (request.password === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'password is required');
      checkDeviceDisplayName(context, request.initialDeviceDisplayName);
      const user = await storage.accounts.getUser(userId);
      if (user?.deactivatedTs != null) throw new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');
      if (!(await context.passwordChecks.check({ userId, password: request.password, ip: origin.ip }))) {
        throw new MatrixError(403, 'M_FORBIDDEN', 'Invalid username or password');
      }
      // NOTSPEC: the spec names no error for /login of a locked account, only that it "cannot obtain a new access
      // token"; we answer the lock's error. After the password check, so only the account's owner learns of the lock.
      if (user?.lockedTs != null) throw accountLocked();
      return sessions.issue({
        userId,
        deviceId: request.deviceId,
        displayName: request.initialDeviceDisplayName,
        refreshable: request.refreshToken,
        origin,
      });
    },

    async changePassword(requester, options) {
      if (options.newPassword.length > MAX_PASSWORD_LENGTH) throw new MatrixError(400, 'M_INVALID_PARAM', 'Password is too long');
      if (options.newPassword === '') throw new MatrixError(400, 'M_WEAK_PASSWORD', 'The password must not be empty');
      await withPassword(requester, options.auth, 'POST /account/password', async () => {
        await storage.accounts.setPasswordHash(requester.userId, await context.passwords.hash(options.newPassword));
        if (!options.logoutDevices) return;
        const others = (await storage.accounts.listDevices(requester.userId))
          .map((device) => device.deviceId)
          .filter((deviceId) => deviceId !== requester.deviceId);
        await removeDevices(requester.userId, others);
      });
    },

    async deactivate(requester, options) {
      await withPassword(requester, options.auth, 'POST /account/deactivate', async () => {
        await storage.accounts.markDeactivated(requester.userId, context.clock.now());
        await context.revokeTokens(requester.userId);
        const devices = await storage.accounts.listDevices(requester.userId);
        await removeDevices(requester.userId, devices.map((device) => device.deviceId));
        await storage.accounts.deleteUserTokens(requester.userId);
        await context.revokeTokens(requester.userId);
        context.logger.info({ userId: requester.userId }, 'deactivated an account');
        await context.hooks.deactivated.emit({ userId: requester.userId });
      });
    },

    requirePassword,
    withPassword,
  };
}

/** The user an m.login.password identifier names; 403 for third-party IDs (none are bound here). */
function loginUserId(context: AccountsContext, identifier: NonNullable<LoginRequest['identifier']>): string {
  if (identifier.type === 'm.id.user' && 'user' in identifier && typeof identifier.user === 'string') {
    const userId = qualifyUserId(context, identifier.user);
    if (!userId.endsWith(`:${context.serverName}`)) throw new MatrixError(403, 'M_FORBIDDEN', 'Invalid username or password');
    return userId;
  }
  if (identifier.type === 'm.id.thirdparty' || identifier.type === 'm.id.phone') {
    throw new MatrixError(403, 'M_FORBIDDEN', 'No account is bound to that third-party identifier');
  }
  throw new MatrixError(400, 'M_UNKNOWN', `Unknown identifier type ${identifier.type}`);
}
