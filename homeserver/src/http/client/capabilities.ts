/**
 * GET /capabilities: what this server lets clients do.
 * https://spec.matrix.org/v1.19/client-server-api/#capabilities-negotiation
 */
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

export function capabilitiesRoutes(services: Services): AnyRoute[] {
  return [
    /**
     * GET /_matrix/client/v3/capabilities
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3capabilities
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/capabilities',
      auth: 'user',
      handler: async ({ auth }) => ({ capabilities: await services.accounts.capabilities(auth.userId) }),
    }),
  ];
}
