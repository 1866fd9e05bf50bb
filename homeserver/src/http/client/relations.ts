/**
 * Event relationships and surrounding history: /relations, /threads and /context.
 * https://spec.matrix.org/v1.19/client-server-api/#relationships-api
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { defined, eventIdParam, identifierParam, parseFilter, roomIdParam } from './room-params.js';

const positiveInt = z.coerce.number().int().positive();

const relationsQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  limit: positiveInt.optional(),
  dir: z.enum(['b', 'f']).default('b'),
  recurse: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
});

const threadsQuery = z.object({
  include: z.enum(['all', 'participated']).default('all'),
  from: z.string().optional(),
  limit: positiveInt.optional(),
});

const contextQuery = z.object({
  limit: z.coerce.number().int().nonnegative().default(10),
  filter: z.string().optional(),
});

export function relationsRoutes(services: Services): AnyRoute[] {
  const { rooms } = services;
  return [
    /**
     * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidrelationseventid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v1/rooms/:roomId/relations/:eventId{/:relType}{/:eventType}',
      auth: 'user',
      query: relationsQuery,
      handler: async ({ params, query, auth }) =>
        rooms.getRelations(
          auth,
          roomIdParam(params.roomId),
          eventIdParam(params.eventId),
          defined({
            relType: params.relType === undefined ? undefined : identifierParam(params.relType, 'relation type'),
            eventType: params.eventType === undefined ? undefined : identifierParam(params.eventType, 'event type'),
            from: query.from,
            to: query.to,
            limit: query.limit,
            dir: query.dir,
            recurse: query.recurse,
          }),
        ),
    }),
    /**
     * GET /_matrix/client/v1/rooms/{roomId}/threads
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidthreads
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v1/rooms/:roomId/threads',
      auth: 'user',
      query: threadsQuery,
      handler: async ({ params, query, auth }) =>
        rooms.getThreads(auth, roomIdParam(params.roomId), defined({ include: query.include, from: query.from, limit: query.limit })),
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidcontexteventid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/context/:eventId',
      auth: 'user',
      query: contextQuery,
      handler: async ({ params, query, auth }) =>
        rooms.getContext(auth, roomIdParam(params.roomId), eventIdParam(params.eventId), defined({ limit: query.limit, filter: parseFilter(query.filter) })),
    }),
  ];
}
