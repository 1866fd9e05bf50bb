/**
 * OpenID: a token that proves to a third-party service who the user is.
 * https://spec.matrix.org/v1.19/client-server-api/#openid
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** "An empty object. Reserved for future expansion": any object is accepted and its keys ignored. */
const requestTokenBody = z.record(z.string(), z.unknown());

export function openIdRoutes(services: Services): AnyRoute[] {
  const { accounts } = services;
  return [
    /**
     * POST /_matrix/client/v3/user/{userId}/openid/request_token
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridopenidrequest_token
     * Counted against the `openid` rate limit.
     */
    rateLimited(services, 'openid', defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/user/:userId/openid/request_token',
      auth: 'user',
      schema: requestTokenBody,
      handler: async ({ params, auth }) => {
        const token = await accounts.requestOpenIdToken(auth, params.userId ?? '');
        return {
          access_token: token.accessToken,
          token_type: 'Bearer',
          matrix_server_name: token.serverName,
          expires_in: token.expiresInS,
        };
      },
    })),
  ];
}
