/**
 * The events a user was notified about.
 * https://spec.matrix.org/v1.19/client-server-api/#listing-notifications
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

const notificationsQuery = z.object({
  from: z.string().optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,9}$/, 'limit must be a non-negative integer')
    .transform(Number)
    .optional(),
  only: z.string().optional(),
});

export function notificationsRoutes(services: Services): AnyRoute[] {
  const { push } = services;
  return [
    /**
     * GET /_matrix/client/v3/notifications
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/notifications',
      auth: 'user',
      query: notificationsQuery,
      handler: ({ auth, query }) => push.getNotifications(auth.userId, query),
    }),
  ];
}
