/**
 * Builds the accounts service from its parts (sessions, registration, password operations, devices).
 */
import { roomVersionsCapability } from '@parley/federation';
import type { CoreDeps } from '../deps.js';
import { createListenerList, type AccountsContext } from './context.js';
import { createDevices } from './devices.js';
import { createPasswordAccounts } from './login.js';
import { createRegistration } from './register.js';
import { createRegistrationToken } from './registration-tokens.js';
import { createSessions } from './sessions.js';
import { PASSWORD } from './stages.js';
import { createPasswordChecker, createPasswordHasher, UNLIMITED_ATTEMPTS } from './password-check.js';
import type { AccountsPorts, AccountsService, DeviceChange } from './types.js';
import { createTokenCache } from './token-cache.js';
import { createUia } from './uia.js';
import { createModeration } from './moderation.js';
import { createOpenId } from './openid.js';

export function createAccountsService(deps: CoreDeps, ports: AccountsPorts = {}): AccountsService {
  const logger = deps.logger.child({ component: 'accounts' });
  const passwords = createPasswordHasher(deps.config.sessions.password_hash_concurrency);
  const tokens = createTokenCache();
  // Set below, once the context exists; invalidations only arrive after this function returned.
  let forgetModeration: (userId: string) => void = () => {};
  // Every process (this one included) drops a user's cached tokens (and suspension status) when any process revokes
  // one of their tokens or changes their moderation flags.
  deps.notifier.subscribeInvalidations((invalidation) => {
    if (invalidation.topic !== 'access-tokens') return;
    for (const userId of invalidation.keys) {
      tokens.forgetUser(userId);
      forgetModeration(userId);
    }
  });
  const context: AccountsContext = {
    passwords,
    passwordChecks: createPasswordChecker(deps.storage.accounts, passwords, ports.attemptLimiter ?? UNLIMITED_ATTEMPTS),
    registrationAttempts: ports.registrationLimiter ?? UNLIMITED_ATTEMPTS,
    storage: deps.storage,
    clock: deps.clock,
    config: deps.config,
    logger,
    serverName: deps.serverName,
    uia: createUia(deps.storage.accounts, deps.clock),
    tokens,
    async revokeTokens(userId) {
      tokens.forgetUser(userId);
      await deps.notifier.publishInvalidation({ topic: 'access-tokens', keys: [userId] });
    },
    hooks: {
      registered: createListenerList<{ userId: string }>(logger, 'registered'),
      deactivated: createListenerList<{ userId: string }>(logger, 'deactivated'),
      deviceChanged: createListenerList<DeviceChange>(logger, 'deviceChanged'),
    },
  };
  const sessions = createSessions(context);
  const registration = createRegistration(context, sessions);
  const passwordAccounts = createPasswordAccounts(context, sessions);
  const devices = createDevices(context, passwordAccounts);
  const store = deps.storage.accounts;
  const moderation = createModeration(context);
  forgetModeration = moderation.forget;
  const openId = createOpenId(context);

  return {
    authenticate: sessions.authenticate,
    register: registration.register,
    checkUsernameAvailable: registration.checkUsernameAvailable,
    registrationTokenValid: registration.registrationTokenValid,

    createRegistrationToken: (options) => createRegistrationToken(store, deps.clock, options),

    loginFlows: () => [{ type: PASSWORD }],
    login: passwordAccounts.login,
    refresh: sessions.refresh,
    logout: devices.logout,
    logoutAll: devices.logoutAll,
    changePassword: passwordAccounts.changePassword,
    deactivate: passwordAccounts.deactivate,
    listDevices: devices.list,
    listDevicesOfUsers: devices.listOfUsers,
    getDevice: devices.get,
    updateDevice: devices.update,
    deleteDevices: devices.delete,
    requireUserInteractiveAuth: passwordAccounts.requirePassword,

    async capabilities(userId) {
      // The spec: omitted altogether for users who may neither suspend nor lock.
      const moderator = (await moderation.isAdmin(userId)) ? { 'm.account_moderation': { suspend: true, lock: true } } : {};
      return {
        'm.change_password': { enabled: true },
        'm.room_versions': roomVersionsCapability(),
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: false },
        ...moderator,
      };
    },

    requestOpenIdToken: openId.request,
    openIdUserInfo: openId.userInfo,
    whois: moderation.whois,
    getModerationFlag: moderation.getFlag,
    setModerationFlag: moderation.setFlag,
    isSuspended: moderation.isSuspended,

    async getUser(userId) {
      const user = await store.getUser(userId);
      if (!user) return null;
      return { userId, isGuest: user.isGuest, isAdmin: user.isAdmin, deactivated: user.deactivatedTs !== null, createdTs: user.createdTs };
    },
    userExists: async (userId) => (await store.getUser(userId)) !== null,
    guestsAmong: (userIds) => store.guestsAmong(userIds),
    isDeactivated: async (userId) => (await store.getUser(userId))?.deactivatedTs != null,

    onRegistered: (listener) => context.hooks.registered.add(listener),
    onDeactivated: (listener) => context.hooks.deactivated.add(listener),
    onDeviceChanged: (listener) => context.hooks.deviceChanged.add(listener),
  };
}
