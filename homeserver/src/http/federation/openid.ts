/**
 * OpenID over federation: a third-party service exchanges a user's OpenID token for their user ID. Not signed
 * with X-Matrix (the caller is any service, not a homeserver).
 * https://spec.matrix.org/v1.19/server-server-api/#openid
 */
import { z } from 'zod';
import type { AccountsService } from '../../services/accounts/index.js';
import { defineRoute, type AnyRoute } from '../route.js';

const userInfoQuery = z.object({ access_token: z.string().min(1) });

/**
 * GET /_matrix/federation/v1/openid/userinfo
 * https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1openiduserinfo
 */
export function federationOpenIdRoutes(accounts: Pick<AccountsService, 'openIdUserInfo'>): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/_matrix/federation/v1/openid/userinfo',
      auth: 'none',
      query: userInfoQuery,
      handler: ({ query }) => accounts.openIdUserInfo(query.access_token),
    }),
  ];
}
