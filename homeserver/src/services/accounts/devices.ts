/**
 * Devices: listing, renaming, deleting (with UIA), and logout, which deletes the device it was used from.
 * https://spec.matrix.org/v1.19/client-server-api/#device-management
 */
import type { JsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { DeviceRecord } from '../../storage/index.js';
import type { AccountsContext } from './context.js';
import { checkDeviceDisplayName } from './device-names.js';
import type { PasswordAccounts } from './login.js';
import type { DeviceInfo, Requester } from './types.js';

export interface Devices {
  list(userId: string): Promise<DeviceInfo[]>;
  listOfUsers(userIds: readonly string[]): Promise<DeviceInfo[]>;
  get(userId: string, deviceId: string): Promise<DeviceInfo>;
  update(userId: string, deviceId: string, displayName: string | undefined): Promise<void>;
  delete(requester: Requester, deviceIds: readonly string[], auth: JsonObject | undefined, operation: string): Promise<void>;
  logout(requester: Requester): Promise<void>;
  logoutAll(requester: Requester): Promise<void>;
}

export function createDevices(context: AccountsContext, passwords: PasswordAccounts): Devices {
  const { storage } = context;

  async function remove(userId: string, deviceIds: readonly string[]): Promise<void> {
    const deleted = await storage.accounts.deleteDevices(userId, deviceIds);
    await context.revokeTokens(userId);
    for (const deviceId of deleted) await context.hooks.deviceChanged.emit({ userId, deviceId, kind: 'deleted' });
  }

  return {
    async list(userId) {
      return (await storage.accounts.listDevices(userId)).map(deviceInfo);
    },

    async listOfUsers(userIds) {
      return (await storage.accounts.listDevicesOfUsers(userIds)).map(deviceInfo);
    },

    async get(userId, deviceId) {
      const device = await storage.accounts.getDevice(userId, deviceId);
      if (!device) throw new MatrixError(404, 'M_NOT_FOUND', 'No device with this ID');
      return deviceInfo(device);
    },

    async update(userId, deviceId, displayName) {
      const device = await storage.accounts.getDevice(userId, deviceId);
      if (!device) throw new MatrixError(404, 'M_NOT_FOUND', 'No device with this ID');
      if (displayName === undefined || displayName === device.displayName) return;
      checkDeviceDisplayName(context, displayName);
      await storage.accounts.setDeviceDisplayName(userId, deviceId, displayName);
      await context.hooks.deviceChanged.emit({ userId, deviceId, kind: 'updated' });
    },

    async delete(requester, deviceIds, auth, operation) {
      await passwords.withPassword(requester, auth, operation, () => remove(requester.userId, deviceIds));
    },

    async logout(requester) {
      if (requester.deviceId === null) {
        await storage.accounts.deleteDeviceTokens(requester.userId, null);
        await context.revokeTokens(requester.userId);
        return;
      }
      await remove(requester.userId, [requester.deviceId]);
    },

    async logoutAll(requester) {
      const devices = await storage.accounts.listDevices(requester.userId);
      await remove(requester.userId, devices.map((device) => device.deviceId));
      await storage.accounts.deleteUserTokens(requester.userId);
      await context.revokeTokens(requester.userId);
    },
  };
}

function deviceInfo(device: DeviceRecord): DeviceInfo {
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    displayName: device.displayName,
    lastSeenIp: device.lastSeenIp,
    lastSeenTs: device.lastSeenTs,
  };
}
