/**
 * Room creation and room reads: state, members, single events, message history.
 * https://spec.matrix.org/v1.19/client-server-api/#rooms
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import type { CreateRoomRequest } from '../../services/rooms/index.js';
import { rateLimited } from '../middleware/rate-limit.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { contentSchema, defined, eventIdParam, identifierParam, parseFilter, roomIdParam } from './room-params.js';

const createRoomBody = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().optional(),
  name: z.string().optional(),
  topic: z.string().optional(),
  invite: z.array(z.string()).optional(),
  invite_3pid: z.array(z.unknown()).optional(),
  room_version: z.string().optional(),
  creation_content: contentSchema.optional(),
  initial_state: z.array(z.object({ type: z.string(), state_key: z.string().optional(), content: contentSchema })).optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: contentSchema.optional(),
});

const MEMBERSHIPS = ['invite', 'join', 'knock', 'leave', 'ban'] as const;

const membersQuery = z.object({
  at: z.string().optional(),
  membership: z.enum(MEMBERSHIPS).optional(),
  not_membership: z.enum(MEMBERSHIPS).optional(),
});

const messagesQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  // NOTSPEC: `dir` is required by the spec; like other servers we read a missing one as `b`.
  dir: z.enum(['b', 'f']).default('b'),
  limit: z.coerce.number().int().nonnegative().default(10),
  filter: z.string().optional(),
});

const stateQuery = z.object({ format: z.enum(['content', 'event']).default('content') });

export function roomsRoutes(services: Services): AnyRoute[] {
  const { rooms } = services;
  return [
    /**
     * POST /_matrix/client/v3/createRoom
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom
     * Counted against the `create_room` rate limit.
     */
    rateLimited(services, 'create_room', defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/createRoom',
      auth: 'user',
      schema: createRoomBody,
      handler: async ({ body, auth }) => {
        const { roomId } = await rooms.createRoom(auth, defined(body) as CreateRoomRequest);
        return { room_id: roomId };
      },
    })),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/state
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidstate
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/state',
      auth: 'user',
      handler: async ({ params, auth }) => rooms.getState(auth, roomIdParam(params.roomId)),
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidstateeventtypestatekey
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/state/:eventType{/:stateKey}',
      auth: 'user',
      query: stateQuery,
      handler: async ({ params, query, auth }) => {
        const type = identifierParam(params.eventType, 'event type');
        const event = await rooms.getStateEvent(auth, roomIdParam(params.roomId), type, params.stateKey ?? '');
        return query.format === 'event' ? event : event.content;
      },
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/members
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmembers
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/members',
      auth: 'user',
      query: membersQuery,
      handler: async ({ params, query, auth }) => {
        const chunk = await rooms.getMembers(
          auth,
          roomIdParam(params.roomId),
          defined({ at: query.at, membership: query.membership, notMembership: query.not_membership }),
        );
        return { chunk };
      },
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/joined_members
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidjoined_members
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/joined_members',
      auth: 'user',
      handler: async ({ params, auth }) => ({ joined: await rooms.getJoinedMembers(auth, roomIdParam(params.roomId)) }),
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomideventeventid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/event/:eventId',
      auth: 'user',
      handler: async ({ params, auth }) => rooms.getEvent(auth, roomIdParam(params.roomId), eventIdParam(params.eventId)),
    }),
    /**
     * GET /_matrix/client/v3/rooms/{roomId}/messages
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/rooms/:roomId/messages',
      auth: 'user',
      query: messagesQuery,
      handler: async ({ params, query, auth }) => {
        const filter = parseFilter(query.filter);
        return rooms.getMessages(
          auth,
          roomIdParam(params.roomId),
          defined({ from: query.from, to: query.to, dir: query.dir, limit: query.limit, filter }),
        );
      },
    }),
  ];
}
