/**
 * Typing notifications.
 * https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
 */
import { isValidUserId } from '@parley/federation';
import { z } from 'zod';
import { MatrixError } from '../../matrix-error.js';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { requireRoomId } from './receipts.js';

const typingBody = z.object({
  typing: z.boolean(),
  // Any length is accepted; the service caps it (120 s).
  timeout: z.number().nonnegative().optional(),
});

export function typingRoutes(services: Services): AnyRoute[] {
  const { typing } = services;
  return [
    /**
     * PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidtypinguserid
     */
    defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/rooms/:roomId/typing/:userId',
      auth: 'user',
      schema: typingBody,
      handler: async ({ params, body, auth }) => {
        const roomId = requireRoomId(params.roomId);
        const userId = params.userId ?? '';
        if (!isValidUserId(userId, { historical: true })) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
        await typing.setTyping(auth.userId, roomId, userId, body.timeout === undefined ? { typing: body.typing } : body);
        return {};
      },
    }),
  ];
}
