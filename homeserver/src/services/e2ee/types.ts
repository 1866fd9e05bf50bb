/**
 * The public types of the e2ee domain, re-exported by index.ts (kept apart so the domain's inner files can use them
 * without importing index.ts).
 * https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
 */
import type { JsonObject } from '@parley/federation';
import type { Requester } from '../accounts/index.js';
import type { CoreDeps } from '../deps.js';

/** What e2ee asks other domains (wired in services/registry.ts). */
export interface E2eeCallbacks {
  /** Users joined to a room the user is joined to, the user included. */
  usersSharingRoomWith(userId: string): Promise<string[]>;
  /** Rooms the user is joined to. */
  joinedRoomIds(userId: string): Promise<string[]>;
  /** Users joined to the room. */
  joinedMembers(roomId: string): Promise<string[]>;
  /** The user's existing devices and their display names. */
  listDevices(userId: string): Promise<{ deviceId: string; displayName: string | null }[]>;
  /** The existing devices of many users (batched), with their display names. */
  listDevicesOfUsers(userIds: readonly string[]): Promise<{ userId: string; deviceId: string; displayName: string | null }[]>;
  /** User-interactive auth (accounts' `requireUserInteractiveAuth`). */
  requireUserInteractiveAuth(requester: Requester, auth: JsonObject | undefined, operation: string): Promise<void>;
}

/** Everything the domain's parts share. */
export interface E2eeContext {
  deps: CoreDeps;
  callbacks: E2eeCallbacks;
  /** Records a change of the user's device list (devices or keys) on the `device_lists` stream and wakes syncs. */
  deviceListChanged(userId: string): Promise<void>;
}

/** The body of POST /keys/upload (shapes are checked by the service). */
export interface UploadKeysRequest {
  device_keys?: unknown;
  one_time_keys?: unknown;
  fallback_keys?: unknown;
}

/** The answer of POST /keys/query. */
export interface QueryKeysResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
  failures: Record<string, JsonObject>;
}

/** The answer of POST /keys/claim. */
export interface ClaimKeysResult {
  one_time_keys: Record<string, Record<string, Record<string, JsonObject | string>>>;
  failures: Record<string, JsonObject>;
}

/** The body of POST /keys/device_signing/upload. */
export interface CrossSigningUploadRequest {
  master_key?: unknown;
  self_signing_key?: unknown;
  user_signing_key?: unknown;
  auth?: JsonObject;
}

/** `device_lists` of /sync and the answer of GET /keys/changes. */
export interface DeviceListChanges {
  changed: string[];
  left: string[];
}

/** The requesting device's key counts for every /sync. */
export interface DeviceKeyCounts {
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[];
}

/** A membership change the device-list stream follows (from the rooms domain's persisted member events). */
export interface MembershipTransition {
  roomId: string;
  userId: string;
  membership: string;
  previous: string | null;
}
