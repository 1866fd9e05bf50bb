/**
 * POST /keys/claim for local users: at most `limits.keys_claim_max_devices` devices per request, claimed in chunks
 * of a few hundred (a few SQL statements each, one transaction per chunk) with the event loop yielded between.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysclaim
 */
import { MatrixError } from '../../matrix-error.js';
import type { KeyClaim } from '../../storage/index.js';
import { inChunks } from '../yield.js';
import { failuresFor, partition } from './remote.js';
import type { ClaimKeysResult, E2eeContext } from './types.js';

/** 400 M_INVALID_PARAM when the request names more devices than `limits.keys_claim_max_devices`. */
function requireClaimWithinLimit(ctx: E2eeContext, request: Record<string, Record<string, string>>): void {
  const max = ctx.deps.config.limits.keys_claim_max_devices;
  let devices = 0;
  for (const byDevice of Object.values(request)) devices += Object.keys(byDevice).length;
  // NOTSPEC: the spec sets no bound on one claim; 400 M_INVALID_PARAM (the body is valid JSON of an acceptable size,
  // one parameter is out of range) rather than 413 M_TOO_LARGE, which is about the size of the body.
  if (devices > max) throw new MatrixError(400, 'M_INVALID_PARAM', `one_time_keys names ${devices} devices; at most ${max} per request`);
}

/**
 * Claims one key per (user, device, algorithm): the oldest one-time key, removed as it is handed out, else the
 * device's fallback key (kept, marked used). Unknown users and devices, and devices without keys, are left out.
 */
export async function claimKeys(ctx: E2eeContext, request: Record<string, Record<string, string>>): Promise<ClaimKeysResult> {
  requireClaimWithinLimit(ctx, request);
  const { storage } = ctx.deps;
  const { local, remoteServers } = partition(ctx, Object.keys(request));
  const result: ClaimKeysResult = { one_time_keys: {}, failures: failuresFor(remoteServers) };
  const claims: KeyClaim[] = local.flatMap((userId) =>
    Object.entries(request[userId] ?? {}).map(([deviceId, algorithm]) => ({ userId, deviceId, algorithm })),
  );
  const batches = await inChunks(claims, (chunk) => storage.transaction((tx) => tx.e2ee.claimKeys(chunk)));
  for (const claimed of batches.flat()) {
    const devices = (result.one_time_keys[claimed.userId] ??= {});
    devices[claimed.deviceId] = { [`${claimed.key.algorithm}:${claimed.key.keyId}`]: claimed.key.key };
  }
  return result;
}
