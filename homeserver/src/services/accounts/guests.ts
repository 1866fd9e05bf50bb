/**
 * Guest accounts: POST /register?kind=guest (no user-interactive auth, a numeric user ID, a fresh device), and the
 * checks for upgrading a guest to a full account (POST /register with `guest_access_token`).
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
import { MatrixError } from '../../matrix-error.js';
import { userIdFor, type AccountsContext } from './context.js';
import { checkDeviceDisplayName } from './device-names.js';
import { hashToken } from './secrets.js';
import type { Sessions } from './sessions.js';
import type { RegisterResult, RequestOrigin } from './types.js';

/** Numbers tried before giving up, when earlier ones were taken by accounts registered under a numeric name. */
const GUEST_NUMBER_ATTEMPTS = 100;

export interface Guests {
  /** Creates a guest account and logs it in on a new device; 403 `M_GUEST_ACCESS_FORBIDDEN` when guests are off. */
  register(options: { initialDeviceDisplayName?: string }, origin: RequestOrigin): Promise<RegisterResult>;
  /**
   * The guest account a registration with `guest_access_token` upgrades: the token must be a live access token of
   * a guest, and `username` its localpart (the spec requires the client to send it).
   */
  upgradeTarget(guestAccessToken: string, username: string | undefined): Promise<string>;
  /** Makes the guest a full account (after the registration's UIA); 400 `M_USER_IN_USE` when it is no guest now. */
  upgrade(userId: string, passwordHash: string | null): Promise<void>;
}

export function createGuests(context: AccountsContext, sessions: Sessions): Guests {
  const { storage, clock } = context;

  /** Takes the next free number: `@<n>:server`, as Synapse names its guests. */
  async function createGuestAccount(): Promise<string> {
    for (let attempt = 0; attempt < GUEST_NUMBER_ATTEMPTS; attempt += 1) {
      const userId = userIdFor(context, String(await storage.accounts.nextGuestNumber()));
      if (await storage.accounts.createUser({ userId, passwordHash: null, createdTs: clock.now(), isGuest: true })) return userId;
    }
    throw new Error('could not find a free guest user ID');
  }

  return {
    async register(options, origin) {
      // Guest access is optional; M_GUEST_ACCESS_FORBIDDEN is the spec's answer when it is off.
      if (!context.config.registration.allow_guests) throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is disabled');
      // The spec has the server ignore every other parameter, and pick the device ID itself.
      checkDeviceDisplayName(context, options.initialDeviceDisplayName);
      const userId = await createGuestAccount();
      context.logger.info({ userId }, 'registered a guest account');
      await context.hooks.registered.emit({ userId });
      const session = await sessions.issue({ userId, displayName: options.initialDeviceDisplayName, refreshable: false, origin });
      return { userId, session };
    },

    async upgradeTarget(guestAccessToken, username) {
      // NOTSPEC: the spec names no error for a token that is not a guest's; 403 M_FORBIDDEN, as Synapse answers a
      // full account's token (a 401 would read as a user-interactive auth challenge).
      const token = await storage.accounts.findAccessToken(hashToken(guestAccessToken));
      const live = token !== null && !token.deactivated && (token.expiresTs === null || token.expiresTs > clock.now());
      if (!live || !token.isGuest) throw new MatrixError(403, 'M_FORBIDDEN', 'guest_access_token is not the access token of a guest account');
      if (username === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'Upgrading a guest account needs its localpart as username');
      // NOTSPEC: the spec requires the guest's localpart as username but names no error otherwise; Synapse refuses too.
      if (userIdFor(context, username.toLowerCase()) !== token.userId) {
        throw new MatrixError(400, 'M_INVALID_PARAM', `username must be the guest's localpart (${token.userId})`);
      }
      return token.userId;
    },

    async upgrade(userId, passwordHash) {
      if (!(await storage.accounts.upgradeGuest(userId, passwordHash))) throw new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken');
      // Cached tokens of the guest say "guest": forget them here and in every process.
      await context.revokeTokens(userId);
      context.logger.info({ userId }, 'upgraded a guest account');
    },
  };
}
