/**
 * POST /keys/upload: a device's identity keys, one-time keys and fallback keys. Everything is validated first and
 * written in one transaction, so a refused upload stores nothing.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysupload
 */
import { isJsonObject } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Requester } from '../accounts/index.js';
import { decodeEd25519Key, sameJson, sameKeyContent, validateDeviceKeys, validateOneTimeKeys, type UploadedKey } from './keys-json.js';
import type { E2eeContext, UploadKeysRequest } from './types.js';

export async function uploadKeys(ctx: E2eeContext, requester: Requester, request: UploadKeysRequest): Promise<{ one_time_key_counts: Record<string, number> }> {
  const { storage, clock } = ctx.deps;
  const { userId } = requester;
  const deviceId = requireDevice(requester);
  requireUploadWithinLimit(ctx, request);

  const existing = await storage.e2ee.getDeviceKeys(userId, deviceId);
  let newDeviceKeys: Awaited<ReturnType<typeof validateDeviceKeys>>['stored'] | null = null;
  let ed25519 = existing ? decodeEd25519Key((existing.keys as Record<string, unknown> | undefined)?.[`ed25519:${deviceId}`]) : null;
  if (request.device_keys !== undefined && request.device_keys !== null) {
    const validated = validateDeviceKeys(request.device_keys, userId, deviceId);
    if (existing === null) {
      newDeviceKeys = validated.stored;
      ed25519 = validated.ed25519;
    } else if (!sameKeyContent(existing, validated.stored)) {
      // NOTSPEC: the spec does not say what replacing a device's identity keys means; a device's keys identify it
      // for its whole life (clients pin them), so a change is refused: a new identity needs a new device.
      throw new MatrixError(400, 'M_INVALID_PARAM', 'This device already has different identity keys');
    }
  }

  const device = { userId, deviceId, ed25519 };
  const oneTimeKeys = request.one_time_keys == null ? [] : validateOneTimeKeys(request.one_time_keys, 'one_time_keys', device);
  const fallbackKeys = request.fallback_keys == null ? [] : validateOneTimeKeys(request.fallback_keys, 'fallback_keys', device);
  const fallbackAlgorithms = new Set(fallbackKeys.map((key) => key.algorithm));
  if (fallbackAlgorithms.size !== fallbackKeys.length) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'fallback_keys may hold only one key per algorithm');
  }
  const freshOneTimeKeys = await newOneTimeKeys(ctx, userId, deviceId, oneTimeKeys);

  await storage.transaction(async (tx) => {
    if (newDeviceKeys) await tx.e2ee.setDeviceKeys(userId, deviceId, newDeviceKeys, clock.now());
    if (freshOneTimeKeys.length > 0) {
      requireDeviceKeyQuota(ctx, { stored: await tx.e2ee.countOneTimeKeys(userId, deviceId), adding: freshOneTimeKeys.length });
      await tx.e2ee.addOneTimeKeys(userId, deviceId, freshOneTimeKeys, clock.now());
    }
    for (const key of fallbackKeys) await tx.e2ee.setFallbackKey(userId, deviceId, key);
  });
  if (newDeviceKeys) await ctx.deviceListChanged(userId);
  return { one_time_key_counts: await storage.e2ee.countOneTimeKeys(userId, deviceId) };
}

/** How many entries `value` holds when it is an object (the service validates the shape after this count). */
function entryCount(value: unknown): number {
  return isJsonObject(value) ? Object.keys(value).length : 0;
}

/**
 * 400 M_INVALID_PARAM when one upload carries more than `limits.one_time_keys_per_upload` one-time and fallback keys
 * together, checked before any signature is verified. Clients upload far fewer: matrix-sdk-crypto (Element) keeps at most
 * vodozemac's 50 public one-time keys on the server, plus one fallback key.
 */
function requireUploadWithinLimit(ctx: E2eeContext, request: UploadKeysRequest): void {
  const max = ctx.deps.config.limits.one_time_keys_per_upload;
  const count = entryCount(request.one_time_keys) + entryCount(request.fallback_keys);
  // NOTSPEC: the spec sets no bound on an upload; 400 M_INVALID_PARAM names the parameter that is too big.
  if (count > max) throw new MatrixError(400, 'M_INVALID_PARAM', `one_time_keys and fallback_keys hold ${count} keys; at most ${max} per upload`);
}

/**
 * 400 M_INVALID_PARAM (rolling the upload's transaction back) when the device would hold more than
 * `limits.one_time_keys_per_device` unclaimed one-time keys of all algorithms together.
 */
function requireDeviceKeyQuota(ctx: E2eeContext, counts: { stored: Record<string, number>; adding: number }): void {
  const max = ctx.deps.config.limits.one_time_keys_per_device;
  const stored = Object.values(counts.stored).reduce((sum, n) => sum + n, 0);
  // NOTSPEC: as above; a client keeps far fewer keys on the server (it only tops up what was claimed).
  if (stored + counts.adding > max) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `This device would hold ${stored + counts.adding} one-time keys; at most ${max} are kept`);
  }
}

/**
 * The uploaded one-time keys not stored yet. Re-uploading an identical key is allowed (a retried request); the same
 * key ID with other content is a 400, because a client that reuses IDs would lose track of its private keys.
 */
async function newOneTimeKeys(ctx: E2eeContext, userId: string, deviceId: string, keys: readonly UploadedKey[]): Promise<UploadedKey[]> {
  const seen = new Map<string, UploadedKey>();
  for (const key of keys) seen.set(`${key.algorithm}:${key.keyId}`, key);
  if (keys.length === 0) return [];
  const stored = await ctx.deps.storage.e2ee.getOneTimeKeys(userId, deviceId, keys);
  for (const old of stored) {
    const name = `${old.algorithm}:${old.keyId}`;
    const uploaded = seen.get(name);
    if (uploaded && !sameJson(uploaded.key, old.key)) {
      // NOTSPEC: the spec does not say; Synapse refuses it too (a 400 tells the client it lost track of its keys).
      throw new MatrixError(400, 'M_INVALID_PARAM', `One-time key ${name} already exists with different content`);
    }
    seen.delete(name);
  }
  return [...seen.values()];
}

/** The requester's device; keys belong to a device, so a token without one cannot upload any. */
export function requireDevice(requester: Requester): string {
  if (requester.deviceId === null) throw new MatrixError(400, 'M_INVALID_PARAM', 'This access token is not bound to a device');
  return requester.deviceId;
}
