/**
 * Repository interface: the per-device to-device message queue and the transaction IDs of /sendToDevice.
 * Re-exported by storage/index.ts; implemented by knex/to-device.repo.ts for both dialects.
 *
 * The repository stores and selects; the to-device service decides what to queue, allocates the `to_device`
 * stream position with `tx.streams.next('to_device')` and passes it in.
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import type { JsonObject } from '@parley/federation';

/** One queued message for one device of a local user. */
export interface ToDeviceMessageRecord {
  /** The recipient. */
  userId: string;
  deviceId: string;
  sender: string;
  type: string;
  content: JsonObject;
  /**
   * Position on the `to_device` stream. Unique per device: one /sendToDevice request carries at most one message
   * per device, and all the messages of a request share the request's position.
   */
  streamId: number;
}

/** One device of a local user. */
export interface ToDeviceRecipient {
  userId: string;
  deviceId: string;
}

/** A window of one device's queue. */
export interface ToDeviceQuery {
  /** Exclusive lower bound. */
  after: number;
  /** Inclusive upper bound. */
  upTo: number;
  limit: number;
}

export interface ToDeviceStore {
  /**
   * Records that `scope` (a device or access token of `userId`, encoded by the service) used `txnId`; false
   * when it had already, i.e. the request is a retry. Run it in the transaction that queues the messages, so a
   * failed request leaves no record.
   */
  claimToDeviceTxn(record: { userId: string; scope: string; txnId: string; createdTs: number }): Promise<boolean>;
  /** Forgets the transaction IDs of one scope of `userId` (its device was deleted). */
  deleteToDeviceTxns(userId: string, scope: string): Promise<void>;
  /**
   * Queues messages (and counts them in their devices' queue sizes); one already queued for the same device and
   * position is left as it is. Run it in a transaction.
   */
  enqueueToDeviceMessages(messages: readonly ToDeviceMessageRecord[]): Promise<void>;
  /**
   * Drops the oldest messages of each of `devices` whose queue holds more than `keep`, down to `keep`. Returns the
   * devices trimmed and how many each lost. Costs one query per few hundred devices when none is over. Run it in
   * the transaction that queued.
   */
  trimToDeviceQueues(devices: readonly ToDeviceRecipient[], keep: number): Promise<(ToDeviceRecipient & { dropped: number })[]>;
  /** The device's messages with `after < streamId <= upTo`, oldest first, at most `limit`. */
  getToDeviceMessages(userId: string, deviceId: string, query: ToDeviceQuery): Promise<ToDeviceMessageRecord[]>;
  /** Deletes the device's messages with `streamId <= upTo` (delivered and acknowledged). Returns how many. */
  deleteToDeviceMessagesUpTo(userId: string, deviceId: string, upTo: number): Promise<number>;
  /** Deletes the device's whole queue (the device was deleted). Returns how many. */
  deleteDeviceQueue(userId: string, deviceId: string): Promise<number>;
}
