/**
 * Room membership: join (by ID or alias), knock, invite, leave, forget, kick, ban, unban, joined rooms.
 * Every route that changes a membership counts against the `membership` rate limit, per user (429
 * M_LIMIT_EXCEEDED with retry_after_ms beyond it).
 * https://spec.matrix.org/v1.19/client-server-api/#room-membership
 */
import { z } from 'zod';
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Services } from '../../services/registry.js';
import type { JoinOptions } from '../../services/rooms/index.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { reasonBody, roomIdParam, targetBody, userIdParam } from './room-params.js';

function roomIdOrAliasParam(value: string | undefined): string {
  if (value === undefined || !(value.startsWith('!') || value.startsWith('#'))) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room ID or alias ${String(value)}`);
  }
  return value;
}

const reason = (body: { reason?: string | undefined }) => (body.reason === undefined ? {} : { reason: body.reason });

/** A join body: `reason`, and other keys kept for the member event (see services/rooms/membership.ts). */
const joinBody = z.looseObject({ reason: z.string().optional() });

function joinOptions(body: z.infer<typeof joinBody>): JoinOptions {
  const { reason: _reason, ...extraContent } = body;
  return { ...reason(body), extraContent: extraContent as JsonObject };
}

export function membershipRoutes(services: Services): AnyRoute[] {
  const { rooms } = services;
  const limited = (route: AnyRoute): AnyRoute => rateLimited(services, 'membership', route);
  return [
    /**
     * POST /_matrix/client/v3/join/{roomIdOrAlias}
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3joinroomidoralias
     */
    limited(defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/join/:roomIdOrAlias',
      auth: 'user',
      schema: joinBody,
      handler: async ({ params, body, auth }) => {
        const { roomId } = await rooms.join(auth, roomIdOrAliasParam(params.roomIdOrAlias), joinOptions(body));
        return { room_id: roomId };
      },
    })),
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/join
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidjoin
     */
    limited(defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/join',
      auth: 'user',
      schema: joinBody,
      handler: async ({ params, body, auth }) => {
        const { roomId } = await rooms.join(auth, roomIdParam(params.roomId), joinOptions(body));
        return { room_id: roomId };
      },
    })),
    /**
     * POST /_matrix/client/v3/knock/{roomIdOrAlias}
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3knockroomidoralias
     */
    limited(defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/knock/:roomIdOrAlias',
      auth: 'user',
      schema: reasonBody,
      handler: async ({ params, body, auth }) => {
        const { roomId } = await rooms.knock(auth, roomIdOrAliasParam(params.roomIdOrAlias), reason(body));
        return { room_id: roomId };
      },
    })),
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/invite
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidinvite
     */
    limited(defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/invite',
      auth: 'user',
      schema: targetBody,
      handler: async ({ params, body, auth }) => {
        await rooms.invite(auth, roomIdParam(params.roomId), userIdParam(body.user_id), reason(body));
        return {};
      },
    })),
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/leave
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidleave
     */
    limited(defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/leave',
      auth: 'user',
      schema: reasonBody,
      handler: async ({ params, body, auth }) => {
        await rooms.leave(auth, roomIdParam(params.roomId), reason(body));
        return {};
      },
    })),
    /**
     * POST /_matrix/client/v3/rooms/{roomId}/forget
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidforget
     */
    limited(defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/rooms/:roomId/forget',
      auth: 'user',
      schema: z.object({}),
      handler: async ({ params, auth }) => {
        await rooms.forget(auth, roomIdParam(params.roomId));
        return {};
      },
    })),
    ...(['kick', 'ban', 'unban'] as const).map((action) =>
      /**
       * POST /_matrix/client/v3/rooms/{roomId}/kick, /ban, /unban
       * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidkick
       */
      limited(defineRoute({
        method: 'POST',
        path: `/_matrix/client/v3/rooms/:roomId/${action}`,
        auth: 'user',
        schema: targetBody,
        handler: async ({ params, body, auth }) => {
          await rooms[action](auth, roomIdParam(params.roomId), userIdParam(body.user_id), reason(body));
          return {};
        },
      })),
    ),
    /**
     * GET /_matrix/client/v3/joined_rooms
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3joined_rooms
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/joined_rooms',
      auth: 'user',
      handler: async ({ auth }) => ({ joined_rooms: await rooms.joinedRooms(auth.userId) }),
    }),
  ];
}
