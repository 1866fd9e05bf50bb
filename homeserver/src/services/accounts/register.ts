/**
 * Account registration: POST /register, /register/available and registration token validity.
 * https://spec.matrix.org/v1.19/client-server-api/#account-registration
 */
import { randomBytes } from 'node:crypto';
import { isCompliantUserLocalpart, type JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { UiaSessionRecord } from '../../storage/index.js';
import { userIdFor, type AccountsContext } from './context.js';
import { checkDeviceDisplayName } from './device-names.js';
import { createGuests } from './guests.js';
import { hashToken } from './secrets.js';
import type { Sessions } from './sessions.js';
import { DUMMY, REGISTRATION_TOKEN, TOKEN_DATA_KEY, dummyStage, registrationTokenStage, tokenUsable } from './stages.js';
import { outcomeFromJson, outcomeJson, recallParams, rememberParams, type RegisterParams } from './register-params.js';
import { chargeRegistration, runsStage, type RegistrationCharge } from './registration-limit.js';
import type { RegisterRequest, RegisterResult, RequestOrigin } from './types.js';

/** Longest password accepted; scrypt handles any length, this only bounds the work per request. */
export const MAX_PASSWORD_LENGTH = 512;
/** User IDs are at most 255 bytes. https://spec.matrix.org/v1.19/appendices/#user-identifiers */
const MAX_USER_ID_BYTES = 255;
const GENERATED_LOCALPART_ATTEMPTS = 5;

export interface Registration {
  register(request: RegisterRequest, origin: RequestOrigin): Promise<RegisterResult>;
  checkUsernameAvailable(username: string): Promise<void>;
  registrationTokenValid(token: string): Promise<boolean>;
  /** Gives back the pending use of a registration token held by an abandoned session. */
  releaseSession(session: UiaSessionRecord): Promise<void>;
}

export function createRegistration(context: AccountsContext, sessions: Sessions): Registration {
  const { storage, clock } = context;
  const guests = createGuests(context, sessions);

  function ensureOpen(): void {
    if (context.config.registration.mode === 'closed') throw new MatrixError(403, 'M_FORBIDDEN', 'Registration is disabled');
  }

  /** The user ID for a requested localpart, or M_INVALID_USERNAME. Localparts are lower-cased as other servers do. */
  function userIdForUsername(username: string): string {
    const localpart = username.toLowerCase();
    if (!isCompliantUserLocalpart(localpart)) {
      throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID may only contain a-z, 0-9, and . _ = - / +');
    }
    const userId = userIdFor(context, localpart);
    if (Buffer.byteLength(userId, 'utf8') > MAX_USER_ID_BYTES) throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID is too long');
    return userId;
  }

  async function ensureAvailable(userId: string): Promise<void> {
    if (await storage.accounts.getUser(userId)) throw new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken');
  }

  function flows(): string[][] {
    return context.config.registration.mode === 'token' ? [[REGISTRATION_TOKEN]] : [[DUMMY]];
  }

  /** Creates the account, with a generated localpart when none was asked for. */
  async function createAccount(requestedUserId: string | undefined, passwordHash: string | null): Promise<string> {
    const candidates = requestedUserId
      ? [requestedUserId]
      : Array.from({ length: GENERATED_LOCALPART_ATTEMPTS }, () => userIdFor(context, randomBytes(6).toString('hex')));
    for (const userId of candidates) {
      const created = await storage.accounts.createUser({ userId, passwordHash, createdTs: clock.now(), isGuest: false });
      if (created) return userId;
    }
    if (requestedUserId) throw new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken');
    throw new Error('could not generate a free user ID');
  }

  /**
   * A retry of a session whose registration already ran: the same user, logged in again on the same device (its
   * earlier tokens revoked), or only the user ID with `inhibit_login`. Tokens are stored hashed, so the first
   * response's access token cannot be sent again.
   * NOTSPEC: the spec has a retried completed session get "the result of the API call"; Synapse answers with the
   * same user and a new login, as here.
   */
  async function replayRegistration(replay: JsonObject, origin: RequestOrigin): Promise<RegisterResult> {
    const outcome = outcomeFromJson(replay);
    const user = await storage.accounts.getUser(outcome.userId);
    if (user?.deactivatedTs != null) throw new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');
    if (outcome.deviceId === null) return { userId: outcome.userId, session: null };
    const session = await sessions.issue({ userId: outcome.userId, deviceId: outcome.deviceId, refreshable: outcome.refreshToken, origin });
    return { userId: outcome.userId, session };
  }

  /**
   * `prepare` of the registration's UIA: the username must be free (or be the guest's being upgraded), and the
   * request's parameters are kept.
   */
  async function prepareSession(request: RegisterRequest, upgradesGuest: string | undefined): Promise<Record<string, string> | void> {
    if (request.username !== undefined && upgradesGuest === undefined) await ensureAvailable(userIdForUsername(request.username));
    return rememberParams(context, request, upgradesGuest);
  }

  /** The account of a completed registration: the upgraded guest, or a new account. */
  async function finishAccount(params: RegisterParams): Promise<string> {
    if (params.upgradesGuest === undefined) {
      return createAccount(params.username === undefined ? undefined : userIdForUsername(params.username), params.passwordHash);
    }
    await guests.upgrade(params.upgradesGuest, params.passwordHash);
    return params.upgradesGuest;
  }

  return {
    async register(request, origin) {
      const charge = chargeRegistration(context.registrationAttempts, origin);
      try {
        return await registerCounted(request, origin, charge);
      } finally {
        await charge.settle();
      }
    },

    async checkUsernameAvailable(username) {
      ensureOpen();
      await ensureAvailable(userIdForUsername(username));
    },

    async registrationTokenValid(token) {
      ensureOpen();
      return tokenUsable(await storage.accounts.getRegistrationToken(hashToken(token)), clock.now());
    },

    releaseSession: (session) => releaseToken(session.data),
  };

  /**
   * Registration, counted against the `register` limit only when it creates an account or a stage fails (see
   * registration-limit.ts). A request that runs a stage takes its point before the stage, so guesses are limited
   * before they are checked; one that only completes an already finished session takes it before the account is
   * created, so a 429 leaves the session as it was for the retry.
   */
  async function registerCounted(request: RegisterRequest, origin: RequestOrigin, charge: RegistrationCharge): Promise<RegisterResult> {
    if (request.kind === 'guest') {
      // A guest registration creates an account: it counts like one.
      await charge.take();
      const registered = await guests.register({ initialDeviceDisplayName: request.initialDeviceDisplayName }, origin);
      charge.keep();
      return registered;
    }
    ensureOpen();
    if (request.username !== undefined) userIdForUsername(request.username);
    const upgradesGuest =
      request.guestAccessToken === undefined ? undefined : await guests.upgradeTarget(request.guestAccessToken, request.username);
    checkDeviceDisplayName(context, request.initialDeviceDisplayName);
    if (request.password !== undefined && request.password.length > MAX_PASSWORD_LENGTH) {
      throw new MatrixError(400, 'M_INVALID_PARAM', 'Password is too long');
    }

    await context.uia.expireSessions((session) => releaseToken(session.data));
    if (runsStage(request.auth)) await charge.take();
    const stages = { [DUMMY]: dummyStage, [REGISTRATION_TOKEN]: charge.keepOnFailure(registrationTokenStage(context)) };
    const uia = await context.uia.authenticate({
      operation: 'POST /register',
      userId: null,
      auth: request.auth,
      flows: flows(),
      stages,
      prepare: () => prepareSession(request, upgradesGuest),
    });
    if (uia.replay !== undefined) return replayRegistration(uia.replay, origin);
    const params = recallParams(uia.data);
    await charge.take();

    // Claimed before the account is created: two requests completing one session cannot both register.
    await context.uia.finish(uia.sessionId);
    let userId: string;
    try {
      userId = await finishAccount(params);
    } catch (error) {
      await releaseToken(uia.data);
      await context.uia.abandon(uia.sessionId);
      throw error;
    }
    charge.keep();
    const tokenHash = uia.data[TOKEN_DATA_KEY];
    if (tokenHash !== undefined) await storage.accounts.adjustRegistrationToken(tokenHash, { pending: -1, completed: 1 });
    // An upgraded guest keeps its profile and rooms: it was registered when the guest was.
    if (params.upgradesGuest === undefined) {
      context.logger.info({ userId }, 'registered a new account');
      await context.hooks.registered.emit({ userId });
    }

    const session = params.inhibitLogin
      ? null
      : await sessions.issue({
          userId,
          deviceId: params.deviceId,
          displayName: params.initialDeviceDisplayName,
          refreshable: params.refreshToken,
          origin,
        });
    await context.uia.complete(uia.sessionId, outcomeJson({ userId, deviceId: session?.deviceId ?? null, refreshToken: params.refreshToken }));
    return { userId, session };
  }

  /** Gives back the pending registration token use a session's data holds, if any. */
  async function releaseToken(data: UiaSessionRecord['data']): Promise<void> {
    const tokenHash = data[TOKEN_DATA_KEY];
    if (tokenHash !== undefined) await storage.accounts.adjustRegistrationToken(tokenHash, { pending: -1 });
  }
}
