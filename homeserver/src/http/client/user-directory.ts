/**
 * The user directory.
 * https://spec.matrix.org/v1.19/client-server-api/#user-directory
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** "The maximum number of results to return. Defaults to 10." */
const DEFAULT_LIMIT = 10;
/** Our own cap on one page of results: the homeserver may decide how much it searches. */
const MAX_LIMIT = 100;

const searchBody = z.object({
  search_term: z.string(),
  limit: z.int().min(0).optional(),
});

export function userDirectoryRoutes(services: Services): AnyRoute[] {
  return [
    /**
     * POST /_matrix/client/v3/user_directory/search
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3user_directorysearch
     */
    defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/user_directory/search',
      auth: 'user',
      schema: searchBody,
      handler: ({ body, auth }) =>
        services.profile.searchUserDirectory(auth.userId, body.search_term, Math.min(body.limit ?? DEFAULT_LIMIT, MAX_LIMIT)),
    }),
  ];
}
