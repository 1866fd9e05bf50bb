/**
 * Room upgrades.
 * https://spec.matrix.org/v1.19/client-server-api/#room-upgrades
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { roomIdParam } from './room-params.js';

const upgradeBody = z.object({
  new_version: z.string().min(1),
  additional_creators: z.array(z.string()).optional(),
});

export function upgradeRoutes(services: Services): AnyRoute[] {
  const { rooms } = services;
  return [
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/upgrade
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidupgrade
     * Counted against the `create_room` rate limit (an upgrade creates a room).
     */
    rateLimited(services, 'create_room', defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/upgrade',
      auth: 'user',
      schema: upgradeBody,
      handler: async ({ params, body, auth }) => {
        const request = { newVersion: body.new_version, ...(body.additional_creators !== undefined ? { additionalCreators: body.additional_creators } : {}) };
        const { replacementRoom } = await rooms.upgradeRoom(auth, roomIdParam(params.roomId), request);
        return { replacement_room: replacementRoom };
      },
    })),
  ];
}
