/**
 * OpenID tokens: a user asks for one and hands it to a third-party service, which exchanges it for the user's ID
 * at `GET /_matrix/federation/v1/openid/userinfo`. The token proves identity only: it is stored apart from access
 * tokens (as its SHA-256) and opens no other endpoint.
 * https://spec.matrix.org/v1.19/client-server-api/#openid
 * https://spec.matrix.org/v1.19/server-server-api/#openid
 */
import { randomBytes } from 'node:crypto';
import { MatrixError } from '../../matrix-error.js';
import type { AccountsContext } from './context.js';
import { hashToken } from './secrets.js';
import type { OpenIdToken, Requester } from './types.js';

/** How long an OpenID token is valid: an hour, as Synapse does (long enough to sign in to a widget or service). */
export const OPENID_TOKEN_LIFETIME_MS = 3_600_000;
/** Recognisable prefix, like `pat_`/`prt_` for access and refresh tokens. */
const OPENID_TOKEN_PREFIX = 'poi_';

export interface OpenId {
  request(requester: Requester, userId: string): Promise<OpenIdToken>;
  userInfo(token: string): Promise<{ sub: string }>;
}

export function createOpenId(context: AccountsContext): OpenId {
  const { storage, clock } = context;
  const unknownToken = (): MatrixError => new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Access token unknown or expired');
  return {
    async request(requester, userId) {
      if (userId !== requester.userId) throw new MatrixError(403, 'M_FORBIDDEN', 'You can only request an OpenID token for yourself');
      const now = clock.now();
      const token = OPENID_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      // Expired tokens go when new ones come: the table holds at most an hour of tokens, with no sweep job.
      await storage.openIdTokens.deleteExpiredOpenIdTokens(now);
      await storage.openIdTokens.addOpenIdToken({ tokenHash: hashToken(token), userId, createdTs: now, expiresTs: now + OPENID_TOKEN_LIFETIME_MS });
      return { accessToken: token, serverName: context.serverName, expiresInS: OPENID_TOKEN_LIFETIME_MS / 1000 };
    },

    async userInfo(token) {
      const record = await storage.openIdTokens.findOpenIdToken(hashToken(token), clock.now());
      if (record === null) throw unknownToken();
      // NOTSPEC: a token of an account deactivated or locked since it was issued proves nothing any more.
      const user = await storage.accounts.getUser(record.userId);
      if (user === null || user.deactivatedTs !== null || user.lockedTs !== null) throw unknownToken();
      return { sub: record.userId };
    },
  };
}
