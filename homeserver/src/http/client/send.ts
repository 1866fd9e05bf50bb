/**
 * Sending into rooms: message events (idempotent per device and transaction ID), state events, redactions.
 * https://spec.matrix.org/v1.19/client-server-api/#sending-events-to-a-room
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { contentSchema, eventIdParam, identifierParam, roomIdParam } from './room-params.js';

export function sendRoutes(services: Services): AnyRoute[] {
  const { rooms } = services;
  return [
    /**
     * PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
     * Counted against the `message` rate limit (429 M_LIMIT_EXCEEDED with retry_after_ms beyond it).
     */
    rateLimited(services, 'message', defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId',
      auth: 'user',
      schema: contentSchema,
      handler: async ({ params, body, auth }) => {
        const roomId = roomIdParam(params.roomId);
        const type = identifierParam(params.eventType, 'event type');
        const txnId = identifierParam(params.txnId, 'transaction ID');
        const { eventId } = await rooms.sendMessage(auth, roomId, type, txnId, body);
        return { event_id: eventId };
      },
    })),
    /**
     * PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
     * Counted against the `state` rate limit.
     */
    rateLimited(services, 'state', defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/rooms/:roomId/state/:eventType{/:stateKey}',
      auth: 'user',
      schema: contentSchema,
      handler: async ({ params, body, auth }) => {
        const roomId = roomIdParam(params.roomId);
        const type = identifierParam(params.eventType, 'event type');
        const { eventId } = await rooms.setState(auth, roomId, type, params.stateKey ?? '', body);
        return { event_id: eventId };
      },
    })),
    /**
     * PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidredacteventidtxnid
     * Counted against the `message` rate limit, like any other event sent.
     */
    rateLimited(services, 'message', defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/rooms/:roomId/redact/:eventId/:txnId',
      auth: 'user',
      schema: z.object({ reason: z.string().optional() }),
      handler: async ({ params, body, auth }) => {
        const roomId = roomIdParam(params.roomId);
        const eventId = eventIdParam(params.eventId);
        const txnId = identifierParam(params.txnId, 'transaction ID');
        const result = await rooms.redact(auth, roomId, eventId, txnId, body.reason === undefined ? {} : { reason: body.reason });
        return { event_id: result.eventId };
      },
    })),
  ];
}
