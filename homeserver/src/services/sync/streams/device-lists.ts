/**
 * The `device_lists` and `key_counts` stream providers: `device_lists {changed, left}` on an incremental sync, and the
 * syncing device's `device_one_time_keys_count` and `device_unused_fallback_key_types` on every sync.
 * https://spec.matrix.org/v1.19/client-server-api/#e2e-extensions-to-sync
 */
import type { SyncContext } from '../context.js';
import type { DeviceListsPort } from '../types.js';

export async function collectDeviceLists(port: DeviceListsPort | undefined, context: SyncContext): Promise<void> {
  if (!port) return;
  // The spec asks for device_lists only on an incremental sync: after an initial one, clients query keys anyway.
  if (context.since) {
    const changes = await port.getDeviceListChanges(context.userId, context.since.device_lists, context.upTo.device_lists);
    context.response.device_lists = changes;
  }
  if (context.deviceId === null) return;
  const counts = await port.getKeyCounts(context.userId, context.deviceId);
  context.response.device_one_time_keys_count = counts.oneTimeKeyCounts;
  context.response.device_unused_fallback_key_types = counts.unusedFallbackKeyTypes;
}
