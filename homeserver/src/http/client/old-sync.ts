/**
 * The old sync endpoints still in the spec: the event stream (also for peeking), one event by ID, and the initial
 * syncs of the user and of one room.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3events
 * https://spec.matrix.org/v1.19/client-server-api/#peeking
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { eventIdParam, roomIdParam } from './room-params.js';

const millis = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'expected a non-negative integer of milliseconds')
  .transform(Number);
const count = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'expected a non-negative integer')
  .transform(Number);

const eventsQuery = z.looseObject({ from: z.string().optional(), timeout: millis.optional(), room_id: z.string().optional() });
const initialSyncQuery = z.looseObject({
  limit: count.optional(),
  archived: z.enum(['true', 'false'], { error: 'expected true or false' }).transform((value) => value === 'true').optional(),
});
const roomInitialSyncQuery = z.looseObject({ limit: count.optional() });

export function oldSyncRoutes(services: Services): AnyRoute[] {
  const { oldSync } = services;
  return [
    /**
     * GET /_matrix/client/v3/events (and its peeking form with `room_id`)
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3events
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/events',
      auth: 'user',
      query: eventsQuery,
      handler: async ({ query, auth, res }) => {
        // A client that gives up on a long-poll closes the connection: stop waiting for it.
        const gone = new AbortController();
        const onClose = () => gone.abort();
        res.once('close', onClose);
        try {
          return await oldSync.events(auth, {
            from: query.from,
            timeoutMs: query.timeout,
            roomId: query.room_id === undefined ? undefined : roomIdParam(query.room_id),
            signal: gone.signal,
          });
        } finally {
          res.off('close', onClose);
        }
      },
    }),
    /**
     * GET /_matrix/client/v3/events/{eventId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3eventseventid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/events/:eventId',
      auth: 'user',
      handler: async ({ params, auth }) => oldSync.event(auth, eventIdParam(params.eventId)),
    }),
    /**
     * GET /_matrix/client/v3/initialSync
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3initialsync
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/initialSync',
      auth: 'user',
      query: initialSyncQuery,
      handler: async ({ query, auth }) => oldSync.initialSync(auth, { limit: query.limit, archived: query.archived }),
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/initialSync
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidinitialsync
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/initialSync',
      auth: 'user',
      query: roomInitialSyncQuery,
      // NOTSPEC: `limit` (messages, default 10) is not in the spec for this endpoint; matrix-js-sdk sends it and Synapse honours it.
      handler: async ({ params, query, auth }) => oldSync.roomInitialSync(auth, roomIdParam(params.roomId), { limit: query.limit }),
    }),
  ];
}
