/**
 * Repository interface: Device keys, one-time and fallback keys, cross-signing keys and signatures, device-list change log.
 * Re-exported by storage/index.ts; implemented by knex/e2ee.repo.ts for both dialects.
 * Key objects are JSON objects exactly as uploaded (signatures included).
 * https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
 */
import type { JsonObject } from '@parley/federation';

/** A device's uploaded identity keys. */
export interface DeviceKeysRecord {
  userId: string;
  deviceId: string;
  keys: JsonObject;
}

/** A one-time or fallback key: `<algorithm>:<keyId>` and its value as uploaded (a key object, or a plain key string). */
export interface OneTimeKeyRecord {
  algorithm: string;
  keyId: string;
  key: JsonObject | string;
}

/** One key wanted by POST /keys/claim: a key of `algorithm` of the device. */
export interface KeyClaim {
  userId: string;
  deviceId: string;
  algorithm: string;
}

/** A claimed key and the claim it answers. */
export interface ClaimedKey extends KeyClaim {
  key: OneTimeKeyRecord;
}

export type CrossSigningKeyType = 'master' | 'self_signing' | 'user_signing';

export interface CrossSigningKeyRecord {
  userId: string;
  type: CrossSigningKeyType;
  key: JsonObject;
}

/** One uploaded signature of a device key (target key ID = device ID) or a cross-signing key (its public key). */
export interface KeySignatureRecord {
  targetUserId: string;
  targetKeyId: string;
  signerUserId: string;
  /** e.g. `ed25519:<public key or device ID>` */
  signerKeyId: string;
  signature: string;
}

/** One row of the `device_lists` stream. */
export interface DeviceListChangeRecord {
  position: number;
  userId: string;
  /** Set for a membership change of `userId` in this room; null for a change of the user's devices or keys. */
  roomId: string | null;
  /** `join` or `leave` for membership rows. */
  membership: 'join' | 'leave' | null;
}

export interface E2eeStore {
  /** The device's uploaded identity keys, or null. */
  getDeviceKeys(userId: string, deviceId: string): Promise<JsonObject | null>;
  /** Stores a device's identity keys (the caller checked they are new or identical). */
  setDeviceKeys(userId: string, deviceId: string, keys: JsonObject, addedTs: number): Promise<void>;
  /** Every device's keys of each user (all of them, whatever was asked: the caller filters devices). */
  getDeviceKeysOfUsers(userIds: readonly string[]): Promise<DeviceKeysRecord[]>;
  /** Forgets everything about a device: identity keys, one-time and fallback keys, signatures on it. */
  deleteDevice(userId: string, deviceId: string): Promise<void>;

  /** The stored one-time keys among `ids` (for duplicate checks). */
  getOneTimeKeys(userId: string, deviceId: string, ids: readonly { algorithm: string; keyId: string }[]): Promise<OneTimeKeyRecord[]>;
  /** Adds one-time keys (the caller removed those already stored); a key stored meanwhile is left as it is. */
  addOneTimeKeys(userId: string, deviceId: string, keys: readonly OneTimeKeyRecord[], addedTs: number): Promise<void>;
  /** Unclaimed one-time keys per algorithm (algorithms with none are absent). */
  countOneTimeKeys(userId: string, deviceId: string): Promise<Record<string, number>>;
  /**
   * Claims one key for each of `claims` (callers pass at most a few hundred at a time): the oldest one-time key of
   * the algorithm, removed as it is handed out, else the device's fallback key of the algorithm, marked used and
   * kept. Claims with neither are absent from the result. A few statements per call, whatever its size. Safe against
   * concurrent claims (each one-time key is handed out at most once, also across processes).
   */
  claimKeys(claims: readonly KeyClaim[]): Promise<ClaimedKey[]>;

  /** Replaces the device's fallback key of the key's algorithm, as unused. */
  setFallbackKey(userId: string, deviceId: string, key: OneTimeKeyRecord): Promise<void>;
  /** Algorithms whose fallback key has not been claimed yet, sorted. */
  getUnusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]>;

  /** The users' cross-signing keys (of the given types only, when passed). */
  getCrossSigningKeys(userIds: readonly string[], types?: readonly CrossSigningKeyType[]): Promise<CrossSigningKeyRecord[]>;
  /** Inserts or replaces one cross-signing key. */
  setCrossSigningKey(record: CrossSigningKeyRecord, addedTs: number): Promise<void>;

  /** Stores signatures (a signature already stored for the same target and signer key is replaced). */
  addSignatures(records: readonly KeySignatureRecord[]): Promise<void>;
  /** Signatures on any key of the given users. */
  getSignatures(targetUserIds: readonly string[]): Promise<KeySignatureRecord[]>;

  /** Appends a row to the `device_lists` stream (call inside the transaction that took `position`). */
  addDeviceListChange(change: DeviceListChangeRecord): Promise<void>;
  /**
   * Rows with `from < position <= to` about `userIds` (device changes and their memberships) or in `roomIds`
   * (anyone's membership there), oldest first.
   */
  getDeviceListChanges(
    from: number,
    to: number,
    filter: { userIds: readonly string[]; roomIds: readonly string[] },
  ): Promise<DeviceListChangeRecord[]>;
}
