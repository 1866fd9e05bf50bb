/**
 * Server-side search. https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import type { RoomEventsCriteria } from '../../services/search/index.js';
import { defineRoute, type AnyRoute } from '../route.js';

const stringList = z.array(z.string());

/** The parts of a RoomEventFilter search reads; other filter keys are accepted and ignored. */
const roomEventFilter = z.object({
  rooms: stringList.optional(),
  not_rooms: stringList.optional(),
  senders: stringList.optional(),
  not_senders: stringList.optional(),
  types: stringList.optional(),
  not_types: stringList.optional(),
  contains_url: z.boolean().optional(),
  limit: z.number().int().optional(),
});

const roomEventsCriteria = z.object({
  search_term: z.string(),
  keys: z.array(z.enum(['content.body', 'content.name', 'content.topic'])).optional(),
  filter: roomEventFilter.optional(),
  order_by: z.enum(['recent', 'rank']).optional(),
  event_context: z
    .object({
      before_limit: z.number().int().min(0).optional(),
      after_limit: z.number().int().min(0).optional(),
      include_profile: z.boolean().optional(),
    })
    .optional(),
  include_state: z.boolean().optional(),
  groupings: z.object({ group_by: z.array(z.object({ key: z.enum(['room_id', 'sender']) })).optional() }).optional(),
}) satisfies z.ZodType<RoomEventsCriteria>;

const searchBody = z.object({
  search_categories: z.object({ room_events: roomEventsCriteria.optional() }),
});

const searchQuery = z.object({ next_batch: z.string().optional() });

export function searchRoutes(services: Services): AnyRoute[] {
  return [
    /**
     * POST /_matrix/client/v3/search
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search
     * Only `room_events` is specified; a request without it gets an empty `search_categories`.
     */
    defineRoute({
      method: 'POST',
      path: '/_matrix/client/v3/search',
      auth: 'user',
      schema: searchBody,
      query: searchQuery,
      async handler({ body, query, auth }) {
        const criteria = body.search_categories.room_events;
        if (criteria === undefined) return { search_categories: {} };
        const roomEvents = await services.search.searchRoomEvents(
          { userId: auth.userId, deviceId: auth.deviceId, accessTokenId: auth.accessTokenId },
          criteria,
          query.next_batch,
        );
        return { search_categories: { room_events: roomEvents } };
      },
    }),
  ];
}
