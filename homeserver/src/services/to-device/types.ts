/**
 * The to-device domain's public types (import them from index.ts).
 * https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
 */
import type { JsonObject } from '@parley/federation';

/** Who sends. `Requester` of the accounts domain fits this shape. */
export interface ToDeviceRequester {
  userId: string;
  deviceId: string | null;
  accessTokenId: number | string;
}

/** The `messages` of PUT /sendToDevice: user ID → device ID (or `*`) → content. */
export type ToDeviceMessages = Readonly<Record<string, Readonly<Record<string, JsonObject>>>>;

/** A to-device event as /sync delivers it. */
export interface ToDeviceEvent {
  sender: string;
  type: string;
  content: JsonObject;
}

/** One device's messages for one /sync response. */
export interface ToDeviceBatch {
  events: ToDeviceEvent[];
  /**
   * How far the response may move the device's `to_device` position: `upTo` when every pending message fitted,
   * otherwise the position of the last one delivered (the rest come in the next sync).
   */
  position: number;
}

export interface ToDeviceService {
  /**
   * PUT /sendToDevice/{eventType}/{txnId}: queues `content` for each named device of each local user (`*`: all
   * their devices now), in one transaction. A retry of a transaction ID by the same device (or access token) queues
   * nothing. Unknown local devices are skipped. Remote users are skipped (federation is not built yet).
   * 400 `M_BAD_JSON` for a key that is not a user ID; 413 `M_TOO_LARGE` when `*` expands the request beyond
   * `max_request_body_bytes`. A device's queue keeps at most `limits.to_device_backlog_per_device` messages: beyond,
   * its oldest are dropped.
   */
  send(requester: ToDeviceRequester, eventType: string, txnId: string, messages: ToDeviceMessages): Promise<void>;
  /**
   * For /sync: the device's messages with `from < position <= to`, oldest first, at most `limit` (default
   * {@link TO_DEVICE_SYNC_LIMIT}); with `acknowledged`, first deletes every message at or before it (the client
   * synced with a `since` past them, so it has them).
   */
  getMessagesForSync(
    userId: string,
    deviceId: string,
    range: { from: number; to: number; acknowledged: number | null; limit?: number },
  ): Promise<ToDeviceBatch>;
  /** The head of the `to_device` stream. */
  currentPosition(): Promise<number>;
  /** Deletes a device's queue and transaction IDs (call when the device is deleted). */
  deviceDeleted(userId: string, deviceId: string): Promise<void>;
}

/** What the to-device domain asks of others (wired by services/registry.ts). */
export interface ToDeviceCallbacks {
  /** The devices of local users (none for unknown users); called with a few hundred users at a time. */
  listDeviceIds(userIds: readonly string[]): Promise<readonly { userId: string; deviceId: string }[]>;
}

/** Most messages one /sync response carries, as the spec recommends. */
export const TO_DEVICE_SYNC_LIMIT = 100;
