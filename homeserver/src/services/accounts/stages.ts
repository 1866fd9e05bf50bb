/**
 * The UIA stages Parley offers: m.login.dummy, m.login.registration_token and m.login.password.
 * https://spec.matrix.org/v1.19/client-server-api/#authentication-types
 */
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { RegistrationTokenRecord } from '../../storage/index.js';
import type { AccountsContext } from './context.js';
import { hashToken } from './secrets.js';
import type { Requester } from './types.js';
import type { StageCheck } from './uia.js';

export const DUMMY = 'm.login.dummy';
export const REGISTRATION_TOKEN = 'm.login.registration_token';
export const PASSWORD = 'm.login.password';

/** Session data key naming (by its SHA-256) the registration token a session used. */
export const TOKEN_DATA_KEY = 'registration_token';

/** https://spec.matrix.org/v1.19/client-server-api/#dummy-auth */
export const dummyStage: StageCheck = async () => {};

/** Whether a registration token may be used now. */
export function tokenUsable(token: RegistrationTokenRecord | null, now: number): boolean {
  if (!token) return false;
  if (token.expiryTs !== null && token.expiryTs <= now) return false;
  return token.usesAllowed === null || token.pending + token.completed < token.usesAllowed;
}

/**
 * https://spec.matrix.org/v1.19/client-server-api/#token-authenticated-registration: the token counts as pending
 * until the registration completes (or the session expires).
 */
export function registrationTokenStage(context: AccountsContext): StageCheck {
  return async ({ auth }) => {
    const token = auth.token;
    if (typeof token !== 'string') throw new MatrixError(401, 'M_INVALID_PARAM', 'auth.token must be a string');
    // Tokens are stored as their SHA-256; one conditional update takes a use, so two registrations cannot share the last.
    const tokenHash = hashToken(token);
    if (!(await context.storage.accounts.reserveRegistrationToken(tokenHash, context.clock.now()))) {
      throw new MatrixError(401, 'M_FORBIDDEN', 'Invalid registration token');
    }
    return { [TOKEN_DATA_KEY]: tokenHash };
  };
}

/**
 * https://spec.matrix.org/v1.19/client-server-api/#password-based: the identifier must name the user the session
 * is for.
 */
export function passwordStage(context: AccountsContext, requester: Requester): StageCheck {
  return async ({ auth }) => {
    const claimed = identifiedUser(context, auth);
    const password = auth.password;
    if (typeof password !== 'string') throw new MatrixError(401, 'M_INVALID_PARAM', 'auth.password must be a string');
    // Not a failed stage (401) but a refusal: another user's password never authorises this user's request.
    if (claimed !== requester.userId) throw new MatrixError(403, 'M_FORBIDDEN', 'The identifier does not match the logged-in user');
    // Rate limited per account and address: a 429 passes through UIA as is (see uia.ts).
    const attempt = { userId: requester.userId, password, ip: requester.ip ?? null };
    if (!(await context.passwordChecks.check(attempt))) throw new MatrixError(401, 'M_FORBIDDEN', 'Invalid password');
  };
}

/**
 * The user ID an `identifier` (or the deprecated top-level `user`) names: a full user ID, or a localpart of ours.
 * Returns undefined when it names no user of this server.
 * https://spec.matrix.org/v1.19/client-server-api/#identifier-types
 */
export function identifiedUser(context: AccountsContext, auth: JsonObject): string | undefined {
  const identifier = auth.identifier;
  let user: unknown;
  if (identifier !== undefined) {
    if (typeof identifier !== 'object' || identifier === null || Array.isArray(identifier)) {
      throw new MatrixError(400, 'M_BAD_JSON', 'identifier must be an object');
    }
    if (identifier.type !== 'm.id.user') return undefined;
    user = identifier.user;
  } else {
    user = auth.user;
  }
  if (typeof user !== 'string') throw new MatrixError(400, 'M_BAD_JSON', 'identifier.user must be a string');
  return qualifyUserId(context, user);
}

/** `@alice:ours` stays as is (lower-cased localpart), `alice` becomes `@alice:ours`. */
export function qualifyUserId(context: AccountsContext, user: string): string {
  if (!user.startsWith('@')) return `@${user.toLowerCase()}:${context.serverName}`;
  const colon = user.indexOf(':');
  if (colon < 0) return user;
  return `@${user.slice(1, colon).toLowerCase()}${user.slice(colon)}`;
}
