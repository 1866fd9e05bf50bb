/**
 * Server administration: whois, and account suspension and locking.
 * https://spec.matrix.org/v1.19/client-server-api/#server-administration
 * https://spec.matrix.org/v1.19/client-server-api/#account-moderation
 */
import { z } from 'zod';
import type { Services } from '../../services/registry.js';
import type { WhoisInfo } from '../../services/accounts/index.js';
import { defineRoute, type AnyRoute } from '../route.js';

const suspendBody = z.object({ suspended: z.boolean() });
const lockBody = z.object({ locked: z.boolean() });

export function adminRoutes(services: Services): AnyRoute[] {
  const { accounts } = services;
  return [
    /**
     * GET /_matrix/client/v3/admin/whois/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3adminwhoisuserid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v3/admin/whois/:userId',
      auth: 'user',
      handler: async ({ params, auth }) => whoisJson(await accounts.whois(auth, params.userId ?? '')),
    }),

    /**
     * GET /_matrix/client/v1/admin/suspend/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1adminsuspenduserid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v1/admin/suspend/:userId',
      auth: 'user',
      handler: async ({ params, auth }) => ({ suspended: await accounts.getModerationFlag(auth, params.userId ?? '', 'suspended') }),
    }),

    /**
     * PUT /_matrix/client/v1/admin/suspend/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv1adminsuspenduserid
     */
    defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v1/admin/suspend/:userId',
      auth: 'user',
      schema: suspendBody,
      handler: async ({ params, auth, body }) => ({
        suspended: await accounts.setModerationFlag(auth, params.userId ?? '', 'suspended', body.suspended),
      }),
    }),

    /**
     * GET /_matrix/client/v1/admin/lock/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1adminlockuserid
     */
    defineRoute({
      method: 'GET',
      path: '/_matrix/client/v1/admin/lock/:userId',
      auth: 'user',
      handler: async ({ params, auth }) => ({ locked: await accounts.getModerationFlag(auth, params.userId ?? '', 'locked') }),
    }),

    /**
     * PUT /_matrix/client/v1/admin/lock/{userId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv1adminlockuserid
     */
    defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v1/admin/lock/:userId',
      auth: 'user',
      schema: lockBody,
      handler: async ({ params, auth, body }) => ({
        locked: await accounts.setModerationFlag(auth, params.userId ?? '', 'locked', body.locked),
      }),
    }),
  ];
}

/**
 * The spec's whois shape. We keep one sighting per device (the latest), so each device has one session with one
 * connection, or none when it was never seen.
 */
function whoisJson(info: WhoisInfo): unknown {
  const devices: Record<string, unknown> = {};
  for (const device of info.devices) {
    const connections = device.lastSeen === null ? [] : [{ ip: device.lastSeen.ip, last_seen: device.lastSeen.ts, user_agent: device.lastSeen.userAgent }];
    devices[device.deviceId] = { sessions: [{ connections }] };
  }
  return { user_id: info.userId, devices };
}
