/**
 * Fully read markers (and the read receipts that may travel with them).
 * https://spec.matrix.org/v1.19/client-server-api/#fully-read-markers
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { requireEventId, requireRoomId } from './receipts.js';

const readMarkersBody = z.object({
  'm.fully_read': z.string().optional(),
  'm.read': z.string().optional(),
  'm.read.private': z.string().optional(),
});

/** An optional event ID field: absent stays absent, present must be an event ID. */
function optionalEventId(value: string | undefined): string | undefined {
  return value === undefined ? undefined : requireEventId(value);
}

export function readMarkersRoutes(services: Services): AnyRoute[] {
  const { receipts } = services;
  return [
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/read_markers
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidread_markers
     */
    defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/read_markers',
      auth: 'user',
      schema: readMarkersBody,
      handler: async ({ params, body, auth }) => {
        const roomId = requireRoomId(params.roomId);
        const request = {
          fullyRead: optionalEventId(body['m.fully_read']),
          read: optionalEventId(body['m.read']),
          readPrivate: optionalEventId(body['m.read.private']),
        };
        await receipts.setReadMarkers(auth.userId, roomId, request);
        return {};
      },
    }),
  ];
}
