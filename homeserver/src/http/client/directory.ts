/**
 * Room aliases and the published room directory.
 * https://spec.matrix.org/v1.19/client-server-api/#room-aliases
 * https://spec.matrix.org/v1.19/client-server-api/#listing-rooms
 */
import { z } from 'zod';
import { MatrixError } from '../../matrix-error.js';
import type { Services } from '../../services/registry.js';
import type { PublicRoomsQuery } from '../../services/rooms/index.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { roomIdParam } from './room-params.js';

const aliasBody = z.object({ room_id: z.string() });
const visibilityBody = z.object({ visibility: z.enum(['public', 'private']).default('public') });
const publicRoomsQuery = z.object({
  limit: z.coerce.number().int().positive().optional(),
  since: z.string().optional(),
  server: z.string().optional(),
});
// NOTSPEC: every field may also be null, read as absent. The spec allows null only in `room_types`, but clients
// send `"since": null` on the first page (and null for other unset fields); Synapse reads them as absent too.
const publicRoomsBody = z.object({
  limit: z.number().int().positive().nullish(),
  since: z.string().nullish(),
  filter: z
    .object({
      generic_search_term: z.string().nullish(),
      room_types: z.array(z.string().nullable()).nullish(),
    })
    .nullish(),
  include_all_networks: z.boolean().nullish(),
  third_party_instance_id: z.string().nullish(),
});

function aliasParam(value: string | undefined): string {
  if (value === undefined || !value.startsWith('#')) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room alias ${String(value)}`);
  return value;
}

/** Drops undefined and null keys, so the query fits the service's optional (not undefined) fields. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}

export function directoryRoutes(services: Services): AnyRoute[] {
  const { rooms } = services;
  return [
    /**
     * PUT /_matrix/client/v3/directory/room/{roomAlias}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3directoryroomroomalias
     */
    defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/directory/room/:roomAlias',
      auth: 'user',
      schema: aliasBody,
      handler: async ({ params, body, auth }) => {
        await rooms.createAlias(auth, aliasParam(params.roomAlias), roomIdParam(body.room_id));
        return {};
      },
    }),
    /**
     * GET /_matrix/client/v3/directory/room/{roomAlias}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3directoryroomroomalias
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/directory/room/:roomAlias',
      auth: 'none',
      handler: async ({ params }) => {
        const { roomId, servers } = await rooms.getAlias(aliasParam(params.roomAlias));
        return { room_id: roomId, servers };
      },
    }),
    /**
     * DELETE /_matrix/client/v3/directory/room/{roomAlias}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3directoryroomroomalias
     */
    defineRoute({
      method: 'DELETE',
      path: '/_matrix/client/v3/directory/room/:roomAlias',
      auth: 'user',
      handler: async ({ params, auth }) => {
        await rooms.deleteAlias(auth, aliasParam(params.roomAlias));
        return {};
      },
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/aliases
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidaliases
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/aliases',
      auth: 'user',
      handler: async ({ params, auth }) => ({ aliases: await rooms.getLocalAliases(auth, roomIdParam(params.roomId)) }),
    }),
    /**
     * GET /_matrix/client/v3/directory/list/room/{roomId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3directorylistroomroomid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/directory/list/room/:roomId',
      auth: 'none',
      handler: async ({ params }) => ({ visibility: await rooms.getDirectoryVisibility(roomIdParam(params.roomId)) }),
    }),
    /**
     * PUT /_matrix/client/v3/directory/list/room/{roomId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3directorylistroomroomid
     */
    defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/directory/list/room/:roomId',
      auth: 'user',
      schema: visibilityBody,
      handler: async ({ params, body, auth }) => {
        await rooms.setDirectoryVisibility(auth, roomIdParam(params.roomId), body.visibility);
        return {};
      },
    }),
    /**
     * GET /_matrix/client/v3/publicRooms
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3publicrooms
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/publicRooms',
      auth: 'none',
      query: publicRoomsQuery,
      handler: async ({ query }) => rooms.listPublicRooms(defined({ limit: query.limit, since: query.since, server: query.server })),
    }),
    /**
     * POST /_matrix/client/v3/publicRooms
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3publicrooms
     */
    defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/publicRooms',
      auth: 'user',
      query: z.object({ server: z.string().optional() }),
      schema: publicRoomsBody,
      handler: async ({ query, body }) => {
        const filter = body.filter === undefined || body.filter === null ? undefined : defined({ generic_search_term: body.filter.generic_search_term, room_types: body.filter.room_types });
        // NOTSPEC: third-party networks (application services) are not listed; include_all_networks changes nothing.
        return rooms.listPublicRooms(defined({ server: query.server, limit: body.limit, since: body.since, filter }) as PublicRoomsQuery);
      },
    }),
  ];
}
