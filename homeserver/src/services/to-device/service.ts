/**
 * To-device messaging: the per-device queue, written by /sendToDevice and read (then acknowledged) by /sync.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import type { Storage } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { expandMessages, type PendingMessage } from './fan-out.js';
import {
  TO_DEVICE_SYNC_LIMIT,
  type ToDeviceCallbacks,
  type ToDeviceRequester,
  type ToDeviceService,
} from './types.js';

export function createToDeviceServiceImpl(deps: CoreDeps, callbacks: ToDeviceCallbacks): ToDeviceService {
  const { storage, notifier, clock } = deps;
  const log = deps.logger.child({ domain: 'to-device' });

  /**
   * Keeps each recipient's queue within `limits.to_device_backlog_per_device` by dropping its oldest messages: a
   * device that never syncs cannot grow its queue without bound, and the newest messages (the ones a returning
   * device still needs, such as fresh room keys) are the ones kept.
   */
  async function dropBeyondBacklog(tx: Pick<Storage, 'toDevice'>, pending: readonly PendingMessage[]): Promise<void> {
    const keep = deps.config.limits.to_device_backlog_per_device;
    for (const trimmed of await tx.toDevice.trimToDeviceQueues(pending, keep)) {
      log.warn({ userId: trimmed.userId, deviceId: trimmed.deviceId, dropped: trimmed.dropped, keep }, 'to-device backlog full: oldest messages dropped');
    }
  }

  return {
    async send(requester, eventType, txnId, messages) {
      const pending = await expandMessages(deps, callbacks, { sender: requester.userId, type: eventType, messages });
      const scope = txnScope(requester);
      const position = await storage.transaction(async (tx) => {
        const fresh = await tx.toDevice.claimToDeviceTxn({ userId: requester.userId, scope, txnId, createdTs: clock.now() });
        if (!fresh || pending.length === 0) return null;
        // One position for the whole request: each device gets at most one message from it, so the position still
        // orders every device's queue, and a fan-out to many devices costs one stream allocation.
        const streamId = await tx.streams.next('to_device');
        await tx.toDevice.enqueueToDeviceMessages(pending.map((message) => ({ ...message, streamId })));
        await dropBeyondBacklog(tx, pending);
        return streamId;
      });
      if (position === null) return;
      const userIds = [...new Set(pending.map((message) => message.userId))];
      log.debug({ sender: requester.userId, type: eventType, devices: pending.length, position }, 'to-device messages queued');
      await notifier.publish({ stream: 'to_device', position, userIds });
    },

    async getMessagesForSync(userId, deviceId, range) {
      if (range.acknowledged !== null && range.acknowledged > 0) {
        await storage.toDevice.deleteToDeviceMessagesUpTo(userId, deviceId, range.acknowledged);
      }
      const limit = range.limit ?? TO_DEVICE_SYNC_LIMIT;
      const records = await storage.toDevice.getToDeviceMessages(userId, deviceId, { after: range.from, upTo: range.to, limit });
      const last = records.at(-1);
      // A full page may hide more: stop the token at the last message delivered so the rest come next time.
      const position = records.length >= limit && last !== undefined ? last.streamId : range.to;
      return { events: records.map(({ sender, type, content }) => ({ sender, type, content })), position };
    },

    currentPosition: () => storage.streams.current('to_device'),

    async deviceDeleted(userId, deviceId) {
      await storage.transaction(async (tx) => {
        await tx.toDevice.deleteDeviceQueue(userId, deviceId);
        await tx.toDevice.deleteToDeviceTxns(userId, txnScope({ userId, deviceId, accessTokenId: '' }));
      });
    },
  };
}

/** The transaction-ID scope: the sending device, or its access token when it has none. */
function txnScope(requester: ToDeviceRequester): string {
  return requester.deviceId !== null ? `d:${requester.deviceId}` : `t:${String(requester.accessTokenId)}`;
}
