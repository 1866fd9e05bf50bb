/**
 * Presence. What others see passes through the user's privacy setting (spec/presence-privacy.md).
 * https://spec.matrix.org/v1.19/client-server-api/#presence
 */
import { isValidUserId } from '@parley/federation';
import { z } from 'zod';
import { MatrixError } from '../../matrix-error.js';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

const STATUS = '/_matrix/client/v3/presence/:userId/status';

const presenceBody = z.object({
  presence: z.enum(['online', 'unavailable', 'offline']),
  status_msg: z.string().nullable().optional(),
});

function requireUserId(value: string | undefined): string {
  if (value === undefined || !isValidUserId(value, { historical: true })) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
  return value;
}

export function presenceRoutes(services: Services): AnyRoute[] {
  const { presence } = services;
  return [
    /**
     * PUT /_matrix/client/v3/presence/{userId}/status
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3presenceuseridstatus
     */
    defineRoute({
      method: 'PUT',
      path: STATUS,
      auth: 'user',
      schema: presenceBody,
      handler: async ({ params, body, auth }) => {
        const request = body.status_msg === undefined ? { presence: body.presence } : { presence: body.presence, statusMsg: body.status_msg };
        await presence.setStatus(auth.userId, requireUserId(params.userId), request);
        return {};
      },
    }),

    /**
     * GET /_matrix/client/v3/presence/{userId}/status
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3presenceuseridstatus
     */
    defineRoute({
      method: 'GET',
      path: STATUS,
      auth: 'user',
      handler: async ({ params, auth }) => presence.getStatus(auth.userId, requireUserId(params.userId)),
    }),
  ];
}
