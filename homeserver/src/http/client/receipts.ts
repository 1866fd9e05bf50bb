/**
 * Receipts: m.read, m.read.private (threaded), m.fully_read, and MSC4089 delivery receipts.
 * https://spec.matrix.org/v1.19/client-server-api/#receipts
 */
import { isValidEventId, isValidRoomId } from '@parley/federation';
import { z } from 'zod';
import { MatrixError } from '../../matrix-error.js';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** The room ID path parameter, or 400 M_INVALID_PARAM. */
export function requireRoomId(value: string | undefined): string {
  if (value === undefined || !isValidRoomId(value)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid room ID');
  return value;
}

/** An event ID (path parameter or body field), or 400 M_INVALID_PARAM. */
export function requireEventId(value: string | undefined): string {
  if (value === undefined || !isValidEventId(value)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid event ID');
  return value;
}

// thread_id is checked by hand: the spec answers a non-string with M_INVALID_PARAM, not M_BAD_JSON.
const receiptBody = z.object({ thread_id: z.unknown().optional() });

export function receiptsRoutes(services: Services): AnyRoute[] {
  const { receipts } = services;
  return [
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreceiptreceipttypeeventid
     */
    defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/receipt/:receiptType/:eventId',
      auth: 'user',
      schema: receiptBody,
      handler: async ({ params, body, auth }) => {
        const roomId = requireRoomId(params.roomId);
        const eventId = requireEventId(params.eventId);
        const threadId = body.thread_id;
        if (threadId !== undefined && (typeof threadId !== 'string' || threadId === '')) {
          throw new MatrixError(400, 'M_INVALID_PARAM', 'thread_id field must be a non-empty string');
        }
        await receipts.sendReceipt(auth.userId, roomId, params.receiptType ?? '', eventId, threadId === undefined ? {} : { threadId });
        return {};
      },
    }),
  ];
}
