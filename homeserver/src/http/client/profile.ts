/**
 * Profiles: the whole profile and single fields (displayname, avatar_url, m.tz, custom keys).
 * https://spec.matrix.org/v1.19/client-server-api/#profiles
 */
import type { JsonValue } from '@parley/federation';
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';

const PROFILE = '/_matrix/client/v3/profile/:userId';

/** "An object which contains exactly one property": we read the one named by the path and ignore others. */
const fieldBody = z.record(z.string(), z.unknown());

export function profileRoutes(services: Services): AnyRoute[] {
  const { profile } = services;
  return [
    /**
     * GET /_matrix/client/v3/profile/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3profileuserid
     */
    defineRoute({
      method: 'GET',
      path: PROFILE,
      auth: 'none',
      handler: ({ params }) => profile.getProfileFields(params.userId ?? ''),
    }),

    /**
     * GET /_matrix/client/v3/profile/{userId}/{keyName}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3profileuseridkeyname
     */
    defineRoute({
      method: 'GET',
      path: `${PROFILE}/:keyName`,
      auth: 'none',
      handler: async ({ params }) => {
        const keyName = params.keyName ?? '';
        return { [keyName]: await profile.getProfileField(params.userId ?? '', keyName) };
      },
    }),

    /**
     * PUT /_matrix/client/v3/profile/{userId}/{keyName}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3profileuseridkeyname
     * Counted against the `profile` rate limit (429 M_LIMIT_EXCEEDED with retry_after_ms beyond it).
     */
    rateLimited(services, 'profile', defineRoute({
      method: 'PUT',
      path: `${PROFILE}/:keyName`,
      auth: 'user',
      schema: fieldBody,
      handler: async ({ params, body, auth }) => {
        const keyName = params.keyName ?? '';
        // The body came from JSON.parse, so its values are JSON.
        await profile.setProfileField(auth.userId, params.userId ?? '', keyName, body[keyName] as JsonValue | undefined);
        return {};
      },
    })),

    /**
     * DELETE /_matrix/client/v3/profile/{userId}/{keyName}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3profileuseridkeyname
     * Counted against the `profile` rate limit.
     */
    rateLimited(services, 'profile', defineRoute({
      method: 'DELETE',
      path: `${PROFILE}/:keyName`,
      auth: 'user',
      handler: async ({ params, auth }) => {
        await profile.deleteProfileField(auth.userId, params.userId ?? '', params.keyName ?? '');
        return {};
      },
    })),
  ];
}
