/**
 * The `to_device` stream provider: the syncing device's queued send-to-device messages, oldest first, at most
 * ~100 per response. Syncing with a `since` acknowledges (deletes) the messages up to its `to_device` position;
 * when more are pending than one response carries, the token stops at the last one delivered.
 * https://spec.matrix.org/v1.19/client-server-api/#extensions-to-sync
 * https://spec.matrix.org/v1.19/client-server-api/#server-behaviour-4
 */
import type { SyncContext } from '../context.js';
import type { ToDevicePort } from '../types.js';

export async function collectToDevice(port: ToDevicePort | undefined, context: SyncContext): Promise<void> {
  // Messages are addressed to devices: a requester without one (e.g. an appservice token) has no queue.
  if (!port || context.deviceId === null) return;
  const from = context.since?.to_device ?? 0;
  const batch = await port.getMessagesForSync(context.userId, context.deviceId, {
    from,
    to: context.upTo.to_device,
    acknowledged: context.since === null ? null : from,
  });
  context.response.to_device.events.push(...batch.events);
  if (batch.position < context.upTo.to_device) context.upTo = { ...context.upTo, to_device: batch.position };
}
