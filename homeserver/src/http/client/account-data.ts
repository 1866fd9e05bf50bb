/**
 * Account data, global and per room.
 * https://spec.matrix.org/v1.19/client-server-api/#client-config
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

const GLOBAL = '/_matrix/client/v3/user/:userId/account_data/:type';
const ROOM = '/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type';

/** Any JSON: the service answers 400 M_BAD_JSON for non-objects and 405 for server-managed types. */
const anyJson = z.unknown();

export function accountDataRoutes(services: Services): AnyRoute[] {
  const { profile } = services;
  return [
    /**
     * GET /_matrix/client/v3/user/{userId}/account_data/{type}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridaccount_datatype
     */
    defineRoute({
      method: 'GET',
      path: GLOBAL,
      auth: 'user',
      handler: ({ params, auth }) => profile.getAccountData(auth.userId, params.userId ?? '', null, params.type ?? ''),
    }),

    /**
     * PUT /_matrix/client/v3/user/{userId}/account_data/{type}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridaccount_datatype
     */
    defineRoute({
      method: 'PUT',
      path: GLOBAL,
      auth: 'user',
      schema: anyJson,
      handler: async ({ params, body, auth }) => {
        await profile.setAccountData(auth.userId, params.userId ?? '', null, params.type ?? '', body);
        return {};
      },
    }),

    /**
     * GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridroomsroomidaccount_datatype
     */
    defineRoute({
      method: 'GET',
      path: ROOM,
      auth: 'user',
      handler: ({ params, auth }) => profile.getAccountData(auth.userId, params.userId ?? '', params.roomId ?? '', params.type ?? ''),
    }),

    /**
     * PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridroomsroomidaccount_datatype
     */
    defineRoute({
      method: 'PUT',
      path: ROOM,
      auth: 'user',
      schema: anyJson,
      handler: async ({ params, body, auth }) => {
        await profile.setAccountData(auth.userId, params.userId ?? '', params.roomId ?? '', params.type ?? '', body);
        return {};
      },
    }),
  ];
}
