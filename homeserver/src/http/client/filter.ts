/**
 * Filters for /sync.
 * https://spec.matrix.org/v1.19/client-server-api/#filtering
 */
import type { Services } from '../../services/registry.js';
import { syncFilterSchema } from '../../services/sync/index.js';
import { defineRoute, type AnyRoute } from '../route.js';

export function filterRoutes(services: Services): AnyRoute[] {
  const { sync } = services;
  return [
    /**
     * POST /_matrix/client/v3/user/{userId}/filter
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter
     */
    defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/user/:userId/filter',
      auth: 'user',
      schema: syncFilterSchema,
      handler: async ({ params, body, auth }) => ({ filter_id: await sync.createFilter(auth, params.userId ?? '', body) }),
    }),

    /**
     * GET /_matrix/client/v3/user/{userId}/filter/{filterId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridfilterfilterid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/user/:userId/filter/:filterId',
      auth: 'user',
      handler: ({ params, auth }) => sync.getFilter(auth, params.userId ?? '', params.filterId ?? ''),
    }),
  ];
}
