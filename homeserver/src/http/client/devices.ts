/**
 * Device management: list, get, rename, delete (with user-interactive auth).
 * https://spec.matrix.org/v1.19/client-server-api/#device-management
 */
import { z } from 'zod';
import type { DeviceInfo } from '../../services/accounts/index.js';
import type { Services } from '../../services/registry.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { authDict } from './account.js';

const CLIENT_V3 = '/_matrix/client/v3';

function deviceJson(device: DeviceInfo): Record<string, string | number> {
  return {
    device_id: device.deviceId,
    ...(device.displayName !== null ? { display_name: device.displayName } : {}),
    ...(device.lastSeenIp !== null ? { last_seen_ip: device.lastSeenIp } : {}),
    ...(device.lastSeenTs !== null ? { last_seen_ts: device.lastSeenTs } : {}),
  };
}

export function devicesRoutes(services: Services): AnyRoute[] {
  const { accounts } = services;
  return [
    /**
     * GET /_matrix/client/v3/devices
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devices
     */
    defineRoute({
      method: 'GET',
      path: `${CLIENT_V3}/devices`,
      auth: 'user',
      async handler({ auth }) {
        return { devices: (await accounts.listDevices(auth.userId)).map(deviceJson) };
      },
    }),

    /**
     * GET /_matrix/client/v3/devices/{deviceId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devicesdeviceid
     */
    defineRoute({
      method: 'GET',
      path: `${CLIENT_V3}/devices/:deviceId`,
      auth: 'user',
      async handler({ auth, params }) {
        return deviceJson(await accounts.getDevice(auth.userId, params.deviceId as string));
      },
    }),

    /**
     * PUT /_matrix/client/v3/devices/{deviceId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3devicesdeviceid
     */
    defineRoute({
      method: 'PUT',
      path: `${CLIENT_V3}/devices/:deviceId`,
      auth: 'user',
      schema: z.object({ display_name: z.string().optional() }),
      async handler({ auth, params, body }) {
        // NOTSPEC: creating a device with PUT is for application services only; there are none yet, so 404.
        await accounts.updateDevice(auth.userId, params.deviceId as string, body.display_name);
        return {};
      },
    }),

    /**
     * DELETE /_matrix/client/v3/devices/{deviceId}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3devicesdeviceid
     */
    defineRoute({
      method: 'DELETE',
      path: `${CLIENT_V3}/devices/:deviceId`,
      auth: 'user',
      schema: z.object({ auth: authDict.optional() }),
      async handler({ auth, params, body }) {
        await accounts.deleteDevices(auth, [params.deviceId as string], body.auth, `DELETE /devices/${params.deviceId}`);
        return {};
      },
    }),

    /**
     * POST /_matrix/client/v3/delete_devices
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3delete_devices
     */
    defineRoute({
      method: 'POST',
      path: `${CLIENT_V3}/delete_devices`,
      auth: 'user',
      schema: z.object({ devices: z.array(z.string()), auth: authDict.optional() }),
      async handler({ auth, body }) {
        await accounts.deleteDevices(auth, body.devices, body.auth, `POST /delete_devices ${[...body.devices].sort().join(',')}`);
        return {};
      },
    }),
  ];
}
