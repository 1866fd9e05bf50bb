/**
 * To-device messaging: the per-device queue, written by /sendToDevice and read (then acknowledged) by /sync.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import { parseUserId } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { ToDeviceMessageRecord } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import {
  TO_DEVICE_SYNC_LIMIT,
  type ToDeviceCallbacks,
  type ToDeviceMessages,
  type ToDeviceRequester,
  type ToDeviceService,
} from './types.js';

/** The device ID that means "every device of the user". */
const ALL_DEVICES = '*';

/** A message before it gets its stream position. */
type PendingMessage = Omit<ToDeviceMessageRecord, 'streamId'>;

export function createToDeviceServiceImpl(deps: CoreDeps, callbacks: ToDeviceCallbacks): ToDeviceService {
  const { storage, notifier, clock } = deps;
  const log = deps.logger.child({ domain: 'to-device' });

  /** Expands the request into one message per existing local device; explicit device IDs win over `*`. */
  async function expand(sender: string, type: string, messages: ToDeviceMessages): Promise<PendingMessage[]> {
    const pending: PendingMessage[] = [];
    for (const [userId, byDevice] of Object.entries(messages)) {
      const parts = parseUserId(userId, { historical: true });
      if (!parts) throw new MatrixError(400, 'M_BAD_JSON', `messages: ${userId} is not a user ID`);
      if (parts.serverName !== deps.serverName) {
        // NOTSPEC: messages for remote users are dropped until the federation sender exists (m.direct_to_device EDU).
        log.info({ sender, userId, type }, 'to-device message for a remote user dropped: federation not built yet');
        continue;
      }
      const deviceIds = Object.keys(byDevice);
      if (deviceIds.length === 0) continue;
      const known = new Set(await callbacks.getDeviceIds(userId));
      const wildcard = byDevice[ALL_DEVICES];
      for (const deviceId of known) {
        const content = Object.hasOwn(byDevice, deviceId) ? byDevice[deviceId] : wildcard;
        if (content !== undefined) pending.push({ userId, deviceId, sender, type, content });
      }
    }
    return pending;
  }

  return {
    async send(requester, eventType, txnId, messages) {
      const pending = await expand(requester.userId, eventType, messages);
      const scope = txnScope(requester);
      const position = await storage.transaction(async (tx) => {
        const fresh = await tx.toDevice.claimToDeviceTxn({ userId: requester.userId, scope, txnId, createdTs: clock.now() });
        if (!fresh || pending.length === 0) return null;
        // One position for the whole request: each device gets at most one message from it, so the position still
        // orders every device's queue, and a fan-out to many devices costs one stream allocation.
        const streamId = await tx.streams.next('to_device');
        await tx.toDevice.enqueueToDeviceMessages(pending.map((message) => ({ ...message, streamId })));
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
