/**
 * To-device messaging: /sendToDevice, per-device queues delivered in sync and deleted once acknowledged.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * Each request's messages share one `to_device` stream position (a device gets at most one message per request),
 * published on the notifier with the recipients' user IDs. For sync: `getMessagesForSync(userId, deviceId, range)`
 * returns (and, past an acknowledged position, deletes) the device's queue, `currentPosition()` the stream's head.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import type { CoreDeps } from '../deps.js';
import { createToDeviceServiceImpl } from './service.js';
import type { ToDeviceCallbacks, ToDeviceService } from './types.js';

export type * from './types.js';
export { TO_DEVICE_SYNC_LIMIT } from './types.js';

/** Builds the to-device service; `callbacks` come from services/registry.ts. */
export function createToDeviceService(deps: CoreDeps, callbacks: ToDeviceCallbacks): ToDeviceService {
  return createToDeviceServiceImpl(deps, callbacks);
}
