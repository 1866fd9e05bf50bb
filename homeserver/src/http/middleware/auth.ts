/**
 * Access-token authentication for client routes (`Authorization: Bearer`, or the deprecated `access_token`
 * query parameter). Adds the `user` and `optionalUser` auth kinds to the route table.
 * https://spec.matrix.org/v1.19/client-server-api/#client-authentication
 */
import type { Request } from 'express';
import type { Requester, RequestOrigin } from '../../services/accounts/index.js';
import type { Services } from '../../services/registry.js';
import type { MountOptions } from '../route.js';
import { requireGuestAllowed } from './guest-access.js';

declare module '../route.js' {
  interface AuthKinds {
    /**
     * A valid access token is required: 401 `M_MISSING_TOKEN` / `M_UNKNOWN_TOKEN` otherwise; a guest's token only on
     * the endpoints of guest-access.ts (403 `M_GUEST_ACCESS_FORBIDDEN` otherwise).
     */
    user: Requester;
    /** An access token may be given (then it must be valid); `undefined` when none was. */
    optionalUser: Requester | undefined;
    /**
     * Like `user`, but a locked account is let through: only for `/logout` and `/logout/all`.
     * https://spec.matrix.org/v1.19/client-server-api/#account-locking
     */
    userEvenIfLocked: Requester;
  }
}

/** The authenticators main.ts mounts the route table with. */
export function createAuthenticators(services: Services): MountOptions['authenticators'] {
  const { accounts } = services;
  return {
    user: async (req) => {
      const requester = await accounts.authenticate(accessTokenOf(req), requestOrigin(req));
      // Guests reach only the spec's guest endpoints; deeper rules (joining only can_join rooms) are the services'.
      if (requester.isGuest) requireGuestAllowed(req.method, req.path);
      return requester;
    },
    // A guest's token is accepted here like any other: these endpoints serve anyone, even without a token.
    optionalUser: async (req) => {
      const token = accessTokenOf(req);
      return token === undefined ? undefined : accounts.authenticate(token, requestOrigin(req));
    },
    userEvenIfLocked: async (req) => {
      const requester = await accounts.authenticate(accessTokenOf(req), requestOrigin(req), { allowLocked: true });
      if (requester.isGuest) requireGuestAllowed(req.method, req.path);
      return requester;
    },
  };
}

/**
 * The access token of a request: the `Authorization: Bearer` header, else the deprecated `access_token` query
 * parameter. https://spec.matrix.org/v1.19/client-server-api/#using-access-tokens
 */
export function accessTokenOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const query = req.query.access_token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

/** Where a request came from, for a device's last seen IP and user agent. */
export function requestOrigin(req: Request): RequestOrigin {
  return { ip: req.ip ?? req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null };
}
