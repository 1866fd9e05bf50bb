/**
 * End-to-end encryption support: device keys, one-time/fallback keys, /keys/query, /keys/claim, /keys/changes, device-list tracking, cross-signing.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * How other domains use it (wired in services/registry.ts):
 * - accounts: `deviceChanged` on every device created, renamed or deleted (a deleted device's keys are forgotten).
 * - stream readers: registry.ts registers {@link E2eeService.membershipReader}, the durable reader of member events
 *   (joins and leaves move the `device_lists` stream), with rooms' lookup of the membership transition.
 * - sync: `getDeviceListChanges(userId, from, to)` for `device_lists` of an incremental sync, and
 *   `getKeyCounts(userId, deviceId)` for `device_one_time_keys_count` / `device_unused_fallback_key_types`.
 * https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
 */
import type { JsonObject } from '@parley/federation';
import type { DeviceChange, Requester } from '../accounts/index.js';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import type { StreamReaderHandler } from '../stream-readers/index.js';
import { uploadCrossSigningKeys, uploadSignatures } from './cross-signing.js';
import { createDeviceLists } from './device-lists.js';
import { claimKeys } from './claim.js';
import { queryKeys } from './query.js';
import type {
  ClaimKeysResult,
  CrossSigningUploadRequest,
  DeviceKeyCounts,
  DeviceListChanges,
  E2eeCallbacks,
  E2eeContext,
  MembershipTransition,
  QueryKeysResult,
  UploadKeysRequest,
} from './types.js';
import { uploadKeys } from './upload.js';

export type * from './types.js';

export interface E2eeService {
  /** POST /keys/upload: 400 M_INVALID_PARAM / M_INVALID_SIGNATURE for bad keys (nothing stored). */
  uploadKeys(requester: Requester, request: UploadKeysRequest): Promise<{ one_time_key_counts: Record<string, number> }>;
  /** POST /keys/query: `request` maps user IDs to device IDs (empty: all devices). */
  queryKeys(requester: Requester, request: Record<string, readonly string[]>): Promise<QueryKeysResult>;
  /** POST /keys/claim: `request` maps user IDs to device IDs to algorithms. */
  claimKeys(requester: Requester, request: Record<string, Record<string, string>>): Promise<ClaimKeysResult>;
  /** GET /keys/changes between two `device_lists` stream positions. */
  getKeyChanges(requester: Requester, from: number, to: number): Promise<DeviceListChanges>;
  /** POST /keys/device_signing/upload (UIA unless first upload or identical re-upload). */
  uploadCrossSigningKeys(requester: Requester, request: CrossSigningUploadRequest): Promise<void>;
  /** POST /keys/signatures/upload. */
  uploadSignatures(requester: Requester, request: Record<string, Record<string, unknown>>): Promise<{ failures: Record<string, Record<string, JsonObject>> }>;

  /** Accounts' device hook: a device was created, renamed or deleted. */
  deviceChanged(change: DeviceChange): Promise<void>;
  /** Records one membership transition in a transaction of its own. */
  membershipChanged(transition: MembershipTransition): Promise<void>;
  /**
   * Records joins and leaves among `transitions` as `device_lists` changes in the event's own transaction `tx` (the
   * pipeline's derived rows); returns the best-effort notifier publish to run after commit.
   */
  recordMembershipChanges(tx: Storage, transitions: readonly MembershipTransition[]): Promise<() => Promise<void>>;
  /**
   * The durable `events` stream reader of member events: `transitionOf` tells the membership change an event made
   * (null: none, e.g. a rejected event), read-only.
   */
  membershipReader(transitionOf: (event: StoredEvent) => Promise<MembershipTransition | null>): StreamReaderHandler<MembershipTransition[]>;
  /** `device_lists` for an incremental /sync from `from` to `to` (positions of the `device_lists` stream). */
  getDeviceListChanges(userId: string, from: number, to: number): Promise<DeviceListChanges>;
  /** The device's unclaimed one-time key counts and unused fallback key algorithms. */
  getKeyCounts(userId: string, deviceId: string): Promise<DeviceKeyCounts>;
  currentPosition(): Promise<number>;
}

/** Builds the e2ee service; `callbacks` come from services/registry.ts. */
export function createE2eeService(deps: CoreDeps, callbacks: E2eeCallbacks): E2eeService {
  const deviceLists = createDeviceLists({ deps, callbacks });
  const ctx: E2eeContext = { deps, callbacks, deviceListChanged: (userId) => deviceLists.deviceListChanged(userId) };
  const { storage } = deps;

  return {
    uploadKeys: (requester, request) => uploadKeys(ctx, requester, request),
    queryKeys: (requester, request) => queryKeys(ctx, requester, request),
    claimKeys: (_requester, request) => claimKeys(ctx, request),
    getKeyChanges: (requester, from, to) => deviceLists.getChanges(requester.userId, from, to),
    uploadCrossSigningKeys: (requester, request) => uploadCrossSigningKeys(ctx, requester, request),
    uploadSignatures: (requester, request) => uploadSignatures(ctx, requester, request),

    async deviceChanged({ userId, deviceId, kind }) {
      if (kind === 'deleted') await storage.transaction((tx) => tx.e2ee.deleteDevice(userId, deviceId));
      await deviceLists.deviceListChanged(userId);
    },
    membershipChanged: (transition) => deviceLists.membershipChanged(transition),
    recordMembershipChanges: (tx, transitions) => deviceLists.recordMembershipChanges(tx, transitions),
    membershipReader: (transitionOf) => ({
      name: 'device_lists',
      async prepare(events) {
        const transitions: MembershipTransition[] = [];
        for (const { event } of events) {
          if (event.type !== 'm.room.member' || event.stateKey === null || event.rejectedReason !== null || event.outlier) continue;
          const transition = await transitionOf(event);
          if (transition !== null) transitions.push(transition);
        }
        return transitions;
      },
      write: (tx, transitions) => deviceLists.recordMembershipChanges(tx, transitions),
    }),
    getDeviceListChanges: (userId, from, to) => deviceLists.getChanges(userId, from, to),
    async getKeyCounts(userId, deviceId) {
      const [oneTimeKeyCounts, unusedFallbackKeyTypes] = await Promise.all([
        storage.e2ee.countOneTimeKeys(userId, deviceId),
        storage.e2ee.getUnusedFallbackKeyTypes(userId, deviceId),
      ]);
      return { oneTimeKeyCounts, unusedFallbackKeyTypes };
    },
    currentPosition: () => storage.streams.current('device_lists'),
  };
}
