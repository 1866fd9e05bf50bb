/**
 * Reporting events, rooms and users to the server's admins.
 * https://spec.matrix.org/v1.19/client-server-api/#reporting-content
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** `score` was removed in v1.18; older clients still send it (an integer from -100 to 0), so it is accepted. */
const eventReportBody = z.object({
  reason: z.string().optional(),
  score: z.int().min(-100).max(0).optional(),
});

const reasonBody = z.object({ reason: z.string() });

export function reportsRoutes(services: Services): AnyRoute[] {
  const { profile } = services;
  return [
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreporteventid
     * Counted against the `report` rate limit (429 M_LIMIT_EXCEEDED with retry_after_ms beyond it).
     */
    rateLimited(services, 'report', defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/report/:eventId',
      auth: 'user',
      schema: eventReportBody,
      handler: async ({ params, body, auth }) => {
        await profile.reportEvent(auth.userId, params.roomId ?? '', params.eventId ?? '', body);
        return {};
      },
    })),

    /**
     * POST /_matrix/client/v3/rooms/{roomId}/report
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreport
     * Counted against the `report` rate limit (429 M_LIMIT_EXCEEDED with retry_after_ms beyond it).
     */
    rateLimited(services, 'report', defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/report',
      auth: 'user',
      schema: reasonBody,
      handler: async ({ params, body, auth }) => {
        await profile.reportRoom(auth.userId, params.roomId ?? '', body);
        return {};
      },
    })),

    /**
     * POST /_matrix/client/v3/users/{userId}/report
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3usersuseridreport
     * Counted against the `report` rate limit (429 M_LIMIT_EXCEEDED with retry_after_ms beyond it).
     */
    rateLimited(services, 'report', defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/users/:userId/report',
      auth: 'user',
      schema: reasonBody,
      handler: async ({ params, body, auth }) => {
        await profile.reportUser(auth.userId, params.userId ?? '', body);
        return {};
      },
    })),
  ];
}
