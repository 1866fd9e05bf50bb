/**
 * Send-to-device messaging: PUT /sendToDevice (idempotent per device and transaction ID). Delivery is part of /sync.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import { z } from 'zod';
import type { JsonObject } from '@parley/federation';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { identifierParam } from './room-params.js';

/** One message's content: a JSON object (anything else is 400 `M_BAD_JSON`). */
const messageContent = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);

/** `{ messages: { userId: { deviceId | "*": content } } }`; user IDs are checked by the service. */
const sendToDeviceBody = z.object({
  messages: z.record(z.string(), z.record(z.string(), messageContent)),
});

export function toDeviceRoutes(services: Services): AnyRoute[] {
  const { toDevice } = services;
  return [
    /**
     * PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3sendtodeviceeventtypetxnid
     */
    defineRoute({
      method: 'PUT',
      path: '/_matrix/client/v3/sendToDevice/:eventType/:txnId',
      auth: 'user',
      schema: sendToDeviceBody,
      handler: async ({ params, body, auth }) => {
        const eventType = identifierParam(params.eventType, 'event type');
        const txnId = identifierParam(params.txnId, 'transaction ID');
        await toDevice.send(auth, eventType, txnId, body.messages);
        return {};
      },
    }),
  ];
}
