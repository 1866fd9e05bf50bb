/**
 * Room tags, stored as the `m.tag` room account data.
 * https://spec.matrix.org/v1.19/client-server-api/#room-tagging
 */
import type { JsonObject } from '@parley/federation';
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

const TAGS = '/_matrix/client/v3/user/:userId/rooms/:roomId/tags';

/** A Tag object; the service checks `order` is in [0, 1] and keeps any other keys. */
const tagBody = z.record(z.string(), z.unknown());

export function tagsRoutes(services: Services): AnyRoute[] {
  const { profile } = services;
  return [
    /**
     * GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridroomsroomidtags
     */
    defineRoute({
      method: 'GET',
      path: TAGS,
      auth: 'user',
      handler: async ({ params, auth }) => ({ tags: await profile.getTags(auth.userId, params.userId ?? '', params.roomId ?? '') }),
    }),

    /**
     * PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridroomsroomidtagstag
     */
    defineRoute({
      method: 'PUT',
      path: `${TAGS}/:tag`,
      auth: 'user',
      schema: tagBody,
      handler: async ({ params, body, auth }) => {
        await profile.setTag(auth.userId, params.userId ?? '', params.roomId ?? '', params.tag ?? '', body as JsonObject);
        return {};
      },
    }),

    /**
     * DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3useruseridroomsroomidtagstag
     */
    defineRoute({
      method: 'DELETE',
      path: `${TAGS}/:tag`,
      auth: 'user',
      handler: async ({ params, auth }) => {
        await profile.deleteTag(auth.userId, params.userId ?? '', params.roomId ?? '', params.tag ?? '');
        return {};
      },
    }),
  ];
}
