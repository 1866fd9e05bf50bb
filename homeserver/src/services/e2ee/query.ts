/**
 * POST /keys/query and POST /keys/claim for local users. Users of other servers go into `failures` until
 * federation can ask their servers.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysclaim
 */
import { isJsonObject, type JsonObject } from '@parley/federation';
import type { KeySignatureRecord } from '../../storage/index.js';
import type { Requester } from '../accounts/index.js';
import { crossSigningPublicKey } from './keys-json.js';
import type { ClaimKeysResult, E2eeContext, QueryKeysResult } from './types.js';

// NOTSPEC: the spec leaves the failure object's content open; this is what other servers put there.
const REMOTE_FAILURE: JsonObject = { status: 503, message: 'Federation is not available on this server yet' };

/** Splits user IDs into ours and the servers of the others. */
function partition(ctx: E2eeContext, userIds: Iterable<string>): { local: string[]; remoteServers: Set<string> } {
  const local: string[] = [];
  const remoteServers = new Set<string>();
  for (const userId of userIds) {
    const server = userId.slice(userId.indexOf(':') + 1);
    if (server === ctx.deps.serverName) local.push(userId);
    else remoteServers.add(server);
  }
  return { local, remoteServers };
}

function failuresFor(servers: Set<string>): Record<string, JsonObject> {
  return Object.fromEntries([...servers].map((server) => [server, REMOTE_FAILURE]));
}

export async function queryKeys(ctx: E2eeContext, requester: Requester, request: Record<string, readonly string[]>): Promise<QueryKeysResult> {
  const { storage } = ctx.deps;
  const { local, remoteServers } = partition(ctx, Object.keys(request));
  const result: QueryKeysResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: failuresFor(remoteServers) };
  if (local.length === 0) return result;

  const [allDeviceKeys, crossSigning, signatures] = await Promise.all([
    storage.e2ee.getDeviceKeysOfUsers(local),
    storage.e2ee.getCrossSigningKeys(local),
    storage.e2ee.getSignatures(local),
  ]);
  for (const userId of local) {
    const wanted = request[userId] ?? [];
    const devices = new Map((await ctx.callbacks.listDevices(userId)).map((device) => [device.deviceId, device.displayName]));
    const entry: Record<string, JsonObject> = {};
    for (const record of allDeviceKeys) {
      if (record.userId !== userId || !devices.has(record.deviceId)) continue;
      if (wanted.length > 0 && !wanted.includes(record.deviceId)) continue;
      const displayName = devices.get(record.deviceId);
      const keys = withSignatures(record.keys, signatures, userId, record.deviceId, () => true);
      entry[record.deviceId] = { ...keys, unsigned: displayName ? { device_display_name: displayName } : {} };
    }
    result.device_keys[userId] = entry;
  }
  for (const key of crossSigning) {
    const publicKey = crossSigningPublicKey(key.key)?.publicKeyBase64;
    if (key.type === 'master') {
      // Signatures on a master key are seen by its owner's devices and by the user who made them.
      const visible = (signer: string): boolean => signer === key.userId || signer === requester.userId;
      result.master_keys[key.userId] = publicKey ? withSignatures(key.key, signatures, key.userId, publicKey, visible) : key.key;
    } else if (key.type === 'self_signing') {
      result.self_signing_keys[key.userId] = key.key;
    } else if (key.userId === requester.userId) {
      result.user_signing_keys[key.userId] = key.key;
    }
  }
  return result;
}

/** `keys` with the uploaded signatures on (`userId`, `keyId`) merged into its `signatures`. */
function withSignatures(
  keys: JsonObject,
  signatures: readonly KeySignatureRecord[],
  userId: string,
  keyId: string,
  visible: (signer: string) => boolean,
): JsonObject {
  const extra = signatures.filter((s) => s.targetUserId === userId && s.targetKeyId === keyId && visible(s.signerUserId));
  if (extra.length === 0) return keys;
  const merged: Record<string, Record<string, string>> = {};
  if (isJsonObject(keys.signatures)) {
    for (const [signer, bySigner] of Object.entries(keys.signatures)) {
      if (isJsonObject(bySigner)) merged[signer] = { ...(bySigner as Record<string, string>) };
    }
  }
  for (const signature of extra) {
    merged[signature.signerUserId] = { ...(merged[signature.signerUserId] ?? {}), [signature.signerKeyId]: signature.signature };
  }
  return { ...keys, signatures: merged };
}

/**
 * Claims one key per (user, device, algorithm): the oldest one-time key, removed as it is handed out, else the
 * device's fallback key (kept, marked used). Unknown users and devices, and devices without keys, are left out.
 */
export async function claimKeys(ctx: E2eeContext, request: Record<string, Record<string, string>>): Promise<ClaimKeysResult> {
  const { storage } = ctx.deps;
  const { local, remoteServers } = partition(ctx, Object.keys(request));
  const result: ClaimKeysResult = { one_time_keys: {}, failures: failuresFor(remoteServers) };
  for (const userId of local) {
    for (const [deviceId, algorithm] of Object.entries(request[userId] ?? {})) {
      const claimed = await storage.transaction(
        async (tx) =>
          (await tx.e2ee.claimOneTimeKey(userId, deviceId, algorithm)) ?? (await tx.e2ee.claimFallbackKey(userId, deviceId, algorithm)),
      );
      if (!claimed) continue;
      const devices = (result.one_time_keys[userId] ??= {});
      devices[deviceId] = { [`${claimed.algorithm}:${claimed.keyId}`]: claimed.key };
    }
  }
  return result;
}
