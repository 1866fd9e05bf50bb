/**
 * /sync: the client's view of everything that changed.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';

const booleanParam = z.enum(['true', 'false'], { error: 'expected true or false' }).transform((value) => value === 'true');

const syncQuery = z.looseObject({
  filter: z.string().optional(),
  since: z.string().optional(),
  full_state: booleanParam.optional(),
  set_presence: z.enum(['offline', 'online', 'unavailable']).optional(),
  timeout: z
    .string()
    .regex(/^[0-9]{1,15}$/, 'expected a non-negative integer of milliseconds')
    .transform(Number)
    .optional(),
  use_state_after: booleanParam.optional(),
});

export function syncRoutes(services: Services): AnyRoute[] {
  const { sync } = services;
  return [
    /**
     * GET /_matrix/client/v3/sync
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/sync',
      auth: 'user',
      query: syncQuery,
      handler: async ({ query, auth, res }) => {
        // A client that gives up on a long-poll closes the connection: stop waiting for it.
        const gone = new AbortController();
        const onClose = () => gone.abort();
        res.once('close', onClose);
        try {
          return await sync.sync(auth, {
            filter: query.filter,
            since: query.since,
            fullState: query.full_state,
            setPresence: query.set_presence,
            timeoutMs: query.timeout,
            useStateAfter: query.use_state_after,
            signal: gone.signal,
          });
        } finally {
          res.off('close', onClose);
        }
      },
    }),
  ];
}
